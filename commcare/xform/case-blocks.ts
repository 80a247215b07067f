/**
 * Reads the case blocks out of a parsed form as CommCare's case XML parser does
 * (`casexml/apps/case/xform.py`, `xml/parser.py`): every `<case>` element carrying a case id, at any
 * depth (repeat groups included, device reports excluded), in document order, as typed actions. Case
 * XML 2.0 is applied; a 1.x block (no namespace) or an unknown case namespace is refused, as
 * CommCare's form processor refuses them (VersionNotSupported, CaseGenerationException). Pure.
 */
import { adjustDatetime } from './commcare-datetime.js';
import type { XmlElement } from './xform-parse.js';

/** The namespace of a CommCare v2 case block. */
export const caseBlockNamespace = 'http://commcarehq.org/case/transaction/v2';

/** Case fields a create or an update sets directly rather than as a case property (CommCare's known properties). */
export interface CaseFieldUpdates {
  case_type?: string;
  name?: string;
  owner_id?: string;
  /** From `date_opened`, as written (an ISO date or date-time). */
  opened_on?: string;
  external_id?: string;
  /** The case's `user_id`, which CommCare stores as `modified_by` (the block's own user_id wins). */
  user_id?: string;
  /** '' clears the location. */
  location_id?: string;
}

/** `<create>`: opens the case; its known properties (other children are ignored, as CommCare does). */
export interface CaseCreateAction {
  type: 'create';
  fields: CaseFieldUpdates;
}

/** `<update>`: special properties as fields, every other child as a case property (text, '' when empty). */
export interface CaseUpdateAction {
  type: 'update';
  fields: CaseFieldUpdates;
  properties: Record<string, string>;
}

/** One child of `<index>`: sets the index named `identifier`, or removes it when `referenced_id` is ''. */
export interface CaseIndexChange {
  identifier: string;
  referenced_type: string;
  referenced_id: string;
  relationship: 'child' | 'extension';
}

/** `<index>`: adds, changes or removes indices. */
export interface CaseIndexAction {
  type: 'index';
  indices: CaseIndexChange[];
}

/** `<close/>`. */
export interface CaseCloseAction {
  type: 'close';
}

/** One child of `<attachment>`: a file of the submission attached to the case, or removed when `src` is null. */
export interface CaseAttachmentChange {
  identifier: string;
  /** The name of the submission part (or URL for `from="remote"`); null removes the attachment. */
  src: string | null;
  /** local (a part of the submission), remote or inline; null when not given. */
  from: string | null;
  /** The file name the device gave, if any. */
  name: string | null;
}

/** `<attachment>`: metadata only; the files themselves are parts of the submission. */
export interface CaseAttachmentAction {
  type: 'attachment';
  attachments: CaseAttachmentChange[];
}

export type CaseAction =
  CaseCreateAction | CaseUpdateAction | CaseIndexAction | CaseCloseAction | CaseAttachmentAction;

/** One case block: what one part of a form does to one case, actions in document order. */
export interface CaseBlock {
  case_id: string;
  /** The block's `date_modified` as written; null when absent (the form's time applies). */
  date_modified: string | null;
  /** The block's `user_id`; null when absent (the form's user applies). */
  user_id: string | null;
  actions: CaseAction[];
}

/** A case block the server cannot use (1.x format, unknown namespace, an index without case type…): answer 422. */
export class CaseBlockError extends Error {
  override readonly name = 'CaseBlockError';
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${line}:${column}: ${reason}`);
  }
}

// CommCare's V2 property mapping (case_type, case_name, external_id, user_id, owner_id, date_opened),
// plus the update-only specials: `name` sets the name, `location_id` the location. Update children
// in RESTRICTED_PROPERTIES never become case properties; `hq_user_id` sets external_id and stays a
// property too.
const knownFields: Record<string, keyof CaseFieldUpdates> = {
  case_type: 'case_type',
  case_name: 'name',
  owner_id: 'owner_id',
  date_opened: 'opened_on',
  external_id: 'external_id',
  user_id: 'user_id',
};
const updateFields: Record<string, keyof CaseFieldUpdates> = {
  ...knownFields,
  name: 'name',
  location_id: 'location_id',
};
const restricted = new Set([
  'case_id',
  'date_modified',
  'case_type',
  'case_name',
  'date_opened',
  'supply_point_location_id',
  'xmlns',
]);
const deviceReportNamespace = 'http://code.javarosa.org/devicereport';

/** True for a `<case>` element CommCare reads as a case block: it has a case id. */
function hasCaseId(element: XmlElement): boolean {
  return (
    element.attributes.case_id !== undefined || element.children.some((child) => child.name === 'case_id')
  );
}

/**
 * Every case block of the form in document order, repeat groups included; blocks are not looked for
 * inside another `<case>` element, nor in device reports. Throws CaseBlockError for a block CommCare
 * refuses: the 1.x format, an unknown case namespace, an empty case id, an index without a case type
 * or with a relationship other than child or extension, an unreadable date_modified.
 */
export function extractCaseBlocks(root: XmlElement): CaseBlock[] {
  const blocks: CaseBlock[] = [];
  const visit = (element: XmlElement, parentNs: string): void => {
    if (element.ns === deviceReportNamespace) return;
    if (element.name === 'case') {
      if (hasCaseId(element)) blocks.push(readCaseBlock(element, parentNs));
      return;
    }
    for (const child of element.children) visit(child, element.ns);
  };
  visit(root, '');
  return blocks;
}

/**
 * CommCare reads the version from the block's `@xmlns` in the form JSON, which exists only where the
 * block's namespace differs from its parent's: a block inheriting the form's namespace is 1.x.
 */
function checkVersion(element: XmlElement, parentNs: string): void {
  const declared = element.ns === parentNs ? '' : element.ns;
  if (declared === caseBlockNamespace) return;
  if (declared === '') {
    throw new CaseBlockError(
      'a CommCare 1.x case block (no xmlns): only case XML 2.0 (xmlns="http://commcarehq.org/case/transaction/v2") is applied, as CommCare HQ\'s form processor does; update the application to CommCare 2 or later',
      element.line,
      element.column,
    );
  }
  throw new CaseBlockError(
    `${declared} is not a valid case xmlns (expected ${caseBlockNamespace})`,
    element.line,
    element.column,
  );
}

/** The case ids the form touches, each once, in order of first appearance. */
export function caseIdsOf(blocks: readonly CaseBlock[]): string[] {
  return [...new Set(blocks.map((block) => block.case_id))];
}

function readCaseBlock(element: XmlElement, parentNs: string): CaseBlock {
  checkVersion(element, parentNs);
  // v2 puts case_id, date_modified and user_id on the element; older devices sent them as children.
  const header = (name: string): string | null => {
    const value = element.attributes[name] ?? childText(element, name);
    return value === null || value.trim() === '' ? null : value.trim();
  };
  const caseId = header('case_id');
  if (caseId === null)
    throw new CaseBlockError('a case block has an empty case_id', element.line, element.column);
  const modified = header('date_modified');
  const actions: CaseAction[] = [];
  for (const child of element.children) {
    const action = readAction(child);
    if (action) actions.push(action);
  }
  return {
    case_id: caseId,
    date_modified: modified === null ? null : adjustDatetime(modified),
    user_id: header('user_id'),
    actions,
  };
}

function readAction(element: XmlElement): CaseAction | null {
  switch (element.name) {
    case 'create':
      return { type: 'create', fields: readFields(element, knownFields) };
    case 'update':
      return readUpdate(element);
    case 'index':
      return { type: 'index', indices: element.children.map(readIndex) };
    case 'close':
      return { type: 'close' };
    case 'attachment':
      return {
        type: 'attachment',
        attachments: element.children.map((child) => ({
          identifier: child.name,
          src: nonEmpty(child.attributes.src),
          from: nonEmpty(child.attributes.from),
          name: nonEmpty(child.attributes.name),
        })),
      };
    default:
      // case_id, date_modified, user_id as children, or something newer than this reader.
      return null;
  }
}

/** A value as the form JSON holds it (datetimes normalised by adjust_datetimes). */
const valueOf = (element: XmlElement) => adjustDatetime(element.text);

/** The known fields of a create or update; a repeated child counts once, its last value. */
function readFields(element: XmlElement, mapping: Record<string, keyof CaseFieldUpdates>): CaseFieldUpdates {
  const fields: CaseFieldUpdates = {};
  for (const child of element.children) {
    const field = mapping[child.name];
    if (field) fields[field] = valueOf(child);
  }
  return fields;
}

function readUpdate(element: XmlElement): CaseUpdateAction {
  const fields = readFields(element, updateFields);
  const properties: Record<string, string> = {};
  for (const child of element.children) {
    if (child.name === 'hq_user_id') fields.external_id = valueOf(child);
    if (!updateFields[child.name] && !restricted.has(child.name)) properties[child.name] = valueOf(child);
  }
  return { type: 'update', fields, properties };
}

function readIndex(element: XmlElement): CaseIndexChange {
  if (element.attributes.case_type === undefined) {
    throw new CaseBlockError(
      `index ${element.name} has no case_type attribute (CommCare: "Invalid index, must have a case type attribute.")`,
      element.line,
      element.column,
    );
  }
  const relationship = element.attributes.relationship || 'child';
  if (relationship !== 'child' && relationship !== 'extension') {
    throw new CaseBlockError(
      `index ${element.name} has relationship "${relationship}"; expected child or extension`,
      element.line,
      element.column,
    );
  }
  return {
    identifier: element.name,
    referenced_type: element.attributes.case_type ?? '',
    referenced_id: element.text.trim(),
    relationship,
  };
}

function childText(element: XmlElement, name: string): string | null {
  const child = element.children.find((c) => c.name === name);
  return child === undefined ? null : child.text;
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}
