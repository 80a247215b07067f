// The form-submission receiver's pure core: XForm parsing, case blocks, and applying them to cases.
export {
  applyCaseBlocks,
  CaseDateError,
  CaseDomainMismatchError,
  CaseNotFoundError,
  parseXFormDateMs,
} from './case-apply.js';
export type { CaseApplyContext, CaseApplyError, CaseApplyResult } from './case-apply.js';
export { CaseBlockError, caseBlockNamespace, caseIdsOf, extractCaseBlocks } from './case-blocks.js';
export type {
  CaseAction,
  CaseAttachmentAction,
  CaseAttachmentChange,
  CaseBlock,
  CaseCloseAction,
  CaseCreateAction,
  CaseFieldUpdates,
  CaseIndexAction,
  CaseIndexChange,
  CaseUpdateAction,
} from './case-blocks.js';
export {
  parseXForm,
  parseXmlDocument,
  XFormDoctypeError,
  XFormMissingXmlnsError,
  XFormSyntaxError,
} from './xform-parse.js';
export type { FormObject, FormValue, ParsedXForm, XFormMetadata, XmlElement } from './xform-parse.js';
