/**
 * The pages' one script (served at /static/tributary-pages.js): starts exports and polls their status
 * every 2 seconds into a progress bar, then shows the download link; uploads a case file, shows its
 * columns for mapping, starts the import and shows per-row results; refreshes the pipelines table.
 * Every POST carries the session's CSRF token in X-CSRF-Token.
 */
export const pagesScript = `'use strict';
const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? '';
const esc = (t) => String(t ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
async function post(url, body) {
  const init = { method: 'POST', headers: { 'x-csrf-token': csrf() }, body };
  if (body instanceof URLSearchParams) init.headers['content-type'] = 'application/x-www-form-urlencoded';
  const response = await fetch(url, init);
  const json = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(json.error || response.statusText);
  return json;
}
function watch(statusUrl, box, render) {
  const bar = box.querySelector('progress');
  const text = box.querySelector('.state');
  const tick = async () => {
    let s;
    try { s = await (await fetch(statusUrl)).json(); } catch { return setTimeout(tick, 2000); }
    if (s.error && s.state !== 'failed' && s.state !== 'done') text.textContent = s.state + ' (' + s.error + ')';
    bar.value = s.percent ?? 0;
    bar.setAttribute('aria-valuenow', String(s.percent ?? 0));
    const count = s.total !== null && s.total !== undefined ? ' — ' + s.done + ' of ' + s.total : '';
    if (s.state === 'failed') { text.innerHTML = '<span class="error">Failed: ' + esc(s.error) + '</span>'; return; }
    text.textContent = (s.state === 'restarting' ? 'Restarting (attempt ' + s.attempt + ')' : s.state) + ' ' + (s.percent ?? 0) + '%' + count;
    if (s.state === 'done') return render(s);
    setTimeout(tick, 2000);
  };
  tick();
}
function startExport(button) {
  const row = button.closest('[data-export]');
  const box = row.querySelector('.task');
  const form = row.querySelector('form.filters');
  const params = new URLSearchParams(form ? new FormData(form) : undefined);
  for (const [k, v] of [...params]) if (!v) params.delete(k);
  box.hidden = false;
  box.innerHTML = '<label>Progress<progress max="100" value="0" aria-valuemin="0" aria-valuemax="100"></progress></label><p class="state" role="status" aria-live="polite">queued</p><p class="link"></p>';
  post(button.dataset.start, params).then(({ task_id, status_url }) => {
    box.dataset.taskId = task_id;
    watch(status_url, box, (s) => {
      box.querySelector('.link').innerHTML = '<a class="download" href="' + esc(s.download_url) + '">Download ' + esc(s.details.file_name) + '</a> <span class="muted">' + esc(s.details.rows) + '</span>';
    });
  }, (error) => { box.querySelector('.state').innerHTML = '<span class="error">' + esc(error.message) + '</span>'; });
}
function importPage(form) {
  const file = form.querySelector('input[type=file]');
  const mapping = form.querySelector('#mapping');
  const search = form.querySelector('select[name=search_column]');
  file.addEventListener('change', async () => {
    if (!file.files[0]) return;
    const data = new FormData(); data.append('file', file.files[0]);
    try {
      const preview = await post(form.dataset.preview, data);
      search.innerHTML = preview.columns.map((c) => '<option>' + esc(c) + '</option>').join('');
      mapping.innerHTML = '<p class="muted">' + preview.row_count + ' rows. Case property for each column (blank: not imported):</p>' + preview.columns.map((c, i) =>
        '<label for="map-' + i + '">' + esc(c) + '</label><input type="text" id="map-' + i + '" data-column="' + esc(c) + '" value="' + esc(c === 'case_id' ? '' : c) + '">').join('');
    } catch (error) { mapping.innerHTML = '<p class="error">' + esc(error.message) + '</p>'; }
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const map = {};
    for (const input of mapping.querySelectorAll('input[data-column]')) if (input.value.trim()) map[input.dataset.column] = input.value.trim();
    data.set('mapping', JSON.stringify(map));
    const box = document.querySelector('#import-task');
    box.hidden = false;
    box.innerHTML = '<label>Progress<progress max="100" value="0"></progress></label><p class="state" role="status" aria-live="polite">queued</p><div class="results scroll"></div>';
    try {
      const { status_url } = await post(form.action, data);
      watch(status_url, box, (s) => {
        box.querySelector('.results').innerHTML = '<p class="ok">' + s.details.created + ' created, ' + s.details.updated + ' updated, ' + s.details.failed + ' failed</p><table><thead><tr><th scope="col">Row</th><th scope="col">Result</th><th scope="col">Case</th><th scope="col">Why</th></tr></thead><tbody>' +
          s.results.map((r) => '<tr><td>' + r.row + '</td><td>' + esc(r.outcome) + '</td><td>' + esc(r.case_id) + '</td><td>' + esc(r.error) + '</td></tr>').join('') + '</tbody></table>';
      });
    } catch (error) { box.querySelector('.state').innerHTML = '<span class="error">' + esc(error.message) + '</span>'; }
  });
}
function pipelinesPage(box) {
  const refresh = async () => {
    try {
      const response = await fetch(box.dataset.source);
      if (response.ok) box.innerHTML = (await response.json()).html;
    } finally { setTimeout(refresh, 5000); }
  };
  setTimeout(refresh, 5000);
}
document.addEventListener('DOMContentLoaded', () => {
  for (const button of document.querySelectorAll('button[data-start]')) button.addEventListener('click', () => startExport(button));
  const importForm = document.querySelector('form#case-import');
  if (importForm) importPage(importForm);
  const live = document.querySelector('#pipelines[data-source]');
  if (live) pipelinesPage(live);
});
`;
