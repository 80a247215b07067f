/** The frame of every page: accessible, readable on a phone, no build chain; scripts from /static only (CSP). */
export const html = (text: string): string =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

const css = `
:root{color-scheme:light;--ink:#1b1f24;--muted:#4a5560;--line:#c8d0d8;--accent:#0b57a4;--ok:#17663a;--bad:#a11d1d}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#fff}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.75rem 1rem;border-bottom:1px solid var(--line)}
header strong{font-size:1.1rem}nav a{margin-right:1rem}a{color:var(--accent)}main{padding:1rem;max-width:64rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
button,input,select{font:inherit}button{background:var(--accent);color:#fff;border:0;border-radius:4px;padding:.45rem .9rem;cursor:pointer}
button:focus-visible,a:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #f0b400;outline-offset:2px}
label{display:block;font-weight:600;margin:.6rem 0 .2rem}input[type=text],input[type=password],select{width:100%;max-width:24rem;padding:.4rem;border:1px solid var(--muted);border-radius:4px}
progress{width:100%;max-width:24rem;height:1.2rem}.muted{color:var(--muted)}.error{color:var(--bad)}.ok{color:var(--ok)}
.task{margin:.3rem 0}.scroll{overflow-x:auto}@media (max-width:40rem){th,td{padding:.3rem}main{padding:.6rem}}`;

export function page(
  title: string,
  body: string,
  options: { domain?: string; csrf?: string; user?: string } = {},
): string {
  const nav = options.domain
    ? `<nav aria-label="Main"><a href="/a/${html(options.domain)}/exports/">Exports</a><a href="/a/${html(options.domain)}/imports/cases/">Case import</a><a href="/a/${html(options.domain)}/pipelines/">Pipelines</a></nav>`
    : '';
  const who = options.user
    ? `<form method="post" action="/a/${html(options.domain ?? '')}/logout" class="muted">${html(options.user)} <input type="hidden" name="csrf" value="${html(options.csrf ?? '')}"><button type="submit">Log out</button></form>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html(title)} · Tributary</title><style>${css}</style>
${options.csrf ? `<meta name="csrf-token" content="${html(options.csrf)}">` : ''}
<script src="/static/tributary-pages.js" defer></script></head>
<body><header><strong>Tributary</strong>${nav}${who}</header><main id="main"><h1>${html(title)}</h1>
${body}</main></body></html>`;
}

export const pageHeaders = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};
