import http from 'node:http';
import type net from 'node:net';
import type { Logger } from '../core/index.js';
import type { BackendLedger } from './backend-ledger.js';
import type { Backend, IngressTimeouts } from './control.js';
import { UpstreamCandidates } from './upstream.js';

export interface HttpForwardOptions {
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  /** The request target the backend gets: the normalized path plus the query as sent (request-path.ts). */
  readonly target: string;
  /** Backends to try, in order, each at most once (see RoundRobin.order). */
  readonly candidates: readonly Backend[];
  readonly ledger: BackendLedger;
  readonly timeouts: IngressTimeouts;
  /** A backend with this many open connections (L4 and L7) gets no new request; all at it → 503. */
  readonly maxConnectionsPerBackend: number;
  readonly logger: Logger;
}

/** Default bound on concurrent upstream connections per backend (nginx's `max_conns`, which ingress-nginx leaves unlimited). */
export const DEFAULT_MAX_CONNECTIONS_PER_BACKEND = 512;

/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']);

/** Methods replayed to the next backend when one closes without answering (as nginx does). */
const REPLAYABLE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Forwards one request to the first backend that accepts a connection, on a new connection
 * (`Connection: close`): a pooled keep-alive socket could outlive a drain. The next candidate
 * is tried when the connect fails or times out (`connectSeconds`), and also, for a body-less
 * GET/HEAD/OPTIONS, when the backend closes before answering (Docker's userland proxy accepts
 * and then closes when the container does not listen). A backend at
 * `maxConnectionsPerBackend` is skipped; when every one is, the answer is 503 at once.
 *
 * Timeouts, as nginx's (an incident: a backend that never answered held the client and an
 * upstream socket for 580 s): `readSeconds` between two reads from the backend, counted once
 * the request is sent (or the response began); `sendSeconds` while request bytes wait for the
 * backend to take them and it takes none. On either, the upstream socket is closed and the
 * client gets 504 (once the response head was sent, its connection is aborted). No other
 * backend is tried after a read or send timeout: the request may have had effects.
 *
 * Answers 502 when no backend could be reached (504 when the last attempt timed out) or one
 * failed before the response head; a failure mid-response aborts the client's response.
 * Counts one in-flight request per backend until the response to the client has finished or
 * aborted.
 */
export function forwardHttp(o: HttpForwardOptions): void {
  const { req, res } = o;
  const headers = upstreamHeaders(req);
  const replayable = REPLAYABLE.has(req.method ?? '') && !hasBody(req);
  const upstreams = new UpstreamCandidates({
    candidates: o.candidates,
    ledger: o.ledger,
    connectTimeoutMs: o.timeouts.connectSeconds * 1000,
    maxConnectionsPerBackend: o.maxConnectionsPerBackend,
    logger: o.logger,
  });
  let clientGone = false;
  let current: { socket: net.Socket; release: () => void; stopTimers: () => void } | undefined;

  res.on('close', () => {
    clientGone = true;
    if (current) {
      current.stopTimers();
      current.release();
      current.socket.destroy();
    }
  });

  const attempt = () => {
    void upstreams
      .connect(() => clientGone)
      .then((up) => {
        if (up) return send(up.backend, up.socket, up.release);
        if (clientGone) return;
        const { atLimit, connects, lastConnectTimedOut } = upstreams.outcome();
        if (connects === 0 && atLimit > 0) {
          return fail(
            503,
            `every backend has ${o.maxConnectionsPerBackend} open connections (the bound per backend)`,
            'no backend can take another connection',
          );
        }
        return lastConnectTimedOut
          ? fail(
              504,
              'the last backend tried did not accept the connection in time',
              `no backend accepted the connection within ${o.timeouts.connectSeconds} s`,
            )
          : fail(502, 'no backend accepted the connection', 'no backend answered');
      });
  };

  const send = (backend: Backend, socket: net.Socket, release: () => void) => {
    let answered = false;
    let readTimer: NodeJS.Timeout | undefined;
    let sendTimer: NodeJS.Timeout | undefined;
    let requestSent = false;
    let done = false;
    const stopTimers = () => {
      clearTimeout(readTimer);
      clearTimeout(sendTimer);
      readTimer = sendTimer = undefined;
    };
    current = { socket, release, stopTimers };
    const timedOut = (which: 'read' | 'send', seconds: number) => {
      stopTimers();
      o.logger.warn({ backend: backend.id, method: req.method, timeout: which, seconds }, `backend ${which} timed out; upstream connection closed`);
      current = undefined;
      release();
      socket.destroy();
      if (res.headersSent) return void res.destroy();
      fail(
        504,
        `backend ${backend.id}: no ${which === 'read' ? 'answer' : 'progress taking the request'} within ${seconds} s`,
        `the backend did not ${which === 'read' ? 'answer' : 'take the request'} within ${seconds} s (proxy-${which}-timeout)`,
      );
    };
    // Read: re-armed by every byte from the backend, once the request is sent or the response
    // began. While the client does not take the response (backpressure pauses the backend's
    // socket) the wait is the client's, not the backend's: the timer starts over.
    const armRead = () => {
      clearTimeout(readTimer);
      if (done) return;
      readTimer = setTimeout(() => {
        if (!res.writableNeedDrain) return timedOut('read', o.timeouts.readSeconds);
        o.logger.debug({ backend: backend.id }, 'read timeout started over: the client is not taking the response');
        armRead();
      }, o.timeouts.readSeconds * 1000);
    };
    socket.on('data', () => {
      if (readTimer) armRead();
    });
    // Send: while the request is being written, the backend must take some of what waits for it.
    let written = socket.bytesWritten;
    const checkSend = () => {
      if (requestSent) return;
      const stalled = socket.writableLength > 0 && socket.bytesWritten === written;
      written = socket.bytesWritten;
      if (stalled) return timedOut('send', o.timeouts.sendSeconds);
      sendTimer = setTimeout(checkSend, o.timeouts.sendSeconds * 1000);
    };
    sendTimer = setTimeout(checkSend, o.timeouts.sendSeconds * 1000);

    const upReq = http.request({
      method: req.method,
      path: o.target,
      headers,
      setHost: false,
      createConnection: () => socket,
    });
    upReq.on('finish', () => {
      requestSent = true;
      clearTimeout(sendTimer);
      armRead();
    });
    upReq.on('response', (upRes) => {
      answered = true;
      armRead();
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, responseHeaders(upRes));
      upRes.on('error', () => res.destroy());
      upRes.on('aborted', () => res.destroy());
      upRes.on('end', () => {
        done = true;
        stopTimers();
      });
      upRes.pipe(res);
    });
    upReq.on('error', (err) => {
      stopTimers();
      if (clientGone || current?.socket !== socket) return;
      if (!answered && replayable) {
        current = undefined;
        release();
        socket.destroy();
        o.logger.debug({ backend: backend.id, err: err.message }, 'backend closed before answering; trying the next');
        return attempt();
      }
      if (!res.headersSent) return fail(502, `backend ${backend.id} failed: ${err.message}`, 'no backend answered');
      res.destroy();
    });
    if (replayable) upReq.end();
    else req.pipe(upReq);
  };

  const fail = (status: 502 | 503 | 504, why: string, say: string) => {
    o.logger.warn({ method: req.method, status, tried: upstreams.tried().map((b) => b.id), why }, 'ingress request failed');
    if (res.headersSent) return void res.destroy();
    const body = `${status} ${http.STATUS_CODES[status]}: ${say}\n`;
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
  };

  attempt();
}

function hasBody(req: http.IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(req.headers['content-length'] ?? 0);
  return Number.isNaN(length) || length > 0;
}

function connectionTokens(value: string | string[] | undefined): Set<string> {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(
    text
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== ''),
  );
}

/** The client's headers minus hop-by-hop ones, plus X-Forwarded-*; Host is kept as sent. */
export function upstreamHeaders(req: http.IncomingMessage): http.OutgoingHttpHeaders {
  const drop = new Set([...HOP_BY_HOP, ...connectionTokens(req.headers.connection), 'expect']);
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !drop.has(name)) headers[name] = value;
  const client = req.socket.remoteAddress ?? 'unknown';
  const prior = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${client}` : client;
  if (req.headers.host !== undefined) headers['x-forwarded-host'] = req.headers.host;
  headers['x-forwarded-proto'] = 'http';
  headers.connection = 'close';
  return headers;
}

function responseHeaders(upRes: http.IncomingMessage): http.OutgoingHttpHeaders {
  const drop = new Set([...HOP_BY_HOP, ...connectionTokens(upRes.headers.connection), 'transfer-encoding']);
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(upRes.headers)) if (value !== undefined && !drop.has(name)) headers[name] = value;
  return headers;
}
