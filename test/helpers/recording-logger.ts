import type { Logger } from '../../src/core/index.js';

/** One log call as a test reads it: the call's fields, and its message as `msg`. */
export type LogRecord = Record<string, unknown> & { readonly msg?: string };

/** A Logger (children included) that keeps every call, at any level, in `records`, in order. */
export function recordingLogger(): { readonly logger: Logger; readonly records: LogRecord[] } {
  const records: LogRecord[] = [];
  const log = (obj: object | string, msg?: string) => void records.push(typeof obj === 'string' ? { msg: obj } : { ...obj, msg });
  const logger: Logger = { debug: log, info: log, warn: log, error: log, child: () => logger };
  return { logger, records };
}
