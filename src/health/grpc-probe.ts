/**
 * A gRPC probe, as the kubelet runs it: `grpc.health.v1.Health/Check` in plaintext against the
 * container's port, with the probe's `service` ("" = the server as a whole) and the probe's
 * timeout as the call's deadline. SERVING is a success; NOT_SERVING, UNKNOWN, SERVICE_UNKNOWN
 * (and NOT_FOUND, what a server answers for a service it does not know), UNIMPLEMENTED (no
 * health service), a refused connection and a timeout are failures that say which. The timeout
 * is a timer that cancels the call.
 *
 * The gRPC client is @grpc/grpc-js with the health service definition of `grpc-health-check`
 * (the gRPC project's own package, holding the official health.proto). One channel per probe,
 * closed after it, as the kubelet dials one connection per probe.
 */
import { connect as http2Connect } from 'node:http2';
import { credentials, makeClientConstructor, status as GrpcStatus, type Client, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import type { ProbeResult } from './assess.js';

type HealthClient = Client & {
  check(request: { service: string }, callback: (err: ServiceError | null, response?: { status?: string }) => void): { cancel(): void };
};

const HealthClientConstructor = makeClientConstructor(healthService as Parameters<typeof makeClientConstructor>[0], 'grpc.health.v1.Health') as unknown as new (
  address: string,
  creds: ReturnType<typeof credentials.createInsecure>,
  options: Record<string, unknown>,
) => HealthClient;

export async function grpcProbe(address: { readonly host: string; readonly port: number }, service: string, timeoutMs: number): Promise<ProbeResult> {
  const target = `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
  const what = `grpc ${target}${service ? ` service ${JSON.stringify(service)}` : ''}`;
  const handshake = await http2Handshake(target, timeoutMs);
  if (handshake !== undefined) return { ok: false, message: `${what}: ${handshake}` };
  // One attempt: a probe that fails is retried by the next period, not by the channel.
  const client = new HealthClientConstructor(target, credentials.createInsecure(), { 'grpc.enable_retries': 0, 'grpc.use_local_subchannel_pool': 1 });
  return new Promise<ProbeResult>((resolve) => {
    // The probe's timeout cancels the call (a timer, not a deadline: the probe reads no clock).
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const call = client.check({ service }, (err, response) => {
      clearTimeout(timer);
      if (timedOut) return resolve({ ok: false, message: `${what}: timed out after ${timeoutMs} ms` });
      if (err) return resolve({ ok: false, message: `${what}: ${describeGrpcError(err)}` });
      const status = response?.status ?? 'UNKNOWN';
      resolve(status === 'SERVING' ? { ok: true, message: `${what}: SERVING` } : { ok: false, message: `${what}: ${status}` });
    });
    timer = setTimeout(() => {
      timedOut = true;
      call.cancel();
    }, timeoutMs);
  }).finally(() => client.close());
}

/**
 * Whether the peer speaks HTTP/2 at all: its SETTINGS within `timeoutMs` (undefined), else why
 * not. grpc-js never gives up a connection whose handshake does not finish (closing the channel
 * leaves the socket open until the peer closes it), so a server that accepts and then hangs —
 * a deadlocked process, a full accept queue — would leak one socket per probe. This first look,
 * with Node's own HTTP/2 client, is destroyed whatever happens.
 */
function http2Handshake(target: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const session = http2Connect(`http://${target}`);
    const done = (why: string | undefined) => {
      clearTimeout(timer);
      session.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => done(`timed out after ${timeoutMs} ms (no HTTP/2 handshake)`), timeoutMs);
    session.once('remoteSettings', () => done(undefined));
    session.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? 'connection refused' : `${err.code ?? ''} ${err.message}`.trim()));
    session.once('close', () => done('the connection closed before the HTTP/2 handshake (nothing listening behind the published port?)'));
  });
}

function describeGrpcError(err: ServiceError): string {
  switch (err.code) {
    case GrpcStatus.UNIMPLEMENTED:
      return 'the server does not implement grpc.health.v1.Health (UNIMPLEMENTED)';
    case GrpcStatus.NOT_FOUND:
      return `SERVICE_UNKNOWN (${err.details})`;
    case GrpcStatus.UNAVAILABLE:
      return `unavailable: ${err.details}`;
    default:
      return `${GrpcStatus[err.code] ?? err.code}: ${err.details}`;
  }
}
