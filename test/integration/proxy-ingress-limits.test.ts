/**
 * The Ingress data plane against hostile paths and backends, over real sockets (no Docker,
 * no mocks): request paths normalized as nginx does before matching (incident: `/cgi-bin/../
 * index.html` reached the `/cgi-bin` backend), upstream read/send timeouts answering 504 and
 * closing the upstream socket (incident: a backend that never answered held the client and
 * an upstream socket for 580 s), and the bound on connections per backend answering 503 at
 * once. Every test closes what it started (t.after).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { silentLogger, type Logger } from '../../src/core/index.js';
import { ProxyServer, type Backend, type IngressRoute, type IngressTimeouts, type NamespaceTable } from '../../src/proxy/index.js';
import { eventually } from '../helpers/eventually.js';

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as net.AddressInfo).port;
}

/** An HTTP backend recording the request targets it got; `/hang…` never answers. */
async function recordingBackend(t: TestContext, id: string): Promise<{ backend: Backend; seen: string[]; open: () => number }> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    if ((req.url ?? '').startsWith('/hang')) return;
    const body = `${id} ${req.url}`;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const port = await listen(server);
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { backend: { id, host: '127.0.0.1', port }, seen, open: () => sockets.size };
}

/**
 * A TCP backend that accepts and never answers. `reads: false`: it does not read either (the
 * request sits in the kernel's buffers); `readAgain()` then lets it read, so it can see that the
 * proxy closed the connection (a paused socket never sees the end). `closed` resolves when the
 * proxy has closed a connection.
 */
async function silentBackend(
  t: TestContext,
  id: string,
  o: { reads: boolean },
): Promise<{ backend: Backend; accepted: () => number; closed: Promise<void>; readAgain: () => void }> {
  let accepted = 0;
  let onClosed!: () => void;
  const closed = new Promise<void>((r) => (onClosed = r));
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    if (!o.reads) socket.pause();
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.once('close', () => {
      sockets.delete(socket);
      onClosed();
    });
  });
  const port = await listen(server);
  t.after(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { backend: { id, host: '127.0.0.1', port }, accepted: () => accepted, closed, readAgain: () => sockets.forEach((s) => s.resume()) };
}

async function startProxy(t: TestContext, o: { maxConnectionsPerBackend?: number; logger?: Logger } = {}): Promise<{ proxy: ProxyServer; port: number }> {
  const proxy = new ProxyServer({ logger: silentLogger, ingressListen: { host: '127.0.0.1', port: 0 }, ...o });
  await proxy.start();
  t.after(() => proxy.close());
  return { proxy, port: proxy.ingressAddress()?.port ?? 0 };
}

function table(services: readonly [name: string, backends: readonly Backend[]][], ingress: IngressRoute): NamespaceTable {
  return {
    namespace: 'shop',
    services: services.map(([name, backends]) => ({ name, ports: [{ port: 80, listen: { host: '127.0.0.1', port: 0 }, backends }] })),
    ingresses: [ingress],
  };
}

/** A request with the target sent exactly as given (no client-side normalization), on a raw socket. */
function rawGet(port: number, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (data += d));
    socket.on('error', reject);
    socket.on('end', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      resolve({ status: m ? Number(m[1]) : 0, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    socket.write(`GET ${target} HTTP/1.1\r\nHost: shop.localhost\r\nConnection: close\r\n\r\n`);
  });
}

describe('Ingress paths are normalized as nginx does before matching', { timeout: 60_000 }, () => {
  it('dot segments, encoded dots and slashes, merged slashes: the rule nginx picks, the backend gets that path; escaping the root is 400', async (t) => {
    const site = await recordingBackend(t, 'site');
    const cgi = await recordingBackend(t, 'cgi');
    const { proxy, port } = await startProxy(t);
    await proxy.putNamespace(
      table(
        [
          ['site', [site.backend]],
          ['cgi', [cgi.backend]],
        ],
        {
          name: 'web',
          rules: [
            {
              host: 'shop.localhost',
              paths: [
                { path: '/', pathType: 'Prefix', service: 'site', port: 80 },
                { path: '/cgi-bin', pathType: 'Prefix', service: 'cgi', port: 80 },
              ],
            },
          ],
        },
      ),
    );
    // [target as sent, status, body: which backend and the target it got]
    const table_: [string, number, RegExp][] = [
      ['/cgi-bin/../index.html', 200, /^site \/index\.html$/],
      ['/x/../cgi-bin/slow', 200, /^cgi \/cgi-bin\/slow$/],
      ['/x/%2e%2e/cgi-bin/slow?q=/../a', 200, /^cgi \/cgi-bin\/slow\?q=\/\.\.\/a$/],
      ['/cgi-bin/%2E%2E%2Findex.html', 200, /^site \/index\.html$/],
      ['//cgi-bin//./slow', 200, /^cgi \/cgi-bin\/slow$/],
      ['/cgi-bin%2Fslow', 200, /^cgi \/cgi-bin\/slow$/],
      ['/a%20b', 200, /^site \/a%20b$/],
      ['/../etc/passwd', 400, /escapes the root/],
      ['/%2e%2e/etc/passwd', 400, /escapes the root/],
      ['/cgi-bin/../../etc/passwd', 400, /escapes the root/],
      ['/x%zz', 400, /not followed by two hex digits/],
    ];
    for (const [target, status, body] of table_) {
      const r = await rawGet(port, target);
      assert.equal(r.status, status, `${target}: ${r.body}`);
      assert.match(r.body, body, target);
    }
    // The refused ones reached no backend.
    assert.deepEqual(
      [...site.seen, ...cgi.seen].filter((p) => p.includes('passwd') || p.includes('%zz')),
      [],
    );
  });
});

describe('Ingress upstream timeouts and the connection bound per backend', { timeout: 60_000 }, () => {
  const short = (o: Partial<IngressTimeouts>): IngressTimeouts => ({ connectSeconds: 5, readSeconds: 60, sendSeconds: 60, ...o });
  const route = (timeouts?: IngressTimeouts): IngressRoute => ({
    name: 'web',
    rules: [{ paths: [{ path: '/', pathType: 'Prefix', service: 'web', port: 80 }] }],
    ...(timeouts ? { upstreamTimeouts: timeouts } : {}),
  });

  it('a backend that never accepts the connection: the next one is tried after proxy-connect-timeout; when it was the last, 504', async (t) => {
    // A listener in a stopped process: the kernel completes handshakes until its accept queue
    // (backlog 1) is full, then drops every SYN, so a connect neither succeeds nor fails.
    const child = spawn(
      process.execPath,
      ['-e', "const s = require('net').createServer(); s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => console.log(s.address().port));"],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    t.after(() => child.kill('SIGKILL'));
    const port = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    child.kill('SIGSTOP');
    const fillers: net.Socket[] = [];
    t.after(() => fillers.forEach((s) => s.destroy()));
    for (let i = 0; i < 2; i++) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => {});
      fillers.push(s);
      await new Promise((r) => s.once('connect', r)); // accepted by the kernel into the queue
    }
    const stuck: Backend = { id: 'stuck', host: '127.0.0.1', port };
    const web = await recordingBackend(t, 'web');
    const { proxy, port: ingress } = await startProxy(t);
    await proxy.putNamespace(table([['web', [stuck, web.backend]]], route(short({ connectSeconds: 1 }))));
    // Round-robin: of two requests, one tries the stuck backend first; both are served.
    for (const target of ['/first', '/second']) {
      const served = await rawGet(ingress, target);
      assert.equal(served.status, 200, served.body);
      assert.equal(served.body, `web ${target}`);
    }
    await proxy.putNamespace(table([['web', [stuck]]], route(short({ connectSeconds: 1 }))));
    const r = await rawGet(ingress, '/third');
    assert.equal(r.status, 504, r.body);
    assert.match(r.body, /no backend accepted the connection within 1 s/);
  });

  it('a backend that never answers: 504 after proxy-read-timeout, and the upstream socket is closed', async (t) => {
    const silent = await silentBackend(t, 'silent', { reads: true });
    const { proxy, port } = await startProxy(t);
    await proxy.putNamespace(table([['web', [silent.backend]]], route(short({ readSeconds: 1 }))));
    const r = await rawGet(port, '/anything');
    assert.equal(r.status, 504, r.body);
    assert.match(r.body, /did not answer within 1 s \(proxy-read-timeout\)/);
    await silent.closed; // the proxy let go of the upstream connection
    assert.equal(silent.accepted(), 1, 'no other backend or retry after a read timeout');
    assert.deepEqual((await proxy.status()).active, {});
  });

  it('a backend that never takes the request body: 504 after proxy-send-timeout, and the upstream socket is closed', async (t) => {
    const silent = await silentBackend(t, 'silent', { reads: false });
    const { proxy, port } = await startProxy(t);
    await proxy.putNamespace(table([['web', [silent.backend]]], route(short({ sendSeconds: 1 }))));
    const size = 256 * 1024 * 1024;
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let data = '';
      let stop = false;
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => {
        data += d;
        stop = true;
      });
      socket.on('error', () => resolve(data)); // the proxy may reset once it answered: what came first counts
      socket.on('close', () => resolve(data));
      socket.write(`POST /upload HTTP/1.1\r\nHost: shop.localhost\r\nContent-Length: ${size}\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 120);
      let sent = 0;
      const pump = () => {
        // Writes until every buffer between here and the backend is full, then waits.
        while (!stop && sent < size) {
          sent += chunk.length;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    assert.match(answer, /^HTTP\/1\.1 504 /);
    assert.match(answer, /did not take the request within 1 s \(proxy-send-timeout\)/);
    silent.readAgain();
    await silent.closed;
  });

  it('a client that does not take a large response is the slow one: the read timeout starts over, the response arrives whole', async (t) => {
    const size = 64 * 1024 * 1024;
    const big = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
      const chunk = Buffer.alloc(1024 * 1024, 97);
      let sent = 0;
      const pump = () => {
        while (sent < size) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const bigPort = await listen(big);
    t.after(() => {
      big.closeAllConnections();
      return new Promise<void>((r) => big.close(() => r()));
    });
    // Counts the proxy's "started over" lines: the event the test waits on instead of a sleep.
    let restarts = 0;
    let onRestart = () => {};
    const counting: Logger = {
      ...silentLogger,
      debug: (_o: object | string, msg?: string) => {
        if (msg?.startsWith('read timeout started over')) {
          restarts++;
          onRestart();
        }
      },
      child: () => counting,
    };
    const { proxy, port } = await startProxy(t, { logger: counting });
    await proxy.putNamespace(table([['web', [{ id: 'big', host: '127.0.0.1', port: bigPort }]]], route(short({ readSeconds: 1 }))));
    const socket = net.connect(port, '127.0.0.1');
    t.after(() => socket.destroy());
    socket.pause(); // takes nothing until the timeout has started over twice
    socket.write('GET /big HTTP/1.1\r\nHost: shop.localhost\r\nConnection: close\r\n\r\n');
    await new Promise<void>((r) => (onRestart = () => restarts >= 2 && r()));
    let received = 0;
    let head = '';
    await new Promise<void>((resolve, reject) => {
      socket.on('data', (d: Buffer) => {
        if (head === '') head = d.subarray(0, 12).toString('latin1');
        received += d.length;
      });
      socket.on('end', () => resolve());
      socket.on('error', reject);
      socket.resume();
    });
    assert.equal(head, 'HTTP/1.1 200');
    assert.ok(received > size, `the whole body arrived (${received} bytes with the head, body ${size})`);
  });

  it('at its connection bound a backend gets no more requests: 503 at once, then served again once connections end', async (t) => {
    const web = await recordingBackend(t, 'web');
    const { proxy, port } = await startProxy(t, { maxConnectionsPerBackend: 2 });
    await proxy.putNamespace(table([['web', [web.backend]]], route()));
    const hanging = [0, 1].map(() => {
      const req = http.get({ host: '127.0.0.1', port, path: '/hang', agent: false, headers: { host: 'shop.localhost' } });
      req.on('error', () => {});
      return req;
    });
    await eventually(async () => assert.equal((await proxy.status()).active['web'], 2), {
      timeoutMs: 10_000,
      intervalMs: 20,
      what: 'two requests held by the backend',
    });
    const refused = await rawGet(port, '/more');
    assert.equal(refused.status, 503);
    assert.match(refused.body, /no backend can take another connection/);
    assert.equal(web.seen.includes('/more'), false, 'the backend never saw the refused request');
    for (const req of hanging) req.destroy();
    await eventually(async () => assert.deepEqual((await proxy.status()).active, {}), { timeoutMs: 10_000, intervalMs: 20, what: 'connections released' });
    const served = await rawGet(port, '/again');
    assert.equal(served.status, 200);
    assert.equal(served.body, 'web /again');
  });
});
