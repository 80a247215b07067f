/**
 * `tributary serve [pipeline files…]`: runs the form-submission receiver and, in the same process,
 * any pipelines given (typically the outbox relay and the CouchDB changes source), until SIGTERM.
 */
import { parseArgs } from 'node:util';
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
import type { Registry } from '../../runtime/registry/index.js';
import { createLogger } from '../../runtime/telemetry/logger.js';
import { startTelemetryServer } from '../../runtime/telemetry/http-server.js';
import { PipelineHost } from '../pipeline-host.js';
import { loadPlans } from './run.js';

export const serveUsage = `Usage: tributary serve [pipeline files…] [--port 8000] [--host 127.0.0.1] [--blobs s3|<folder>]
                       [--max-body-mb 50] [--metrics-port 9464] [--outbox-table T] [--outbox-channel C]

Runs the OpenRosa receiver: POST/HEAD /a/<domain>/receiver, POST /a/<domain>/forms/<id>/archive|unarchive,
and the UCR reports: GET /a/<domain>/reports/<report id>/data[?format=csv&<filters>] (users of the domain).
Blobs (raw XML, attachments) go to the S3-API server with --blobs s3, else to a folder
(default .tributary/blobs). Pipeline files given run in the same process.`;

export async function serveCommand(args: string[], registry: Registry): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        port: { type: 'string', default: process.env.TRIBUTARY_RECEIVER_PORT ?? '8000' },
        host: { type: 'string', default: '127.0.0.1' },
        blobs: { type: 'string', default: '.tributary/blobs' },
        'max-body-mb': { type: 'string', default: '50' },
        'metrics-port': { type: 'string', default: process.env.TRIBUTARY_METRICS_PORT ?? '9464' },
        'outbox-table': { type: 'string', default: process.env.OUTBOX_TABLE ?? 'tributary_outbox' },
        'outbox-channel': { type: 'string', default: process.env.OUTBOX_CHANNEL ?? 'tributary_outbox' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${serveUsage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(serveUsage);
    return 0;
  }
  const port = Number(values.port);
  const metricsPort = Number(values['metrics-port']);
  const maxBodyBytes = Math.round(Number(values['max-body-mb']) * 1024 * 1024);
  if (!Number.isInteger(port) || port < 0 || !Number.isInteger(metricsPort) || !(maxBodyBytes > 0)) {
    console.error(serveUsage);
    return 2;
  }
  const plans = positionals.length ? await loadPlans(positionals, registry) : [];
  if (!plans) return 2;

  const logger = createLogger();
  const host = new PipelineHost(logger);
  const tasks = taskSettings();
  const receiver = await startServer({
    endpoints: readEndpoints(),
    logger,
    port,
    host: values.host,
    blobs: values.blobs === 's3' ? 's3' : { folder: values.blobs },
    modules: [
      receiverModule({
        maxBodyBytes,
        outboxTable: values['outbox-table'],
        outboxChannel: values['outbox-channel'],
      }),
      reportsModule(),
      exportsModule(tasks),
      importsModule(tasks, {
        maxUploadBytes: maxBodyBytes,
        outbox: {
          table: values['outbox-table'],
          channel: values['outbox-channel'],
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
      ? await startTelemetryServer(metricsPort, values.host, host.metrics.registry, {
          healthy: () => host.healthy,
          ready: () => host.ready,
          notReadyReasons: () => host.notReadyReasons(),
        })
      : undefined;
  let exitCode = 0;
  let stopRequested!: () => void;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  process.once('SIGTERM', () => stopRequested());
  process.once('SIGINT', () => stopRequested());
  host.onFatal(() => {
    exitCode = 1;
    stopRequested();
  });
  try {
    if (plans.length) await host.start(plans);
    console.log(`Receiving submissions at ${receiver.url}/a/<domain>/receiver`);
    console.log(`Pages: ${receiver.url}/a/<domain>/login (exports, case import, pipelines)`);
  } catch (error) {
    logger.error({ err: error }, 'Could not start the pipelines.');
    exitCode = 1;
    stopRequested();
  }
  await stopped;
  logger.info({}, 'Stopping: no new submissions; finishing the pipelines.');
  await receiver.close();
  await host.stop();
  telemetry?.close();
  return exitCode;
}
