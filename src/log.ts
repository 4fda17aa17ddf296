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

/**
 * The edges' rule for repeated trouble (a drop cause from one source, an exhausted pool): the
 * first of each key in a window is logged at `warn`, the rest at `debug`, so an ICT manager
 * sees "unknown NAS 10.1.2.3" once a minute rather than a flood. The memo of keys is bounded:
 * past `memoLimit` keys it starts afresh (a flood of sources costs at most one warn each).
 */
export class ThrottledWarnings {
  readonly #seen = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    private readonly everyMs = 60_000,
    private readonly memoLimit = 1024,
    private readonly clock: () => number = Date.now,
  ) {}

  /** `debugMessage`: what the repeats say at debug (default: the same message). */
  warn(key: string, fields: Record<string, unknown>, message: string, debugMessage = message): void {
    const now = this.clock();
    const last = this.#seen.get(key);
    if (last === undefined || now - last > this.everyMs) {
      if (this.#seen.size >= this.memoLimit) this.#seen.clear();
      this.#seen.set(key, now);
      this.log.warn(fields, message);
    } else {
      this.log.debug(fields, debugMessage);
    }
  }
}
