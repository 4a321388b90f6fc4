import type { Logger } from '../core/index.js';

/**
 * The last line of defence for the long-running commands (`run`, `apply`, `proxy`): an error
 * no pass caught — an `'error'` event on an object nobody listens to, a promise rejected with
 * no handler — is logged with its stack and counted instead of ending the process. No input may
 * take the daemon down (issue #15: an `image: "../x"` made the engine client follow a redirect
 * to a hostname and emit an unhandled `'error'` that killed `berth run` and every restart).
 * Each such log line is a bug to fix where it happened; the guard keeps the other namespaces,
 * the API and the webhooks alive meanwhile.
 */
export function guardProcess(logger: Logger): { readonly caught: () => number; dispose(): void } {
  let caught = 0;
  const onException = (err: unknown): void => {
    caught += 1;
    logger.error(
      { err: describe(err), stack: err instanceof Error ? err.stack : undefined, caught },
      'an error escaped every handler (a bug); berth keeps running',
    );
  };
  const onRejection = (reason: unknown): void => {
    caught += 1;
    logger.error(
      { err: describe(reason), stack: reason instanceof Error ? reason.stack : undefined, caught },
      'a promise was rejected with no handler (a bug); berth keeps running',
    );
  };
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return {
    caught: () => caught,
    dispose: () => {
      process.off('uncaughtException', onException);
      process.off('unhandledRejection', onRejection);
    },
  };
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
