/**
 * ContainerSpec → the engine's create body. The fixed choices, and why:
 *  - `Init: true` always: busybox httpd (and many apps) as PID 1 ignore SIGTERM, so a stop
 *    would wait the whole grace period; with an init it takes ~100 ms.
 *  - Restart policy `no`: berth restarts containers itself, so crashes are observed.
 *  - Ports on 127.0.0.1 with an ephemeral host port (`HostPort: ""`), never 0.0.0.0: only
 *    berth's proxy is meant to reach backends.
 *  - `NetworkMode` = the namespace network, so the container is not also on the default
 *    bridge; its aliases are set on that one endpoint.
 *  - Kubernetes command/args: `command` → Entrypoint, `args` → Cmd. When Entrypoint is set
 *    the engine does not use the image's Cmd, exactly as Kubernetes ignores the image CMD
 *    when only `command` is given. An empty array counts as not given (as in Kubernetes).
 */
import type Docker from 'dockerode';
import type { ContainerSpec } from '../driver.js';
import type { Labels } from '../labels.js';

export const PUBLISH_HOST_IP = '127.0.0.1';

export function toCreateOptions(spec: ContainerSpec, labels: Labels): Docker.ContainerCreateOptions {
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const port of spec.ports) {
    const key = `${port.containerPort}/${port.protocol}`;
    exposed[key] = {};
    bindings[key] = [{ HostIp: PUBLISH_HOST_IP, HostPort: '' }];
  }
  const hostConfig: Docker.HostConfig = {
    Init: true,
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    NetworkMode: spec.network,
    PortBindings: bindings,
    ...(spec.memoryBytes === undefined ? {} : { Memory: spec.memoryBytes }),
    ...(spec.nanoCpus === undefined ? {} : { NanoCpus: spec.nanoCpus }),
  };
  return {
    name: spec.name,
    Image: spec.image,
    ...(spec.command && spec.command.length > 0 ? { Entrypoint: [...spec.command] } : {}),
    ...(spec.args && spec.args.length > 0 ? { Cmd: [...spec.args] } : {}),
    Env: spec.env.map((e) => `${e.name}=${e.value}`),
    ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
    Labels: { ...labels },
    StopTimeout: spec.stopGraceSeconds,
    ExposedPorts: exposed,
    HostConfig: hostConfig,
    NetworkingConfig: {
      EndpointsConfig: { [spec.network]: { Aliases: [...spec.networkAliases] } },
    },
  };
}
