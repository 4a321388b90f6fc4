/**
 * The floor of one rollout wave: container create + start + first successful HTTP answer,
 * without any orchestrator. The create body is what berth's Docker driver sends (Init, restart
 * policy no, port 8080 published on 127.0.0.1 with an ephemeral host port, a user bridge
 * network with an alias, StopTimeout 5), the image and command are the benchmark's
 * (webCommand: busybox httpd with the slow CGI), and `/` is polled every `intervalMs` until it
 * answers 200 with the text. `parallel` containers are created and started at once (a wave of
 * maxSurge 2 starts two); the sample is ready when all of them answer.
 */
import http from 'node:http';
import type Docker from 'dockerode';
import { webCommand } from '../../test/helpers/manifests.js';
import { now, sleep } from '../push-to-serve/clock.js';
import { floorCreateBody } from '../push-to-serve/floor.js';

export interface FloorSample {
  readonly parallel: number;
  /** Every create call returned (ms after the first was issued). */
  readonly createdMs: number;
  /** Every start call returned. */
  readonly startedMs: number;
  /** Every container answered: the wave's own start-and-ready time. */
  readonly readyMs: number;
  /** Then a graceful stop of all of them at once (SIGTERM through the init, grace 5 s) until every stop call returned. */
  readonly stopMs: number;
  /** Whether port 8080 was published on 127.0.0.1 (else probed on the container's bridge address). */
  readonly published: boolean;
}

/** Where floor containers run and how they are named, labelled and polled. */
export interface FloorArgs {
  readonly docker: Docker;
  readonly network: string;
  readonly name: (suffix: string) => string;
  readonly labels: Record<string, string>;
  readonly image: string;
  readonly runs: number;
  readonly intervalMs: number;
}

export async function measureFloor(
  args: FloorArgs & {
    readonly parallel: number;
    /** Publish 8080 on 127.0.0.1 (berth does); false: no published port, probed on the bridge IP. Default true. */
    readonly publish?: boolean;
  },
): Promise<FloorSample[]> {
  const publish = args.publish ?? true;
  const samples: FloorSample[] = [];
  for (let i = 0; i < args.runs; i++) {
    const tag = `${Date.now().toString(36)}-${i}`;
    const t0 = now();
    const containers: Docker.Container[] = [];
    try {
      const track = (c: Docker.Container) => containers.push(c);
      const done = await Promise.all(Array.from({ length: args.parallel }, (_, k) => startAnswering(args, `floor-${tag}-${k}`, publish, track)));
      const stopAt = now();
      await Promise.all(containers.map((c) => c.stop({ t: 5 })));
      samples.push({
        parallel: args.parallel,
        createdMs: Math.max(...done.map((d) => d.created)) - t0,
        startedMs: Math.max(...done.map((d) => d.started)) - t0,
        readyMs: Math.max(...done.map((d) => d.ready)) - t0,
        stopMs: now() - stopAt,
        published: publish,
      });
    } finally {
      await Promise.all(containers.map((c) => c.remove({ force: true }).catch(() => undefined)));
    }
  }
  return samples;
}

/**
 * One container with berth's create body, created and started, then polled every `intervalMs`
 * until `/` answers 200 with its own text. `track` gets it as soon as it exists (for cleanup).
 */
async function startAnswering(
  args: FloorArgs,
  suffix: string,
  publish: boolean,
  track: (c: Docker.Container) => void,
): Promise<{ container: Docker.Container; created: number; started: number; ready: number }> {
  const text = suffix;
  const container = await args.docker.createContainer(floorCreateBody(args, args.name(suffix), webCommand(text), publish));
  track(container);
  const created = now();
  await container.start();
  const started = now();
  const info = await container.inspect();
  const host = publish ? '127.0.0.1' : info.NetworkSettings.Networks[args.network]?.IPAddress;
  const port = publish ? Number(info.NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort) : 8080;
  if (!host || !Number.isInteger(port) || port <= 0) throw new Error('floor container: no address to probe');
  const deadline = started + 30_000;
  for (;;) {
    const round = now();
    if ((await probe(host, port))?.startsWith(`${text} `)) return { container, created, started, ready: now() };
    if (now() > deadline) throw new Error('floor container did not answer within 30 s');
    await sleep(Math.max(0, args.intervalMs - (now() - round)));
  }
}

export interface RollingFloorSample {
  /** Every new container answered (Kubernetes' "successfully rolled out": the old ones may still be stopping). */
  readonly newReadyMs: number;
  /** And every old container was stopped and removed. */
  readonly oldGoneMs: number;
}

/**
 * The engine's own rolling update, without an orchestrator: `replicas` containers of berth's
 * create body answering, then waves of `surge` new ones created and started at once; as soon as
 * a wave's new containers all answer, `surge` old ones get a graceful stop and are removed
 * (nothing waits for that: the next wave starts at once), as maxSurge `surge`, maxUnavailable 0
 * does. No drain (nothing sends them requests) and no probe period. Its time runs from the first
 * wave's creates to every new container answering, and to the last old one removed.
 */
export async function measureRollingFloor(args: FloorArgs & { readonly replicas: number; readonly surge: number }): Promise<RollingFloorSample[]> {
  const samples: RollingFloorSample[] = [];
  for (let i = 0; i < args.runs; i++) {
    const tag = `${Date.now().toString(36)}-${i}`;
    const containers: Docker.Container[] = [];
    const track = (c: Docker.Container) => containers.push(c);
    try {
      const old = (await Promise.all(Array.from({ length: args.replicas }, (_, k) => startAnswering(args, `rolling-${tag}-old-${k}`, true, track)))).map(
        (s) => s.container,
      );
      const t0 = now();
      const stops: Promise<void>[] = [];
      for (let made = 0; made < args.replicas; made += args.surge) {
        const wave = Math.min(args.surge, args.replicas - made);
        await Promise.all(Array.from({ length: wave }, (_, k) => startAnswering(args, `rolling-${tag}-new-${made + k}`, true, track)));
        for (const c of old.splice(0, wave)) stops.push(c.stop({ t: 5 }).then(() => c.remove()));
      }
      const newReady = now();
      await Promise.all(stops);
      samples.push({ newReadyMs: newReady - t0, oldGoneMs: now() - t0 });
    } finally {
      await Promise.all(containers.map((c) => c.remove({ force: true }).catch(() => undefined)));
    }
  }
  return samples;
}

/** One GET / on a fresh connection: the trimmed body of a 200, or undefined (refused, reset, other status, no answer within 1 s). */
function probe(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: 1000 }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return resolve(undefined);
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body.trim()));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}
