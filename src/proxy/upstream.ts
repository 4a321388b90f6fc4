import net from 'node:net';
import type { Logger } from '../core/index.js';
import type { BackendLedger } from './backend-ledger.js';
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
    const timer = setTimeout(
      () => socket.destroy(Object.assign(new Error(`connect to ${backend.host}:${backend.port} timed out after ${args.timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      args.timeoutMs,
    );
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

/** A backend connection the caller now owns: `release()` gives back its ledger count once it is done. */
export interface UpstreamConnection {
  readonly backend: Backend;
  readonly socket: net.Socket;
  readonly release: () => void;
}

/**
 * The one connect-retry of the data plane (Ingress HTTP and Service TCP alike): one client
 * connection's walk over its candidates, each tried at most once, in order. `connect()` opens
 * the next candidate that accepts, skipping any drained since the client arrived (its drain
 * may be over) and any that refuses, resets or times out; a caller whose backend then fails
 * before answering calls `connect()` again for the next one. While a connect is tried and
 * after it succeeds, the backend holds one count in the ledger (drain waits for it).
 */
export class UpstreamCandidates {
  private next = 0;

  constructor(
    private readonly o: {
      /** Backends to try, in order (see RoundRobin.order). */
      readonly candidates: readonly Backend[];
      readonly ledger: BackendLedger;
      readonly connectTimeoutMs: number;
      readonly allowHalfOpen?: boolean;
      readonly logger: Logger;
      /** A backend already holding this many connections is skipped (counted in `outcome().atLimit`). */
      readonly maxConnectionsPerBackend?: number;
    },
  ) {}

  private atLimit = 0;
  private connects = 0;
  private lastConnectTimedOut = false;

  /** Why the walk ended without a connection: backends skipped at their bound, connects tried, and whether the last one timed out. */
  outcome(): { readonly atLimit: number; readonly connects: number; readonly lastConnectTimedOut: boolean } {
    return { atLimit: this.atLimit, connects: this.connects, lastConnectTimedOut: this.lastConnectTimedOut };
  }

  /** The candidates tried so far. */
  tried(): readonly Backend[] {
    return this.o.candidates.slice(0, this.next);
  }

  /** The next connection, or undefined when no candidate is left or `abandoned()` (the client went away; nothing is held then). */
  async connect(abandoned: () => boolean): Promise<UpstreamConnection | undefined> {
    const { candidates, ledger } = this.o;
    while (!abandoned()) {
      let backend: Backend | undefined;
      while (backend === undefined && this.next < candidates.length) {
        const candidate = candidates[this.next++]!;
        if (ledger.isDraining(candidate.id)) continue;
        if (this.o.maxConnectionsPerBackend !== undefined && ledger.activeCount([candidate.id]) >= this.o.maxConnectionsPerBackend) {
          this.atLimit++;
          continue;
        }
        backend = candidate;
      }
      if (!backend) return undefined;
      const release = ledger.acquire(backend.id);
      this.connects++;
      try {
        const socket = await connectUpstream({ backend, timeoutMs: this.o.connectTimeoutMs, ...(this.o.allowHalfOpen ? { allowHalfOpen: true } : {}) });
        if (!abandoned()) return { backend, socket, release };
        release();
        socket.destroy();
        return undefined;
      } catch (err) {
        release();
        this.lastConnectTimedOut = (err as NodeJS.ErrnoException).code === 'ETIMEDOUT';
        this.o.logger.debug({ backend: backend.id, err: (err as Error).message }, 'backend connect failed; trying the next');
      }
    }
    return undefined;
  }
}
