/**
 * ContainerSpec → the engine's create body. The fixed choices, and why:
 *  - `Init: true` always: busybox httpd (and many apps) as PID 1 ignore SIGTERM, so a stop
 *    would wait the whole grace period; with an init it takes ~100 ms.
 *  - Restart policy `no`: berth restarts containers itself, so crashes are observed.
 *  - Ports on 127.0.0.1 with an ephemeral host port (`HostPort: ""`), never 0.0.0.0: only
 *    berth's proxy is meant to reach backends. A port with a `hostPort` is published at that
 *    port on the address the spec gives (--service-address), and only there.
 *  - `NetworkMode` = the namespace network, so the container is not also on the default
 *    bridge; its aliases are set on that one endpoint.
 *  - Kubernetes command/args: `command` → Entrypoint, `args` → Cmd. When Entrypoint is set
 *    the engine does not use the image's Cmd, exactly as Kubernetes ignores the image CMD
 *    when only `command` is given. An empty array counts as not given (as in Kubernetes).
 *  - Security settings only when the spec asks (the namespace policy allowed them):
 *    Privileged, CapAdd/CapDrop, User `uid[:gid]`, ReadonlyRootfs, SecurityOpt
 *    `no-new-privileges` (allowPrivilegeEscalation: false) and `seccomp=unconfined`,
 *    PidMode/IpcMode `host`. `hostNetwork`: NetworkMode `host`, no port bindings and no
 *    namespace network (its ports are the host's).
 *  - `hostname` (a StatefulSet replica's stable name): `Hostname`, unless the container shares
 *    another's network (the engine refuses both) or the host's.
 *  - `joinNetworkOf`: NetworkMode `container:<id>`: the container shares the infra container's
 *    network namespace (its address, ports and resolver), so it gets none of its own.
 *  - `Dns`/`DnsSearch`/`DnsOptions` when the spec has them: the engine's embedded resolver
 *    (127.0.0.11) keeps answering container names and aliases and forwards the rest there
 *    (the namespace DNS of the data plane, which knows the Services).
 *  - Volumes as `Mounts` (never the legacy `Binds`, which create missing host folders
 *    silently): binds of host paths prepared by the driver (driver.ts checks them first) and
 *    tmpfs for emptyDir (mode 1777, as an emptyDir is writable by any user; with a pod fsGroup,
 *    a tmpfs owned by that group: legacy `Tmpfs`, mode 3777, and the group in GroupAdd), and named
 *    volumes for claims with NoCopy (a claim starts empty, as in Kubernetes).
 */
import type Docker from 'dockerode';
import type { ContainerSpec } from '../driver.js';
import type { Labels } from '../labels.js';

export const PUBLISH_HOST_IP = '127.0.0.1';

/** A mount as the engine takes it: the driver has resolved every bind's host path (and written the files of secret volumes). */
export type PreparedMount =
  | { readonly kind: 'bind'; readonly source: string; readonly target: string; readonly readOnly: boolean }
  | { readonly kind: 'tmpfs'; readonly target: string; readonly readOnly: boolean; readonly sizeBytes?: number; readonly gid?: number }
  | { readonly kind: 'volume'; readonly name: string; readonly target: string; readonly readOnly: boolean };

export function toCreateOptions(spec: ContainerSpec, labels: Labels, mounts: readonly PreparedMount[] = []): Docker.ContainerCreateOptions {
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  const sec = spec.security ?? {};
  const joined = spec.joinNetworkOf !== undefined;
  for (const port of joined ? [] : spec.ports) {
    const key = `${port.containerPort}/${port.protocol}`;
    exposed[key] = {};
    bindings[key] = [
      port.hostPort !== undefined ? { HostIp: port.hostIp ?? PUBLISH_HOST_IP, HostPort: String(port.hostPort) } : { HostIp: PUBLISH_HOST_IP, HostPort: '' },
    ];
  }
  const securityOpt = [...(sec.noNewPrivileges ? ['no-new-privileges:true'] : []), ...(sec.seccompUnconfined ? ['seccomp=unconfined'] : [])];
  const hostConfig: Docker.HostConfig = {
    Init: true,
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    NetworkMode: joined ? `container:${spec.joinNetworkOf}` : sec.hostNetwork ? 'host' : spec.network,
    ...(sec.hostNetwork || joined ? {} : { PortBindings: bindings }),
    ...(spec.memoryBytes === undefined ? {} : { Memory: spec.memoryBytes }),
    ...(spec.nanoCpus === undefined ? {} : { NanoCpus: spec.nanoCpus }),
    ...(sec.privileged ? { Privileged: true } : {}),
    ...(sec.capAdd && sec.capAdd.length > 0 ? { CapAdd: [...sec.capAdd] } : {}),
    ...(sec.capDrop && sec.capDrop.length > 0 ? { CapDrop: [...sec.capDrop] } : {}),
    ...(sec.readOnlyRootFilesystem ? { ReadonlyRootfs: true } : {}),
    ...(securityOpt.length > 0 ? { SecurityOpt: securityOpt } : {}),
    ...(sec.hostPID ? { PidMode: 'host' } : {}),
    ...(sec.hostIPC ? { IpcMode: 'host' } : {}),
    ...(sec.fsGroup !== undefined ? { GroupAdd: [String(sec.fsGroup)] } : {}),
    ...(mounts.some(isPlainMount) ? { Mounts: mounts.filter(isPlainMount).map(toMount) } : {}),
    ...(mounts.some((m) => !isPlainMount(m)) ? { Tmpfs: Object.fromEntries(mounts.filter((m) => !isPlainMount(m)).map(toTmpfsOption)) } : {}),
    ...(spec.dns && !sec.hostNetwork && !joined ? { Dns: [...spec.dns.servers], DnsSearch: [...spec.dns.search], DnsOptions: [...spec.dns.options] } : {}),
  };
  return {
    name: spec.name,
    Image: spec.image,
    ...(spec.command && spec.command.length > 0 ? { Entrypoint: [...spec.command] } : {}),
    ...(spec.args && spec.args.length > 0 ? { Cmd: [...spec.args] } : {}),
    Env: spec.env.map((e) => `${e.name}=${e.value}`),
    ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
    ...(spec.hostname && !joined && !sec.hostNetwork ? { Hostname: spec.hostname } : {}),
    ...(sec.user ? { User: sec.user.gid === undefined ? String(sec.user.uid) : `${sec.user.uid}:${sec.user.gid}` } : {}),
    Labels: { ...labels },
    StopTimeout: spec.stopGraceSeconds,
    ExposedPorts: exposed,
    HostConfig: hostConfig,
    ...(sec.hostNetwork || joined
      ? {}
      : {
          NetworkingConfig: {
            EndpointsConfig: { [spec.network]: { Aliases: [...spec.networkAliases] } },
          },
        }),
  };
}

/** A tmpfs owned by a group (fsGroup) needs the legacy `Tmpfs` option: the `Mounts` API has no gid. Everything else is a `Mounts` entry. */
function isPlainMount(m: PreparedMount): boolean {
  return m.kind !== 'tmpfs' || m.gid === undefined;
}

/**
 * `HostConfig.Tmpfs` entry: mount options as `mount -t tmpfs` takes them. The engine adds
 * nosuid, nodev, noexec, as for a `Mounts` tmpfs. Mode 3777: writable by all, sticky, and setgid
 * so new files belong to the group too (Kubernetes sets the group and setgid on an emptyDir).
 */
function toTmpfsOption(m: PreparedMount): [string, string] {
  const tmpfs = m as Extract<PreparedMount, { kind: 'tmpfs' }>;
  const options = [tmpfs.readOnly ? 'ro' : 'rw', 'mode=3777', `gid=${tmpfs.gid}`, ...(tmpfs.sizeBytes ? [`size=${tmpfs.sizeBytes}`] : [])];
  return [tmpfs.target, options.join(',')];
}

function toMount(m: PreparedMount): Docker.MountSettings {
  if (m.kind === 'bind') return { Type: 'bind', Source: m.source, Target: m.target, ReadOnly: m.readOnly };
  // NoCopy: a claim starts empty, as in Kubernetes (Docker would otherwise copy the image's files at the mount path into an empty volume).
  if (m.kind === 'volume')
    return { Type: 'volume', Source: m.name, Target: m.target, ReadOnly: m.readOnly, VolumeOptions: { NoCopy: true } as Docker.MountSettings['VolumeOptions'] };
  // SizeBytes 0: the engine's default (no size option: half the host's memory).
  return { Type: 'tmpfs', Source: '', Target: m.target, ReadOnly: m.readOnly, TmpfsOptions: { Mode: 0o1777, SizeBytes: m.sizeBytes ?? 0 } };
}
