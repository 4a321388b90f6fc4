import net from 'node:net';
import type { Backend } from './control.js';

/** How long a connect to one backend may take before the next one is tried. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;

/**
 * Opens a TCP connection to a backend. Rejects on refusal, reset or `timeoutMs` without a
 * connection (the socket is destroyed then). The resolved socket carries a no-op error
 * listener, so an error before the caller's own listeners are attached cannot crash the process.
 */
export function connectUpstream(args: { readonly backend: Backend; readonly timeoutMs: number; readonly allowHalfOpen?: boolean }): Promise<net.Socket> {
  const { backend } = args;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: backend.host, port: backend.port, allowHalfOpen: args.allowHalfOpen ?? false });
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`connect to ${backend.host}:${backend.port} timed out after ${args.timeoutMs} ms`), { code: 'ETIMEDOUT' })), args.timeoutMs);
    const onError = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.on('error', () => {});
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}
