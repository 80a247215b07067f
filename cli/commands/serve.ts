/**
 * `tributary serve [pipeline files…] [--processes N]`: runs the form-submission receiver and any
 * pipelines given (typically the outbox relay and the CouchDB changes source) until SIGTERM.
 *
 * With --processes N (default: the machine's cores) the HTTP server runs in N processes on one
 * port (node:cluster: this process accepts connections and hands each to a receiver process in
 * turn), so every core parses, signs and writes forms; the pipelines and the metrics server run
 * once, in this process. With --processes 1 everything runs in this one process.
 */
import cluster, { type Worker } from 'node:cluster';
import { readEndpoints } from '../../connectors/endpoints.js';
import type { PipelinePlan } from '../../runtime/config/index.js';
import type { Logger } from '../../runtime/contract/index.js';
import {
  exportsModule,
  importsModule,
  pagesModule,
  receiverModule,
  reportsModule,
  searchModule,
  sessionAuthenticator,
  startServer,
  type RunningServer,
} from '../../server/index.js';
import { taskSettings } from './worker.js';
import { pipelinesStatusProvider } from './pipelines-status.js';
import { createLogger } from '../../runtime/telemetry/logger.js';
import { startTracing } from '../../runtime/telemetry/tracing.js';
import { startTelemetryServer } from '../../runtime/telemetry/http-server.js';
import { adminApi } from '../admin-operations.js';
import { PipelineHost } from '../pipeline-host.js';
import { numberOption, stringOption, type CommandInput, type OptionValues } from '../command.js';
import { loadPlans } from '../load-plans.js';
import { onStopSignals } from '../stop-signals.js';

interface ServeSettings {
  port: number;
  metricsPort: number;
  maxBodyBytes: number;
  address: string;
  blobs: string;
  outboxTable: string;
  outboxChannel: string;
  processes: number;
}

/** What a receiver process tells the primary once it listens. */
interface ListeningMessage {
  tributaryReceiverListening: string;
}
/** What the primary tells a receiver process when it must stop. */
const stopMessage = 'tributary-receiver-stop';

export async function serveCommand({ values, positionals, registry }: CommandInput): Promise<number> {
  const settings = serveSettings(values);
  const plans = positionals.length ? await loadPlans(positionals, registry) : [];
  if (cluster.isWorker) return serveReceiverProcess(settings, plans);
  if (settings.processes === 1) return serveInOneProcess(settings, plans);
  return serveWithReceiverProcesses(settings, plans);
}

function serveSettings(values: OptionValues): ServeSettings {
  return {
    port: numberOption(values, 'port', { min: 0 })!,
    metricsPort: numberOption(values, 'metrics-port', { min: 0 })!,
    maxBodyBytes: Math.round(
      numberOption(values, 'max-body-mb', { above: 0, integer: false })! * 1024 * 1024,
    ),
    address: stringOption(values, 'host')!,
    blobs: stringOption(values, 'blobs')!,
    outboxTable: stringOption(values, 'outbox-table')!,
    outboxChannel: stringOption(values, 'outbox-channel')!,
    processes: numberOption(values, 'processes', { min: 1 })!,
  };
}

/** The HTTP server with every route module; the pipelines' status comes from the plans. */
function openReceiver(
  settings: ServeSettings,
  plans: PipelinePlan[],
  logger: Logger,
): Promise<RunningServer> {
  const tasks = taskSettings();
  const { maxBodyBytes, outboxTable, outboxChannel } = settings;
  return startServer({
    endpoints: readEndpoints(),
    logger,
    port: settings.port,
    host: settings.address,
    blobs: settings.blobs === 's3' ? 's3' : { folder: settings.blobs },
    modules: [
      receiverModule({ maxBodyBytes, outboxTable, outboxChannel }),
      reportsModule(),
      exportsModule(tasks),
      importsModule(tasks, {
        maxUploadBytes: maxBodyBytes,
        outbox: { table: outboxTable, channel: outboxChannel, topics: { forms: 'forms', cases: 'cases' } },
      }),
      pagesModule(tasks, { pipelineStatus: pipelinesStatusProvider(plans) }),
      searchModule({ indexPrefix: process.env.SEARCH_INDEX_PREFIX }),
    ],
    authenticator: sessionAuthenticator(tasks),
  });
}

/** The pipelines and their metrics server, in the process that runs them. */
async function startPipelines(settings: ServeSettings, plans: PipelinePlan[], host: PipelineHost) {
  const telemetry =
    plans.length && settings.metricsPort
      ? await startTelemetryServer(settings.metricsPort, settings.address, host.metrics.registry, {
          admin: adminApi(host, plans),
          healthy: () => host.healthy,
          ready: () => host.ready,
          notReadyReasons: () => host.notReadyReasons(),
        })
      : undefined;
  try {
    if (plans.length) await host.start(plans);
  } catch (error) {
    await host.stop();
    telemetry?.close();
    throw error;
  }
  return telemetry;
}

function printUrls(url: string): void {
  console.log(`Receiving submissions at ${url}/a/<domain>/receiver`);
  console.log(`Pages: ${url}/a/<domain>/login (exports, case import, pipelines)`);
}

/** Resolves on the first stop signal, or with exit code 1 when a pipeline fails. */
function untilStopped(logger: Logger, host: PipelineHost): { stopped: Promise<number> } {
  let stopRequested!: (code: number) => void;
  const stopped = new Promise<number>((resolve) => (stopRequested = resolve));
  onStopSignals(logger, () => stopRequested(0));
  host.onFatal(() => stopRequested(1));
  return { stopped };
}

async function serveInOneProcess(settings: ServeSettings, plans: PipelinePlan[]): Promise<number> {
  const logger = createLogger();
  // Before the server starts: the receiver's spans and the outbox rows' trace context need it.
  const tracing = startTracing('tributary-serve');
  const host = new PipelineHost(logger, tracing.tracer ? { tracer: tracing.tracer } : {});
  const receiver = await openReceiver(settings, plans, logger);
  const { stopped } = untilStopped(logger, host);
  let telemetry;
  try {
    telemetry = await startPipelines(settings, plans, host);
    printUrls(receiver.url);
  } catch (error) {
    // The command layer says why in one line; the log keeps the details.
    logger.debug({ err: error }, 'Could not start the pipelines.');
    await receiver.close();
    throw error;
  }
  const exitCode = await stopped;
  logger.info({}, 'Stopping: no new submissions; finishing the pipelines.');
  await receiver.close();
  await host.stop();
  telemetry?.close();
  await tracing.shutdown();
  return exitCode;
}

/** A receiver process of `--processes N`: the HTTP server until the primary (or a signal) stops it. */
async function serveReceiverProcess(settings: ServeSettings, plans: PipelinePlan[]): Promise<number> {
  const logger = createLogger().child({ receiver: cluster.worker!.id });
  const tracing = startTracing('tributary-serve');
  let stopRequested!: () => void;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  // Before opening: a stop asked while this process starts closes it as soon as it is open.
  const removeHandlers = onStopSignals(logger, () => stopRequested());
  process.on('message', (message) => message === stopMessage && stopRequested());
  const receiver = await openReceiver(settings, plans, logger);
  process.send!({ tributaryReceiverListening: receiver.url } satisfies ListeningMessage);
  await stopped;
  await receiver.close();
  await tracing.shutdown();
  removeHandlers();
  // The IPC channel to the primary would keep this process alive.
  process.disconnect();
  return 0;
}

/** A receiver process exited before listening; it printed why (the one error line) itself. */
class ReceiverExitedError extends Error {
  constructor(
    readonly exitCode: number | null,
    signal: string | null,
  ) {
    super(`a receiver process exited before listening (${signal ?? `exit code ${exitCode}`})`);
  }
}

/**
 * Starts one receiver process, added to `workers` at once (a stop reaches it while it starts);
 * resolves with its URL once it listens, rejects if it exits first.
 */
function forkReceiver(workers: Set<Worker>): Promise<{ worker: Worker; url: string }> {
  const worker = cluster.fork();
  workers.add(worker);
  // A message to a receiver that is just exiting fails with EPIPE; its exit is what counts.
  worker.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null, signal: string | null) =>
      reject(new ReceiverExitedError(code, signal));
    worker.once('exit', onExit);
    worker.on('message', (message: Partial<ListeningMessage>) => {
      if (typeof message?.tributaryReceiverListening !== 'string') return;
      worker.off('exit', onExit);
      resolve({ worker, url: message.tributaryReceiverListening });
    });
  });
}

async function serveWithReceiverProcesses(settings: ServeSettings, plans: PipelinePlan[]): Promise<number> {
  const logger = createLogger();
  const tracing = startTracing('tributary-serve');
  const host = new PipelineHost(logger, tracing.tracer ? { tracer: tracing.tracer } : {});
  const workers = new Set<Worker>();
  let stopping = false;
  const stopWorkers = () =>
    Promise.all(
      [...workers].map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once('exit', () => resolve());
            // A receiver stopping by a signal of its own (a terminal's Ctrl-C) has already disconnected.
            if (worker.isConnected()) worker.send(stopMessage);
          }),
      ),
    );
  const { stopped } = untilStopped(logger, host);
  let url = '';
  let telemetry;
  try {
    // One after another: each creates the tables it needs, and concurrent DDL of one table fails.
    for (let i = 0; i < settings.processes; i++) {
      url = (await forkReceiver(workers)).url;
    }
    telemetry = await startPipelines(settings, plans, host);
  } catch (error) {
    logger.debug({ err: error }, 'Could not start the receiver processes or the pipelines.');
    stopping = true;
    await stopWorkers();
    // The receiver said why on stderr already (a port in use, a bad setting): exit as it did.
    if (error instanceof ReceiverExitedError && error.exitCode) return error.exitCode;
    throw error;
  }
  cluster.on('exit', (worker, code, signal) => {
    workers.delete(worker);
    if (stopping || code === 0) return;
    // A receiver that dies is replaced; what it had acknowledged is durable, the rest is retried by devices.
    logger.error({ receiver: worker.id, code, signal }, 'A receiver process exited; starting another.');
    forkReceiver(workers).catch((error: unknown) =>
      logger.error({ err: error }, 'Could not start a receiver process.'),
    );
  });
  printUrls(url);
  logger.info({ processes: settings.processes, url }, 'Receiver processes listening.');
  const exitCode = await stopped;
  stopping = true;
  logger.info({}, 'Stopping: no new submissions; finishing the pipelines.');
  await stopWorkers();
  await host.stop();
  telemetry?.close();
  await tracing.shutdown();
  return exitCode;
}
