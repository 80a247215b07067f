/**
 * Why a pipeline is not ready, by cause: a dependency failing its calls (a sink, the dead-letter
 * writer, commits), a lane its source refused to start (an offset gap), a component that says it
 * cannot take work yet. `/readyz` and the log report these reasons; they clear on their own.
 */

interface Failure {
  since: Date;
  message: string;
}

export class ReadinessTracker {
  private readonly failing = new Map<string, Failure>();
  private readonly refusedLanes = new Map<string, string>();
  private readonly blocked = new Map<string, string>();

  /** `what` (e.g. `sink 'table'`) failed a call; kept until one of its calls succeeds. */
  fail(what: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const known = this.failing.get(what);
    this.failing.set(what, { since: known?.since ?? new Date(), message });
  }

  succeed(what: string): void {
    if (this.failing.size) this.failing.delete(what);
  }

  refuseLane(lane: string, message: string): void {
    this.refusedLanes.set(lane, message);
  }

  /** The lane left this worker (revoked): whoever owns it next decides again. */
  releaseLane(lane: string): void {
    this.refusedLanes.delete(lane);
  }

  /** A component cannot take work (`reason`), or can again (`undefined`). */
  block(component: string, reason: string | undefined): void {
    if (reason === undefined) this.blocked.delete(component);
    else this.blocked.set(component, reason);
  }

  isFailing(what: string): boolean {
    return this.failing.has(what);
  }

  /** Every reason the pipeline is not ready now; empty when nothing stands in the way. */
  reasons(): string[] {
    return [
      ...[...this.failing].map(
        ([what, f]) => `${what} is failing since ${f.since.toISOString()}: ${f.message}`,
      ),
      ...[...this.blocked].map(([component, reason]) => `${component} is not ready: ${reason}`),
      ...[...this.refusedLanes].map(([lane, message]) => `lane ${lane} refused: ${message}`),
    ];
  }
}
