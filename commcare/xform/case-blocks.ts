/**
 * Reads the case blocks (CommCare case transaction v2) out of a parsed form: every block, at any
 * depth (repeat groups included), in document order, as typed actions. Pure.
 */
import type { XmlElement } from './xform-parse.js';

/** The namespace of a CommCare v2 case block. */
export const caseBlockNamespace = 'http://commcarehq.org/case/transaction/v2';

/** Case fields an update (or create) sets directly rather than as a case property. */
export interface CaseFieldUpdates {
  case_type?: string;
  name?: string;
  owner_id?: string;
  /** From `date_opened`, as written (an ISO date or date-time). */
  opened_on?: string;
  external_id?: string;
  /** '' clears the location. */
  location_id?: string;
}

/** `<create>`: opens the case. Absent children are null. */
export interface CaseCreateAction {
  type: 'create';
  case_type: string | null;
  case_name: string | null;
  owner_id: string | null;
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

/** A case block the server cannot use (no case id, a bad relationship): answer 422. */
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

// Update children that never become case properties (HQ's RESTRICTED_PROPERTIES), and the ones
// that set a case field instead; `hq_user_id` sets external_id and stays a property too.
const restricted = new Set(['case_id', 'date_modified', 'case_type', 'case_name', 'date_opened']);
const fieldOf: Record<string, keyof CaseFieldUpdates> = {
  case_type: 'case_type',
  case_name: 'name',
  name: 'name',
  owner_id: 'owner_id',
  date_opened: 'opened_on',
  external_id: 'external_id',
  location_id: 'location_id',
};

/**
 * Every case block of the form in document order, repeat groups included; blocks are not looked for
 * inside another case block. Throws CaseBlockError for a block without a case id or with an index
 * relationship other than child or extension.
 */
export function extractCaseBlocks(root: XmlElement): CaseBlock[] {
  const blocks: CaseBlock[] = [];
  const visit = (element: XmlElement): void => {
    if (element.name === 'case' && element.ns === caseBlockNamespace) {
      blocks.push(readCaseBlock(element));
      return;
    }
    for (const child of element.children) visit(child);
  };
  visit(root);
  return blocks;
}

/** The case ids the form touches, each once, in order of first appearance. */
export function caseIdsOf(blocks: readonly CaseBlock[]): string[] {
  return [...new Set(blocks.map((block) => block.case_id))];
}

function readCaseBlock(element: XmlElement): CaseBlock {
  // v2 puts case_id, date_modified and user_id on the element; older devices sent them as children.
  const header = (name: string): string | null => {
    const value = element.attributes[name] ?? childText(element, name);
    return value === null || value.trim() === '' ? null : value.trim();
  };
  const caseId = header('case_id');
  if (caseId === null) throw new CaseBlockError('a case block has no case_id', element.line, element.column);
  const actions: CaseAction[] = [];
  for (const child of element.children) {
    const action = readAction(child);
    if (action) actions.push(action);
  }
  return { case_id: caseId, date_modified: header('date_modified'), user_id: header('user_id'), actions };
}

function readAction(element: XmlElement): CaseAction | null {
  switch (element.name) {
    case 'create':
      return {
        type: 'create',
        case_type: childText(element, 'case_type'),
        case_name: childText(element, 'case_name'),
        owner_id: childText(element, 'owner_id'),
      };
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

function readUpdate(element: XmlElement): CaseUpdateAction {
  const fields: CaseFieldUpdates = {};
  const properties: Record<string, string> = {};
  for (const child of element.children) {
    const field = fieldOf[child.name];
    if (field) fields[field] = child.text;
    if (child.name === 'hq_user_id') fields.external_id = child.text;
    if (!field && !restricted.has(child.name)) properties[child.name] = child.text;
  }
  return { type: 'update', fields, properties };
}

function readIndex(element: XmlElement): CaseIndexChange {
  const relationship = element.attributes.relationship ?? 'child';
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
