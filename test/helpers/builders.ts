/**
 * Small builders for pure-module tests: a desired Deployment and observed replicas with
 * only the fields a test cares about spelled out.
 */
import type { DesiredDeployment, PodTemplate, StatefulSettings, Strategy } from '../../src/desired/index.js';
import type { ObservedReplica } from '../../src/observed/index.js';

export const T0 = new Date('2026-01-01T00:00:00Z');

export function template(overrides: Partial<PodTemplate> = {}): PodTemplate {
  return { containerName: 'app', image: 'busybox:1.36', env: [], ports: [], stopGraceSeconds: 30, labels: { app: 'web' }, annotations: {}, ...overrides };
}

export function deployment(overrides: Partial<DesiredDeployment> & { strategy?: Strategy } = {}): DesiredDeployment {
  return {
    namespace: 'shop',
    name: 'web',
    replicas: 3,
    strategy: { type: 'RollingUpdate', maxSurge: '25%', maxUnavailable: '25%' },
    minReadySeconds: 0,
    progressDeadlineSeconds: 600,
    revisionHistoryLimit: 10,
    paused: false,
    template: template(),
    revision: 'new',
    source: { file: 'shop/web.yaml', document: 0, line: 1 },
    ...overrides,
  };
}

/** A StatefulSet's settings (DesiredDeployment.stateful): OrderedReady, RollingUpdate from ordinal 0, one claim template `data`. */
export function statefulSettings(overrides: Partial<StatefulSettings> = {}): StatefulSettings {
  return {
    serviceName: 'web',
    podManagementPolicy: 'OrderedReady',
    updateStrategy: { type: 'RollingUpdate', partition: 0 },
    claimTemplates: ['data'],
    retention: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    fixed: 'f1',
    ...overrides,
  };
}

let seq = 0;
export function replica(revision: string, ordinal: number, overrides: Partial<ObservedReplica> = {}): ObservedReplica {
  seq++;
  return {
    id: `id-${revision}-${ordinal}-${seq}`,
    name: `shop.web.${revision}.${ordinal}`,
    namespace: 'shop',
    deployment: 'web',
    revision,
    commit: `commit-${revision}`,
    replica: ordinal,
    state: 'running',
    created: new Date(T0.getTime() - 60_000).toISOString(),
    image: 'busybox:1.36',
    ports: [],
    podLabels: { app: 'web' },
    namedPorts: {},
    ...overrides,
  };
}

export function replicas(revision: string, count: number, overrides: Partial<ObservedReplica> = {}): ObservedReplica[] {
  return Array.from({ length: count }, (_, i) => replica(revision, i, overrides));
}
