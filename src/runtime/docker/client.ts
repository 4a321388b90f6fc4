/**
 * dockerode clients for one engine. Two, because deadlines differ by call:
 *  - `api`: short request/response calls. docker-modem's `timeout` is a socket idle timeout
 *    that destroys the request, so a hung engine fails the call instead of the pass.
 *  - `streams`: calls that legitimately stay quiet for long (the event stream, image pulls,
 *    `stop` waiting out a grace period). No idle timeout; each call passes its own
 *    AbortSignal deadline where it needs one.
 * The engine is reached as its users reach it: a unix socket (a path, or unix:///path) or
 * tcp://host:port, with TLS when a TLS folder is given (ca.pem, cert.pem, key.pem, as the
 * Docker CLI's DOCKER_CERT_PATH holds them; the server's certificate is verified against
 * ca.pem). It comes from the options, else DOCKER_HOST (with DOCKER_CERT_PATH when
 * DOCKER_TLS_VERIFY is set), else the default socket.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { BerthError } from '../../core/index.js';

export const DEFAULT_SOCKET_PATH = '/var/run/docker.sock';

/** An engine address: a socket path or a URL (`unix://`, `tcp://`). What berth names the engine by in every message. */
export function resolveSocketPath(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const address = explicit || env.DOCKER_HOST;
  if (!address) return DEFAULT_SOCKET_PATH;
  const parsed = parseEngineAddress(address);
  return parsed.kind === 'unix' ? parsed.path : address;
}

/** The TLS folder for an engine over tcp://: the one given, else DOCKER_CERT_PATH when DOCKER_TLS_VERIFY is set (as the Docker CLI reads them). */
export function resolveTlsDir(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (explicit) return explicit;
  const verify = env.DOCKER_TLS_VERIFY;
  if (verify && verify !== '0' && env.DOCKER_CERT_PATH) return env.DOCKER_CERT_PATH;
  return undefined;
}

export type EngineAddress = { readonly kind: 'unix'; readonly path: string } | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/**
 * An engine address as berth reaches it. Pure.
 *   /run/docker.sock, unix:///run/docker.sock → unix /run/docker.sock
 *   tcp://10.0.0.5:2376                       → tcp 10.0.0.5 port 2376 (no port: 2376)
 *   ssh://me@host, http://x, tcp://           → USAGE, saying what is supported
 */
export function parseEngineAddress(address: string): EngineAddress {
  if (address.startsWith('unix://')) return { kind: 'unix', path: address.slice('unix://'.length) || DEFAULT_SOCKET_PATH };
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(address)) return { kind: 'unix', path: address };
  const refuse = (why: string) =>
    new BerthError(
      'USAGE',
      `Docker engine address ${address}: ${why} (berth reaches engines at unix:///path/to/docker.sock or tcp://host:port, with --docker-tls-dir for TLS)`,
    );
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw refuse('not a URL');
  }
  if (url.protocol !== 'tcp:') throw refuse(`${url.protocol.slice(0, -1)}:// is not supported`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw refuse('no host');
  if (url.pathname && url.pathname !== '/') throw refuse('a tcp:// address has no path');
  return { kind: 'tcp', host, port: url.port ? Number(url.port) : 2376 };
}

export interface DockerClients {
  readonly api: Docker;
  readonly streams: Docker;
}

export function createClients(address: string, requestTimeoutMs: number, tlsDir?: string): DockerClients {
  const engine = parseEngineAddress(address);
  // Explicit host/port/protocol: docker-modem would otherwise take them from DOCKER_HOST
  // and silently prefer another engine over the one berth was told to use.
  const base =
    engine.kind === 'unix'
      ? { socketPath: engine.path, host: undefined, port: undefined, protocol: 'http' as const }
      : {
          socketPath: undefined,
          host: engine.host,
          port: engine.port,
          ...(tlsDir ? { protocol: 'https' as const, ...tlsFiles(address, tlsDir) } : { protocol: 'http' as const }),
        };
  try {
    return {
      api: new Docker({ ...base, timeout: requestTimeoutMs }),
      streams: new Docker({ ...base }),
    };
  } catch (err) {
    throw new BerthError('USAGE', `cannot configure a Docker client for ${address}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** ca.pem, cert.pem and key.pem of a TLS folder; a missing or unreadable one is a USAGE error naming it. */
function tlsFiles(address: string, dir: string): { ca: Buffer; cert: Buffer; key: Buffer } {
  const read = (name: string) => {
    try {
      return readFileSync(join(dir, name));
    } catch (err) {
      throw new BerthError('USAGE', `--docker-tls-dir ${dir}: cannot read ${name} for ${address}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
        details: { tlsDir: dir, file: name },
      });
    }
  };
  return { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
}
