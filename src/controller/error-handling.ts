import { BerthError, backoffMs, describeError, type ErrorHandling } from '../core/index.js';

export interface ErrorVerdict {
  readonly code: string;
  readonly handling: ErrorHandling;
  readonly message: string;
  readonly level: 'warn' | 'error';
  /** When to try again; undefined = not until the input changes. */
  readonly retryAfterMs?: number;
}

export { backoffMs } from '../core/index.js';

/**
 * The one place an error becomes a decision (STYLE §3). `attempt` counts consecutive
 * failures of the same key, for exponential back-off: 1 s, 2 s, 4 s … capped at 60 s.
 */
export function classifyError(err: unknown, attempt: number): ErrorVerdict {
  const backoff = backoffMs(attempt);
  if (err instanceof BerthError) {
    switch (err.handling) {
      case 'transient':
        return { code: err.code, handling: 'transient', message: err.message, level: 'warn', retryAfterMs: backoff };
      case 'waiting':
        return { code: err.code, handling: 'waiting', message: err.message, level: 'warn', retryAfterMs: Math.max(backoff, 5000) };
      case 'stalled':
        return { code: err.code, handling: 'stalled', message: err.message, level: 'error' };
    }
  }
  // An unexpected error is a bug or an engine oddity: treat it as transient so the loop lives on.
  return { code: 'INTERNAL', handling: 'transient', message: describeError(err), level: 'error', retryAfterMs: backoff };
}
