/**
 * dockerode clients for one engine socket. Two, because deadlines differ by call:
 *  - `api`: short request/response calls. docker-modem's `timeout` is a socket idle timeout
 *    that destroys the request, so a hung engine fails the call instead of the pass.
 *  - `streams`: calls that legitimately stay quiet for long (the event stream, image pulls,
 *    `stop` waiting out a grace period). No idle timeout; each call passes its own
 *    AbortSignal deadline where it needs one.
 * The socket comes from the options, else DOCKER_HOST (unix:// only), else the default.
 */
import Docker from 'dockerode';
import { BerthError } from '../../core/index.js';

export const DEFAULT_SOCKET_PATH = '/var/run/docker.sock';

export function resolveSocketPath(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return explicit;
  const host = env.DOCKER_HOST;
  if (!host) return DEFAULT_SOCKET_PATH;
  if (host.startsWith('unix://')) return host.slice('unix://'.length) || DEFAULT_SOCKET_PATH;
  throw new BerthError('USAGE', `DOCKER_HOST=${host} is not supported: the docker driver talks to a local unix socket (unix:///path/to/docker.sock)`);
}

export interface DockerClients {
  readonly api: Docker;
  readonly streams: Docker;
}

export function createClients(socketPath: string, requestTimeoutMs: number): DockerClients {
  // Explicit host/port/protocol: docker-modem would otherwise take them from DOCKER_HOST
  // and silently prefer a TCP engine over the socket berth was told to use.
  const base = { socketPath, host: undefined, port: undefined, protocol: 'http' as const };
  try {
    return {
      api: new Docker({ ...base, timeout: requestTimeoutMs }),
      streams: new Docker({ ...base }),
    };
  } catch (err) {
    throw new BerthError('USAGE', `cannot configure a Docker client for ${socketPath}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
