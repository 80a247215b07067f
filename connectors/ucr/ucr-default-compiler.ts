/**
 * Where the `ucr-postgres` sink gets its compiler: the UCR language's `compileDataSource`, unless
 * the process put another under `ucrCompilerResource` first (tests).
 */
import type { UcrCompiler } from './ucr-data-source-manager.js';

export const ucrCompilerResource = 'ucr-compiler';

// Loaded by name until the language module lands, so this file compiles before it exists.
const languageModule = '../../processors/ucr/compile-data-source.js';

export async function defaultUcrCompiler(): Promise<UcrCompiler> {
  try {
    const module = (await import(languageModule)) as { compileDataSource?: UcrCompiler };
    if (typeof module.compileDataSource === 'function') return module.compileDataSource;
  } catch {
    // Not there yet: every configuration is reported as unusable below.
  }
  return () => {
    throw new Error('the UCR language (processors/ucr/compile-data-source.ts) is not available');
  };
}
