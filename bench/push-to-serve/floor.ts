import type Docker from 'dockerode';
import { serveCommand } from '../../test/helpers/manifests.js';
import { now, sleep } from './clock.js';
import { probe } from './http-probe.js';

/** One `docker run`-equivalent: create → start → first HTTP 200 with the text, then a graceful stop. */
export interface FloorSample {
  /** create call returned (ms after it was issued). */
  readonly createdMs: number;
  /** start call returned. */
  readonly startedMs: number;
  /** First probe answered the text: the container's own start-and-ready time. */
  readonly readyMs: number;
  /** stop (grace 5 s, SIGTERM through the init process) until the call returned. */
  readonly stopMs: number;
}

/**
 * The create body berth's Docker driver sends for a replica of the measured Deployment: Init,
 * restart policy no, port 8080 published on 127.0.0.1 with an ephemeral host port (unless
 * `publish` is false), on a user bridge network with an alias, StopTimeout 5.
 */
export function floorCreateBody(
  args: { readonly network: string; readonly labels: Record<string, string>; readonly image: string },
  name: string,
  entrypoint: string[],
  publish = true,
): Docker.ContainerCreateOptions {
  return {
    name,
    Image: args.image,
    Entrypoint: entrypoint,
    Labels: args.labels,
    StopTimeout: 5,
    ExposedPorts: { '8080/tcp': {} },
    HostConfig: {
      Init: true,
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      NetworkMode: args.network,
      ...(publish ? { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } } : {}),
    },
    NetworkingConfig: { EndpointsConfig: { [args.network]: { Aliases: ['floor'] } } },
  };
}

/**
 * The container's own start-and-ready time, without berth: the same create body berth's Docker
 * driver sends (Init, restart policy no, port 8080 published on 127.0.0.1 with an ephemeral
 * host port, on a user bridge network with an alias, StopTimeout 5), the same image and
 * command as the measured Deployment, probed at the same cadence.
 */
export async function measureFloor(args: {
  docker: Docker;
  network: string;
  name: (suffix: string) => string;
  labels: Record<string, string>;
  image: string;
  runs: number;
  intervalMs: number;
}): Promise<FloorSample[]> {
  const samples: FloorSample[] = [];
  for (let i = 0; i < args.runs; i++) {
    const text = `floor-${i}-${Date.now().toString(36)}`;
    const t0 = now();
    const container = await args.docker.createContainer(floorCreateBody(args, args.name(`floor-${i}`), serveCommand(text)));
    const created = now();
    try {
      await container.start();
      const started = now();
      const info = await container.inspect();
      const port = Number(info.NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort);
      if (!Number.isInteger(port) || port <= 0) throw new Error(`floor container ${i}: no published port`);
      let ready: number | undefined;
      const deadline = started + 30_000;
      while (ready === undefined) {
        const roundStart = now();
        if ((await probe(port)) === text) ready = now();
        else if (now() > deadline) throw new Error(`floor container ${i} did not answer within 30 s`);
        else await sleep(Math.max(0, args.intervalMs - (now() - roundStart)));
      }
      const stopAt = now();
      await container.stop({ t: 5 });
      const stopped = now();
      samples.push({ createdMs: created - t0, startedMs: started - t0, readyMs: ready - t0, stopMs: stopped - stopAt });
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  }
  return samples;
}
