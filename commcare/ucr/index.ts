// The UCR language: data source configurations compiled into closures that turn documents into rows.
export type {
  CompiledDataSource,
  UcrColumn,
  UcrDatatype,
  UcrEvaluation,
  UcrLookupKey,
  UcrLookups,
  UcrRow,
  UcrStoredValue,
} from './contract.js';
export {
  compileDataSource,
  validReferencedDocTypes,
  type CompileDataSourceOptions,
} from './compile-data-source.js';
export {
  compileExpression,
  compileFilter,
  compileIndicator,
  type StandaloneCompileOptions,
  type StandaloneEvalOptions,
  type StandaloneIndicator,
  type StandaloneResult,
} from './compile-standalone.js';
export { caseEventToDoc, commcareDateTime, formEventToDoc } from './commcare-docs.js';
export { UcrConfigError } from './compile/ucr-config-error.js';
export { parseJsonValues } from './values/parse-json-values.js';
export { toJsonText, toTypedJsonText } from './values/to-json-text.js';
