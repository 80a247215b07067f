/** A report configuration that cannot be used, with every problem found, each at its JSON path. */

/** One problem: where in the configuration JSON (`$.columns[2].field`) and what was expected there. */
export interface ReportConfigIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * Thrown by `parseReportConfig` and `compileReport`. The message lists every issue on its own line,
 * prefixed by the report's id when known, so an operator can fix the file in one pass.
 */
export class ReportConfigError extends Error {
  override readonly name = 'ReportConfigError';
  constructor(
    readonly issues: readonly ReportConfigIssue[],
    readonly reportId?: string,
  ) {
    super(
      `${reportId ? `report ${reportId}: ` : ''}invalid report configuration:\n` +
        issues.map((issue) => `  ${issue.path}: ${issue.message}`).join('\n'),
    );
  }
}

/** `$`, `$.columns[2].field`: the JSONPath-like text of a path of keys and indexes. */
export function jsonPath(path: readonly PropertyKey[]): string {
  return (
    '$' +
    path
      .map((key) =>
        typeof key === 'number'
          ? `[${key}]`
          : /^[A-Za-z_][A-Za-z0-9_]*$/.test(String(key))
            ? `.${String(key)}`
            : `[${JSON.stringify(String(key))}]`,
      )
      .join('')
  );
}
