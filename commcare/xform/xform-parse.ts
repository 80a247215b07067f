/**
 * Parses a submitted XForm instance into the platform's form JSON and its lifted metadata. Pure: no
 * I/O, and never resolves a DTD or an entity (a DOCTYPE is rejected outright).
 */
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { adjustDatetime } from './commcare-datetime.js';

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
  /** Attributes as lxml names them (`{uri}local` when namespaced), which is how CommCare's form JSON keys them. */
  qualifiedAttributes: Record<string, string>;
  /** Child elements in document order. */
  children: XmlElement[];
  /** The element's own character data (CDATA included), concatenated. */
  text: string;
  /** The character data before its first child element (lxml's `.text`, CommCare's `#text`). */
  lead: string;
  /** Where the start tag ends, 1-based. */
  line: number;
  column: number;
}

/** The `meta` block of a form, lifted out of the form JSON; absent values are null. */
export interface XFormMetadata {
  /** The form id: `meta/uid` or `meta/instanceID` (also of `Meta`), else a new UUID as CommCare assigns. */
  instanceID: string;
  /** True when the form carried no id and `instanceID` was generated. */
  generatedId: boolean;
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

/** The form's root element has no namespace: CommCare refuses it (MissingXMLNSError), so do we (422). */
export class XFormMissingXmlnsError extends Error {
  override readonly name = 'XFormMissingXmlnsError';
  constructor() {
    super(
      'The form has no xmlns: its root element must declare the form namespace (CommCare refuses it too).',
    );
  }
}

// Forms nest a few groups deep; a limit keeps the recursive readers off the end of the stack.
const maxDepth = 1000;

const metaFields = ['timeStart', 'timeEnd', 'userID', 'username', 'deviceID', 'appVersion'] as const;
// CommCare's scrub_meta: older devices' meta names, renamed unless the new name is there too.
const legacyMetaNames: Readonly<Record<string, string>> = {
  TimeStart: 'timeStart',
  TimeEnd: 'timeEnd',
  chw_id: 'userID',
  DeviceID: 'deviceID',
  uid: 'instanceID',
};

/**
 * Parses one XForm submission into CommCare's form JSON (xml2json, then `adjust_datetimes` and
 * `scrub_meta`). Throws XFormSyntaxError (with line and column) for anything that is not
 * well-formed, namespace-correct UTF-8 XML, that carries a DOCTYPE or that nests elements more than
 * 1,000 deep, and XFormMissingXmlnsError when the root element has no namespace.
 */
export function parseXForm(xml: string | Uint8Array): ParsedXForm {
  const root = parseXmlDocument(xml);
  if (root.ns === '') throw new XFormMissingXmlnsError();
  const form = elementToObject(root, '');
  form['#type'] = root.name;
  const metadata = liftMetadata(form);
  return { form, metadata, xmlns: root.ns, root };
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
    const qualifiedAttributes: Record<string, string> = {};
    for (const attribute of Object.values(tag.attributes)) {
      if (attribute.prefix === 'xmlns' || attribute.name === 'xmlns') continue;
      attributes[attribute.local] = attribute.value;
      qualifiedAttributes[attribute.uri ? `{${attribute.uri}}${attribute.local}` : attribute.local] =
        attribute.value;
    }
    const element: XmlElement = {
      name: tag.local,
      ns: tag.uri,
      attributes,
      qualifiedAttributes,
      children: [],
      text: '',
      lead: '',
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
    if (current) {
      current.text += data;
      if (current.children.length === 0) current.lead += data;
    }
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
 * One element as form JSON, as CommCare's xml2json builds it: a leaf without attributes is its text
 * ('' when empty); otherwise an object of `@attributes` (lxml's names: `@{uri}local` when
 * namespaced), the children (repeated names as arrays, a single repeat as an object) and `#text`,
 * the text before the first child, when not blank. `@xmlns` appears where an element's namespace
 * differs from its parent's (the root always has it). Datetime-looking text is normalised to UTC as
 * couchforms' `adjust_datetimes` does.
 */
function elementToObject(element: XmlElement, parentNs: string): FormObject {
  const object: FormObject = {};
  for (const [name, value] of Object.entries(element.qualifiedAttributes))
    object[`@${name}`] = adjustDatetime(value);
  if (element.ns !== '' && element.ns !== parentNs) object['@xmlns'] = element.ns;
  for (const child of element.children) {
    const value = elementToValue(child, element.ns);
    const existing = object[child.name];
    if (existing === undefined) object[child.name] = value;
    // A child's value is never an array itself, so an array here is the list of its repeats.
    else if (Array.isArray(existing)) existing.push(value);
    else object[child.name] = [existing, value];
  }
  if (element.lead.trim() !== '') object['#text'] = adjustDatetime(element.lead);
  return object;
}

function elementToValue(element: XmlElement, parentNs: string): FormValue {
  if (element.children.length === 0 && Object.keys(element.qualifiedAttributes).length === 0) {
    if (element.ns === '' || element.ns === parentNs) return adjustDatetime(element.lead);
  }
  return elementToObject(element, parentNs);
}

const text = (value: FormValue | undefined): string | null =>
  typeof value === 'string'
    ? value
    : value !== undefined && !Array.isArray(value) && typeof value['#text'] === 'string'
      ? value['#text']
      : null;

/**
 * The form's metadata with CommCare's rules (`extract_meta_instance_id`, `scrub_meta`): `Meta` (older
 * devices) is renamed `meta`, legacy names inside it renamed; the id is `uid`, else `instanceID`,
 * else a new UUID.
 */
function liftMetadata(form: FormObject): XFormMetadata {
  const legacy = form.Meta;
  const hasLegacy = legacy !== undefined && legacy !== '';
  let meta = hasLegacy ? legacy : form.meta;
  if (hasLegacy) {
    delete form.Meta;
    form.meta = legacy;
  }
  if (Array.isArray(meta)) meta = meta.find((m) => typeof m === 'object' && !Array.isArray(m)) ?? meta[0];
  const block = typeof meta === 'object' && !Array.isArray(meta) ? meta : {};
  const id = text(block.uid)?.trim() || text(block.instanceID)?.trim() || null;
  for (const [old, current] of Object.entries(legacyMetaNames)) {
    if (block[old] !== undefined && block[current] === undefined) {
      block[current] = block[old]!;
      delete block[old];
    }
  }
  const metadata: XFormMetadata = {
    instanceID: id ?? randomUUID(),
    generatedId: id === null,
    timeStart: null,
    timeEnd: null,
    userID: null,
    username: null,
    deviceID: null,
    appVersion: null,
  };
  for (const name of metaFields) metadata[name] = text(block[name])?.trim() ?? null;
  return metadata;
}
