/**
 * `tributary xform parse <file.xml>`: the form JSON, metadata and case actions of one submission,
 * without touching any store.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CaseBlockError, extractCaseBlocks } from '../../commcare/xform/case-blocks.js';
import { parseXForm, XFormMissingXmlnsError, XFormSyntaxError } from '../../commcare/xform/xform-parse.js';

export const xformUsage = `Usage: tributary xform parse <file.xml>

Prints {form, metadata, caseActions} as JSON: the form as the platform stores it, its meta block,
and its case blocks in document order. Reads nothing but the file; DTDs and entities are refused.

Exit codes: 0 success, 1 failure, 2 bad input (not well-formed XML, no meta/instanceID, a bad case block).`;

export interface XformCommandOptions {
  /** Where normal output goes; console.log by default. */
  out?: (line: string) => void;
  /** Where problems go; console.error by default. */
  err?: (line: string) => void;
}

/** Runs `tributary xform …`; resolves to the exit code. */
export async function xformCommand(args: string[], options: XformCommandOptions = {}): Promise<number> {
  const out = options.out ?? ((line: string) => console.log(line));
  const err = options.err ?? ((line: string) => console.error(line));
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { help: { type: 'boolean', short: 'h', default: false } },
    });
  } catch (error) {
    err(`${(error as Error).message}\n\n${xformUsage}`);
    return 2;
  }
  if (parsed.values.help) {
    out(xformUsage);
    return 0;
  }
  const [subcommand, file, ...extra] = parsed.positionals;
  if (subcommand !== 'parse' || file === undefined || extra.length > 0) {
    err(xformUsage);
    return 2;
  }

  let body: Buffer;
  try {
    body = await readFile(file);
  } catch (error) {
    err(`${file}: ${(error as Error).message}`);
    return 1;
  }
  try {
    const { form, metadata, root } = parseXForm(body);
    const caseActions = extractCaseBlocks(root);
    out(JSON.stringify({ form, metadata, caseActions }, null, 2));
    return 0;
  } catch (error) {
    if (error instanceof XFormSyntaxError || error instanceof CaseBlockError) {
      err(`${file}:${error.line}:${error.column}: ${error.reason}`);
      return 2;
    }
    if (error instanceof XFormMissingXmlnsError) {
      err(`${file}: ${error.message}`);
      return 2;
    }
    throw error;
  }
}
