/** An export configuration that cannot be used: the file (or document) and the JSON path say where. */
export class ExportConfigError extends Error {
  override readonly name = 'ExportConfigError';
  constructor(
    /** The file or document the configuration came from. */
    readonly origin: string,
    /** `tables[1].columns[0].item.path`, or '' for the whole document. */
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${origin}: ${path || '(document)'}: ${reason}`);
  }
}
