/**
 * The pages for people: login (a session in Redis, CSRF on every POST, secure cookies), the domain's
 * exports with a live progress bar and the daily saved files, case import (upload, column mapping,
 * progress, per-row results), and the operators' pipelines page (groups, members, lag per partition,
 * dead letters, UCR data sources, queue depths), refreshed live.
 */
import type { IncomingMessage } from 'node:http';
import { queueCounts, type QueueCounts } from '../../connectors/redis/task-queue.js';
import type { Authenticator } from '../http/http-server.js';
import { HttpError } from '../http/http-error.js';
import { readBody, send, sendJson } from '../http/respond.js';
import type { Route, RouteModule, RouteRequest } from '../http/route.js';
import {
  cookie,
  newToken,
  readCookies,
  sameToken,
  sessionCookieName,
  type Session,
  type SessionStore,
} from '../auth/sessions.js';
import { latestDailyExport } from '../exports/daily-exports.js';
import type { TaskServices } from '../tasks/task-services.js';
import { html, page, pageHeaders } from './page-layout.js';
import { pagesScript } from './pages-script.js';

/** What the pipelines page shows of each pipeline: the model of `tributary status --json`. */
export interface PipelineStatusView {
  pipeline: string;
  group: string;
  state: string;
  members: { clientId: string; host: string; partitions: string[] }[];
  partitions: { topic: string; partition: number; committed: string; end: string; lag: number }[];
  lag: number;
  deadLetters: { total: number; pending: number } | null;
  ucr?: {
    tables: { domain: string; tableId: string; state: string; rows: number | null; error: string | null }[];
  };
  search?: { indices: { name: string; state: string; docs?: number | null }[] };
}

export interface PagesOptions {
  sessions: SessionStore;
  authenticator: Authenticator;
  /** The pipelines `tributary serve` runs, as status computes them; none when absent. */
  pipelineStatus?: () => Promise<PipelineStatusView[]>;
}

const loginCsrfCookie = 'tributary_login_csrf';

async function formBody(req: IncomingMessage, res: RouteRequest['res']): Promise<URLSearchParams> {
  return new URLSearchParams((await readBody(req, res, 16 * 1024)).toString('utf8'));
}

function redirect(res: RouteRequest['res'], location: string, cookies: string[] = []): void {
  res.writeHead(303, {
    location,
    'cache-control': 'no-store',
    ...(cookies.length ? { 'set-cookie': cookies } : {}),
  });
  res.end();
}

function sendPage(res: RouteRequest['res'], status: number, body: string, cookies: string[] = []): void {
  if (cookies.length) res.setHeader('set-cookie', cookies);
  send(res, status, 'text/html; charset=utf-8', body, pageHeaders);
}

function loginPage(domain: string, token: string, message = '', next: string | null = null): string {
  return page(
    `Log in to ${domain}`,
    `${message ? `<p class="error" role="alert">${html(message)}</p>` : ''}
<form method="post" action="/a/${html(domain)}/login${next ? `?next=${html(encodeURIComponent(next))}` : ''}">
<input type="hidden" name="csrf" value="${html(token)}">
<label for="username">Username</label><input type="text" id="username" name="username" autocomplete="username" required>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<p><button type="submit">Log in</button></p></form>`,
  );
}

/** The session of a page request for this domain, or null after redirecting to its login page. */
async function sessionOf(options: PagesOptions, request: RouteRequest): Promise<Session | null> {
  const domain = request.params.domain!;
  const session = await options.sessions.of(request.req);
  if (session && session.user.domain === domain) return session;
  redirect(
    request.res,
    `/a/${encodeURIComponent(domain)}/login?next=${encodeURIComponent(request.url.pathname)}`,
  );
  return null;
}

/** A page of a domain for its logged-in users; others are sent to the login page. */
function domainPage(
  options: PagesOptions,
  path: string,
  title: string,
  body: (request: RouteRequest, session: Session) => Promise<string>,
): Route {
  return {
    method: 'GET',
    path,
    access: 'public',
    summary: `The ${title.toLowerCase()} page.`,
    handle: async (request: RouteRequest) => {
      if (!(await options.authenticator.domainExists(request.params.domain!)))
        throw new HttpError(404, `No domain named ${request.params.domain}.`);
      const session = await sessionOf(options, request);
      if (!session) return;
      const domain = request.params.domain!;
      sendPage(
        request.res,
        200,
        page(title, await body(request, session), {
          domain,
          csrf: session.csrf,
          user: session.user.username,
        }),
      );
    },
  };
}

/** Checks the login form as HTTP Basic would (same throttling), then sets the session cookie. */
async function logIn(options: PagesOptions, { req, res, params, url }: RouteRequest): Promise<void> {
  const domain = params.domain!;
  const form = await formBody(req, res);
  const expected = readCookies(req).get(loginCsrfCookie);
  if (!expected || !sameToken(form.get('csrf') ?? undefined, expected))
    throw new HttpError(403, 'The login form has expired; reload the page.');
  const username = form.get('username') ?? '';
  const basic = `Basic ${Buffer.from(`${username}:${form.get('password') ?? ''}`).toString('base64')}`;
  // The same check (and throttling) as HTTP Basic: the authenticator sees the real socket.
  const probe = Object.assign(Object.create(req) as IncomingMessage, {
    headers: { ...req.headers, authorization: basic, cookie: '' },
  });
  const outcome = await options.authenticator.authenticate(probe, domain, { action: 'sign in to' });
  if (!outcome.ok) {
    const token = newToken();
    return sendPage(
      res,
      outcome.status === 429 ? 429 : 401,
      loginPage(domain, token, outcome.status === 429 ? outcome.message : 'Unknown user or wrong password.'),
      [cookie(loginCsrfCookie, token, 3600)],
    );
  }
  const session = await options.sessions.create(outcome.user);
  const next = url.searchParams.get('next');
  const target =
    next && next.startsWith(`/a/${domain}/`) ? next : `/a/${encodeURIComponent(domain)}/exports/`;
  redirect(res, target, [
    cookie(sessionCookieName, session.id, options.sessions.ttlSeconds),
    cookie(loginCsrfCookie, '', 0),
  ]);
}

/** The script, login and logout: what every page needs before a session exists. */
function sessionRoutes(options: PagesOptions): Route[] {
  return [
    {
      method: 'GET',
      path: '/static/tributary-pages.js',
      access: 'public',
      summary: "The pages' script.",
      handle: ({ res }) =>
        Promise.resolve(
          send(res, 200, 'text/javascript; charset=utf-8', pagesScript, {
            'cache-control': 'public, max-age=300',
          }),
        ),
    },
    {
      method: 'GET',
      path: '/a/:domain/login',
      access: 'public',
      summary: 'The login page of a domain.',
      handle: async ({ res, params, url }) => {
        if (!(await options.authenticator.domainExists(params.domain!)))
          throw new HttpError(404, `No domain named ${params.domain}.`);
        const token = newToken();
        sendPage(res, 200, loginPage(params.domain!, token, '', url.searchParams.get('next')), [
          cookie(loginCsrfCookie, token, 3600),
        ]);
      },
    },
    {
      method: 'POST',
      path: '/a/:domain/login',
      access: 'public',
      summary: 'Log in with a username and password of the domain; sets the session cookie.',
      handle: (request) => logIn(options, request),
    },
    {
      method: 'POST',
      path: '/a/:domain/logout',
      access: 'public',
      summary: 'End the session.',
      handle: async ({ req, res, params }) => {
        const session = await options.sessions.of(req);
        const form = await formBody(req, res);
        if (session) {
          if (!sameToken(form.get('csrf') ?? undefined, session.csrf))
            throw new HttpError(403, 'Missing or wrong CSRF token.');
          await options.sessions.destroy(session.id);
        }
        redirect(res, `/a/${encodeURIComponent(params.domain!)}/login`, [cookie(sessionCookieName, '', 0)]);
      },
    },
  ];
}

export function pagesRoutes(tasks: TaskServices, options: PagesOptions): RouteModule {
  return {
    name: 'pages',
    routes: [
      ...sessionRoutes(options),
      domainPage(options, '/a/:domain/exports/', 'Exports', async (request) =>
        exportsBody(tasks, request.params.domain!),
      ),
      domainPage(options, '/a/:domain/imports/cases/', 'Case import', (request) =>
        Promise.resolve(importBody(request.params.domain!)),
      ),
      domainPage(
        options,
        '/a/:domain/pipelines/',
        'Pipelines',
        async (request) =>
          `<div id="pipelines" data-source="/a/${html(request.params.domain!)}/pipelines/status.json" aria-live="polite">${await pipelinesHtml(tasks, options)}</div>`,
      ),
      {
        method: 'GET',
        path: '/a/:domain/pipelines/status.json',
        access: 'domain-user',
        summary: 'The pipelines and queues, as JSON and as the table the page shows.',
        handle: async ({ res }) => {
          const [pipelines, queues] = await Promise.all([
            options.pipelineStatus?.() ?? [],
            queueCounts(tasks.queueOptions),
          ]);
          sendJson(res, 200, { pipelines, queues, html: renderPipelines(pipelines, queues) });
        },
      },
    ],
  };
}

async function exportsBody(tasks: TaskServices, domain: string): Promise<string> {
  const exports = await tasks.catalog.list(domain);
  const rows = await Promise.all(
    exports.map(async (e) => {
      const start = `/a/${encodeURIComponent(domain)}/exports/${encodeURIComponent(e.id)}/start`;
      const daily = e.isDailySaved ? await latestDailyExport(tasks, domain, e.id) : null;
      const dailyCell = e.isDailySaved
        ? daily
          ? `<a href="/a/${html(domain)}/exports/${html(e.id)}/download">Download the daily file</a> <span class="muted">built ${html(daily.builtAt.replace('T', ' ').slice(0, 19))} UTC</span>`
          : '<span class="muted">daily file not built yet</span>'
        : '';
      const action = e.error
        ? `<p class="error">This configuration cannot be used: ${html(e.error)}</p>`
        : `<form class="filters" aria-label="Filters of ${html(e.name)}"><label for="from-${html(e.id)}">From</label><input type="text" inputmode="numeric" placeholder="YYYY-MM-DD" id="from-${html(e.id)}" name="date_start"><label for="to-${html(e.id)}">To</label><input type="text" inputmode="numeric" placeholder="YYYY-MM-DD" id="to-${html(e.id)}" name="date_end"></form>
<p><button type="button" data-start="${html(start)}">Export</button></p><div class="task" hidden></div>`;
      return `<tr data-export="${html(e.id)}"><td><strong>${html(e.name)}</strong><br><span class="muted">${html(e.kind)} export · ${html(e.format)}${e.description ? ` · ${html(e.description)}` : ''}</span><br>${dailyCell}</td><td>${action}</td></tr>`;
    }),
  );
  return exports.length
    ? `<div class="scroll"><table><thead><tr><th scope="col">Export</th><th scope="col">Run it</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`
    : '<p>This domain has no exports yet: add an export configuration under pipelines/exports/.</p>';
}

function importBody(domain: string): string {
  const base = `/a/${html(domain)}/imports/cases`;
  return `<form id="case-import" method="post" action="${base}" data-preview="${base}/preview" enctype="multipart/form-data">
<label for="file">Case file (.xlsx or .csv, first row: column names)</label><input type="file" id="file" name="file" accept=".xlsx,.csv" required>
<label for="case_type">Case type</label><input type="text" id="case_type" name="case_type" required>
<label for="search_column">Column that identifies each case</label><select id="search_column" name="search_column"></select>
<label for="search_field">It holds the case's</label><select id="search_field" name="search_field"><option value="case_id">case_id</option><option value="external_id">external_id</option></select>
<label><input type="checkbox" name="create_new_cases" value="true"> Create a case when none is found</label>
<fieldset><legend>Columns → case properties</legend><div id="mapping"><p class="muted">Choose a file to see its columns.</p></div></fieldset>
<p><button type="submit">Import</button></p></form><div id="import-task" class="task" hidden></div>`;
}

async function pipelinesHtml(tasks: TaskServices, options: PagesOptions): Promise<string> {
  const [pipelines, queues] = await Promise.all([
    options.pipelineStatus?.() ?? [],
    queueCounts(tasks.queueOptions).catch(() => []),
  ]);
  return renderPipelines(pipelines, queues);
}

export function renderPipelines(
  pipelines: readonly PipelineStatusView[],
  queues: readonly QueueCounts[],
): string {
  const sections = pipelines.map((p) => {
    const partitions = p.partitions
      .map(
        (part) =>
          `<tr><td>${html(part.topic)}</td><td>${part.partition}</td><td>${html(part.committed === '-1' ? '-' : part.committed)}</td><td>${html(part.end)}</td><td data-lag="${html(`${part.topic}:${part.partition}`)}">${part.lag}</td></tr>`,
      )
      .join('');
    const members = p.members
      .map(
        (m) => `<li>${html(m.clientId)} ${html(m.host)}: ${html(m.partitions.join(', ') || '(none)')}</li>`,
      )
      .join('');
    const tables = (p.ucr?.tables ?? [])
      .map(
        (t) =>
          `<li>${html(`${t.domain}/${t.tableId}`)}: ${html(t.state)}, ${t.rows ?? '?'} rows${t.error ? ` <span class="error">${html(t.error)}</span>` : ''}</li>`,
      )
      .join('');
    const indices = (p.search?.indices ?? [])
      .map((i) => `<li>${html(i.name)}: ${html(i.state)}</li>`)
      .join('');
    const dlq = p.deadLetters ? `${p.deadLetters.pending} pending of ${p.deadLetters.total}` : 'unknown';
    return `<section data-pipeline="${html(p.pipeline)}"><h2>${html(p.pipeline)}</h2>
<p>Group <code>${html(p.group)}</code>, ${html(p.state)}, ${p.members.length} member(s), total lag <strong data-total-lag>${p.lag}</strong>, dead letters ${html(dlq)}</p>
${members ? `<ul>${members}</ul>` : ''}${tables ? `<h3>UCR data sources</h3><ul>${tables}</ul>` : ''}${indices ? `<h3>Search indices</h3><ul>${indices}</ul>` : ''}
<div class="scroll"><table><caption class="muted">Lag per partition</caption><thead><tr><th scope="col">Topic</th><th scope="col">Partition</th><th scope="col">Committed</th><th scope="col">End</th><th scope="col">Lag</th></tr></thead><tbody>${partitions}</tbody></table></div></section>`;
  });
  const queueRows = queues
    .map(
      (q) =>
        `<tr><td>${html(q.queue)}</td><td>${q.waiting}</td><td>${q.active}</td><td>${q.failed}</td><td>${q.delayed}</td></tr>`,
    )
    .join('');
  return `${sections.join('') || '<p>No pipelines run in this server (give pipeline files to tributary serve).</p>'}
<h2>Task queues</h2><div class="scroll"><table><thead><tr><th scope="col">Queue</th><th scope="col">Waiting</th><th scope="col">Active</th><th scope="col">Failed</th><th scope="col">Delayed</th></tr></thead><tbody>${queueRows}</tbody></table></div>
<p class="muted">Updated ${new Date().toISOString().replace('T', ' ').slice(0, 19)} UTC</p>`;
}
