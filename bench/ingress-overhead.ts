/**
 * What the Ingress path costs per request: upstream timeouts (a read and a send timer per
 * request), the connection bound and path normalization. The rollout benchmark (rollout.ts)
 * drives traffic through a Service (L4), which none of these touch, so this measures the L7
 * path alone: berth's ProxyServer (in this process) with one Ingress in front of one Node HTTP
 * backend on 127.0.0.1, `--concurrency` clients each doing sequential GETs on new connections
 * (the proxy always opens a new upstream connection), for `--seconds` per round.
 *
 * `--src DIR` loads ProxyServer from another checkout's `src/` (e.g. the commit before the
 * change, exported with `git archive <commit> src | tar -x -C DIR`), so two versions run on
 * the same machine in alternating rounds: `--src` first, then this checkout, `--rounds` times.
 *
 *   node --import tsx bench/ingress-overhead.ts [--src DIR] [--rounds 3] [--seconds 5] [--concurrency 8]
 *
 * Markdown to stdout. Everything it starts is closed at the end.
 */
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

const { values } = parseArgs({
  options: {
    src: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '8' },
  },
});

interface ProxyLike {
  start(): Promise<void>;
  putNamespace(table: unknown): Promise<unknown>;
  ingressAddress(): { port: number } | undefined;
  close(): Promise<void>;
}
type ProxyCtor = new (o: { logger: unknown; ingressListen: { host: string; port: number } }) => ProxyLike;

const silent = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  trace() {},
  fatal() {},
  child() {
    return silent;
  },
};

async function load(srcDir: string): Promise<ProxyCtor> {
  const mod = (await import(pathToFileURL(path.join(srcDir, 'proxy', 'index.ts')).href)) as { ProxyServer: ProxyCtor };
  return mod.ProxyServer;
}

function getOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/a/b?x=1', agent: false, headers: { host: 'bench.localhost', connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
  });
}

async function round(
  ProxyClass: ProxyCtor,
  backendPort: number,
  seconds: number,
  concurrency: number,
): Promise<{ rps: number; p50: number; p99: number; failed: number }> {
  const proxy = new ProxyClass({ logger: silent, ingressListen: { host: '127.0.0.1', port: 0 } });
  await proxy.start();
  try {
    await proxy.putNamespace({
      namespace: 'bench',
      services: [
        { name: 'web', ports: [{ port: 80, listen: { host: '127.0.0.1', port: 0 }, backends: [{ id: 'b1', host: '127.0.0.1', port: backendPort }] }] },
      ],
      ingresses: [{ name: 'web', rules: [{ paths: [{ path: '/', pathType: 'Prefix', service: 'web', port: 80 }] }] }],
    });
    const port = proxy.ingressAddress()!.port;
    for (let i = 0; i < 200; i++) await getOnce(port); // warm-up
    const latencies: number[] = [];
    let failed = 0;
    const end = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          const t0 = performance.now();
          if (!(await getOnce(port))) failed++;
          latencies.push(performance.now() - t0);
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
    return { rps: latencies.length / seconds, p50: at(0.5), p99: at(0.99), failed };
  } finally {
    await proxy.close();
  }
}

const backend = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
  res.end('ok');
});
const sockets = new Set<net.Socket>();
backend.on('connection', (s) => {
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
});
await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
const backendPort = (backend.address() as net.AddressInfo).port;
try {
  const here = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'src');
  const versions: [string, ProxyCtor][] = [
    ...(values.src ? [[`--src ${values.src}`, await load(path.resolve(values.src))] as [string, ProxyCtor]] : []),
    ['this checkout', await load(here)],
  ];
  const rows: string[] = ['| round | version | requests/s | p50 ms | p99 ms | failed |', '|---|---|---|---|---|---|'];
  for (let r = 1; r <= Number(values.rounds); r++) {
    for (const [name, ProxyClass] of versions) {
      const x = await round(ProxyClass, backendPort, Number(values.seconds), Number(values.concurrency));
      rows.push(`| ${r} | ${name} | ${x.rps.toFixed(0)} | ${x.p50.toFixed(2)} | ${x.p99.toFixed(2)} | ${x.failed} |`);
      process.stderr.write(`${rows.at(-1)}\n`);
    }
  }
  process.stdout.write(`${rows.join('\n')}\n`);
} finally {
  for (const s of sockets) s.destroy();
  backend.close();
}
