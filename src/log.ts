/**
 * The one logger factory. Only the edges (listeners, the CLI, the admin API) log; libraries
 * return values and errors. Secrets and passwords are redacted by key wherever they appear.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'secret',
  '*.secret',
  '*.*.secret',
  'password',
  '*.password',
  'userPassword',
  '*.userPassword',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'lanyard' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ fd: 2, sync: false }),
  );
}
