/**
 * `tributary xform parse <file.xml>`: the form JSON, metadata and case actions of one submission,
 * without touching any store. Bad XML, a DOCTYPE, a bad case block or a form without xmlns is bad
 * input: `file:line:col: reason`, exit 2.
 */
import { CaseBlockError, extractCaseBlocks } from '../../commcare/xform/case-blocks.js';
import { parseXForm, XFormMissingXmlnsError, XFormSyntaxError } from '../../commcare/xform/xform-parse.js';
import type { CommandInput } from '../command.js';
import { InputFileError, positionOf, readInputBytes } from '../input-file.js';

export async function xformParseCommand({ positionals, out }: CommandInput): Promise<number> {
  const file = positionals[0]!;
  const body = await readInputBytes(file);
  try {
    const { form, metadata, root } = parseXForm(body);
    const caseActions = extractCaseBlocks(root);
    out(JSON.stringify({ form, metadata, caseActions }, null, 2));
    return 0;
  } catch (error) {
    if (error instanceof XFormSyntaxError || error instanceof CaseBlockError)
      throw new InputFileError(file, error.line, error.column, error.reason);
    if (error instanceof XFormMissingXmlnsError) {
      // Point at the form's root element (the first one that is not a declaration or comment).
      const text = body.toString('utf8');
      const at = /<[A-Za-z]/.exec(text)?.index ?? 0;
      const { line, column } = positionOf(text, at);
      throw new InputFileError(file, line, column, error.message);
    }
    throw error;
  }
}
