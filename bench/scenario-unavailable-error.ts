/**
 * Thrown by a scenario when what it measures does not exist yet (a pipeline file, a component, a
 * module not written): the run reports it as an error, and the floors check says "cannot run yet"
 * instead of failing the build.
 */
export class ScenarioUnavailableError extends Error {
  override readonly name = 'ScenarioUnavailableError';
}

/** True for a ScenarioUnavailableError, also one thrown in another module instance. */
export function isUnavailable(error: unknown): boolean {
  return error instanceof Error && error.name === 'ScenarioUnavailableError';
}
