/**
 * Engine errors → berth's error family. dockerode (docker-modem) rejects with a plain Error
 * carrying `statusCode`, `reason` and `json` (the engine's `{"message": ...}`) for HTTP
 * errors, and with Node's socket errors (`code: 'ENOENT'`, `'ECONNREFUSED'`, ...) when the
 * engine cannot be reached. Nothing here knows which driver method is running: callers
 * classify first with these predicates and add the method-specific codes themselves.
 */
import { BerthError } from '../../core/index.js';
import { hostKeyRefusals, parseEngineAddress } from './client.js';

/** Socket-level failures: the engine did not answer, whatever it would have said. */
const CONNECTION_CODES = new Set([
  'ENOENT', // socket file missing
  'ENOTSOCK',
  'EACCES', // socket not readable by this user
  'ECONNREFUSED',
  'ECONNRESET', // also "socket hang up", and docker-modem's idle timeout (it destroys the request)
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ABORT_ERR', // our own per-request deadline (AbortSignal.timeout)
  'ERR_STREAM_PREMATURE_CLOSE',
]);

interface EngineErrorShape {
  cause?: unknown;
  level?: unknown;
  code?: unknown;
  name?: unknown;
  message?: unknown;
  statusCode?: unknown;
  json?: unknown;
}

function shape(err: unknown): EngineErrorShape {
  return err !== null && typeof err === 'object' ? (err as EngineErrorShape) : {};
}

/** The HTTP status the engine answered with, when it answered. */
export function engineStatus(err: unknown): number | undefined {
  const status = shape(err).statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * TLS handshake failures with an engine at tcp://: a certificate not trusted (by either side), a
 * name that does not match, TLS spoken to a plain port. The engine cannot be reached as configured.
 */
export function isTlsError(err: unknown): boolean {
  const code = shape(err).code;
  return (
    typeof code === 'string' &&
    (code === 'EPROTO' ||
      code.startsWith('ERR_SSL_') ||
      code.startsWith('ERR_TLS_') ||
      /^(UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|CERT_|HOSTNAME_MISMATCH)/.test(code))
  );
}

/**
 * An SSH session to an ssh:// engine failed: ssh2 marks its errors with a `level`
 * (`client-authentication`, `client-timeout`, `client-socket`, `protocol`, …); a host key
 * refused by known_hosts is "Host denied".
 */
function isSshError(err: unknown): boolean {
  const e = shape(err);
  return (typeof e.level === 'string' && /^(client-|protocol|handshake)/.test(e.level)) || /^Host denied/.test(String(e.message));
}

/** The SSH session opened but what came back was no HTTP (a shell's message, a closed channel): `docker system dial-stdio` did not run. */
function isSshSessionError(address: string, err: unknown): boolean {
  const code = String(shape(err).code);
  return address.startsWith('ssh://') && (code.startsWith('HPE_') || code === 'ECONNRESET' || /socket hang up/i.test(engineMessage(err)));
}

/** The hint for an SSH failure at `address` (ssh://user@host:port). */
function sshWhy(address: string, cause: unknown): string {
  const e = shape(cause);
  if (/^Host denied/.test(String(e.message))) {
    const engine = parseEngineAddress(address);
    const [host, port] = engine.kind === 'ssh' ? [engine.host, engine.port] : [address, 22];
    const where = `${host}:${port}`;
    const verdict = hostKeyRefusals.get(where);
    const scan = `ssh-keyscan${port === 22 ? '' : ` -p ${port}`} ${host}`;
    return verdict === 'changed'
      ? `SSH: the host key of ${where} differs from the one in ~/.ssh/known_hosts (a changed host, or someone in between): berth refuses it; if the change is expected, replace the line (ssh-keygen -R ${host})`
      : verdict === 'revoked'
        ? `SSH: the host key of ${where} is marked @revoked in known_hosts`
        : `SSH: the host key of ${where} is not in ~/.ssh/known_hosts (berth never trusts a host on first use): check it and add it (${scan} >> ~/.ssh/known_hosts)`;
  }
  if (e.level === 'client-authentication')
    return `SSH: the host accepted none of the keys offered (SSH_AUTH_SOCK's agent, the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa without a passphrase): ${engineMessage(cause)}`;
  if (e.level === 'client-timeout') return `SSH: no handshake before the deadline (${engineMessage(cause)})`;
  return `SSH: ${engineMessage(cause)}`;
}

/** A refused connection (nothing listens at the socket or port: the engine is gone), anywhere in the error's causes. */
export function isRefusedConnection(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = shape(e).cause, depth++) {
    const code = shape(e).code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT') return true;
  }
  return false;
}

/** A plain-HTTP request reached an engine that speaks TLS (it answers 400 saying so). */
function isPlainToTls(err: unknown): boolean {
  return engineStatus(err) === 400 && /HTTP request to an HTTPS server/i.test(engineMessage(err));
}

export function isConnectionError(err: unknown): boolean {
  if (err instanceof BerthError) return err.code === 'ENGINE_UNREACHABLE';
  const e = shape(err);
  if (isPlainToTls(err) || isTlsError(err) || isSshError(err)) return true;
  if (typeof e.code === 'string' && e.code.startsWith('HPE_') && engineStatus(err) === undefined) return true; // no HTTP came back
  if (engineStatus(err) !== undefined) return false;
  if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return true;
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return true;
  return typeof e.message === 'string' && /socket hang up|timed? ?out/i.test(e.message);
}

/**
 * The engine's own words: `json.message` when the engine sent JSON, else docker-modem's
 * message without its `(HTTP code 404) no such container - ` prefix.
 */
export function engineMessage(err: unknown): string {
  const e = shape(err);
  const json = e.json;
  if (json !== null && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string') {
    return (json as { message: string }).message.trim();
  }
  const message = typeof e.message === 'string' ? e.message : String(err);
  const prefix = /^\(HTTP code \d+\) [^-]*- /.exec(message);
  return (prefix ? message.slice(prefix[0].length) : message).trim();
}

export function unreachable(socketPath: string, action: string, cause: unknown): BerthError {
  const timedOut = shape(cause).name === 'AbortError' || shape(cause).name === 'TimeoutError';
  const why = timedOut
    ? 'no answer before the deadline'
    : isPlainToTls(cause)
      ? 'the engine speaks TLS: give --docker-tls-dir (ca.pem, cert.pem, key.pem)'
      : isTlsError(cause)
        ? `TLS: ${engineMessage(cause)} (check --docker-tls-dir: ca.pem must sign the engine's certificate, cert.pem and key.pem must be a client certificate it trusts)`
        : isSshError(cause)
          ? sshWhy(socketPath, cause)
          : isSshSessionError(socketPath, cause)
            ? `${engineMessage(cause)} (the SSH session did not carry Docker's API: has that user a login shell, Docker 18.09 or later on its PATH, and access to the engine? berth runs \`docker system dial-stdio\` there)`
            : engineMessage(cause);
  return new BerthError('ENGINE_UNREACHABLE', `Docker engine at ${socketPath} did not answer (${action}): ${why}`, {
    cause,
    details: { socketPath, action },
  });
}

/** Runs one engine call, its failure mapped by toEngineError (naming the action). */
export async function engineCall<T>(socketPath: string, action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toEngineError(err, socketPath, action);
  }
}

/**
 * The mapping every method shares: a BerthError passes through, connection failures become
 * ENGINE_UNREACHABLE, 409 becomes ENGINE_CONFLICT; anything else is an engine error with no
 * berth meaning and stays a plain Error naming the action (the original is the cause).
 */
export function toEngineError(err: unknown, socketPath: string, action: string): Error {
  if (err instanceof BerthError) return err;
  if (isConnectionError(err)) return unreachable(socketPath, action, err);
  const status = engineStatus(err);
  if (status === 409) {
    return new BerthError('ENGINE_CONFLICT', `Docker engine refused ${action}: ${engineMessage(err)}`, {
      cause: err,
      details: { action, status },
    });
  }
  const code = status === undefined ? '' : ` (HTTP ${status})`;
  return new Error(`Docker engine failed ${action}${code}: ${engineMessage(err)}`, { cause: err });
}
