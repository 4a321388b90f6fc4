import type net from 'node:net';
import type { Logger } from '../core/index.js';
import type { BackendLedger } from './backend-ledger.js';
import type { Backend } from './control.js';
import { UpstreamCandidates } from './upstream.js';

/** Client bytes kept for a replay to the next backend while the current one has not answered. */
export const REPLAY_LIMIT_BYTES = 64 * 1024;

export interface TcpRelayOptions {
  /** The accepted client socket, paused (`pauseOnConnect`) and created with `allowHalfOpen`. */
  readonly client: net.Socket;
  /** Backends to try, in order, each at most once (see RoundRobin.order). */
  readonly candidates: readonly Backend[];
  readonly ledger: BackendLedger;
  readonly connectTimeoutMs: number;
  readonly logger: Logger;
  /** Which route the connection came in on, for the log lines (`shop/web:80`). */
  readonly route?: string;
}

/**
 * Relays one L4 connection to the first backend that answers, both ways, with half-close.
 *
 * A backend counts as failed, and the next candidate is tried, when the connect fails
 * (refused, reset, timeout) or when the backend closes or resets the connection before
 * sending a single byte while the client is still sending. The second case is Docker's
 * userland proxy: it accepts on the published port and then closes when the container's
 * process does not listen (any more). The client's bytes sent so far (up to
 * REPLAY_LIMIT_BYTES) are replayed to the next backend. Once the backend has sent a byte the
 * connection is committed to it; any later failure closes the client. The client is not
 * read from until a backend is connected. Counts one active connection per backend while
 * its socket is open.
 */
export function relayTcp(o: TcpRelayOptions): void {
  const { client } = o;
  const upstreams = new UpstreamCandidates({
    candidates: o.candidates,
    ledger: o.ledger,
    connectTimeoutMs: o.connectTimeoutMs,
    allowHalfOpen: true,
    logger: o.logger,
  });
  let sent: Buffer[] = [];
  let sentBytes = 0;
  let replayable = true;
  let clientEnded = false;
  let committed = false;
  let finished = false;
  let upstream: net.Socket | undefined;

  const finish = (how: 'destroy' | 'end') => {
    if (finished) return;
    finished = true;
    if (how === 'destroy') client.destroy();
    else endThenDestroy(client);
  };
  client.on('error', () => {});
  client.on('close', (hadError) => {
    if (!upstream) return void (finished = true);
    if (hadError || !committed) upstream.destroy();
    else endThenDestroy(upstream);
    finished = true;
  });
  client.on('end', () => {
    clientEnded = true;
    if (upstream && !upstream.connecting) upstream.end();
  });

  const attempt = () => {
    void upstreams
      .connect(() => finished)
      .then((up) => {
        if (up) return attach(up.backend, up.socket, up.release);
        if (finished) return;
        o.logger.warn({ route: o.route, tried: o.candidates.map((b) => b.id) }, 'no backend accepted the connection');
        finish('end');
      });
  };

  const attach = (backend: Backend, up: net.Socket, release: () => void) => {
    upstream = up;
    let failed = false;
    const onClientData = (chunk: Buffer) => {
      if (!committed && replayable) {
        sent.push(chunk);
        sentBytes += chunk.length;
        if (sentBytes > REPLAY_LIMIT_BYTES) {
          replayable = false;
          sent = [];
        }
      }
      if (!up.write(chunk)) client.pause();
    };
    const onClientDrain = () => up.resume();
    const detach = () => {
      client.off('data', onClientData);
      client.off('drain', onClientDrain);
      client.pause();
    };
    // Before the first byte back: a close means this backend did not serve the connection.
    const failOver = (why: string) => {
      if (failed) return;
      failed = true;
      detach();
      up.destroy();
      if (!replayable || finished) return finish('destroy');
      o.logger.debug({ route: o.route, backend: backend.id, why }, 'backend closed before answering; trying the next');
      upstream = undefined;
      attempt();
    };

    up.on('data', (chunk: Buffer) => {
      if (!committed) {
        committed = true;
        sent = [];
      }
      if (!client.write(chunk)) up.pause();
    });
    up.on('drain', () => client.resume());
    up.on('end', () => {
      if (!committed && !clientEnded) return failOver('end');
      committed = true;
      client.end();
    });
    up.on('error', (err: Error) => {
      if (!committed) return failOver(err.message);
      o.logger.debug({ route: o.route, backend: backend.id, err: err.message }, 'backend connection failed');
    });
    up.on('close', (hadError) => {
      release();
      if (failed || finished) return;
      if (!committed) return failOver('close');
      if (hadError) finish('destroy');
      else finish('end');
    });

    for (const chunk of sent) up.write(chunk);
    if (clientEnded) up.end();
    client.on('data', onClientData);
    client.on('drain', onClientDrain);
    client.resume();
  };

  attempt();
}

/** Flushes what is buffered for the peer, sends FIN, then closes the socket for good. */
export function endThenDestroy(socket: net.Socket): void {
  if (socket.destroyed) return;
  if (socket.writableFinished) return void socket.destroy();
  socket.once('finish', () => socket.destroy());
  if (!socket.writableEnded) socket.end();
}
