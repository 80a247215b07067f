/**
 * Serves UCR reports over HTTP: `GET /a/{domain}/reports/{report_id}/data?<filters>` answers JSON
 * `{ report_id, title, columns, rows, total_row, total_records }`, or CSV with `format=csv`.
 * Report configurations are JSON files (`pipelines/ucr/reports/*.json`, each with an `_id`); the data
 * comes from the data source's view `"tributary_ucr"."<domain>_<table_id>"`, read with bound
 * parameters in a read-only transaction. Authentication belongs to the server that mounts this.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IDatabase } from 'pg-promise';
import type { Logger } from '../../runtime/contract/index.js';
import {
  compileReport,
  parseReportConfig,
  ReportConfigError,
  reportCsv,
  ReportRequestError,
  ucrSchema,
  ucrViewName,
  type CompiledReport,
  type DataSourceColumn,
  type ReportConfig,
  type SqlQuery,
} from '../../commcare/reports/index.js';
import type { UcrDatatype } from '../../commcare/ucr/contract.js';
import { quoteIdentifier } from '../../commcare/sql/quote-identifier.js';

export interface ReportServiceOptions {
  /** pg-promise database of the UCR store. */
  readonly db: IDatabase<unknown>;
  /** Folder of report configuration files; default `pipelines/ucr/reports` of this repository. */
  readonly reportsDir?: string;
  /** Rows per page when the request gives no `limit`. */
  readonly defaultLimit?: number;
  /** The most rows one request gets: a larger `limit` is a 400 naming it; a larger default is lowered to it. */
  readonly maxLimit?: number;
  /** Cancels a report query that runs longer (the answer is then 503). */
  readonly statementTimeoutMs?: number;
  readonly logger?: Logger;
  /** The largest `max_expansion` a report may ask for (CommCare's server setting); default 1000. */
  readonly maxExpansion?: number;
  /**
   * Documents column transforms and filters look up (`user`, `group`, `location` by id, and
   * `location_descendants`), one answer per key (null when unknown). Without it they read as unknown.
   */
  readonly lookups?: (
    keys: readonly { kind: string; id: string; domain: string }[],
  ) => Promise<readonly unknown[]>;
  /** The domain's default language for `{lang: text}` when the request has no `lang`; `en` otherwise. */
  readonly defaultLanguage?: (domain: string) => Promise<string | undefined>;
}

export interface ReportService {
  /**
   * Answers a report request and resolves true, or resolves false without touching `res` when the
   * URL is not a report URL. Never rejects: user input gets 400/404, a view not built yet 503.
   */
  readonly handleReportRequest: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  /**
   * Reads the configuration files (once; later calls reuse the result) and resolves the ids of the
   * usable reports. Rejects with `ReportConfigError` naming the file and path when a file is invalid;
   * the handler still serves the valid ones.
   */
  readonly load: () => Promise<readonly string[]>;
  /** Reads the configuration files again (new, changed and removed reports), as `load` does. */
  readonly reload: () => Promise<readonly string[]>;
}

const reportUrl = /^\/a\/([^/]+)\/reports\/([^/]+)\/data\/?$/;
const reserved = new Set(['format', 'limit', 'offset', 'lang']);

function defaultReportsDir(): string {
  // Source (server/reports) and build (dist/server/reports) sit at different depths.
  for (const up of ['../../pipelines/ucr/reports', '../../../pipelines/ucr/reports']) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  return fileURLToPath(new URL('../../pipelines/ucr/reports', import.meta.url));
}

/** The datatype a column of the view stands for, from information_schema's data_type. */
function datatypeOf(dataType: string): UcrDatatype {
  switch (dataType) {
    case 'integer':
    case 'bigint':
      return 'integer';
    case 'smallint':
      return 'small_integer';
    case 'numeric':
    case 'double precision':
    case 'real':
      return 'decimal';
    case 'date':
      return 'date';
    case 'timestamp without time zone':
    case 'timestamp with time zone':
      return 'datetime';
    case 'boolean':
      return 'boolean';
    case 'ARRAY':
      return 'array';
    default:
      return 'string';
  }
}

class HttpAnswer extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function integerParam(params: URLSearchParams, name: string, fallback: number, max: number): number {
  const values = params.getAll(name).filter((value) => value !== '');
  if (values.length === 0) return Math.min(fallback, max);
  if (values.length > 1) throw new ReportRequestError(name, `expected one value, got ${values.length}`);
  const text = values[0]!;
  if (!/^\d{1,15}$/.test(text))
    throw new ReportRequestError(
      name,
      `expected a whole number >= 0, got ${JSON.stringify(text.slice(0, 40))}`,
    );
  // Refused rather than lowered: a client asking for more must learn it got a page, not everything.
  if (Number(text) > max)
    throw new ReportRequestError(
      name,
      `expected at most ${max} (page through more with offset), got ${text}`,
    );
  return Number(text);
}

const json = (value: unknown) =>
  JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? Number(item) : item));

interface Loaded {
  readonly reports: ReadonlyMap<string, ReportConfig>;
  /** Report ids (or file names when the id is unreadable) whose file is invalid. */
  readonly broken: ReadonlyMap<string, Error>;
  readonly error: ReportConfigError | null;
}

/** Reads every report file of `reportsDir`: the usable configurations and the broken ones. */
async function loadReportFiles(reportsDir: string, logger: Logger | undefined): Promise<Loaded> {
  const reports = new Map<string, ReportConfig>();
  const broken = new Map<string, Error>();
  const issues: { path: string; message: string }[] = [];
  let files: string[] = [];
  try {
    files = (await readdir(reportsDir)).filter((file) => file.endsWith('.json')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  for (const file of files) {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(join(reportsDir, file), 'utf8'));
    } catch (error) {
      broken.set(file, error as Error);
      issues.push({ path: `${file}: $`, message: `expected a JSON document: ${(error as Error).message}` });
      continue;
    }
    const id = typeof raw === 'object' && raw !== null ? (raw as { _id?: unknown })._id : undefined;
    if (typeof id !== 'string' || id === '') {
      broken.set(file, new Error('no _id'));
      issues.push({
        path: `${file}: $._id`,
        message: 'required: expected the report id (a non-empty string)',
      });
      continue;
    }
    if (reports.has(id) || broken.has(id)) {
      issues.push({
        path: `${file}: $._id`,
        message: `report id ${JSON.stringify(id)} is used by another file`,
      });
      continue;
    }
    try {
      reports.set(id, parseReportConfig(raw, id));
    } catch (error) {
      if (!(error instanceof ReportConfigError)) throw error;
      broken.set(id, error);
      issues.push(
        ...error.issues.map((issue) => ({ path: `${file}: ${issue.path}`, message: issue.message })),
      );
    }
  }
  const error = issues.length > 0 ? new ReportConfigError(issues) : null;
  if (error)
    logger?.error(
      { reportsDir, err: error.message },
      'Some report configurations are invalid; those reports answer 500.',
    );
  return { reports, broken, error };
}

/** The columns of a data source view, with the datatypes they stand for (none when it does not exist). */
async function viewColumns(
  db: IDatabase<unknown>,
  domain: string,
  tableId: string,
): Promise<DataSourceColumn[]> {
  const rows = await db.any<{ column_name: string; data_type: string }>(
    new db.$config.pgp.ParameterizedQuery({
      text: 'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
      values: [ucrSchema, ucrViewName(domain, tableId)],
    }),
  );
  return rows.map((row) => ({ id: row.column_name, datatype: datatypeOf(row.data_type) }));
}

/**
 * The table_id a report's `config_id` names: itself, or (reports exported from CommCare name the
 * data source document) the table_id of the live data source whose `_id` it is.
 */
async function resolveTableId(db: IDatabase<unknown>, config: ReportConfig): Promise<string> {
  try {
    const row = await db.oneOrNone<{ table_id: string }>(
      new db.$config.pgp.ParameterizedQuery({
        text: `SELECT table_id FROM ${quoteIdentifier(ucrSchema)}."data_sources" WHERE domain = $1 AND source->>'_id' = $2 AND state = 'live' LIMIT 1`,
        values: [config.domain, config.config_id],
      }),
    );
    return row?.table_id ?? config.config_id;
  } catch (error) {
    // No catalog yet (no UCR pipeline has run here): the config_id is the table_id.
    if ((error as { code?: unknown }).code === '42P01') return config.config_id;
    throw error;
  }
}

interface Compiled {
  readonly signature: string;
  readonly report: CompiledReport;
}

interface ServiceState {
  readonly options: ReportServiceOptions;
  readonly reportsDir: string;
  loading: Promise<Loaded> | null;
  /** Compiled reports per report id and view column signature: a rebuilt view with other columns compiles again. */
  readonly compiled: Map<string, Compiled>;
}

async function compiledReport(
  state: ServiceState,
  reportId: string,
  config: ReportConfig,
): Promise<CompiledReport> {
  const { db, logger } = state.options;
  const tableId = await resolveTableId(db, config);
  const columns = await viewColumns(db, config.domain, tableId);
  if (columns.length === 0) {
    throw new HttpAnswer(
      503,
      `the data source view "${ucrSchema}"."${ucrViewName(config.domain, tableId)}" of report ${reportId} does not exist yet (the data source has not been built); try again later`,
      {},
      { 'retry-after': '30' },
    );
  }
  const signature = `${tableId}|${columns.map((column) => `${column.id}:${column.datatype}`).join(',')}`;
  const cached = state.compiled.get(reportId);
  if (cached?.signature === signature) return cached.report;
  try {
    const report = compileReport(config, columns, reportId, {
      tableId,
      maxExpansion: state.options.maxExpansion ?? 1000,
    });
    state.compiled.set(reportId, { signature, report });
    return report;
  } catch (error) {
    if (!(error instanceof ReportConfigError)) throw error;
    logger?.error(
      { reportId, err: error.message },
      'A report configuration does not fit its data source view.',
    );
    throw new HttpAnswer(
      500,
      `report ${reportId} does not fit its data source: ${error.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
    );
  }
}

/** Fetches lookup keys through the service's lookup function, as a map for `get(kind, id)`. */
async function fetchLookups(
  state: ServiceState,
  domain: string,
  keys: readonly { kind: string; id: string }[],
): Promise<{ get(kind: string, id: string): unknown }> {
  const found = new Map<string, unknown>();
  if (keys.length > 0 && state.options.lookups) {
    const values = await state.options.lookups(keys.map((key) => ({ ...key, domain })));
    keys.forEach((key, index) => found.set(`${key.kind}\u0000${key.id}`, values[index] ?? null));
  }
  return { get: (kind, id) => found.get(`${kind}\u0000${id}`) ?? null };
}

async function requestLanguage(
  state: ServiceState,
  domain: string,
  params: URLSearchParams,
): Promise<string> {
  const asked = params.get('lang');
  if (asked) return asked;
  return (await state.options.defaultLanguage?.(domain)) ?? 'en';
}

async function runReport(state: ServiceState, reportId: string, domain: string, params: URLSearchParams) {
  const { db } = state.options;
  const { reports, broken } = await (state.loading ??= loadReportFiles(
    state.reportsDir,
    state.options.logger,
  ));
  const config = reports.get(reportId);
  if (!config || config.domain !== domain) {
    if (broken.has(reportId))
      throw new HttpAnswer(500, `report ${reportId} has an invalid configuration file`);
    throw new HttpAnswer(404, `no report ${JSON.stringify(reportId)} in domain ${JSON.stringify(domain)}`);
  }
  const format = params.get('format') || 'json';
  if (format !== 'json' && format !== 'csv')
    throw new ReportRequestError(
      'format',
      `expected json or csv, got ${JSON.stringify(format.slice(0, 20))}`,
    );
  const limit = integerParam(
    params,
    'limit',
    state.options.defaultLimit ?? 1000,
    state.options.maxLimit ?? 10_000,
  );
  const offset = integerParam(params, 'offset', 0, Number.MAX_SAFE_INTEGER);
  const lang = await requestLanguage(state, domain, params);
  const filterParams = new URLSearchParams([...params].filter(([key]) => !reserved.has(key)));
  const report = await compiledReport(state, reportId, config);
  const filterLookups = await fetchLookups(state, domain, report.filterLookupKeys(filterParams));
  const timeoutMs = Math.max(1, Math.floor(state.options.statementTimeoutMs ?? 30_000));
  const { rows, summary, plan } = await db.tx(
    { mode: new db.$config.pgp.txMode.TransactionMode({ readOnly: true }) },
    async (tx) => {
      await tx.none(`SET LOCAL statement_timeout = ${timeoutMs}`);
      const query = (sql: SqlQuery) =>
        tx.any<Record<string, unknown>>(
          new db.$config.pgp.ParameterizedQuery({ text: sql.text, values: [...sql.values] }),
        );
      const expansionValues = new Map<string, string[]>();
      for (const expansion of report.expansions)
        expansionValues.set(
          expansion.columnId,
          (await query(expansion.query)).map((row) => String(row.v)),
        );
      const planned = report.plan(
        { params: filterParams, limit, offset, lang, lookups: filterLookups },
        expansionValues,
      );
      const [first] = await query(planned.summary);
      return { rows: await query(planned.data), summary: first ?? { total_records: 0 }, plan: planned };
    },
  );
  const rowLookups = await fetchLookups(state, domain, plan.lookupKeys(rows));
  return { format, output: plan.finish(rows, summary, rowLookups), title: config.title };
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string>,
  head: boolean,
) {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(head ? undefined : body);
}

/** The answer for an error of `runReport`: user input 400/404, a view not built yet or being rebuilt 503. */
function failureAnswer(state: ServiceState, reportId: string, domain: string, error: unknown): HttpAnswer {
  if (error instanceof ReportRequestError)
    return new HttpAnswer(400, error.message, { parameter: error.parameter });
  if (error instanceof HttpAnswer) return error;
  const code = (error as { code?: unknown }).code;
  if (code === '42P01' || code === '42703') {
    // The view was dropped or swapped between reading its columns and querying it (a rebuild).
    state.compiled.delete(reportId);
    return new HttpAnswer(
      503,
      `the data source view of report ${reportId} is being rebuilt; try again later`,
      {},
      { 'retry-after': '5' },
    );
  }
  if (code === '57014')
    return new HttpAnswer(
      503,
      `report ${reportId} took longer than ${state.options.statementTimeoutMs ?? 30_000} ms; narrow the filters or try again later`,
    );
  // A value PostgreSQL could not use (checks above should have caught it): still the request's fault.
  if (typeof code === 'string' && code.startsWith('22'))
    return new HttpAnswer(400, `a filter value could not be used: ${(error as Error).message}`);
  state.options.logger?.error(
    { reportId, domain, err: (error as Error).message },
    'A report request failed.',
  );
  return new HttpAnswer(500, 'the report could not be computed');
}

async function handleReportRequest(
  state: ServiceState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return false;
  }
  const match = reportUrl.exec(url.pathname);
  if (!match) return false;
  const head = req.method === 'HEAD';
  const fail = (answer: HttpAnswer) =>
    send(
      res,
      answer.status,
      'application/json; charset=utf-8',
      json({ error: answer.message, ...answer.extra }),
      answer.headers,
      head,
    );
  if (req.method !== 'GET' && !head) {
    fail(new HttpAnswer(405, 'expected GET', {}, { allow: 'GET, HEAD' }));
    return true;
  }
  let domain: string;
  let reportId: string;
  try {
    domain = decodeURIComponent(match[1]!);
    reportId = decodeURIComponent(match[2]!);
  } catch {
    fail(new HttpAnswer(404, 'no such report'));
    return true;
  }
  try {
    const { format, output, title } = await runReport(state, reportId, domain, url.searchParams);
    if (format === 'csv') {
      const filename = `${reportId.replace(/[^A-Za-z0-9_.-]/g, '_')}.csv`;
      send(
        res,
        200,
        'text/csv; charset=utf-8',
        reportCsv(output),
        { 'content-disposition': `attachment; filename="${filename}"` },
        head,
      );
    } else {
      send(
        res,
        200,
        'application/json; charset=utf-8',
        json({ report_id: reportId, title, ...output }),
        {},
        head,
      );
    }
  } catch (error) {
    fail(failureAnswer(state, reportId, domain, error));
  }
  return true;
}

/** Creates the service; nothing is read until the first request or `load()`. */
export function createReportService(options: ReportServiceOptions): ReportService {
  const state: ServiceState = {
    options,
    reportsDir: options.reportsDir ?? defaultReportsDir(),
    loading: null,
    compiled: new Map(),
  };
  const load = async (): Promise<readonly string[]> => {
    const { reports, error } = await (state.loading ??= loadReportFiles(state.reportsDir, options.logger));
    if (error) throw error;
    return [...reports.keys()];
  };
  // Arrow functions: the server can take them unbound (`handlers: [reports.handleReportRequest]`).
  return {
    load,
    reload: () => {
      state.loading = null;
      state.compiled.clear();
      return load();
    },
    handleReportRequest: (req, res) => handleReportRequest(state, req, res),
  };
}
