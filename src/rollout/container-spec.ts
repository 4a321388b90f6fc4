import { canonicalJson } from '../core/index.js';
import { containerName, type DesiredDeployment, type PodTemplate } from '../desired/index.js';
import { LABEL, type ContainerSpec } from '../runtime/index.js';
import type { Creation } from './step.js';

/**
 * The engine-level spec of one replica: the desired template plus the ownership labels that
 * observed state is rebuilt from. Pod template labels are copied too (never over berth.*).
 * `env` is the template's env with every Secret reference resolved (executor.ts): the only
 * place values meet the spec, on their way to the driver.
 */
export function replicaSpec(args: {
  readonly desired: DesiredDeployment;
  readonly creation: Creation;
  readonly instance: string;
  readonly network: string;
  readonly env: ContainerSpec['env'];
}): ContainerSpec {
  const { desired, creation, instance, network, env } = args;
  const t = desired.template;
  const podLabels = Object.fromEntries(Object.entries(t.labels).filter(([k]) => !k.startsWith('berth.')));
  return {
    name: containerName(instance, desired.namespace, desired.name, creation.revision, creation.replica),
    image: t.image,
    ...(t.command ? { command: t.command } : {}),
    ...(t.args ? { args: t.args } : {}),
    ...(t.workingDir ? { workingDir: t.workingDir } : {}),
    env,
    ports: t.ports.map((p) => ({ containerPort: p.containerPort, protocol: p.protocol })),
    labels: {
      ...podLabels,
      [LABEL.managed]: 'true',
      [LABEL.instance]: instance,
      [LABEL.namespace]: desired.namespace,
      [LABEL.kind]: 'Deployment',
      [LABEL.name]: desired.name,
      [LABEL.revision]: creation.revision,
      [LABEL.commit]: creation.commit,
      [LABEL.replica]: String(creation.replica),
      ...(t.probes ? { [LABEL.probes]: canonicalJson(t.probes) } : {}),
      ...(namedPorts(t) ? { [LABEL.ports]: canonicalJson(namedPorts(t)) } : {}),
    },
    network,
    // Replicas answer to the Deployment name on the namespace network, like a headless Service.
    networkAliases: [desired.name],
    ...(t.memoryBytes !== undefined ? { memoryBytes: t.memoryBytes } : {}),
    ...(t.nanoCpus !== undefined ? { nanoCpus: t.nanoCpus } : {}),
    stopGraceSeconds: t.stopGraceSeconds,
  };
}

function namedPorts(t: PodTemplate): Record<string, number> | undefined {
  const named = t.ports.filter((p) => p.name !== undefined);
  return named.length > 0 ? Object.fromEntries(named.map((p) => [p.name!, p.containerPort])) : undefined;
}
