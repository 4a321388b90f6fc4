import http from 'node:http';
import type net from 'node:net';
import type { Logger } from '../core/index.js';
import type { BackendLedger } from './backend-ledger.js';
import type { Backend } from './control.js';
import { UpstreamCandidates } from './upstream.js';

export interface HttpForwardOptions {
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  /** Backends to try, in order, each at most once (see RoundRobin.order). */
  readonly candidates: readonly Backend[];
  readonly ledger: BackendLedger;
  readonly connectTimeoutMs: number;
  readonly logger: Logger;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']);

/** Methods replayed to the next backend when one closes without answering (as nginx does). */
const REPLAYABLE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Forwards one request to the first backend that accepts a connection, on a new connection
 * (`Connection: close`): a pooled keep-alive socket could outlive a drain. The next candidate
 * is tried when the connect fails, and also, for a body-less GET/HEAD/OPTIONS, when the
 * backend closes before answering (Docker's userland proxy accepts and then closes when the
 * container does not listen). Answers 502 when no backend could be reached or one failed
 * before the response head; a failure mid-response aborts the client's response. Counts one
 * in-flight request per backend until the response to the client has finished or aborted.
 */
export function forwardHttp(o: HttpForwardOptions): void {
  const { req, res } = o;
  const headers = upstreamHeaders(req);
  const replayable = REPLAYABLE.has(req.method ?? '') && !hasBody(req);
  const upstreams = new UpstreamCandidates({ candidates: o.candidates, ledger: o.ledger, connectTimeoutMs: o.connectTimeoutMs, logger: o.logger });
  let clientGone = false;
  let current: { socket: net.Socket; release: () => void } | undefined;

  res.on('close', () => {
    clientGone = true;
    if (current) {
      current.release();
      current.socket.destroy();
    }
  });

  const attempt = () => {
    void upstreams.connect(() => clientGone).then((up) => {
      if (up) send(up.backend, up.socket, up.release);
      else if (!clientGone) badGateway('no backend accepted the connection');
    });
  };

  const send = (backend: Backend, socket: net.Socket, release: () => void) => {
    current = { socket, release };
    let answered = false;
    const upReq = http.request({
      method: req.method,
      path: req.url,
      headers,
      setHost: false,
      createConnection: () => socket,
    });
    upReq.on('response', (upRes) => {
      answered = true;
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, responseHeaders(upRes));
      upRes.on('error', () => res.destroy());
      upRes.on('aborted', () => res.destroy());
      upRes.pipe(res);
    });
    upReq.on('error', (err) => {
      if (clientGone) return;
      if (!answered && replayable) {
        current = undefined;
        release();
        socket.destroy();
        o.logger.debug({ backend: backend.id, err: err.message }, 'backend closed before answering; trying the next');
        return attempt();
      }
      if (!res.headersSent) return badGateway(`backend ${backend.id} failed: ${err.message}`);
      res.destroy();
    });
    if (replayable) upReq.end();
    else req.pipe(upReq);
  };

  const badGateway = (why: string) => {
    o.logger.warn({ method: req.method, tried: upstreams.tried().map((b) => b.id), why }, 'ingress request failed');
    if (res.headersSent) return void res.destroy();
    const body = '502 Bad Gateway: no backend answered\n';
    res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
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
  return new Set(text.split(',').map((t) => t.trim().toLowerCase()).filter((t) => t !== ''));
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
