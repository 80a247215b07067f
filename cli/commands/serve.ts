/**
 * `tributary serve [pipeline files…]`: runs the form-submission receiver and, in the same process,
 * any pipelines given (typically the outbox relay and the CouchDB changes source), until SIGTERM.
 */
import { readEndpoints } from '../../connectors/endpoints.js';
import {
  exportsModule,
  importsModule,
  pagesModule,
  receiverModule,
  reportsModule,
  searchModule,
  sessionAuthenticator,
  startServer,
} from '../../server/index.js';
import { taskSettings } from './worker.js';
import { pipelinesStatusProvider } from './pipelines-status.js';
import { createLogger } from '../../runtime/telemetry/logger.js';
import { startTracing } from '../../runtime/telemetry/tracing.js';
import { startTelemetryServer } from '../../runtime/telemetry/http-server.js';
import { adminApi } from '../admin-operations.js';
import { PipelineHost } from '../pipeline-host.js';
import { numberOption, stringOption, type CommandInput } from '../command.js';
import { loadPlans } from '../load-plans.js';
import { onStopSignals } from '../stop-signals.js';

export async function serveCommand({ values, positionals, registry }: CommandInput): Promise<number> {
  const port = numberOption(values, 'port', { min: 0 })!;
  const metricsPort = numberOption(values, 'metrics-port', { min: 0 })!;
  const maxBodyBytes = Math.round(
    numberOption(values, 'max-body-mb', { above: 0, integer: false })! * 1024 * 1024,
  );
  const address = stringOption(values, 'host')!;
  const blobs = stringOption(values, 'blobs')!;
  const plans = positionals.length ? await loadPlans(positionals, registry) : [];

  const logger = createLogger();
  // Before the server starts: the receiver's spans and the outbox rows' trace context need it.
  const tracing = startTracing('tributary-serve');
  const host = new PipelineHost(logger, tracing.tracer ? { tracer: tracing.tracer } : {});
  const tasks = taskSettings();
  const outboxTable = stringOption(values, 'outbox-table')!;
  const outboxChannel = stringOption(values, 'outbox-channel')!;
  const receiver = await startServer({
    endpoints: readEndpoints(),
    logger,
    port,
    host: address,
    blobs: blobs === 's3' ? 's3' : { folder: blobs },
    modules: [
      receiverModule({
        maxBodyBytes,
        outboxTable,
        outboxChannel,
      }),
      reportsModule(),
      exportsModule(tasks),
      importsModule(tasks, {
        maxUploadBytes: maxBodyBytes,
        outbox: {
          table: outboxTable,
          channel: outboxChannel,
          topics: { forms: 'forms', cases: 'cases' },
        },
      }),
      pagesModule(tasks, { pipelineStatus: pipelinesStatusProvider(plans) }),
      searchModule({ indexPrefix: process.env.SEARCH_INDEX_PREFIX }),
    ],
    authenticator: sessionAuthenticator(tasks),
  });
  const telemetry =
    plans.length && metricsPort
      ? await startTelemetryServer(metricsPort, address, host.metrics.registry, {
          admin: adminApi(host, plans),
          healthy: () => host.healthy,
          ready: () => host.ready,
          notReadyReasons: () => host.notReadyReasons(),
        })
      : undefined;
  let exitCode = 0;
  let stopRequested!: () => void;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  onStopSignals(logger, () => stopRequested());
  host.onFatal(() => {
    exitCode = 1;
    stopRequested();
  });
  try {
    if (plans.length) await host.start(plans);
    console.log(`Receiving submissions at ${receiver.url}/a/<domain>/receiver`);
    console.log(`Pages: ${receiver.url}/a/<domain>/login (exports, case import, pipelines)`);
  } catch (error) {
    // The command layer says why in one line; the log keeps the details.
    logger.debug({ err: error }, 'Could not start the pipelines.');
    await receiver.close();
    await host.stop();
    telemetry?.close();
    throw error;
  }
  await stopped;
  logger.info({}, 'Stopping: no new submissions; finishing the pipelines.');
  await receiver.close();
  await host.stop();
  telemetry?.close();
  await tracing.shutdown();
  return exitCode;
}
