/** `${VAR}` and `${VAR:-default}` from the environment, inside YAML scalar values. */

const pattern = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\$/g;

export class MissingVariableError extends Error {
  constructor(readonly variable: string) {
    super(`environment variable ${variable} is not set and has no default (write \${${variable}:-default})`);
  }
}

/** Replaces every reference; `$$` is a literal `$`. Throws MissingVariableError for an unset variable without default. */
export function interpolate(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(pattern, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$$') return '$';
    const value = env[name!];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    throw new MissingVariableError(name!);
  });
}

export function hasReference(text: string): boolean {
  pattern.lastIndex = 0;
  const found = pattern.test(text);
  pattern.lastIndex = 0;
  return found;
}
