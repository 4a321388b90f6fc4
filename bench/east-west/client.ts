/**
 * The in-namespace load client of bench/east-west.ts. It runs on the host's Node, entered into a
 * client container's network namespace only (`nsenter --net=/proc/<pid>/ns/net`): its packets
 * leave from the container's address, its DNS queries go to the container's 127.0.0.11
 * (Docker's embedded DNS, through the DNAT rules Docker put in that namespace), and it measures
 * each request with the host's high-resolution clock, which busybox shell loops cannot.
 *
 * Each request is what a plain client does: (name targets) look the name up with glibc's
 * resolver defaults (5 s timeout, 2 attempts), take the first address, open a new TCP connection, `GET / HTTP/1.0`, read to the end; a failed lookup, a
 * refused/reset/timed-out connection or a status other than 200 is a failed request.
 *
 * Protocol, one JSON object per line: stdin `{"op":"target",…}` switches every loop to a
 * target, `{"op":"loops","n":4}` lets only the first n loops run, `{"op":"report"}` answers the counts and latencies since the last report (and resets
 * them), `{"op":"resolve","name":…}` answers the name's addresses, `{"op":"stop"}` waits for the
 * requests in flight, reports and exits. stdout carries one JSON answer per command.
 */
import { Resolver } from 'node:dns/promises';
import net from 'node:net';
import readline from 'node:readline';

export type Target =
  | { readonly kind: 'name'; readonly name: string; readonly port: number; readonly server?: string }
  | { readonly kind: 'addresses'; readonly addresses: readonly string[]; readonly port: number }
  /** Name lookups only (no connection): what the DNS path costs. */
  | { readonly kind: 'lookup'; readonly name: string; readonly server?: string };

export type Command =
  | ({ readonly op: 'target' } & Target)
  | { readonly op: 'loops'; readonly n: number }
  | { readonly op: 'report' }
  | { readonly op: 'stop' }
  | { readonly op: 'resolve'; readonly name: string };

export interface Report {
  readonly ok: number;
  readonly failed: number;
  /** The first few failures, e.g. `10.213.4.7:8080 ECONNREFUSED`. */
  readonly errors: readonly string[];
  /** Milliseconds per successful request (lookup included for name targets). */
  readonly latencies: readonly number[];
  /** Lookups that took longer than SLOW_LOOKUP_MS (answered or not). */
  readonly slowLookups: number;
  /** Stretches of more than GAP_MS without one answer: [from, to] in epoch ms. */
  readonly gaps: readonly (readonly [number, number])[];
}

const GAP_MS = 300;
const SLOW_LOOKUP_MS = 1_000;

const LOOPS = Number(process.argv[2] ?? 16);
const TIMEOUT_MS = 5_000;

/** glibc's defaults (resolv.conf(5): timeout:5 attempts:2), as a plain client in a container has them. */
const RESOLVER_OPTIONS = { timeout: 5_000, tries: 2 };
const resolver = new Resolver(RESOLVER_OPTIONS);
resolver.setServers(['127.0.0.11']);

const resolvers = new Map<string, Resolver>();
/** The container's resolver (127.0.0.11), or one asking `server` directly. */
function resolverOf(server: string | undefined): Resolver {
  if (!server) return resolver;
  let r = resolvers.get(server);
  if (!r) {
    r = new Resolver(RESOLVER_OPTIONS);
    r.setServers([server]);
    resolvers.set(server, r);
  }
  return r;
}

let target: Target | undefined;
/** Loops with a lower index than this run; the others wait. */
let active = LOOPS;
let running = true;
let ok = 0;
let failed = 0;
let errors: string[] = [];
let latencies: number[] = [];
let gaps: [number, number][] = [];
let slowLookups = 0;
let lastAnswerAt = Date.now();
let wake: (() => void) | undefined;

function report(): Report {
  const r = { ok, failed, errors, latencies, gaps, slowLookups };
  slowLookups = 0;
  ok = 0;
  failed = 0;
  errors = [];
  latencies = [];
  gaps = [];
  return r;
}

function get(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let head = '';
    socket.setTimeout(TIMEOUT_MS, () => socket.destroy(new Error('timeout')));
    socket.on('connect', () => socket.end('GET / HTTP/1.0\r\n\r\n'));
    socket.on('data', (d: Buffer) => {
      if (head.length < 16) head += d.toString('latin1');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => reject(new Error(`${host}:${port} ${err.code ?? err.message}`)));
    socket.on('close', (hadError) => {
      if (hadError) return;
      if (/^HTTP\/1\.[01] 200/.test(head)) resolve();
      else reject(new Error(`${host}:${port} answered ${JSON.stringify(head.slice(0, 16))}`));
    });
  });
}

async function lookup(name: string, server: string | undefined): Promise<string[]> {
  const start = performance.now();
  try {
    return await resolverOf(server).resolve4(name);
  } catch (err) {
    throw new Error(`lookup ${name}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  } finally {
    if (performance.now() - start > SLOW_LOOKUP_MS) slowLookups++;
  }
}

function answered(): void {
  const at = Date.now();
  if (at - lastAnswerAt > GAP_MS && running && target) gaps.push([lastAnswerAt, at]);
  lastAnswerAt = at;
}

async function one(t: Target, n: number): Promise<void> {
  const start = performance.now();
  try {
    let host: string;
    if (t.kind === 'lookup') {
      await lookup(t.name, t.server);
      answered();
      ok++;
      latencies.push(performance.now() - start);
      return;
    }
    if (t.kind === 'name') {
      host = (await lookup(t.name, t.server))[0]!;
    } else host = t.addresses[n % t.addresses.length]!;
    await get(host, t.port);
    answered();
    ok++;
    latencies.push(performance.now() - start);
  } catch (err) {
    answered();
    failed++;
    if (errors.length < 20) errors.push((err as Error).message);
  }
}

async function loop(i: number): Promise<void> {
  let n = i;
  while (running) {
    if (!target || i >= active) {
      await new Promise<void>((r) => {
        const previous = wake;
        wake = () => {
          previous?.();
          r();
        };
      });
      continue;
    }
    await one(target, n++);
  }
}

const loops = Array.from({ length: LOOPS }, (_, i) => loop(i));
const answer = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const c = JSON.parse(line) as Command;
  if (c.op === 'target') {
    const { op: _op, ...t } = c;
    target = t as Target;
    lastAnswerAt = Date.now();
    const w = wake;
    wake = undefined;
    w?.();
    answer({ ok: true });
  } else if (c.op === 'loops') {
    active = Math.max(0, Math.min(LOOPS, c.n));
    const w = wake;
    wake = undefined;
    w?.();
    answer({ ok: true });
  } else if (c.op === 'report') answer(report());
  else if (c.op === 'resolve')
    resolver.resolve4(c.name).then(
      (addresses) => answer({ addresses }),
      (err: NodeJS.ErrnoException) => answer({ error: err.code ?? err.message }),
    );
  else if (c.op === 'stop') {
    running = false;
    const w = wake;
    wake = undefined;
    w?.();
    void Promise.all(loops).then(() => {
      answer(report());
      process.exit(0);
    });
  }
});
lines.on('close', () => {
  // The benchmark went away: finish quietly.
  running = false;
  wake?.();
  void Promise.all(loops).then(() => process.exit(0));
});
answer({ ready: true, loops: LOOPS });
