import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

/**
 * docroute's logger: pino underneath (JSON lines for log collectors; coloured,
 * readable lines on a terminal), behind the small interface the code uses,
 * `log.info(message, fields)`. Logs go to stderr: stdout carries the commands'
 * output (`--json`). Secrets are `Secret` objects and print as "[redacted]";
 * fields that name credentials (authorization headers, API keys, passwords,
 * tokens) are redacted by pino wherever they appear.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'auto' | 'json' | 'pretty';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Field paths pino replaces with "[redacted]" (request headers, credentials in any field of a log line). */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'authorization',
  'apiKey',
  'api_key',
  'password',
  'token',
  'secret',
  'key',
  '*.authorization',
  '*.apiKey',
  '*.api_key',
  '*.password',
  '*.token',
  '*.secret',
];

const pinos = new WeakMap<Logger, PinoLogger>();

export interface LoggerOptions {
  /** auto (default): pretty when the output is a terminal, JSON otherwise. */
  format?: LogFormat;
}

/**
 * A logger at `level`. `write` (tests) receives each line as written (JSON);
 * without it lines go to stderr, pretty when stderr is a terminal (or with
 * format "pretty"), JSON otherwise.
 */
export function createLogger(level: LogLevel, write?: (line: string) => void, options: LoggerOptions = {}): Logger {
  const format = options.format ?? 'auto';
  let destination: DestinationStream;
  if (write) {
    destination = { write: (line: string) => write(line.replace(/\n$/, '')) };
  } else if (format === 'pretty' || (format === 'auto' && process.stderr.isTTY)) {
    // Loaded only when used: a synchronous stream in this thread (no transport worker).
    const pretty = createRequire(import.meta.url)('pino-pretty') as (o: Record<string, unknown>) => DestinationStream;
    destination = pretty({ destination: 2, sync: true, singleLine: true, colorize: Boolean(process.stderr.isTTY), ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' });
  } else {
    destination = pino.destination({ dest: 2, sync: true });
  }
  const base = pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
  return fromPino(base);
}

/** Our interface over a pino logger (also for pino children, e.g. Fastify's request loggers). */
export function fromPino(base: PinoLogger): Logger {
  const emit = (at: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (fields && Object.keys(fields).length) base[at](fields, message);
    else base[at](message);
  };
  const logger: Logger = { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
  pinos.set(logger, base);
  return logger;
}

/** The pino logger behind one of ours (for Fastify's `loggerInstance`), if it has one. */
export function pinoOf(log: Logger): PinoLogger | undefined {
  return pinos.get(log);
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
