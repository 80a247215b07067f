/** Structured JSON logs (pino) behind the contract's Logger interface. */
import { pino, type Logger as PinoLogger } from 'pino';
import { redactSecrets, type Logger } from '../contract/index.js';

export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const base = pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Every line, whatever field or error message carries an endpoint, loses its secrets here.
      hooks: { streamWrite: redactSecrets },
    },
    (options.destination as pino.DestinationStream | undefined) ?? pino.destination(2),
  );
  return wrap(base);
}

function wrap(log: PinoLogger): Logger {
  return {
    debug: (fields, message) => log.debug(fields, message),
    info: (fields, message) => log.info(fields, message),
    warn: (fields, message) => log.warn(fields, message),
    error: (fields, message) => log.error(fields, message),
    child: (fields) => wrap(log.child(fields)),
  };
}

/** A logger that drops everything, for tests and tools that print their own output. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
