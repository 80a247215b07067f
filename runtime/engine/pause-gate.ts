/**
 * Pausing a pipeline without leaving its group: while closed, each lane's next batch waits here
 * before any work begins, so the source stops consuming (its fetch buffer fills) while its session
 * stays alive. A batch waiting here when its lane is revoked or the pipeline stops is dropped
 * unprocessed and uncommitted: its next owner (or the next run) gets it again.
 */
export class PauseGate {
  private opened: Promise<void> | undefined;
  private open: (() => void) | undefined;

  get paused(): boolean {
    return this.opened !== undefined;
  }

  pause(): void {
    this.opened ??= new Promise((resolve) => (this.open = resolve));
  }

  resume(): void {
    this.open?.();
    this.opened = this.open = undefined;
  }

  /**
   * Resolves true at once when not paused, or when resumed (the batch still wanted); false as soon as `stillWanted` turns
   * false (checked every `pollMs` and on resume) — the batch must then be dropped.
   */
  async pass(stillWanted: () => boolean, pollMs = 100): Promise<boolean> {
    if (!this.paused) return true;
    while (this.opened !== undefined) {
      if (!stillWanted()) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.opened, new Promise((resolve) => (timer = setTimeout(resolve, pollMs)))]);
      clearTimeout(timer);
    }
    return stillWanted();
  }
}
