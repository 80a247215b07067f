/**
 * `tributary run <pipeline files…> [--workers N] [--port P]`: runs pipelines until SIGTERM/SIGINT,
 * then finishes and commits in-flight batches, leaves the groups and exits 0. With --workers N it
 * starts N worker processes of the same pipelines (one consumer group each, shared among them).
 */
import { fork } from 'node:child_process';
import { parseArgs } from 'node:util';
import { formatProblem, loadPipelineFile, type PipelinePlan } from '../../runtime/config/index.js';
import { BadConfigError } from '../../runtime/contract/index.js';
import type { Registry } from '../../runtime/registry/index.js';
import { createLogger } from '../../runtime/telemetry/logger.js';
import { startTelemetryServer } from '../../runtime/telemetry/http-server.js';
import { PipelineHost } from '../pipeline-host.js';
import { expandPipelineFiles } from './validate.js';

export async function loadPlans(paths: string[], registry: Registry): Promise<PipelinePlan[] | undefined> {
  const plans: PipelinePlan[] = [];
  let failed = false;
  for (const file of await expandPipelineFiles(paths)) {
    const result = await loadPipelineFile(file, registry);
    if (result.ok) plans.push(result.plan);
    else {
      failed = true;
      for (const problem of result.problems) console.error(formatProblem(problem));
    }
  }
  return failed ? undefined : plans;
}

export async function runCommand(args: string[], registry: Registry): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      workers: { type: 'string', default: '1' },
      port: { type: 'string', default: process.env.TRIBUTARY_METRICS_PORT ?? '9464' },
      host: { type: 'string', default: '127.0.0.1' },
    },
  });
  const workers = Number(values.workers);
  const port = Number(values.port);
  if (
    !positionals.length ||
    !Number.isInteger(workers) ||
    workers < 1 ||
    !Number.isInteger(port) ||
    port < 0
  ) {
    console.error('usage: tributary run <pipeline files…> [--workers N] [--port P (0: none)] [--host H]');
    return 2;
  }
  const plans = await loadPlans(positionals, registry);
  if (!plans) return 2;
  if (workers > 1) return superviseWorkers(workers, positionals, port, values.host);

  const logger = createLogger().child({ worker: process.env.TRIBUTARY_WORKER ?? '0' });
  const host = new PipelineHost(logger);
  let exitCode = 0;
  let stopping: Promise<void> | undefined;
  let stopRequested!: () => void;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  const stop = (reason: string, code: number) => {
    exitCode = Math.max(exitCode, code);
    stopping ??= (async () => {
      logger.info({ reason }, 'Stopping: finishing and committing in-flight batches.');
      await host.stop();
    })();
    stopRequested();
    return stopping;
  };
  process.once('SIGTERM', () => void stop('SIGTERM', 0));
  process.once('SIGINT', () => void stop('SIGINT', 0));
  host.onFatal(() => void stop('a pipeline failed', 1));

  const server = port
    ? await startTelemetryServer(port, values.host, host.metrics.registry, {
        healthy: () => host.healthy,
        ready: () => host.ready,
        notReadyReasons: () => host.notReadyReasons(),
      })
    : undefined;
  try {
    await host.start(plans);
    logger.info({ pipelines: plans.map((p) => p.name), metricsPort: port || undefined }, 'Running.');
  } catch (error) {
    if (stopping) {
      // SIGTERM while joining: the start fails because we are closing, which is what was asked.
      logger.info({ error: (error as Error).message }, 'Stopped while starting.');
    } else if (error instanceof BadConfigError) {
      // Bad input found at start (a source topic that does not exist…): one plain line, exit 2.
      console.error(`tributary: ${error.message}`);
      await stop('start refused', 2);
    } else {
      logger.error({ err: error }, 'Could not start the pipelines.');
      await stop('start failed', 1);
    }
  }
  await stopped;
  await stopping;
  server?.close();
  logger.info({ exitCode }, 'Stopped.');
  return exitCode;
}

/** Starts N copies of this command, forwards SIGTERM/SIGINT, and exits with the worst exit code. */
async function superviseWorkers(count: number, files: string[], port: number, host: string): Promise<number> {
  const script = process.argv[1]!;
  const children = Array.from({ length: count }, (_, i) =>
    fork(script, ['run', ...files, '--port', String(port ? port + i : 0), '--host', host], {
      env: { ...process.env, TRIBUTARY_WORKER: String(i) },
      stdio: 'inherit',
    }),
  );
  const forward = (signal: NodeJS.Signals) => children.forEach((child) => child.kill(signal));
  process.on('SIGTERM', () => forward('SIGTERM'));
  process.on('SIGINT', () => forward('SIGINT'));
  const codes = await Promise.all(
    children.map((child) => new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)))),
  );
  return Math.max(...codes);
}
