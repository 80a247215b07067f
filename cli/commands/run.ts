/**
 * `tributary run <pipeline files…> [--workers N] [--port P]`: runs pipelines until SIGTERM/SIGINT,
 * then finishes and commits in-flight batches, leaves the groups and exits 0. With --workers N it
 * starts N worker processes of the same pipelines (one consumer group each, shared among them).
 */
import { fork } from 'node:child_process';
import { readEndpoints } from '../../connectors/endpoints.js';
import type { PipelinePlan } from '../../runtime/config/index.js';
import { createLogger } from '../../runtime/telemetry/logger.js';
import { startTracing } from '../../runtime/telemetry/tracing.js';
import { startTelemetryServer } from '../../runtime/telemetry/http-server.js';
import { adminApi } from '../admin-operations.js';
import { listOption, numberOption, stringOption, type CommandInput } from '../command.js';
import { loadPlans, parseOverrides } from '../load-plans.js';
import { PipelineHost } from '../pipeline-host.js';
import { onStopSignals, stopSignals } from '../stop-signals.js';

export async function runCommand({ values, positionals, registry }: CommandInput): Promise<number> {
  const workers = numberOption(values, 'workers', { min: 1 })!;
  const port = numberOption(values, 'port', { min: 0 })!;
  const host = stringOption(values, 'host')!;
  const sets = listOption(values, 'set');
  const plans = await loadPlans(positionals, registry, parseOverrides(sets));
  // A bad endpoint variable is bad input: say so (exit 2) before anything starts.
  readEndpoints();
  if (workers > 1) return superviseWorkers(workers, positionals, port, host, sets);
  return runWorker(plans, port, host);
}

/** One worker process: the pipelines until a stop signal or a fatal error; rejects when they cannot start. */
async function runWorker(plans: PipelinePlan[], port: number, address: string): Promise<number> {
  const logger = createLogger().child({ worker: process.env.TRIBUTARY_WORKER ?? '0' });
  const tracing = startTracing(`tributary-run:${plans.map((p) => p.name).join(',')}`);
  const host = new PipelineHost(logger, tracing.tracer ? { tracer: tracing.tracer } : {});
  let exitCode = 0;
  let stopping: Promise<void> | undefined;
  let stopRequested!: () => void;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  const stop = (reason: string, code: number) => {
    exitCode = Math.max(exitCode, code);
    stopping ??= (async () => {
      // A start that failed has nothing in flight; the command layer says why.
      if (reason !== 'start failed')
        logger.info({ reason }, 'Stopping: finishing and committing in-flight batches.');
      await host.stop();
    })();
    stopRequested();
    return stopping;
  };
  const removeHandlers = onStopSignals(logger, (signal) => void stop(signal, 0));
  host.onFatal(() => void stop('a pipeline failed', 1));

  const server = port
    ? await startTelemetryServer(port, address, host.metrics.registry, {
        admin: adminApi(host, plans),
        healthy: () => host.healthy,
        ready: () => host.ready,
        notReadyReasons: () => host.notReadyReasons(),
      })
    : undefined;
  try {
    await host.start(plans);
    logger.info({ pipelines: plans.map((p) => p.name), metricsPort: port || undefined }, 'Running.');
  } catch (error) {
    if (!stopping) {
      // The command layer says why in one line; the log keeps the details.
      logger.debug({ err: error }, 'Could not start the pipelines.');
      await stop('start failed', 1);
      server?.close();
      await tracing.shutdown();
      removeHandlers();
      throw error;
    }
    // A stop signal while joining: the start fails because we are closing, which is what was asked.
    logger.info({ error: (error as Error).message }, 'Stopped while starting.');
  }
  await stopped;
  await stopping;
  server?.close();
  await tracing.shutdown();
  logger.info({ exitCode }, 'Stopped.');
  return exitCode;
}

/**
 * Starts N copies of this command, each in a process group of its own so that a terminal's Ctrl-C
 * reaches only this supervisor, which forwards every signal exactly once; exits with the worst code.
 */
async function superviseWorkers(
  count: number,
  files: string[],
  port: number,
  host: string,
  sets: readonly string[],
): Promise<number> {
  const script = process.argv[1]!;
  const setArgs = sets.flatMap((set) => ['--set', set]);
  const children = Array.from({ length: count }, (_, i) =>
    fork(script, ['run', ...files, '--port', String(port ? port + i : 0), '--host', host, ...setArgs], {
      env: { ...process.env, TRIBUTARY_WORKER: String(i) },
      stdio: 'inherit',
      detached: true,
    }),
  );
  const forward = (signal: NodeJS.Signals) => children.forEach((child) => child.kill(signal));
  for (const signal of stopSignals) process.on(signal, forward);
  // If the supervisor dies without a signal it could forward, its workers stop too.
  process.on('exit', () => children.forEach((child) => child.exitCode === null && child.kill('SIGTERM')));
  const codes = await Promise.all(
    children.map(
      (child) =>
        new Promise<number>((resolve) =>
          child.on('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15))),
        ),
    ),
  );
  return Math.max(...codes);
}
