/**
 * `tributary ucr check <folder>`: for data engineers moving from CommCare HQ. Compiles every data
 * source and every report configuration exported from CommCare (JSON files under the folder, static
 * wrappers `{domains, config}` included), each report against its data source (matched by the
 * data source's `_id` or `table_id`), and prints per file OK or exactly what is not supported (JSON
 * path and what was expected there), then a summary line. Exit 0 only when every file is supported,
 * 1 when some are not, 2 for bad usage.
 */
import { isObject } from '../../runtime/contract/index.js';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { compileDataSource, UcrConfigError, type CompiledDataSource } from '../../commcare/ucr/index.js';
import {
  compileReport,
  parseReportConfig,
  ReportConfigError,
  type DataSourceColumn,
} from '../../commcare/reports/index.js';
import { parseJsonText } from '../input-file.js';

type Print = (line: string) => void;

interface Problem {
  readonly path: string;
  readonly message: string;
}

interface Loaded {
  readonly file: string;
  readonly kind: 'data source' | 'report' | 'unknown';
  readonly json: Record<string, unknown>;
}

async function jsonFiles(folder: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await readdir(folder, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) out.push(...(await jsonFiles(path)));
    else if (entry.name.endsWith('.json')) out.push(path);
  }
  return out;
}

/** A configuration, unwrapped from CommCare's static wrapper (`{domains, config}`) when it is one. */
function classify(file: string, raw: unknown): Loaded {
  if (!isObject(raw)) return { file, kind: 'unknown', json: {} };
  let json = raw;
  if (isObject(raw.config) && Array.isArray(raw.domains)) {
    const domain = typeof raw.domains[0] === 'string' ? raw.domains[0] : undefined;
    json = { ...raw.config, ...(domain && raw.config.domain === undefined ? { domain } : {}) };
    if (typeof raw.data_source_table === 'string' && json.config_id === undefined)
      json.config_id = raw.data_source_table;
    if (typeof raw.report_id === 'string' && json._id === undefined) json._id = raw.report_id;
  }
  const docType = json.doc_type;
  if (
    docType === 'DataSourceConfiguration' ||
    'referenced_doc_type' in json ||
    'configured_indicators' in json
  )
    return { file, kind: 'data source', json };
  if (docType === 'ReportConfiguration' || 'config_id' in json || 'aggregation_columns' in json)
    return { file, kind: 'report', json };
  return { file, kind: 'unknown', json };
}

function dataSourceProblems(loaded: Loaded): { compiled?: CompiledDataSource; problems: Problem[] } {
  try {
    return { compiled: compileDataSource(loaded.json), problems: [] };
  } catch (error) {
    if (!(error instanceof UcrConfigError)) throw error;
    return {
      problems: [
        {
          path: `$${error.path === '' ? '' : error.path.startsWith('[') ? error.path : `.${error.path}`}`,
          message: `expected ${error.expected}`,
        },
      ],
    };
  }
}

function reportProblems(loaded: Loaded, sources: readonly CompiledDataSource[]): Problem[] {
  let config;
  try {
    config = parseReportConfig(loaded.json);
  } catch (error) {
    if (error instanceof ReportConfigError) return [...error.issues];
    throw error;
  }
  const source = sources.find(
    (ds) =>
      (isObject(ds.source) && ds.source._id === config.config_id) ||
      (ds.tableId === config.config_id && ds.domain === config.domain),
  );
  if (!source)
    return [
      {
        path: '$.config_id',
        message: `no data source with _id or table_id ${JSON.stringify(config.config_id)} in the folder`,
      },
    ];
  const columns: DataSourceColumn[] = source.columns.map((column) => ({
    id: column.id,
    datatype: column.datatype,
  }));
  try {
    compileReport(config, columns, undefined, { tableId: source.tableId });
    return [];
  } catch (error) {
    if (error instanceof ReportConfigError) return [...error.issues];
    throw error;
  }
}

/** Runs `ucr check <folder>`; resolves to the exit code. */
export async function ucrCheckCommand(
  args: string[],
  out: Print = (line) => console.log(line),
  err: Print = (line) => console.error(line),
): Promise<number> {
  const [folder, ...extra] = args.filter((arg) => arg !== '--');
  if (folder === undefined || extra.length > 0 || folder.startsWith('-')) {
    err('Usage: tributary ucr check <folder of data source and report JSON exported from CommCare>');
    return 2;
  }
  if (!(await stat(folder).catch(() => null))?.isDirectory()) {
    err(`${folder}: expected a folder of JSON files`);
    return 2;
  }
  const loaded: Loaded[] = [];
  for (const file of await jsonFiles(folder)) {
    const name = relative(folder, file) || file;
    try {
      // A file that does not parse says where: `name:line:col: invalid JSON: …`.
      loaded.push(classify(name, parseJsonText(name, await readFile(file, 'utf8'), JSON.parse)));
    } catch (error) {
      loaded.push({ file: name, kind: 'unknown', json: { error: (error as Error).message } });
    }
  }
  const dataSources = loaded
    .filter((l) => l.kind === 'data source')
    .map((l) => ({ l, ...dataSourceProblems(l) }));
  const compiled = dataSources.flatMap((d) => (d.compiled ? [d.compiled] : []));
  let supported = 0;
  const report = (l: Loaded, problems: readonly Problem[]) => {
    if (problems.length === 0) {
      supported++;
      out(`OK    ${l.file} (${l.kind})`);
      return;
    }
    out(`FAIL  ${l.file} (${l.kind})`);
    for (const problem of problems) out(`      ${problem.path}: ${problem.message}`);
  };
  for (const l of loaded) {
    if (l.kind === 'data source') report(l, dataSources.find((d) => d.l === l)!.problems);
    else if (l.kind === 'report') report(l, reportProblems(l, compiled));
    else
      report(l, [
        {
          path: '$',
          message:
            typeof l.json.error === 'string'
              ? `expected a JSON document (${l.json.error})`
              : 'expected a data source (referenced_doc_type, configured_indicators) or a report (config_id, columns)',
        },
      ]);
  }
  const count = (kind: Loaded['kind']) => loaded.filter((l) => l.kind === kind).length;
  out(
    `ucr check: ${loaded.length} files (${count('data source')} data sources, ${count('report')} reports${count('unknown') ? `, ${count('unknown')} unrecognised` : ''}): ${supported} supported, ${loaded.length - supported} not supported`,
  );
  return supported === loaded.length ? 0 : 1;
}
