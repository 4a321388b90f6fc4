/**
 * Runs one probe, once, from outside the container (Kubernetes semantics):
 *  - httpGet: a request to the replica's published port on the host; success = status
 *    200–399. Redirects are not followed (a 3xx is a success), HTTPS certificates are not
 *    verified, the body is read and discarded. Default headers `Host: <addr>:<port>`,
 *    `User-Agent: berth-probe/1`, `Accept: *\/*`; the probe's own headers replace them.
 *  - tcpSocket: a TCP connect to the published port. The engine's userland proxy
 *    (docker-proxy) accepts every connection on a published port and closes it at once when
 *    nothing listens in the container, so a bare connect would always succeed: a connection
 *    counts only when the peer keeps it open (or sends data) for a short settle window
 *    (`tcpSettleMs`, default 200 ms, at most the timeout).
 *  - grpc: grpc.health.v1 Health/Check to the published port (grpc-probe.ts); SERVING = success.
 *  - exec: the command runs in the container through `deps.exec`; exit code 0 = success.
 *    On a timeout the command may go on running inside the container (the engine has no way
 *    to kill an exec; Kubernetes had the same limit with dockershim).
 * A port without a published mapping is a failure that says so. The timeout is always
 * enforced here (sockets destroyed), whatever the dependency does. `runProbe` never rejects:
 * every error is a failed result with a message.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { ProbeAction } from '../desired/index.js';
import type { PublishedPort } from '../runtime/index.js';
import type { ProbeResult } from './assess.js';
import { grpcProbe } from './grpc-probe.js';

/** The container a probe is aimed at. */
export interface ProbeAddress {
  readonly containerId: string;
  readonly ports: readonly PublishedPort[];
}

export interface ProbeDeps {
  /** RuntimeDriver.exec: runs a command in the container; `exitCode` -1 (with `timedOut`) on a timeout. */
  exec(containerId: string, command: readonly string[], timeoutMs: number): Promise<{ readonly exitCode: number; readonly timedOut?: boolean }>;
  /** tcpSocket settle window, ms (see above). Default 200. */
  readonly tcpSettleMs?: number;
}

export const DEFAULT_TCP_SETTLE_MS = 200;
const USER_AGENT = 'berth-probe/1';
const MAX_BODY_BYTES = 64 * 1024;

export async function runProbe(action: ProbeAction, target: ProbeAddress, timeoutMs: number, deps: ProbeDeps): Promise<ProbeResult> {
  const timeout = Math.max(1, Math.round(timeoutMs));
  try {
    switch (action.kind) {
      case 'httpGet': {
        const address = hostAddress(target, action.port);
        if (typeof address === 'string') return { ok: false, message: address };
        return await httpProbe(action, address, timeout);
      }
      case 'tcpSocket': {
        const address = hostAddress(target, action.port);
        if (typeof address === 'string') return { ok: false, message: address };
        return await tcpProbe(address, timeout, Math.min(deps.tcpSettleMs ?? DEFAULT_TCP_SETTLE_MS, timeout));
      }
      case 'exec':
        return await execProbe(action.command, target.containerId, timeout, deps);
      case 'grpc': {
        const address = hostAddress(target, action.port);
        if (typeof address === 'string') return { ok: false, message: address };
        return await grpcProbe(address, action.service, timeout);
      }
    }
  } catch (err) {
    return { ok: false, message: `probe error: ${err instanceof Error ? err.message : String(err)}` };
  }
}

interface HostAddress {
  readonly host: string;
  readonly port: number;
}

/** The host address of a container port, or the failure message when it is not published. */
function hostAddress(target: ProbeAddress, containerPort: number): HostAddress | string {
  const published = target.ports.find((p) => p.containerPort === containerPort && p.protocol === 'tcp');
  if (!published) return `container port ${containerPort}/tcp is not published: no host port to probe`;
  // An unspecified bind address (0.0.0.0, ::) is reachable on loopback.
  const host = published.hostIp === '' || published.hostIp === '0.0.0.0' || published.hostIp === '::' ? '127.0.0.1' : published.hostIp;
  return { host, port: published.hostPort };
}

function formatHost(address: HostAddress): string {
  return `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}

function httpProbe(action: Extract<ProbeAction, { kind: 'httpGet' }>, address: HostAddress, timeoutMs: number): Promise<ProbeResult> {
  const headers: Record<string, string> = { Host: formatHost(address), 'User-Agent': USER_AGENT, Accept: '*/*' };
  for (const { name, value } of action.headers) {
    for (const key of Object.keys(headers)) if (key.toLowerCase() === name.toLowerCase()) delete headers[key];
    headers[name] = value;
  }
  const path = action.path.startsWith('/') ? action.path : `/${action.path}`;
  const url = `${action.scheme.toLowerCase()}://${formatHost(address)}${path}`;
  return new Promise((resolve) => {
    let settled = false;
    let req: ClientRequest | undefined;
    let res: IncomingMessage | undefined;
    const finish = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      res?.destroy();
      req?.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, message: `GET ${url}: timed out after ${timeoutMs} ms` }), timeoutMs);
    const options = { host: address.host, port: address.port, method: 'GET', path, headers, agent: false as const };
    const onResponse = (response: IncomingMessage): void => {
      res = response;
      const status = response.statusCode ?? 0;
      const ok = status >= 200 && status < 400;
      const result: ProbeResult = { ok, message: ok ? `GET ${url}: HTTP ${status}` : `GET ${url}: HTTP probe failed with status ${status}` };
      // The status decides; the body is read and discarded, up to a limit (a streaming endpoint
      // must not turn a success into a timeout), and a broken body changes nothing.
      let bodyBytes = 0;
      response.on('data', (chunk: Buffer) => {
        bodyBytes += chunk.length;
        if (bodyBytes > MAX_BODY_BYTES) finish(result);
      });
      response.on('error', () => finish(result));
      response.on('end', () => finish(result));
    };
    req = action.scheme === 'HTTPS' ? httpsRequest({ ...options, rejectUnauthorized: false }, onResponse) : httpRequest(options, onResponse);
    req.on('error', (err) => finish({ ok: false, message: `GET ${url}: ${describeSocketError(err)}` }));
    req.end();
  });
}

function tcpProbe(address: HostAddress, timeoutMs: number, settleMs: number): Promise<ProbeResult> {
  const where = formatHost(address);
  return new Promise((resolve) => {
    let settled = false;
    let settleTimer: NodeJS.Timeout | undefined;
    const socket = connect({ host: address.host, port: address.port });
    const finish = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(settleTimer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, message: `tcp ${where}: timed out after ${timeoutMs} ms` }), timeoutMs);
    socket.on('connect', () => {
      settleTimer = setTimeout(() => finish({ ok: true, message: `tcp ${where}: connected` }), settleMs);
    });
    // Data from the peer: something listens (a banner, say).
    socket.on('data', () => finish({ ok: true, message: `tcp ${where}: connected` }));
    socket.on('end', () =>
      finish({ ok: false, message: `tcp ${where}: connection closed by the peer right after it was accepted (nothing listening behind the published port)` }),
    );
    socket.on('close', () => finish({ ok: false, message: `tcp ${where}: connection closed` }));
    socket.on('error', (err) => finish({ ok: false, message: `tcp ${where}: ${describeSocketError(err)}` }));
  });
}

async function execProbe(command: readonly string[], containerId: string, timeoutMs: number, deps: ProbeDeps): Promise<ProbeResult> {
  const what = `exec ${JSON.stringify(command)}`;
  if (command.length === 0) return { ok: false, message: `${what}: empty command` };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const run = deps.exec(containerId, command, timeoutMs);
  run.catch(() => {}); // a rejection after the deadline is of no interest
  try {
    const outcome = await Promise.race([run, deadline]);
    if (outcome === 'timeout' || outcome.timedOut) return { ok: false, message: `${what}: timed out after ${timeoutMs} ms` };
    return outcome.exitCode === 0 ? { ok: true, message: `${what}: exit code 0` } : { ok: false, message: `${what}: exit code ${outcome.exitCode}` };
  } catch (err) {
    return { ok: false, message: `${what}: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    clearTimeout(timer);
  }
}

function describeSocketError(err: Error): string {
  const code = (err as { code?: unknown }).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET') return 'connection reset (nothing listening behind the published port?)';
  return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
}
