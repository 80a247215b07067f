/**
 * Parses a submitted XForm instance into the platform's form JSON and its lifted metadata. Pure: no
 * I/O, and never resolves a DTD or an entity (a DOCTYPE is rejected outright).
 */
import { isUtf8 } from 'node:buffer';
import { SaxesParser, type SaxesTagNS } from 'saxes';

/** A value in the form JSON: answers as text, groups as objects, repeated elements as arrays. */
export type FormValue = string | FormObject | FormValue[];
/** A group (or the form itself) in the form JSON: child names, `@attribute`s and `#text` as keys. */
export type FormObject = { [key: string]: FormValue };

/** One element of the submitted document, with namespaces resolved; what case blocks are read from. */
export interface XmlElement {
  /** The local name, without any prefix. */
  name: string;
  /** The namespace URI, or '' for none. */
  ns: string;
  /** Attributes by local name (namespace declarations left out). */
  attributes: Record<string, string>;
  /** Child elements in document order. */
  children: XmlElement[];
  /** The element's own character data (CDATA included), concatenated. */
  text: string;
  /** Where the start tag ends, 1-based. */
  line: number;
  column: number;
}

/** The `meta` block of a form, lifted out of the form JSON; absent values are null. */
export interface XFormMetadata {
  instanceID: string;
  timeStart: string | null;
  timeEnd: string | null;
  userID: string | null;
  username: string | null;
  deviceID: string | null;
  appVersion: string | null;
}

/** A parsed submission: the form JSON, its metadata, and the element tree for case-block extraction. */
export interface ParsedXForm {
  /** The root element's children as keys, plus the root's attributes (`@xmlns` included). */
  form: FormObject;
  metadata: XFormMetadata;
  /** The root element's namespace: the form definition's xmlns. */
  xmlns: string;
  root: XmlElement;
}

/** The body is not well-formed XML (or declares a DOCTYPE): answer 400 naming the position. */
export class XFormSyntaxError extends Error {
  override readonly name: string = 'XFormSyntaxError';
  constructor(
    /** What is wrong, without the position. */
    readonly reason: string,
    /** 1-based line of the problem. */
    readonly line: number,
    /** 1-based column of the problem. */
    readonly column: number,
  ) {
    super(`${line}:${column}: ${reason}`);
  }
}

/** The body declares a DOCTYPE, which submissions never need and which could smuggle in entities. */
export class XFormDoctypeError extends XFormSyntaxError {
  override readonly name: string = 'XFormDoctypeError';
}

/** The form has no `meta/instanceID`: it cannot be identified, so it cannot be stored (answer 422). */
export class XFormMissingInstanceIdError extends Error {
  override readonly name = 'XFormMissingInstanceIdError';
  constructor() {
    super('The form has no meta/instanceID.');
  }
}

// Forms nest a few groups deep; a limit keeps the recursive readers off the end of the stack.
const maxDepth = 1000;

const metaFields = ['timeStart', 'timeEnd', 'userID', 'username', 'deviceID', 'appVersion'] as const;

/**
 * Parses one XForm submission. Throws XFormSyntaxError (with line and column) for anything that is
 * not well-formed, namespace-correct UTF-8 XML, that carries a DOCTYPE or that nests elements more
 * than 1,000 deep, and
 * XFormMissingInstanceIdError when `meta/instanceID` is absent or empty.
 */
export function parseXForm(xml: string | Uint8Array): ParsedXForm {
  const root = parseXmlDocument(xml);
  const form = elementToObject(root, '');
  return { form, metadata: liftMetadata(root), xmlns: root.ns, root };
}

/** Parses a document into its element tree; the errors of parseXForm, without the meta check. */
export function parseXmlDocument(xml: string | Uint8Array): XmlElement {
  const text = typeof xml === 'string' ? xml : decodeUtf8(xml);
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let failure: XFormSyntaxError | undefined;

  const fail = (error: XFormSyntaxError): never => {
    failure ??= error;
    throw failure;
  };
  parser.on('error', (error) => {
    // saxes prefixes the position ("3:14: "); we carry it as fields instead.
    fail(new XFormSyntaxError(error.message.replace(/^\d+:\d+: /, ''), parser.line, parser.column));
  });
  parser.on('doctype', () => {
    fail(new XFormDoctypeError('a DOCTYPE is not allowed in a submission', parser.line, parser.column));
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    if (stack.length >= maxDepth) {
      fail(new XFormSyntaxError(`elements nested deeper than ${maxDepth}`, parser.line, parser.column));
    }
    const attributes: Record<string, string> = {};
    for (const attribute of Object.values(tag.attributes)) {
      if (attribute.prefix === 'xmlns' || attribute.name === 'xmlns') continue;
      attributes[attribute.local] = attribute.value;
    }
    const element: XmlElement = {
      name: tag.local,
      ns: tag.uri,
      attributes,
      children: [],
      text: '',
      line: parser.line,
      column: parser.column,
    };
    const parent = stack.at(-1);
    if (parent) parent.children.push(element);
    else root = element;
    stack.push(element);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  const onText = (data: string): void => {
    const current = stack.at(-1);
    if (current) current.text += data;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);

  try {
    parser.write(text).close();
  } catch (error) {
    if (error instanceof XFormSyntaxError) throw error;
    throw new XFormSyntaxError((error as Error).message, parser.line, parser.column);
  }
  if (failure) throw failure;
  if (!root) throw new XFormSyntaxError('the document has no root element', parser.line, parser.column);
  return root;
}

function decodeUtf8(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8', { ignoreBOM: false }).decode(bytes);
  if (isUtf8(bytes)) return text;
  const bad = text.indexOf('\uFFFD');
  const before = text.slice(0, Math.max(bad, 0));
  const lines = before.split('\n');
  throw new XFormSyntaxError('the body is not valid UTF-8', lines.length, (lines.at(-1)?.length ?? 0) + 1);
}

/**
 * One element as form JSON: a leaf without attributes is its text ('' when empty); otherwise an
 * object of `@attributes`, `#text` (only when not blank) and children, repeated names as arrays.
 * The root's own text is kept as `#text` only when not blank, like any element's.
 * `@xmlns` appears where an element's namespace differs from its parent's (the root always has it).
 */
function elementToObject(element: XmlElement, parentNs: string): FormObject {
  const object: FormObject = {};
  if (element.ns !== '' && element.ns !== parentNs) object['@xmlns'] = element.ns;
  for (const [name, value] of Object.entries(element.attributes)) object[`@${name}`] = value;
  if (element.text.trim() !== '') object['#text'] = element.text;
  for (const child of element.children) {
    const value = elementToValue(child, element.ns);
    const existing = object[child.name];
    if (existing === undefined) object[child.name] = value;
    // A child's value is never an array itself, so an array here is the list of its repeats.
    else if (Array.isArray(existing)) existing.push(value);
    else object[child.name] = [existing, value];
  }
  return object;
}

function elementToValue(element: XmlElement, parentNs: string): FormValue {
  const object = elementToObject(element, parentNs);
  const keys = Object.keys(object);
  if (keys.length === 0 || (keys.length === 1 && keys[0] === '#text')) return element.text;
  return object;
}

function liftMetadata(root: XmlElement): XFormMetadata {
  const meta = root.children.find((child) => child.name === 'meta');
  const field = (name: string): string | null => {
    const element = meta?.children.find((child) => child.name === name);
    return element === undefined ? null : element.text.trim();
  };
  const instanceID = field('instanceID');
  if (!instanceID) throw new XFormMissingInstanceIdError();
  const metadata: XFormMetadata = {
    instanceID,
    timeStart: null,
    timeEnd: null,
    userID: null,
    username: null,
    deviceID: null,
    appVersion: null,
  };
  for (const name of metaFields) metadata[name] = field(name);
  return metadata;
}
