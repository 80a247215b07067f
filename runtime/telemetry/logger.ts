/**
 * Structured logs (pino) behind the contract's Logger interface: JSON lines for machines, or
 * readable lines (pino-pretty) for a person at a terminal. LOG_FORMAT chooses (`json` | `pretty`);
 * unset, the logs are pretty when the stream they go to (stderr) is a terminal, JSON otherwise.
 */
import { pino, type Logger as PinoLogger } from 'pino';
import { PinoPretty } from 'pino-pretty';
import { BadConfigError, redactSecrets, type Logger } from '../contract/index.js';

export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  level?: string;
  /** Where the lines go; stderr (fd 2) by default. */
  destination?: NodeJS.WritableStream;
  /** `json` or `pretty`; by default LOG_FORMAT, else pretty when the destination is a terminal. */
  format?: LogFormat;
}

/** The format LOG_FORMAT asks for, else pretty for a terminal; throws on a value it does not know. */
export function logFormat(env: NodeJS.ProcessEnv, isTerminal: boolean): LogFormat {
  const asked = env.LOG_FORMAT?.trim().toLowerCase();
  if (asked === undefined || asked === '') return isTerminal ? 'pretty' : 'json';
  if (asked === 'json' || asked === 'pretty') return asked;
  throw new BadConfigError('', `LOG_FORMAT=${JSON.stringify(env.LOG_FORMAT)}: expected json or pretty`);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.destination ?? process.stderr;
  const isTerminal = (stream as { isTTY?: boolean }).isTTY === true;
  const format = options.format ?? logFormat(process.env, isTerminal);
  const destination =
    format === 'pretty'
      ? // Synchronous, in this thread: a line logged just before process.exit is not lost.
        PinoPretty({
          destination: options.destination ?? 2,
          sync: true,
          colorize: isTerminal,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname',
          singleLine: true,
        })
      : ((options.destination as pino.DestinationStream | undefined) ?? pino.destination(2));
  const base = pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Every line, whatever field or error message carries an endpoint, loses its secrets here.
      hooks: { streamWrite: redactSecrets },
    },
    destination,
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
