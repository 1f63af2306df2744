import pino from 'pino';
import { DefaultLogger, Runtime, type LogLevel, type RuntimeOptions } from '@temporalio/worker';

export function createLogger(name: string, level: string): pino.Logger {
  return pino({
    name,
    level,
    // Credentials never reach a log line, whatever object is logged.
    redact: { paths: ['*.token', '*.apiToken', '*.privateKey', '*.authorization', '*.Authorization', 'headers.authorization', 'req.headers.authorization'], censor: '[redacted]' },
  });
}

const LEVELS: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', silent: 'ERROR' };

/**
 * Routes the Temporal SDK's logs (workflow and activity `log`, worker internals) to pino; with
 * `telemetryOptions`, the Runtime also exports its metrics (Prometheus).
 */
export function installRuntimeLogger(logger: pino.Logger, level: string, telemetryOptions?: RuntimeOptions['telemetryOptions']): void {
  Runtime.install({
    ...(telemetryOptions ? { telemetryOptions } : {}),
    logger: new DefaultLogger(LEVELS[level] ?? 'INFO', (entry) => {
      const { message, meta } = entry;
      const fn = { TRACE: logger.trace, DEBUG: logger.debug, INFO: logger.info, WARN: logger.warn, ERROR: logger.error }[entry.level];
      fn.call(logger, meta ?? {}, message);
    }),
  });
}
