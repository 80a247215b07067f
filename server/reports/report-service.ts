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

/** Creates the service; nothing is read until the first request or `load()`. */
export function createReportService(options: ReportServiceOptions): ReportService {
  const { db, logger } = options;
  const reportsDir = options.reportsDir ?? defaultReportsDir();
  const defaultLimit = options.defaultLimit ?? 1000;
  const maxLimit = options.maxLimit ?? 10_000;
  const statementTimeoutMs = options.statementTimeoutMs ?? 30_000;
  let loading: Promise<Loaded> | null = null;
  // Compiled reports per report id and view column signature: a rebuilt view with other columns compiles again.
  const compiled = new Map<string, { signature: string; report: CompiledReport }>();

  const loadFiles = async (): Promise<Loaded> => {
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
  };

  const loaded = (): Promise<Loaded> => (loading ??= loadFiles());

  async function viewColumns(config: ReportConfig): Promise<DataSourceColumn[]> {
    const rows = await db.any<{ column_name: string; data_type: string }>(
      new db.$config.pgp.ParameterizedQuery({
        text: 'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
        values: [ucrSchema, ucrViewName(config.domain, config.config_id)],
      }),
    );
    return rows.map((row) => ({ id: row.column_name, datatype: datatypeOf(row.data_type) }));
  }

  async function compiledReport(reportId: string, config: ReportConfig): Promise<CompiledReport> {
    const columns = await viewColumns(config);
    if (columns.length === 0) {
      throw new HttpAnswer(
        503,
        `the data source view "${ucrSchema}"."${ucrViewName(config.domain, config.config_id)}" of report ${reportId} does not exist yet (the data source has not been built); try again later`,
        {},
        { 'retry-after': '30' },
      );
    }
    const signature = columns.map((column) => `${column.id}:${column.datatype}`).join(',');
    const cached = compiled.get(reportId);
    if (cached?.signature === signature) return cached.report;
    try {
      const report = compileReport(config, columns, reportId);
      compiled.set(reportId, { signature, report });
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

  async function run(reportId: string, domain: string, params: URLSearchParams) {
    const { reports, broken } = await loaded();
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
    const limit = integerParam(params, 'limit', defaultLimit, maxLimit);
    const offset = integerParam(params, 'offset', 0, Number.MAX_SAFE_INTEGER);
    const lang = params.get('lang') ?? 'en';
    const filterParams = new URLSearchParams([...params].filter(([key]) => !reserved.has(key)));

    const report = await compiledReport(reportId, config);
    return db.tx({ mode: new db.$config.pgp.txMode.TransactionMode({ readOnly: true }) }, async (tx) => {
      await tx.none(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(statementTimeoutMs))}`);
      const query = (sql: SqlQuery) =>
        tx.any<Record<string, unknown>>(
          new db.$config.pgp.ParameterizedQuery({ text: sql.text, values: [...sql.values] }),
        );
      const expansionValues = new Map<string, string[]>();
      for (const expansion of report.expansions) {
        expansionValues.set(
          expansion.columnId,
          (await query(expansion.query)).map((row) => String(row.v)),
        );
      }
      const plan = report.plan({ params: filterParams, limit, offset, lang }, expansionValues);
      const rows = await query(plan.data);
      const [summary] = await query(plan.summary);
      const output = plan.finish(rows, summary ?? { total_records: 0 });
      return { format, output, title: config.title };
    });
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

  const load = async (): Promise<readonly string[]> => {
    const { reports, error } = await loaded();
    if (error) throw error;
    return [...reports.keys()];
  };

  // Arrow functions: the server can take them unbound (`handlers: [reports.handleReportRequest]`).
  return {
    load,

    reload: () => {
      loading = null;
      compiled.clear();
      return load();
    },

    handleReportRequest: async (req, res) => {
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://localhost');
      } catch {
        return false;
      }
      const match = reportUrl.exec(url.pathname);
      if (!match) return false;
      const head = req.method === 'HEAD';
      const fail = (
        status: number,
        message: string,
        extra: Record<string, unknown> = {},
        headers: Record<string, string> = {},
      ) =>
        send(
          res,
          status,
          'application/json; charset=utf-8',
          json({ error: message, ...extra }),
          headers,
          head,
        );
      if (req.method !== 'GET' && !head) {
        fail(405, 'expected GET', {}, { allow: 'GET, HEAD' });
        return true;
      }
      let domain: string;
      let reportId: string;
      try {
        domain = decodeURIComponent(match[1]!);
        reportId = decodeURIComponent(match[2]!);
      } catch {
        fail(404, 'no such report');
        return true;
      }
      try {
        const { format, output, title } = await run(reportId, domain, url.searchParams);
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
        if (error instanceof ReportRequestError) fail(400, error.message, { parameter: error.parameter });
        else if (error instanceof HttpAnswer) fail(error.status, error.message, error.extra, error.headers);
        else {
          const code = (error as { code?: unknown }).code;
          if (code === '42P01' || code === '42703') {
            // The view was dropped or swapped between reading its columns and querying it (a rebuild).
            compiled.delete(reportId);
            fail(
              503,
              `the data source view of report ${reportId} is being rebuilt; try again later`,
              {},
              { 'retry-after': '5' },
            );
          } else if (code === '57014') {
            fail(
              503,
              `report ${reportId} took longer than ${statementTimeoutMs} ms; narrow the filters or try again later`,
            );
          } else if (typeof code === 'string' && code.startsWith('22')) {
            // A value PostgreSQL could not use (checks above should have caught it): still the request's fault.
            fail(400, `a filter value could not be used: ${(error as Error).message}`);
          } else {
            logger?.error({ reportId, domain, err: (error as Error).message }, 'A report request failed.');
            fail(500, 'the report could not be computed');
          }
        }
      }
      return true;
    },
  };
}
