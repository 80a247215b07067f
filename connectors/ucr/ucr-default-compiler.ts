/**
 * Where the `ucr-postgres` sink gets its compiler: the UCR language's `compileDataSource`, unless
 * the process put another under `ucrCompilerResource` first.
 */
import { compileDataSource } from '../../commcare/ucr/compile-data-source.js';
import type { UcrCompiler } from './ucr-data-source-manager.js';

export const ucrCompilerResource = 'ucr-compiler';

export function defaultUcrCompiler(): UcrCompiler {
  return (json) => compileDataSource(json);
}
