/**
 * The seam between the pure `ucr` stage and the I/O behind it. The stage never loads anything
 * itself: the `ucr-postgres` sink of the same pipeline (connectors/ucr), which owns the tables and
 * the catalog of data sources, provides the services below through a link object both find in the
 * shared `Resources` under the pipeline's name. Processors are created before sinks, so the stage
 * waits for the link to be filled when its first batch arrives, not at creation.
 */
import type { Resources } from '../../runtime/contract/index.js';
import type { CompiledDataSource, UcrLookupKey } from './contract.js';

/** One data source definition the stage evaluates: a live table's, or one being built beside it. */
export interface UcrActiveDataSource {
  /** Routes the records of this definition to the sink (`routing.target`). */
  readonly key: string;
  readonly dataSource: CompiledDataSource;
}

/** What the stage needs from outside: the current data sources, and a batch loader of lookups. */
export interface UcrStageServices {
  /** Every definition (live or building) of the domain for this referenced doc type; a snapshot. */
  dataSources(domain: string, referencedDocType: string): readonly UcrActiveDataSource[];
  /**
   * Loads the values of these keys at once (cached); resolves with one entry per key, `null` for
   * "does not exist". Rejects with a retryable error when a store is unreachable.
   */
  fetch(keys: readonly UcrLookupKey[]): Promise<Map<string, unknown>>;
}

/** The string a lookup key is cached and returned under. */
export function lookupKeyId(key: UcrLookupKey): string {
  return `${key.kind}\u0000${key.domain}\u0000${key.id}`;
}

/** A rendezvous: the sink provides the services, the stage waits for them. */
export class UcrStageLink {
  private provided: UcrStageServices | undefined;
  private readonly waiters: ((services: UcrStageServices) => void)[] = [];

  provide(services: UcrStageServices): void {
    this.provided = services;
    for (const resolve of this.waiters.splice(0)) resolve(services);
  }

  /** The services once provided; rejects after `timeoutMs` (no `ucr-postgres` sink in the pipeline). */
  services(timeoutMs: number): Promise<UcrStageServices> {
    if (this.provided) return Promise.resolve(this.provided);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              'the ucr stage has no data sources to evaluate: add a ucr-postgres sink to the same pipeline',
            ),
          ),
        timeoutMs,
      );
      this.waiters.push((services) => {
        clearTimeout(timer);
        resolve(services);
      });
    });
  }

  get ready(): boolean {
    return this.provided !== undefined;
  }
}

/** The link of one pipeline, shared by its `ucr` stage and its `ucr-postgres` sink. */
export function ucrStageLink(resources: Resources, pipeline: string): Promise<UcrStageLink> {
  return resources.get(`ucr-stage-link:${pipeline}`, () => new UcrStageLink());
}
