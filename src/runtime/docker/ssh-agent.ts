import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';

/**
 * An http.Agent that reaches a Docker engine over SSH as the Docker CLI does for ssh:// (each
 * connection is `docker system dial-stdio` run on the host, its stdio the engine's API), over one
 * SSH connection per engine: every request opens a channel on it (milliseconds) instead of a new
 * handshake (docker-modem's own ssh:// makes one per request, and its channels lack what Node's
 * HTTP client calls on a socket: `setTimeout`, so a per-request idle deadline crashes it).
 * Channels are kept alive between requests (each runs a `docker` process on the host, ~100 ms to
 * start). The connection is made on the first request and again after it drops; it holds the
 * process open only while a request is under way (a CLI command exits when it is done).
 */
export class SshDialAgent extends http.Agent {
  private connection: Promise<Client> | undefined;
  /** The SSH connection's TCP socket: referenced while a request is open, so an idle connection never holds the process. */
  private socket: net.Socket | undefined;
  /** Requests connecting or open. */
  private open = 0;

  constructor(private readonly config: ConnectConfig & { readonly host: string; readonly port: number }) {
    // Kept alive: a channel (and its `docker system dial-stdio` on the host, ~100 ms to start) serves request after request.
    super({ keepAlive: true });
  }

  override createConnection(_options: http.ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): undefined {
    if (!callback) throw new Error('SshDialAgent connects asynchronously: Node passes a callback');
    const fail = (err: Error) => callback(err, undefined as unknown as Duplex);
    // Counted from now: the connection holds the process open through its handshake too.
    this.opened();
    this.connect()
      .then(
        (client) =>
          new Promise<void>((resolve, reject) =>
            // exec throws on a connection that just closed: caught below like its callback's error.
            client.exec('docker system dial-stdio', (err, channel) => {
              if (err) return reject(err);
              callback(null, asSocket(channel, { ref: () => this.opened(), unref: () => this.closed() }));
              resolve();
            }),
          ),
      )
      .catch((err: Error) => {
        this.closed();
        fail(err);
      });
    return undefined;
  }

  /** Ends the SSH connection (berth's driver closing). */
  override destroy(): void {
    const pending = this.connection;
    this.connection = undefined;
    pending?.then(
      (client) => client.end(),
      () => {},
    );
    super.destroy();
  }

  private opened(): void {
    this.open++;
    this.socket?.ref();
  }

  private closed(): void {
    this.open = Math.max(0, this.open - 1);
    if (this.open === 0) this.socket?.unref();
  }

  private connect(): Promise<Client> {
    if (this.connection) return this.connection;
    const socket = net.connect({ host: this.config.host, port: this.config.port });
    if (this.open === 0) socket.unref();
    this.socket = socket;
    const client = new Client();
    let attempt: Promise<Client> | undefined;
    let failed = false;
    const forget = () => {
      failed = true;
      if (this.connection === attempt) this.connection = undefined;
    };
    attempt = new Promise<Client>((resolve, reject) => {
      client.once('ready', () => resolve(client));
      client.on('error', (err) => {
        forget();
        reject(err);
      });
      client.once('close', forget);
      client.connect({ ...this.config, sock: socket });
    });
    // A connection that failed at once (an event during connect) is not kept for the next request.
    if (!failed) this.connection = attempt;
    return attempt;
  }
}

/**
 * An SSH channel as Node's HTTP client uses a socket: an idle `setTimeout` (reset by traffic
 * either way, 'timeout' emitted), and the socket options it sets (no meaning on a channel).
 */
export function asSocket(channel: ClientChannel, hold?: { ref(): void; unref(): void }): net.Socket {
  // Held (counted by the agent, so the SSH connection holds the process open) from its creation until unref or close.
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    hold?.unref();
  };
  let timer: NodeJS.Timeout | undefined;
  let idleMs = 0;
  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = idleMs > 0 ? setTimeout(() => channel.emit('timeout'), idleMs) : undefined;
  };
  channel.on('data', arm);
  channel.once('close', () => {
    if (timer) clearTimeout(timer);
    release();
  });
  const write = channel.write.bind(channel) as (...args: unknown[]) => boolean;
  const extra = {
    setTimeout(ms: number, onTimeout?: () => void) {
      idleMs = ms;
      // As net.Socket#setTimeout: 0 with a callback removes that listener (the HTTP client does so when it keeps a socket alive).
      if (onTimeout) {
        if (ms === 0) channel.removeListener('timeout', onTimeout);
        else channel.once('timeout', onTimeout);
      }
      arm();
      return channel;
    },
    setNoDelay: () => channel,
    setKeepAlive: () => channel,
    // A kept-alive channel waiting in the agent's pool is unref'd: it holds nothing open until used again.
    ref: () => {
      if (!held) {
        held = true;
        hold?.ref();
      }
      return channel;
    },
    unref: () => {
      release();
      return channel;
    },
    write: (...args: unknown[]) => {
      arm();
      return write(...args);
    },
  };
  return Object.assign(channel, extra) as unknown as net.Socket;
}
