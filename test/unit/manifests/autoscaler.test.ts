/**
 * autoscaling/v2 HorizontalPodAutoscaler: what validates, what is refused with a located error
 * (file, line, field), and the desired autoscaler a valid one becomes (Kubernetes' defaults
 * filled in). Table-driven.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildNamespace, DEFAULT_BEHAVIOR } from '../../../src/desired/index.js';
import { loadManifests, ManifestCache, type NamespaceManifests } from '../../../src/manifests/index.js';
import { folder, snapshot } from './snapshot-builder.js';

function web(requests = '              cpu: 100m\n'): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: berth-test/app:v1
          resources:
            requests:
${requests}`;
}

function hpa(spec: string): string {
  return `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
${spec}`;
}

const CPU = `  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web
  minReplicas: 2
  maxReplicas: 5
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 50
`;

function shop(files: Record<string, string>): NamespaceManifests {
  return loadManifests(snapshot([folder('shop', files)]), new ManifestCache()).namespaces.find((n) => n.name === 'shop')!;
}

const TARGET = `  scaleTargetRef:
    kind: Deployment
    name: web
  maxReplicas: 4
`;

describe('HorizontalPodAutoscaler validation', () => {
  const rows: [what: string, files: Record<string, string>, code: string | undefined, field?: string, line?: number, message?: RegExp][] = [
    ['cpu Utilization of a Deployment with requests', { 'web.yaml': web(), 'hpa.yaml': hpa(CPU) }, undefined],
    [
      'AverageValue and a Pods metric, no requests needed',
      {
        'web.yaml': web('              memory: 64Mi\n'),
        'hpa.yaml': hpa(
          `${TARGET}  metrics:\n    - type: Resource\n      resource:\n        name: cpu\n        target:\n          type: AverageValue\n          averageValue: 200m\n    - type: Pods\n      pods:\n        metric:\n          name: berth_requests_per_second\n        target:\n          type: AverageValue\n          averageValue: "50"\n`,
        ),
      },
      undefined,
    ],
    [
      'minReplicas above maxReplicas',
      { 'web.yaml': web(), 'hpa.yaml': hpa(CPU.replace('minReplicas: 2', 'minReplicas: 6')) },
      'INVALID_VALUE',
      'spec.minReplicas',
      10,
      /at most maxReplicas \(5\)/,
    ],
    [
      'a target that does not exist',
      { 'web.yaml': web(), 'hpa.yaml': hpa(CPU.replace('name: web', 'name: api')) },
      'AUTOSCALER_TARGET_NOT_FOUND',
      'spec.scaleTargetRef.name',
      9,
      /Deployment "api" is not defined .* it defines "web"/,
    ],
    [
      'a cpu Utilization on a container without a cpu request',
      { 'web.yaml': web('              memory: 64Mi\n'), 'hpa.yaml': hpa(CPU) },
      'AUTOSCALER_MISSING_REQUEST',
      'spec.metrics[0].resource.target.averageUtilization',
      18,
      /container "web" of Deployment "web" \(shop\/web.yaml:1\) requests no cpu/,
    ],
    [
      'a cpu Utilization when a native sidecar requests no cpu (it runs beside the app, in the Pod)',
      {
        'web.yaml': `${web()}      initContainers:\n        - name: proxy\n          image: berth-test/app:v1\n          restartPolicy: Always\n`,
        'hpa.yaml': hpa(CPU),
      },
      'AUTOSCALER_MISSING_REQUEST',
      'spec.metrics[0].resource.target.averageUtilization',
      18,
      /container "proxy" of Deployment "web" \(shop\/web.yaml:1\) requests no cpu/,
    ],
    [
      'no metrics (cpu 80 % by default) and no requests',
      { 'web.yaml': web('              memory: 64Mi\n'), 'hpa.yaml': hpa(TARGET) },
      'AUTOSCALER_MISSING_REQUEST',
      'spec.scaleTargetRef.name',
      8,
      /default is cpu at 80 %/,
    ],
    [
      'an unknown Pods metric',
      {
        'web.yaml': web(),
        'hpa.yaml': hpa(
          `${TARGET}  metrics:\n    - type: Pods\n      pods:\n        metric:\n          name: http_requests\n        target:\n          type: AverageValue\n          averageValue: 10\n`,
        ),
      },
      'INVALID_VALUE',
      'spec.metrics[0].pods.metric.name',
      14,
      /berth_requests_per_second or berth_in_flight/,
    ],
    [
      'an unknown resource',
      {
        'web.yaml': web(),
        'hpa.yaml': hpa(
          `${TARGET}  metrics:\n    - type: Resource\n      resource:\n        name: gpu\n        target:\n          type: Utilization\n          averageUtilization: 50\n`,
        ),
      },
      'INVALID_VALUE',
      'spec.metrics[0].resource.name',
      13,
      /cpu or memory/,
    ],
    [
      'an External metric',
      { 'web.yaml': web(), 'hpa.yaml': hpa(`${TARGET}  metrics:\n    - type: External\n      external:\n        metric:\n          name: queue\n`) },
      'UNSUPPORTED_FIELD',
      'spec.metrics[0].external',
      12,
    ],
    [
      'a Utilization target on a Pods metric',
      {
        'web.yaml': web(),
        'hpa.yaml': hpa(
          `${TARGET}  metrics:\n    - type: Pods\n      pods:\n        metric:\n          name: berth_in_flight\n        target:\n          type: Utilization\n          averageUtilization: 50\n`,
        ),
      },
      'INVALID_VALUE',
      'spec.metrics[0].pods.target.type',
      16,
    ],
    [
      'an AverageValue of 0',
      {
        'web.yaml': web(),
        'hpa.yaml': hpa(
          `${TARGET}  metrics:\n    - type: Pods\n      pods:\n        metric:\n          name: berth_in_flight\n        target:\n          type: AverageValue\n          averageValue: 0\n`,
        ),
      },
      'INVALID_VALUE',
      'spec.metrics[0].pods.target.averageValue',
      17,
    ],
    [
      'a second HPA of the same Deployment',
      { 'web.yaml': web(), 'hpa.yaml': hpa(CPU), 'hpa2.yaml': hpa(CPU).replace('name: web\nspec', 'name: web2\nspec') },
      'AUTOSCALER_CONFLICT',
      'spec.scaleTargetRef.name',
      9,
      /already scaled by HorizontalPodAutoscaler "web" \(shop\/hpa.yaml:1\)/,
    ],
    [
      'a scaleTargetRef of another kind',
      { 'web.yaml': web(), 'hpa.yaml': hpa(CPU.replace('kind: Deployment', 'kind: ReplicaSet')) },
      'INVALID_VALUE',
      'spec.scaleTargetRef.kind',
      8,
      /must be Deployment/,
    ],
    [
      'a Deployment with a hostPort (one replica on one host)',
      {
        'web.yaml': web()
          .replace('          resources:', '          ports:\n            - containerPort: 80\n              hostPort: 8090\n          resources:')
          .replace('  replicas: 2\n', '  replicas: 1\n  strategy:\n    type: Recreate\n'),
        'hpa.yaml': hpa(CPU),
      },
      'AUTOSCALER_SINGLE_REPLICA',
      'spec.maxReplicas',
      11,
      /can run one replica only: it publishes hostPort 8090.*set maxReplicas: 1/,
    ],
    [
      'a Deployment mounting a ReadWriteOncePod claim',
      {
        'web.yaml':
          `${web()}          volumeMounts:\n            - name: data\n              mountPath: /data\n      volumes:\n        - name: data\n          persistentVolumeClaim:\n            claimName: data\n`.replace(
            '  replicas: 2\n',
            '  replicas: 1\n  strategy:\n    type: Recreate\n',
          ),
        'claim.yaml':
          'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  accessModes: [ReadWriteOncePod]\n  resources:\n    requests:\n      storage: 1Gi\n',
        'hpa.yaml': hpa(CPU),
      },
      'AUTOSCALER_SINGLE_REPLICA',
      'spec.maxReplicas',
      11,
      /ReadWriteOncePod claim "data"/,
    ],
    [
      'maxReplicas above 1000',
      { 'web.yaml': web(), 'hpa.yaml': hpa(CPU.replace('maxReplicas: 5', 'maxReplicas: 5000')) },
      'INVALID_VALUE',
      'spec.maxReplicas',
      11,
    ],
  ];
  for (const [what, files, code, field, line, message] of rows) {
    it(what, () => {
      const ns = shop(files);
      const errors = ns.diagnostics.filter((d) => d.severity === 'error');
      if (!code) return assert.deepEqual(errors, []);
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.equal(errors[0]!.code, code);
      assert.equal(errors[0]!.field, field);
      assert.equal(errors[0]!.line, line);
      assert.equal(ns.valid, false, 'an invalid folder is left as it runs');
      if (message) assert.match(errors[0]!.message, message);
    });
  }
});

describe('desired autoscaler', () => {
  it('fills in Kubernetes defaults and parses quantities; requests stay outside the revision', () => {
    const folder1 = shop({ 'web.yaml': web(), 'hpa.yaml': hpa(CPU) });
    const ns = buildNamespace(folder1, 'i1');
    assert.deepEqual(
      ns.autoscalers?.map(({ source: _s, ...a }) => a),
      [
        {
          namespace: 'shop',
          name: 'web',
          target: 'web',
          minReplicas: 2,
          maxReplicas: 5,
          metrics: [{ kind: 'Resource', resource: 'cpu', type: 'Utilization', averageUtilization: 50 }],
          behavior: DEFAULT_BEHAVIOR,
        },
      ],
    );
    assert.deepEqual(ns.deployments[0]?.requests, { cpu: 0.1 });
    const other = buildNamespace(shop({ 'web.yaml': web('              cpu: 900m\n') }), 'i1');
    assert.equal(other.deployments[0]?.revision, ns.deployments[0]?.revision, 'a change of requests rolls nothing');
  });
  it('behavior: what is written overrides, the rest defaults; quantities become numbers', () => {
    const ns = buildNamespace(
      shop({
        'web.yaml': web(),
        'hpa.yaml': hpa(
          `${TARGET}  metrics:\n    - type: Resource\n      resource:\n        name: memory\n        target:\n          type: AverageValue\n          averageValue: 64Mi\n  behavior:\n    scaleDown:\n      stabilizationWindowSeconds: 5\n      tolerance: "0.05"\n`,
        ),
      }),
      'i1',
    );
    const a = ns.autoscalers?.[0];
    assert.deepEqual(a?.metrics, [{ kind: 'Resource', resource: 'memory', type: 'AverageValue', averageValue: 64 * 1024 * 1024 }]);
    assert.equal(a?.minReplicas, 1);
    assert.deepEqual(a?.behavior.scaleUp, DEFAULT_BEHAVIOR.scaleUp);
    assert.deepEqual(a?.behavior.scaleDown, { ...DEFAULT_BEHAVIOR.scaleDown, stabilizationWindowSeconds: 5, tolerance: 0.05 });
  });
});
