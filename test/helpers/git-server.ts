import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real Git smart-HTTP server for tests: a Node http server on 127.0.0.1 that runs
 * `git http-backend` (the CGI program that ships with git) for every request. It serves
 * clone, fetch and push to native git and isomorphic-git, protocol v1 and v2, for every
 * repository under `rootDir` (`url('repo.git')`).
 *
 * Test switches: `requireToken` demands HTTP basic auth whose password is that token (any
 * user name); `setDown(true)` answers 503 to everything, like an outage; `hold()` keeps requests
 * unanswered until released, like a slow fetch. `requests` records
 * what was asked, so a test can check that an operation did (or did not) go to the network.
 */
export interface GitServer {
  readonly port: number;
  url(repoName: string): string;
  /** An outage: every request gets 503 until `setDown(false)`. */
  setDown(down: boolean): void;
  /** Holds every request (unanswered, queued) until the returned release is called: a fetch that is still running. */
  hold(): () => void;
  /** Every request received, in order (`GET /repo.git/info/refs?service=git-upload-pack`). */
  readonly requests: string[];
  close(): Promise<void>;
}

export interface GitServerOptions {
  /** When set, every request needs `Authorization: Basic base64(<any user>:<requireToken>)`. */
  readonly requireToken?: string;
}

export async function startGitServer(rootDir: string, options: GitServerOptions = {}): Promise<GitServer> {
  let down = false;
  let held: (() => void)[] | undefined;
  const requests: string[] = [];

  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (held) {
      held.push(() => answer(req, res));
      return;
    }
    answer(req, res);
  });
  const answer = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (down) {
      req.resume();
      res.writeHead(503, { 'content-type': 'text/plain' }).end('down for the test\n');
      return;
    }
    if (options.requireToken !== undefined && !hasToken(req.headers.authorization, options.requireToken)) {
      req.resume();
      res.writeHead(401, { 'www-authenticate': 'Basic realm="berth-test"', 'content-type': 'text/plain' }).end('authentication required\n');
      return;
    }
    serveWithHttpBackend(rootDir, req, res);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    url: (repoName) => `http://127.0.0.1:${port}/${repoName}`,
    setDown(value) {
      down = value;
    },
    hold() {
      held ??= [];
      return () => {
        const waiting = held ?? [];
        held = undefined;
        for (const go of waiting) go();
      };
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function hasToken(header: string | undefined, token: string): boolean {
  if (!header?.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1) === token;
}

function serveWithHttpBackend(rootDir: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: rootDir,
    GIT_HTTP_EXPORT_ALL: '1',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    // http-backend refuses pushes from anonymous users.
    REMOTE_USER: 'test',
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
  };
  if (req.headers['content-length'] !== undefined) env.CONTENT_LENGTH = req.headers['content-length'];
  if (req.headers['content-encoding'] !== undefined) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
  const protocol = req.headers['git-protocol'];
  if (typeof protocol === 'string') env.GIT_PROTOCOL = protocol;

  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.on('error', (err) => {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(`cannot run git http-backend: ${err.message}\n`);
  });
  child.stdin.on('error', () => undefined); // the backend may exit before reading everything
  req.pipe(child.stdin);

  // CGI response: header lines ("Status: 404 Not Found", "Content-Type: ..."), a blank line, the body.
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const crlf = head.indexOf('\r\n\r\n');
    const lf = head.indexOf('\n\n');
    const end = crlf !== -1 && (lf === -1 || crlf < lf) ? crlf : lf;
    if (end === -1) return;
    const separatorLength = end === crlf ? 4 : 2;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon === -1) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
      else headers[name] = value;
    }
    headersDone = true;
    res.writeHead(status, headers);
    const rest = head.subarray(end + separatorLength);
    if (rest.length > 0) res.write(rest);
  });
  child.on('close', (code) => {
    if (!headersDone) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`git http-backend exited ${code}: ${Buffer.concat(stderr).toString()}\n`);
      return;
    }
    res.end();
  });
}
