/**
 * dockerode clients for one engine. Two, because deadlines differ by call:
 *  - `api`: short request/response calls. docker-modem's `timeout` is a socket idle timeout
 *    that destroys the request, so a hung engine fails the call instead of the pass.
 *  - `streams`: calls that legitimately stay quiet for long (the event stream, image pulls,
 *    `stop` waiting out a grace period). No idle timeout; each call passes its own
 *    AbortSignal deadline where it needs one.
 * The engine is reached as its users reach it: a unix socket (a path, or unix:///path),
 * tcp://host:port, with TLS when a TLS folder is given (ca.pem, cert.pem, key.pem, as the
 * Docker CLI's DOCKER_CERT_PATH holds them; the server's certificate is verified against
 * ca.pem), or ssh://[user@]host[:port], as the Docker CLI reaches one: `docker system
 * dial-stdio` run on the host, over one connection whose channels are kept alive (ssh-agent.ts).
 * It comes from the options, else DOCKER_HOST (with DOCKER_CERT_PATH when DOCKER_TLS_VERIFY is set), else the
 * default socket.
 *
 * SSH as `ssh -o BatchMode=yes` would: the host key must be in ~/.ssh/known_hosts (or
 * /etc/ssh/ssh_known_hosts), never trusted on first use (known-hosts.ts); the keys offered are
 * SSH_AUTH_SOCK's agent and the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa without a
 * passphrase. ~/.ssh/config is not read (a Host alias or another IdentityFile: use the agent).
 */
import { readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { ConnectConfig } from 'ssh2';
import { BerthError } from '../../core/index.js';
import { checkHostKey, type HostKeyVerdict } from './known-hosts.js';
import { SshDialAgent } from './ssh-agent.js';

export const DEFAULT_SOCKET_PATH = '/var/run/docker.sock';

/** An engine address: a socket path or a URL (`unix://`, `tcp://`, `ssh://`). What berth names the engine by in every message. */
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

export type EngineAddress =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'ssh'; readonly user: string | undefined; readonly host: string; readonly port: number };

/**
 * An engine address as berth reaches it. Pure.
 *   /run/docker.sock, unix:///run/docker.sock → unix /run/docker.sock
 *   tcp://10.0.0.5:2376                       → tcp 10.0.0.5 port 2376 (no port: 2376)
 *   ssh://deploy@10.0.0.5, ssh://host:2222    → ssh as deploy (none: this process's user), port 22 unless given
 *   ssh://me:pw@host, ssh://host/path         → USAGE (no password in an address; no path, as the Docker CLI)
 *   http://x, tcp://                          → USAGE, saying what is supported
 */
export function parseEngineAddress(address: string): EngineAddress {
  if (address.startsWith('unix://')) return { kind: 'unix', path: address.slice('unix://'.length) || DEFAULT_SOCKET_PATH };
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(address)) return { kind: 'unix', path: address };
  const refuse = (why: string) =>
    new BerthError(
      'USAGE',
      `Docker engine address ${address}: ${why} (berth reaches engines at unix:///path/to/docker.sock, tcp://host:port with --docker-tls-dir for TLS, or ssh://user@host)`,
    );
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw refuse('not a URL');
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'ssh:') throw refuse(`${url.protocol.slice(0, -1)}:// is not supported`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw refuse('no host');
  if (url.pathname && url.pathname !== '/') throw refuse(`a ${url.protocol}// address has no path`);
  if (url.protocol === 'tcp:') return { kind: 'tcp', host, port: url.port ? Number(url.port) : 2376 };
  if (url.password) throw refuse('no password in the address: berth authenticates with keys (SSH_AUTH_SOCK, ~/.ssh/id_*)');
  return { kind: 'ssh', user: url.username ? decodeURIComponent(url.username) : undefined, host, port: url.port ? Number(url.port) : 22 };
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
      : engine.kind === 'ssh'
        ? {
            socketPath: undefined,
            host: engine.host,
            port: engine.port,
            protocol: 'http' as const,
            agent: new SshDialAgent({
              ...sshOptions(engine.host, engine.port, requestTimeoutMs),
              host: engine.host,
              port: engine.port,
              username: engine.user ?? userInfo().username,
            }),
          }
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

/** The files an ssh:// engine's host key is checked against, and the keys offered: read once per client. */
export const SSH_KNOWN_HOSTS = () => [join(homedir(), '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'];
const SSH_IDENTITIES = () => ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(homedir(), '.ssh', f));

/**
 * Why the last connection to an ssh:// host was refused by its host key (ssh2 says only "Host
 * denied"): `host:port` → verdict. The error mapping names it (errors.ts).
 */
export const hostKeyRefusals = new Map<string, Exclude<HostKeyVerdict, 'known'>>();

/** ssh2's connect options for one engine: key-only authentication, the host key checked against known_hosts. */
function sshOptions(host: string, port: number, requestTimeoutMs: number): ConnectConfig {
  const readable = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  };
  const known = SSH_KNOWN_HOSTS()
    .map(readable)
    .filter((t): t is string => t !== undefined);
  const privateKey = SSH_IDENTITIES()
    .map(readable)
    .find((t) => t !== undefined && !isEncryptedKey(t));
  return {
    ...(process.env.SSH_AUTH_SOCK ? { agent: process.env.SSH_AUTH_SOCK } : {}),
    ...(privateKey ? { privateKey } : {}),
    readyTimeout: Math.max(requestTimeoutMs, 5000),
    hostVerifier: (key: Buffer) => {
      const verdict = checkHostKey(known, host, port, key.toString('base64'));
      if (verdict === 'known') hostKeyRefusals.delete(`${host}:${port}`);
      else hostKeyRefusals.set(`${host}:${port}`, verdict);
      return verdict === 'known';
    },
  };
}

/**
 * A private key that needs a passphrase (berth asks for none; the agent holds such keys): PEM's
 * `Proc-Type: 4,ENCRYPTED` or `BEGIN ENCRYPTED PRIVATE KEY`, or an OpenSSH key whose cipher is not
 * `none` (after the magic `openssh-key-v1\0`: a length-prefixed cipher name).
 */
export function isEncryptedKey(text: string): boolean {
  if (/ENCRYPTED/.test(text)) return true;
  const body = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text)?.[1];
  if (body === undefined) return false;
  const blob = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  const magic = 'openssh-key-v1\0';
  if (blob.length < magic.length + 4 || blob.subarray(0, magic.length).toString('latin1') !== magic) return false;
  const length = blob.readUInt32BE(magic.length);
  return blob.subarray(magic.length + 4, magic.length + 4 + length).toString('latin1') !== 'none';
}
