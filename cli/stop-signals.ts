/**
 * SIGINT/SIGTERM/SIGHUP for long-running commands (`run`, `serve`): the first one asks for a
 * drain (finish and commit in-flight work, leave the group); a second during the drain is ignored
 * with a log line (a terminal and a supervisor may both deliver one, and an impatient operator
 * presses Ctrl-C again); a third forces the exit, losing nothing committed: what was in flight
 * is delivered again to the next worker.
 */
import type { Logger } from '../runtime/contract/index.js';

const signalNumbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

export const stopSignals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Installs the handlers; resolves nothing, calls `stop` once and exits the process on the third. */
export function onStopSignals(logger: Logger, stop: (signal: NodeJS.Signals) => void): () => void {
  let received = 0;
  const handler = (signal: NodeJS.Signals) => {
    received++;
    if (received === 1) {
      stop(signal);
      return;
    }
    if (received === 2) {
      logger.warn(
        { signal },
        'Already stopping: finishing and committing in-flight batches. Send the signal once more to exit at once (uncommitted work is delivered again later).',
      );
      return;
    }
    logger.warn({ signal }, 'Exiting at once, without finishing the in-flight batches.');
    process.exit(128 + (signalNumbers[signal] ?? 2));
  };
  for (const signal of stopSignals) process.on(signal, handler);
  return () => {
    for (const signal of stopSignals) process.off(signal, handler);
  };
}
