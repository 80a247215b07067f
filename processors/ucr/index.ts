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
export { UcrConfigError } from './compile/ucr-config-error.js';
