/**
 * Reading the files a command is given (JSON configurations, documents, JSON lines): a file that
 * cannot be read or parsed is an `InputFileError` whose message is `file:line:col: message`, which
 * the command layer prints as is and exits 2 for.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';

export class InputFileError extends Error {
  override readonly name = 'InputFileError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}:${column}: ${reason}`);
  }
}

/**
 * Several problems in the files a command was given, each already `file:line:col …`: printed one
 * per line, exit 2.
 */
export class InputProblemsError extends Error {
  override readonly name = 'InputProblemsError';
  constructor(readonly lines: readonly string[]) {
    super(lines.join('\n'));
  }
}

/** The text of `file`, or an InputFileError saying why it cannot be read. */
export async function readInputText(file: string): Promise<string> {
  return (await readInputBytes(file)).toString('utf8');
}

/** The bytes of `file`, or an InputFileError saying why it cannot be read. */
export async function readInputBytes(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a folder, expected a file'
          : code === 'EACCES'
            ? 'permission denied'
            : (error as Error).message;
    throw new InputFileError(file, 1, 1, `cannot read the file: ${reason}`);
  }
}

/** Line and column (1-based) of a character offset in `text`. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: lines.at(-1)!.length + 1 };
}

/**
 * Parses JSON text with `parse` (JSON.parse or a variant with a reviver); a syntax error becomes an
 * InputFileError at the position V8 reports, `firstLine` being the line the text starts on.
 */
export function parseJsonText<T>(file: string, text: string, parse: (text: string) => T, firstLine = 1): T {
  try {
    return parse(text);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    const { line, column } = syntaxErrorPosition(text, error.message);
    const reason = error.message
      .replace(/\s*\(line \d+ column \d+\)/, '')
      .replace(/ in JSON at position \d+/, '')
      .replace(/, "[\s\S]*" is not valid JSON$/, ' (not valid JSON)');
    throw new InputFileError(file, line + firstLine - 1, column, `invalid JSON: ${reason}`);
  }
}

function syntaxErrorPosition(text: string, message: string): { line: number; column: number } {
  const lineColumn = /\(line (\d+) column (\d+)\)/.exec(message);
  if (lineColumn) return { line: Number(lineColumn[1]), column: Number(lineColumn[2]) };
  const at = /at position (\d+)/.exec(message);
  if (at) return positionOf(text, Number(at[1]));
  // "Unexpected end of JSON input" and the like: the end of the text.
  if (/end of (JSON )?input/i.test(message) || text.trim() === '') return positionOf(text, text.length);
  const token = /Unexpected token '(.)'/.exec(message);
  if (token) {
    const index = indexOutsideStrings(text, token[1]!);
    if (index >= 0) return positionOf(text, index);
  }
  return { line: 1, column: 1 };
}

/** The first `char` of `text` that is not inside a JSON string literal, or -1. */
function indexOutsideStrings(text: string, char: string): number {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === char) return i;
    else if (c === '"') inString = true;
  }
  return -1;
}

/** A JSON file, parsed with `parse` (JSON.parse by default). */
export async function readJsonFile<T = unknown>(
  file: string,
  parse: (text: string) => T = JSON.parse as (text: string) => T,
): Promise<T> {
  return parseJsonText(file, await readInputText(file), parse);
}

/** A JSON-lines file: one value per non-blank line, each error at its own line. */
export async function readJsonLinesFile<T = unknown>(
  file: string,
  parse: (text: string) => T = JSON.parse as (text: string) => T,
): Promise<T[]> {
  const lines = (await readInputText(file)).split('\n');
  return lines.flatMap((line, index) =>
    line.trim() === '' ? [] : [parseJsonText(file, line, parse, index + 1)],
  );
}

/** `a.b[3]["x y"]` → ['a', 'b', 3, 'x y']. */
function pathSegments(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  const pattern = /\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\.?([^.[\]]+)/g;
  for (const match of path.matchAll(pattern)) {
    if (match[1] !== undefined) segments.push(Number(match[1]));
    else if (match[2] !== undefined) segments.push(JSON.parse(match[2]) as string);
    else if (match[3] !== undefined) segments.push(match[3]);
  }
  return segments;
}

/**
 * Line and column of the value at a JSON path (`configured_indicators[1].expression.type`) in a
 * JSON text, or of its deepest parent that exists; 1:1 when the text does not parse.
 */
export function locateJsonPath(text: string, path: string): { line: number; column: number } {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, keepSourceTokens: false });
  if (document.errors.length) return { line: 1, column: 1 };
  const segments = pathSegments(path);
  for (let depth = segments.length; depth >= 0; depth--) {
    const node = document.getIn(segments.slice(0, depth), true) as
      { range?: [number, number, number] } | undefined;
    if (node?.range) {
      const { line, col } = lines.linePos(node.range[0]);
      return { line, column: col };
    }
  }
  return { line: 1, column: 1 };
}
