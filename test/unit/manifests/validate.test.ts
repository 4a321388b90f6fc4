import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Diagnostic } from '../../../src/core/index.js';
import { readManifestFile } from '../../../src/manifests/file-result.js';
import type { DeploymentManifest } from '../../../src/manifests/index.js';
import { DEFAULT_PARSE_LIMITS } from '../../../src/manifests/parse.js';
import { deployment } from './snapshot-builder.js';

/**
 * Validation, table-driven. Each row is one document and the diagnostics it must produce
 * (exactly those, ignoring order); `field`, `line` and a message pattern are checked when given.
 * Line numbers refer to the `deployment()` template: 4 metadata.name, 6 spec.replicas,
 * 9 selector label, 13 template label, 16 `- name: main`, 17 image, 18+ container extras.
 */
interface Expected {
  readonly severity: Diagnostic['severity'];
  readonly code: string;
  readonly field?: string;
  readonly line?: number;
  readonly message?: RegExp;
}

interface Row {
  readonly name: string;
  readonly yaml: string;
  readonly expect: readonly Expected[];
}

const err = (code: string, field?: string, line?: number, message?: RegExp): Expected => ({ severity: 'error', code, field, line, message });
const warn = (code: string, field?: string, line?: number, message?: RegExp): Expected => ({ severity: 'warning', code, field, line, message });
const C = 'spec.template.spec.containers[0]';
const P = 'spec.template.spec';
const container = (lines: string): string => lines.replace(/^(?=.)/gm, '          ');
const podSpec = (lines: string): string => lines.replace(/^(?=.)/gm, '      ');

const rows: readonly Row[] = [
  { name: 'a minimal Deployment is valid', yaml: deployment('web'), expect: [] },
  // ---- kinds and apiVersions
  {
    name: 'unknown kind',
    yaml: 'apiVersion: v1\nkind: PodTemplate\nmetadata:\n  name: web\n',
    expect: [
      err(
        'UNKNOWN_KIND',
        'kind',
        2,
        /"PodTemplate" is not supported by berth; supported kinds: Namespace \(v1\), Deployment \(apps\/v1\), Secret \(v1\), Service \(v1\), Ingress \(networking\.k8s\.io\/v1\), ResourceQuota \(v1\), PersistentVolumeClaim \(v1\), ConfigMap \(v1\)/,
      ),
    ],
  },
  {
    name: 'known kind, wrong apiVersion',
    yaml: deployment('web').replace('apps/v1', 'extensions/v1beta1'),
    expect: [err('WRONG_API_VERSION', 'apiVersion', 1, /must be apiVersion "apps\/v1", got "extensions\/v1beta1"/)],
  },
  {
    name: 'Namespace with apps/v1',
    yaml: 'apiVersion: apps/v1\nkind: Namespace\nmetadata:\n  name: shop\n',
    expect: [err('WRONG_API_VERSION', 'apiVersion', 1, /"v1"/)],
  },
  { name: 'missing kind', yaml: 'apiVersion: v1\nmetadata:\n  name: x\n', expect: [err('MISSING_KIND', 'kind', 1, /supported kinds/)] },
  { name: 'missing apiVersion', yaml: 'kind: Deployment\nmetadata:\n  name: x\n', expect: [err('MISSING_KIND', 'apiVersion', 1, /apps\/v1/)] },
  { name: 'kind is not a string', yaml: 'apiVersion: v1\nkind: [Namespace]\n', expect: [err('INVALID_VALUE', 'kind', 2)] },
  { name: 'a list is not a manifest', yaml: '- a\n- b\n', expect: [err('NOT_A_MAPPING', undefined, 1, /got a list/)] },
  { name: 'a scalar is not a manifest', yaml: 'hello\n', expect: [err('NOT_A_MAPPING', undefined, 1)] },
  { name: 'null document is not a manifest', yaml: '~\n', expect: [err('NOT_A_MAPPING', undefined, 1, /got null/)] },
  // ---- names
  { name: 'name with capitals (label values may have them)', yaml: deployment('Web'), expect: [err('INVALID_VALUE', 'metadata.name', 4, /DNS label/)] },
  {
    name: 'name with underscore',
    yaml: deployment('web').replace('name: web', 'name: web_app'),
    expect: [err('INVALID_VALUE', 'metadata.name', 4, /must be a DNS label.*got string "web_app"/)],
  },
  {
    name: 'name longer than 63',
    yaml: deployment('web').replace('name: web', `name: ${'a'.repeat(64)}`),
    expect: [err('INVALID_VALUE', 'metadata.name', 4, /at most 63/)],
  },
  {
    name: 'missing name',
    yaml: deployment('web').replace('  name: web\n', '  labels: {}\n'),
    expect: [err('MISSING_FIELD', 'metadata.name', 3, /missing required field "name"/)],
  }, // located at the parent
  {
    name: 'generateName is not supported',
    yaml: deployment('web').replace('  name: web\n', '  name: web\n  generateName: web-\n'),
    expect: [err('UNSUPPORTED_FIELD', 'metadata.generateName', 5, /generated names/)],
  },
  {
    name: 'server-populated metadata',
    yaml: deployment('web').replace('  name: web\n', '  name: web\n  uid: 5c9d\n  creationTimestamp: "2024-01-01T00:00:00Z"\n'),
    expect: [err('UNSUPPORTED_FIELD', 'metadata.uid', 5, /API server/), err('UNSUPPORTED_FIELD', 'metadata.creationTimestamp', 6)],
  },
  { name: 'status is not kept in Git', yaml: `${deployment('web')}status:\n  replicas: 2\n`, expect: [err('UNSUPPORTED_FIELD', 'status', 18)] },
  { name: 'bad container name', yaml: deployment('web').replace('- name: main', '- name: Main'), expect: [err('INVALID_VALUE', `${C}.name`, 16, /DNS label/)] },
  {
    name: 'bad label key and non-string label value',
    yaml: deployment('web', { metadata: '  labels:\n    "bad key": x\n    enabled: true\n' }),
    expect: [
      err('INVALID_VALUE', 'metadata.labels["bad key"]', 6, /invalid key "bad key"/),
      err('INVALID_VALUE', 'metadata.labels.enabled', 7, /must be a string \(quote values.*got boolean true/),
    ],
  },
  {
    name: 'qualified label keys are fine',
    yaml: deployment('web', { metadata: '  labels:\n    app.kubernetes.io/name: web\n  annotations:\n    example.com/note: "any text: at all"\n' }),
    expect: [],
  },
  // ---- types and ranges
  {
    name: 'replicas as a string',
    yaml: deployment('web').replace('replicas: 2', 'replicas: "2"'),
    expect: [err('INVALID_VALUE', 'spec.replicas', 6, /must be an integer, got string "2"/)],
  },
  {
    name: 'replicas above 1000',
    yaml: deployment('web').replace('replicas: 2', 'replicas: 1001'),
    expect: [err('INVALID_VALUE', 'spec.replicas', 6, /must be <= 1000, got integer 1001/)],
  },
  { name: 'negative replicas', yaml: deployment('web').replace('replicas: 2', 'replicas: -1'), expect: [err('INVALID_VALUE', 'spec.replicas', 6, />= 0/)] },
  { name: 'zero replicas is fine', yaml: deployment('web').replace('replicas: 2', 'replicas: 0'), expect: [] },
  {
    name: 'fractional replicas',
    yaml: deployment('web').replace('replicas: 2', 'replicas: 1.5'),
    expect: [err('INVALID_VALUE', 'spec.replicas', 6, /integer/)],
  },
  {
    name: 'negative container port',
    yaml: deployment('web', { container: container('ports:\n  - containerPort: -80\n') }),
    expect: [err('INVALID_VALUE', `${C}.ports[0].containerPort`, 19, /must be >= 1, got integer -80/)],
  },
  {
    name: 'port above 65535 and SCTP',
    yaml: deployment('web', { container: container('ports:\n  - containerPort: 70000\n    protocol: SCTP\n') }),
    expect: [err('INVALID_VALUE', `${C}.ports[0].containerPort`, 19, /<= 65535/), err('INVALID_VALUE', `${C}.ports[0].protocol`, 20, /TCP or UDP/)],
  },
  {
    name: 'port given as a string',
    yaml: deployment('web', { container: container('ports:\n  - containerPort: "80"\n') }),
    expect: [err('INVALID_VALUE', `${C}.ports[0].containerPort`, 19, /got string "80"/)],
  },
  {
    name: 'port name must be a string',
    yaml: deployment('web', {
      container: container('ports:\n  - containerPort: 80\n    name: http\n  - containerPort: 81\n    name: http\n  - containerPort: 82\n    name: 8080\n'),
    }),
    expect: [err('INVALID_VALUE', `${C}.ports[2].name`, 24, /must be a string/)],
  },
  {
    name: 'duplicate port names',
    yaml: deployment('web', { container: container('ports:\n  - containerPort: 80\n    name: http\n  - containerPort: 81\n    name: http\n') }),
    expect: [err('INVALID_VALUE', `${C}.ports[1].name`, 22, /duplicate port name "http" \(also ports\[0\]\)/)],
  },
  {
    name: 'empty image',
    yaml: deployment('web').replace('image: busybox:1.36', 'image: ""'),
    expect: [err('INVALID_VALUE', `${C}.image`, 17, /must not be empty/)],
  },
  { name: 'missing image', yaml: deployment('web').replace('          image: busybox:1.36\n', ''), expect: [err('MISSING_FIELD', `${C}.image`, 16)] },
  {
    name: 'env value must be a string',
    yaml: deployment('web', { container: container('env:\n  - name: PORT\n    value: 8080\n') }),
    expect: [err('INVALID_VALUE', `${C}.env[0].value`, 20, /quote values/)],
  },
  {
    name: 'bad imagePullPolicy',
    yaml: deployment('web', { container: container('imagePullPolicy: Sometimes\n') }),
    expect: [err('INVALID_VALUE', `${C}.imagePullPolicy`, 18, /one of "Always", "IfNotPresent", "Never", got string "Sometimes"/)],
  },
  {
    name: 'bad restartPolicy',
    yaml: deployment('web', { podSpec: podSpec('restartPolicy: Never\n') }),
    expect: [err('INVALID_VALUE', `${P}.restartPolicy`, 15, /must be Always/)],
  },
  {
    name: 'maxSurge neither integer nor percent',
    yaml: deployment('web', { spec: '  strategy:\n    rollingUpdate:\n      maxSurge: lots\n' }),
    expect: [err('INVALID_VALUE', 'spec.strategy.rollingUpdate.maxSurge', 12, /non-negative integer or a percentage like "25%"/)],
  },
  {
    name: 'probe port out of range',
    yaml: deployment('web', { container: container('readinessProbe:\n  tcpSocket:\n    port: -5\n') }),
    expect: [err('INVALID_VALUE', `${C}.readinessProbe.tcpSocket.port`, 20, /port number \(1-65535\) or a port name/)],
  },
  {
    name: 'a probe that is not a mapping',
    yaml: deployment('web', { container: container('livenessProbe: yes\n') }),
    expect: [err('INVALID_VALUE', `${C}.livenessProbe`, 18, /must be a mapping, got string "yes"/)],
  },
  // ---- unknown fields (typos)
  {
    name: 'typo in a container field',
    yaml: deployment('web', { container: container('imagePullPolicyy: Always\n') }),
    expect: [err('UNKNOWN_FIELD', `${C}.imagePullPolicyy`, 18, /unknown field "imagePullPolicyy" \(did you mean "imagePullPolicy"\?\)/)],
  },
  {
    name: 'typo at the top level',
    yaml: deployment('web').replace('spec:\n', 'sepc:\n'),
    expect: [err('UNKNOWN_FIELD', 'sepc', 5, /did you mean "spec"/), err('MISSING_FIELD', 'spec', 1)],
  },
  {
    name: 'unknown field without a near name',
    yaml: deployment('web', { spec: '  flavour: vanilla\n' }),
    expect: [err('UNKNOWN_FIELD', 'spec.flavour', 10, /^unknown field "flavour"$/)],
  },
  // ---- init containers (issue #10 item 2)
  {
    name: 'init containers are accepted',
    yaml: deployment('web', { podSpec: podSpec('initContainers:\n  - name: migrate\n    image: busybox:1.36\n    command: [sh, -c, "true"]\n') }),
    expect: [],
  },
  {
    name: 'an init container may not have a probe (it runs to completion)',
    yaml: deployment('web', {
      podSpec: podSpec('initContainers:\n  - name: migrate\n    image: busybox:1.36\n    readinessProbe:\n      exec:\n        command: ["true"]\n'),
    }),
    expect: [err('INVALID_VALUE', `${P}.initContainers[0].readinessProbe`, undefined, /an init container may not have a readinessProbe/)],
  },
  {
    name: 'an init container may not publish a hostPort',
    yaml: deployment('web', {
      podSpec: podSpec('initContainers:\n  - name: migrate\n    image: busybox:1.36\n    ports:\n      - containerPort: 80\n        hostPort: 18080\n'),
    }),
    expect: [
      err('INVALID_VALUE', `${P}.initContainers[0].ports[0].hostPort`, undefined, /cannot publish a hostPort with 2 replicas/),
      err('INVALID_VALUE', `${P}.initContainers[0].ports[0].hostPort`, undefined, /ports are not published/),
    ],
  },
  {
    name: 'an emptyDir in an init container is accepted (shared with the app as a volume of the replica)',
    yaml: deployment('web', {
      podSpec: podSpec(
        'volumes:\n  - name: scratch\n    emptyDir: {}\ninitContainers:\n  - name: migrate\n    image: busybox:1.36\n    volumeMounts:\n      - name: scratch\n        mountPath: /scratch\n',
      ),
    }),
    expect: [],
  },
  {
    name: 'an init container named like an app container',
    yaml: deployment('web', { podSpec: podSpec('initContainers:\n  - name: main\n    image: busybox:1.36\n') }),
    expect: [err('INVALID_VALUE', `${P}.initContainers[0].name`, undefined, /duplicate container name "main" \(also containers\[0\]\)/)],
  },
  // ---- Pods of several containers and native sidecars (issue #10)
  {
    name: 'a native sidecar (an init container with restartPolicy Always) with probes and ports is accepted',
    yaml: deployment('web', {
      podSpec: podSpec(
        'initContainers:\n  - name: proxy\n    image: busybox:1.36\n    restartPolicy: Always\n    ports:\n      - containerPort: 15000\n    readinessProbe:\n      tcpSocket:\n        port: 15000\n',
      ),
    }),
    expect: [],
  },
  {
    name: 'a regular init container still may not have a probe',
    yaml: deployment('web', {
      podSpec: podSpec('initContainers:\n  - name: migrate\n    image: busybox:1.36\n    livenessProbe:\n      exec:\n        command: ["true"]\n'),
    }),
    expect: [err('INVALID_VALUE', `${P}.initContainers[0].livenessProbe`, undefined, /may not have a livenessProbe/)],
  },
  {
    name: 'an init container restartPolicy other than Always',
    yaml: deployment('web', { podSpec: podSpec('initContainers:\n  - name: proxy\n    image: busybox:1.36\n    restartPolicy: OnFailure\n') }),
    expect: [err('INVALID_VALUE', `${P}.initContainers[0].restartPolicy`, undefined, /must be Always \(a native sidecar\)/)],
  },
  {
    name: 'an app container may not have a restartPolicy',
    yaml: `${deployment('web')}        - name: log\n          image: busybox\n          restartPolicy: Always\n`,
    expect: [err('INVALID_VALUE', `${P}.containers[1].restartPolicy`, undefined, /only an init container may have a restartPolicy/)],
  },
  {
    name: 'a regular init container after a sidecar runs before it: a warning',
    yaml: deployment('web', {
      podSpec: podSpec('initContainers:\n  - name: proxy\n    image: busybox:1.36\n    restartPolicy: Always\n  - name: migrate\n    image: busybox:1.36\n'),
    }),
    expect: [warn('INVALID_VALUE', `${P}.initContainers[1]`, undefined, /runs before sidecar "proxy" starts/)],
  },
  {
    name: 'two containers of a Pod on one port (they share one network namespace)',
    yaml: deployment('web', { container: container('ports:\n  - containerPort: 8080\n') }).concat(
      '        - name: log\n          image: busybox\n          ports:\n            - containerPort: 8080\n',
    ),
    expect: [err('INVALID_VALUE', `${P}.containers[1].ports[0].containerPort`, undefined, /8080\/TCP is also declared by containers\[0\]\.ports\[0\]/)],
  },
  {
    name: 'the same port number as TCP and UDP in two containers is fine',
    yaml: deployment('web', { container: container('ports:\n  - containerPort: 53\n') }).concat(
      '        - name: dns\n          image: busybox\n          ports:\n            - containerPort: 53\n              protocol: UDP\n',
    ),
    expect: [],
  },
  {
    name: 'one port name in two containers of a Pod',
    yaml: deployment('web', { container: container('ports:\n  - containerPort: 8080\n    name: http\n') }).concat(
      '        - name: admin\n          image: busybox\n          ports:\n            - containerPort: 9090\n              name: http\n',
    ),
    expect: [err('INVALID_VALUE', `${P}.containers[1].ports[0].name`, undefined, /port name "http" is also used by containers\[0\]/)],
  },
  {
    name: 'a sidecar and an app container with one name',
    yaml: deployment('web', { podSpec: podSpec('initContainers:\n  - name: main\n    image: busybox:1.36\n    restartPolicy: Always\n') }),
    expect: [err('INVALID_VALUE', `${P}.initContainers[0].name`, undefined, /duplicate container name "main"/)],
  },
  {
    name: 'an init container is validated as a container: a bad image reference',
    yaml: deployment('web', { podSpec: podSpec('initContainers:\n  - name: migrate\n    image: "Busybox::1"\n') }),
    expect: [err('INVALID_IMAGE_REFERENCE', `${P}.initContainers[0].image`)],
  },
  // ---- unsupported (behaviour berth cannot honour): errors naming the field
  ...(
    [
      ['hostUsers', 'hostUsers: false\n', 'pod', `${P}.hostUsers`],
      ['shareProcessNamespace', 'shareProcessNamespace: true\n', 'pod', `${P}.shareProcessNamespace`],
      ['volumeDevices', 'volumeDevices:\n  - name: disk\n    devicePath: /dev/xvda\n', 'container', `${C}.volumeDevices`],
      [
        'env valueFrom.fieldRef',
        'env:\n  - name: POD\n    valueFrom:\n      fieldRef:\n        fieldPath: metadata.name\n',
        'container',
        `${C}.env[0].valueFrom.fieldRef`,
      ],
      [
        'env valueFrom.resourceFieldRef',
        'env:\n  - name: MEM\n    valueFrom:\n      resourceFieldRef:\n        resource: limits.memory\n',
        'container',
        `${C}.env[0].valueFrom.resourceFieldRef`,
      ],
      ['lifecycle', 'lifecycle:\n  preStop:\n    exec:\n      command: [sleep, "5"]\n', 'container', `${C}.lifecycle`],
      ['resource claims', 'resources:\n  claims:\n    - name: gpu\n', 'container', `${C}.resources.claims`],
    ] as const
  ).map(([what, lines, where, field]) => ({
    name: `unsupported: ${what}`,
    yaml: deployment('web', where === 'pod' ? { podSpec: podSpec(lines) } : { container: container(lines) }),
    expect: [err('UNSUPPORTED_FIELD', field, where === 'pod' ? 15 : undefined, /^not supported by berth: /)],
  })),
  // ---- securityContext, host namespaces and volumes: well-formed here; allowed or not is the namespace policy's business (test/unit/policy)
  {
    name: 'securityContext, host namespaces and every volume kind are accepted',
    yaml: deployment('web', {
      podSpec: podSpec(
        'hostNetwork: true\nhostPID: true\nhostIPC: true\nsecurityContext:\n  runAsUser: 1000\n  runAsGroup: 1000\n  runAsNonRoot: true\n  seccompProfile:\n    type: RuntimeDefault\nvolumes:\n  - name: data\n    hostPath:\n      path: /srv/data\n      type: DirectoryOrCreate\n  - name: scratch\n    emptyDir:\n      sizeLimit: 64Mi\n  - name: creds\n    secret:\n      secretName: db\n      defaultMode: 0400\n      items:\n        - key: password\n          path: db/password\n',
      ),
      container: container(
        'securityContext:\n  privileged: true\n  readOnlyRootFilesystem: true\n  capabilities:\n    add: [NET_ADMIN, CAP_SYS_TIME]\n    drop: [ALL]\nvolumeMounts:\n  - name: data\n    mountPath: /data\n    subPath: app\n  - name: scratch\n    mountPath: /tmp\n  - name: creds\n    mountPath: /etc/creds\n    readOnly: true\n',
      ),
    }),
    expect: [],
  },
  {
    name: 'unsupported: sysctls (fsGroup is fine)',
    yaml: deployment('web', { podSpec: podSpec('securityContext:\n  fsGroup: 2000\n  fsGroupChangePolicy: OnRootMismatch\n  sysctls: []\n') }),
    expect: [err('UNSUPPORTED_FIELD', `${P}.securityContext.sysctls`, 18)],
  },
  {
    name: 'fsGroupChangePolicy must be OnRootMismatch or Always',
    yaml: deployment('web', { podSpec: podSpec('securityContext:\n  fsGroup: 2000\n  fsGroupChangePolicy: Sometimes\n') }),
    expect: [err('INVALID_VALUE', `${P}.securityContext.fsGroupChangePolicy`, 17, /OnRootMismatch or Always/)],
  },
  {
    name: 'unsupported: procMount',
    yaml: deployment('web', { container: container('securityContext:\n  procMount: Unmasked\n') }),
    expect: [err('UNSUPPORTED_FIELD', `${C}.securityContext.procMount`, 19)],
  },
  {
    name: 'unsupported: mountPropagation',
    yaml: deployment('web', {
      podSpec: podSpec('volumes:\n  - name: s\n    emptyDir: {}\n'),
      container: container('volumeMounts:\n  - name: s\n    mountPath: /s\n    mountPropagation: Bidirectional\n'),
    }),
    expect: [err('UNSUPPORTED_FIELD', `${C}.volumeMounts[0].mountPropagation`, 24)],
  },
  {
    name: 'seccomp Localhost is refused',
    yaml: deployment('web', { container: container('securityContext:\n  seccompProfile:\n    type: Localhost\n') }),
    expect: [err('INVALID_VALUE', `${C}.securityContext.seccompProfile.type`, 20, /Localhost profiles are not supported/)],
  },
  {
    name: 'device hostPaths are refused',
    yaml: deployment('web', { podSpec: podSpec('volumes:\n  - name: d\n    hostPath:\n      path: /dev/sda\n      type: BlockDevice\n') }),
    expect: [err('INVALID_VALUE', `${P}.volumes[0].hostPath.type`, 19, /devices.*not supported by berth/)],
  },
  {
    name: 'a capability must be a name in capitals',
    yaml: deployment('web', { container: container('securityContext:\n  capabilities:\n    add: [net_admin]\n') }),
    expect: [err('INVALID_VALUE', `${C}.securityContext.capabilities.add[0]`, 20, /capability name/)],
  },
  {
    name: 'a volume with no source',
    yaml: deployment('web', { podSpec: podSpec('volumes:\n  - name: data\n') }),
    expect: [err('INVALID_VALUE', `${P}.volumes[0]`, 16, /exactly one source: hostPath, emptyDir, secret, persistentVolumeClaim or configMap/)],
  },
  {
    name: 'a volume with two sources',
    yaml: deployment('web', { podSpec: podSpec('volumes:\n  - name: data\n    emptyDir: {}\n    hostPath:\n      path: /srv\n') }),
    expect: [err('INVALID_VALUE', `${P}.volumes[0]`, 16, /exactly one source/)],
  },
  {
    name: 'volume rules: duplicate names, paths not absolute or not normalized, unknown volumes, duplicate and relative mount paths, subPath with ..',
    yaml: deployment('web', {
      podSpec: podSpec('volumes:\n  - name: a\n    hostPath:\n      path: srv/data\n  - name: a\n    hostPath:\n      path: /srv/../etc\n'),
      container: container(
        'volumeMounts:\n  - name: a\n    mountPath: /a\n  - name: b\n    mountPath: /a\n  - name: a\n    mountPath: data\n  - name: a\n    mountPath: /c\n    subPath: ../x\n  - name: a\n    mountPath: /\n',
      ),
    }),
    expect: [
      err('INVALID_VALUE', `${P}.volumes[0].hostPath.path`, 18, /must be an absolute path/),
      err('INVALID_VALUE', `${P}.volumes[1].name`, 19, /duplicate volume name "a" \(also volumes\[0\]\)/),
      err('INVALID_VALUE', `${P}.volumes[1].hostPath.path`, 21, /must be normalized/),
      err('INVALID_VALUE', `${C}.volumeMounts[1].name`, 28, /names no volume of the pod: spec.template.spec.volumes has "a"/),
      err('INVALID_VALUE', `${C}.volumeMounts[1].mountPath`, 29, /duplicate mountPath "\/a" \(also volumeMounts\[0\]\)/),
      err('INVALID_VALUE', `${C}.volumeMounts[2].mountPath`, 31, /must be an absolute path/),
      err('INVALID_VALUE', `${C}.volumeMounts[3].subPath`, 34, /without empty, "\." or "\.\." segments/),
      err('INVALID_VALUE', `${C}.volumeMounts[4].mountPath`, 36, /over the root/),
    ],
  },
  {
    name: 'an emptyDir is a tmpfs: no subPath, mounted once',
    yaml: deployment('web', {
      podSpec: podSpec('volumes:\n  - name: s\n    emptyDir: {}\n'),
      container: container('volumeMounts:\n  - name: s\n    mountPath: /a\n    subPath: x\n  - name: s\n    mountPath: /b\n'),
    }),
    expect: [
      err('UNSUPPORTED_FIELD', `${C}.volumeMounts[0].subPath`, 24, /subPath of an emptyDir/),
      err('UNSUPPORTED_FIELD', `${C}.volumeMounts[1].name`, 25, /twice/),
    ],
  },
  {
    name: 'secret volume items: relative paths, no clashes; modes up to 0777',
    yaml: deployment('web', {
      podSpec: podSpec(
        'volumes:\n  - name: s\n    secret:\n      secretName: db\n      defaultMode: 1000\n      items:\n        - key: a\n          path: /abs\n        - key: b\n          path: x\n        - key: c\n          path: x/y\n',
      ),
    }),
    expect: [err('INVALID_VALUE', `${P}.volumes[0].secret.defaultMode`, 19, /file mode between 0 and 0777/)],
  },
  {
    name: 'secret volume items: paths checked once the schema passes',
    yaml: deployment('web', {
      podSpec: podSpec(
        'volumes:\n  - name: s\n    secret:\n      secretName: db\n      items:\n        - key: a\n          path: /abs\n        - key: b\n          path: x\n        - key: c\n          path: x/y\n',
      ),
    }),
    expect: [
      err('INVALID_VALUE', `${P}.volumes[0].secret.items[0].path`, 21, /must be a relative path/),
      err('INVALID_VALUE', `${P}.volumes[0].secret.items[2].path`, 25, /clashes with items\[1\]\.path "x"/),
    ],
  },
  {
    name: 'runAsGroup needs runAsUser',
    yaml: deployment('web', { container: container('securityContext:\n  runAsGroup: 1000\n') }),
    expect: [err('INVALID_VALUE', `${C}.securityContext.runAsGroup`, 19, /needs runAsUser/)],
  },
  {
    name: 'runAsNonRoot with runAsUser 0 could never start',
    yaml: deployment('web', { podSpec: podSpec('securityContext:\n  runAsNonRoot: true\n'), container: container('securityContext:\n  runAsUser: 0\n') }),
    expect: [err('INVALID_VALUE', `${C}.securityContext.runAsUser`, 21, /while runAsNonRoot is true/)],
  },
  {
    name: 'privileged without privilege escalation is a contradiction',
    yaml: deployment('web', { container: container('securityContext:\n  privileged: true\n  allowPrivilegeEscalation: false\n') }),
    expect: [err('INVALID_VALUE', `${C}.securityContext.allowPrivilegeEscalation`, 20, /privileged container/)],
  },
  {
    name: "runAsGroup with the pod's runAsUser is fine",
    yaml: deployment('web', { podSpec: podSpec('securityContext:\n  runAsUser: 1000\n'), container: container('securityContext:\n  runAsGroup: 1000\n') }),
    expect: [],
  },
  {
    name: 'the host network with ports: one replica, like a hostPort',
    yaml: deployment('web', { podSpec: podSpec('hostNetwork: true\n'), container: container('ports:\n  - containerPort: 8080\n') }),
    expect: [err('INVALID_VALUE', `${P}.hostNetwork`, 15, /2 replicas/)],
  },
  {
    name: 'unsupported: matchExpressions',
    yaml: deployment('web').replace('      app: web\n  template', '      app: web\n    matchExpressions: []\n  template'),
    expect: [err('UNSUPPORTED_FIELD', 'spec.selector.matchExpressions', 10)],
  },
  {
    name: 'a second container is a Pod of two',
    yaml: `${deployment('web')}        - name: sidecar\n          image: busybox\n`,
    expect: [],
  },
  {
    name: 'no container at all',
    yaml: deployment('web').replace(/ {6}containers:[^]*$/, '      containers: []\n'),
    expect: [err('INVALID_VALUE', `${P}.containers`, 15, /at least one container/)],
  },
  {
    name: 'more than 32 containers',
    yaml: deployment('web') + Array.from({ length: 32 }, (_, i) => `        - name: c${i}\n          image: busybox\n`).join(''),
    expect: [err('INVALID_VALUE', `${P}.containers`, 15, /at most 32 containers/)],
  },
  // ---- scheduling-only hints: warnings naming the field, and the object is still valid
  ...(
    [
      ['nodeName', 'nodeName: node2\n', 'pod', `${P}.nodeName`, /no nodes to select/],
      ['priorityClassName', 'priorityClassName: high\n', 'pod', `${P}.priorityClassName`, /scheduler/],
      ['serviceAccountName', 'serviceAccountName: web\n', 'pod', `${P}.serviceAccountName`, /service account/],
      ['automountServiceAccountToken', 'automountServiceAccountToken: false\n', 'pod', `${P}.automountServiceAccountToken`, /token/],
      ['imagePullSecrets', 'imagePullSecrets:\n  - name: regcred\n', 'pod', `${P}.imagePullSecrets`, /docker login/],
      ['dnsPolicy', 'dnsPolicy: ClusterFirst\n', 'pod', `${P}.dnsPolicy`, /DNS/],
      ['schedulerName', 'schedulerName: custom\n', 'pod', `${P}.schedulerName`, /scheduler/],
      [
        'resources.requests.ephemeral-storage',
        'resources:\n  requests:\n    ephemeral-storage: 1Gi\n',
        'container',
        `${C}.resources.requests.ephemeral-storage`,
        /schedule/,
      ],
    ] as const
  ).map(([what, lines, where, field, why]) => ({
    name: `scheduling hint: ${what}`,
    yaml: deployment('web', where === 'pod' ? { podSpec: podSpec(lines) } : { container: container(lines) }),
    expect: [
      warn('IGNORED_FIELD', field, where === 'pod' ? 15 : field.endsWith('ephemeral-storage') ? 20 : 19, new RegExp(`^ignored by berth: .*${why.source}`)),
    ],
  })),
  // ---- placement (acts under --driver swarm): the parts berth does not act on are warnings, malformed terms errors
  {
    name: 'required node affinity, pod anti-affinity and topology spread are accepted',
    yaml: deployment('web', {
      podSpec: podSpec(
        'affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n      nodeSelectorTerms:\n        - matchExpressions:\n            - {key: disk, operator: In, values: [ssd]}\n            - {key: cpus, operator: Gt, values: ["4"]}\n          matchFields:\n            - {key: metadata.name, operator: NotIn, values: [node1]}\n  podAntiAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n      - labelSelector: {matchLabels: {app: web}}\n        topologyKey: kubernetes.io/hostname\n    preferredDuringSchedulingIgnoredDuringExecution:\n      - weight: 10\n        podAffinityTerm: {labelSelector: {matchLabels: {app: web}}, topologyKey: zone}\ntopologySpreadConstraints:\n  - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: web}}}\n',
      ),
    }),
    expect: [],
  },
  {
    name: 'podAffinity is ignored with a warning',
    yaml: deployment('web', { podSpec: podSpec('affinity:\n  podAffinity: {}\n') }),
    expect: [warn('IGNORED_FIELD', `${P}.affinity.podAffinity`, 16, /^ignored by berth: co-locating/)],
  },
  {
    name: 'preferred node affinity is ignored with a warning',
    yaml: deployment('web', { podSpec: podSpec('affinity:\n  nodeAffinity:\n    preferredDuringSchedulingIgnoredDuringExecution: []\n') }),
    expect: [
      warn('IGNORED_FIELD', `${P}.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution`, 17, /^ignored by berth: weighted node preferences/),
    ],
  },
  {
    name: 'a spread constraint’s minDomains is ignored with a warning',
    yaml: deployment('web', {
      podSpec: podSpec('topologySpreadConstraints:\n  - maxSkew: 1\n    topologyKey: zone\n    whenUnsatisfiable: DoNotSchedule\n    minDomains: 2\n'),
    }),
    expect: [warn('IGNORED_FIELD', `${P}.topologySpreadConstraints[0].minDomains`, 19, /^ignored by berth: a minimum count of domains/)],
  },
  ...(
    [
      ['In without values', '{key: disk, operator: In}', 'values', /at least one value for operator In/],
      ['Exists with values', '{key: disk, operator: Exists, values: [x]}', 'values', /must be empty for operator Exists/],
      ['Gt with no integer', '{key: cpus, operator: Gt, values: [many]}', 'values', /exactly one integer for operator Gt/],
      ['Lt with two values', '{key: cpus, operator: Lt, values: ["1", "2"]}', 'values', /exactly one integer for operator Lt/],
    ] as const
  ).map(([what, requirement, field, why]) => ({
    name: `node affinity: ${what}`,
    yaml: deployment('web', {
      podSpec: podSpec(
        `affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n      nodeSelectorTerms:\n        - matchExpressions:\n            - ${requirement}\n`,
      ),
    }),
    expect: [
      err(
        'INVALID_VALUE',
        `${P}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].${field}`,
        20,
        why,
      ),
    ],
  })),
  {
    name: 'node affinity: matchFields on another field than metadata.name',
    yaml: deployment('web', {
      podSpec: podSpec(
        'affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n      nodeSelectorTerms:\n        - matchFields:\n            - {key: metadata.labels, operator: In, values: [x]}\n',
      ),
    }),
    expect: [
      err(
        'INVALID_VALUE',
        `${P}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].key`,
        20,
        /must be metadata.name/,
      ),
    ],
  },
  {
    name: 'node affinity: an unknown operator, located',
    yaml: deployment('web', {
      podSpec: podSpec(
        'affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n      nodeSelectorTerms:\n        - matchExpressions:\n            - {key: disk, operator: Near, values: [x]}\n',
      ),
    }),
    expect: [
      err(
        'INVALID_VALUE',
        `${P}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator`,
        20,
        /In, NotIn, Exists, DoesNotExist, Gt or Lt/,
      ),
    ],
  },
  {
    name: 'pod anti-affinity: a term without topologyKey',
    yaml: deployment('web', {
      podSpec: podSpec(
        'affinity:\n  podAntiAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n      - labelSelector: {matchLabels: {app: web}}\n',
      ),
    }),
    expect: [err('MISSING_FIELD', `${P}.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey`, 18, /topologyKey/)],
  },
  {
    name: 'topology spread: whenUnsatisfiable misspelt',
    yaml: deployment('web', {
      podSpec: podSpec('topologySpreadConstraints:\n  - maxSkew: 1\n    topologyKey: zone\n    whenUnsatisfiable: Never\n'),
    }),
    expect: [err('INVALID_VALUE', `${P}.topologySpreadConstraints[0].whenUnsatisfiable`, 18, /DoNotSchedule or ScheduleAnyway/)],
  },
  {
    name: 'topology spread: a selector expression without values',
    yaml: deployment('web', {
      podSpec: podSpec(
        'topologySpreadConstraints:\n  - maxSkew: 1\n    topologyKey: zone\n    whenUnsatisfiable: DoNotSchedule\n    labelSelector:\n      matchExpressions:\n        - {key: app, operator: In}\n',
      ),
    }),
    expect: [err('INVALID_VALUE', `${P}.topologySpreadConstraints[0].labelSelector.matchExpressions[0].values`, 21, /at least one value for operator In/)],
  },
  {
    name: 'tolerations are accepted (a down-node one acts under --driver swarm)',
    yaml: deployment('web', {
      podSpec: podSpec(
        'tolerations:\n  - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 60}\n  - {key: dedicated, operator: Equal, value: db, effect: NoSchedule}\n',
      ),
    }),
    expect: [],
  },
  ...(
    [
      ['an unknown operator', '{key: x, operator: Is}', 'operator', /Exists or Equal/],
      ['a misspelt effect', '{key: x, operator: Exists, effect: NoExecution}', 'effect', /NoSchedule, PreferNoSchedule, NoExecute or empty/],
      ['negative tolerationSeconds', '{key: x, operator: Exists, effect: NoExecute, tolerationSeconds: -1}', 'tolerationSeconds', /0/],
    ] as const
  ).map(([what, toleration, field, why]) => ({
    name: `tolerations: ${what}`,
    yaml: deployment('web', { podSpec: podSpec(`tolerations:\n  - ${toleration}\n`) }),
    expect: [err('INVALID_VALUE', `${P}.tolerations[0].${field}`, 16, why)],
  })),
  {
    name: 'cpu and memory requests are kept (an HPA measures Utilization against them)',
    yaml: deployment('web', { container: container('resources:\n  requests:\n    cpu: 100m\n    memory: 64Mi\n') }),
    expect: [],
  },
  {
    name: 'requests with a bad quantity are still an error',
    yaml: deployment('web', { container: container('resources:\n  requests:\n    cpu: lots\n') }),
    expect: [err('INVALID_QUANTITY', `${C}.resources.requests.cpu`, 20)],
  },
  // ---- quantities
  {
    name: 'valid limits in every spelling',
    yaml: deployment('web', { container: container('resources:\n  limits:\n    cpu: 0.5\n    memory: 129e6\n') }),
    expect: [],
  },
  {
    name: 'bad CPU quantity',
    yaml: deployment('web', { container: container('resources:\n  limits:\n    cpu: lots\n') }),
    expect: [err('INVALID_QUANTITY', `${C}.resources.limits.cpu`, 20, /"lots" is not a valid CPU quantity/)],
  },
  {
    name: 'bad memory quantity',
    yaml: deployment('web', { container: container('resources:\n  limits:\n    memory: 12XB\n') }),
    expect: [err('INVALID_QUANTITY', `${C}.resources.limits.memory`, 20, /not a valid memory quantity/)],
  },
  {
    name: 'memory limit below Docker minimum',
    yaml: deployment('web', { container: container('resources:\n  limits:\n    memory: 4Mi\n') }),
    expect: [err('INVALID_QUANTITY', `${C}.resources.limits.memory`, 20, /minimum of 6Mi/)],
  },
  {
    name: 'CPU limit below Docker minimum',
    yaml: deployment('web', { container: container('resources:\n  limits:\n    cpu: 1m\n') }),
    expect: [err('INVALID_QUANTITY', `${C}.resources.limits.cpu`, 20, /minimum of 10m/)],
  },
  {
    name: 'unknown resource name',
    yaml: deployment('web', { container: container('resources:\n  limits:\n    nvidia.com/gpu: 1\n') }),
    expect: [err('UNKNOWN_FIELD', `${C}.resources.limits["nvidia.com/gpu"]`, 20)],
  },
  // ---- cross-field rules
  {
    name: 'selector does not match template labels',
    yaml: deployment('web').replace('        app: web\n', '        app: api\n'),
    expect: [
      err(
        'SELECTOR_MISMATCH',
        'spec.selector.matchLabels.app',
        9,
        /selector app=web does not match the pod template labels \(spec.template.metadata.labels has app=api\)/,
      ),
    ],
  },
  {
    name: 'selector label missing from template',
    yaml: deployment('web').replace('      app: web\n  template', '      app: web\n      tier: db\n  template'),
    expect: [err('SELECTOR_MISMATCH', 'spec.selector.matchLabels.tier', 10, /has no label "tier"/)],
  },
  { name: 'template may have more labels than the selector', yaml: deployment('web', { labels: '        tier: front\n' }), expect: [] },
  {
    name: 'empty selector',
    yaml: deployment('web').replace('    matchLabels:\n      app: web\n', '    matchLabels: {}\n'),
    expect: [err('INVALID_VALUE', 'spec.selector.matchLabels', 8, /at least one label/)],
  },
  {
    name: 'Recreate with rollingUpdate',
    yaml: deployment('web', { spec: '  strategy:\n    type: Recreate\n    rollingUpdate:\n      maxSurge: 1\n' }),
    expect: [err('INVALID_STRATEGY', 'spec.strategy.rollingUpdate', 12, /may not be specified when strategy type is "Recreate"/)],
  },
  {
    name: 'maxSurge and maxUnavailable both zero',
    yaml: deployment('web', { spec: '  strategy:\n    rollingUpdate:\n      maxSurge: 0\n      maxUnavailable: 0%\n' }),
    expect: [err('INVALID_STRATEGY', 'spec.strategy.rollingUpdate.maxUnavailable', 13, /may not be 0 when maxSurge is 0/)],
  },
  {
    name: 'maxUnavailable over 100%',
    yaml: deployment('web', { spec: '  strategy:\n    rollingUpdate:\n      maxUnavailable: 150%\n' }),
    expect: [err('INVALID_VALUE', 'spec.strategy.rollingUpdate.maxUnavailable', 12, /100%/)],
  },
  {
    name: 'progress deadline not above minReadySeconds',
    yaml: deployment('web', { spec: '  minReadySeconds: 30\n  progressDeadlineSeconds: 30\n' }),
    expect: [err('INVALID_VALUE', 'spec.progressDeadlineSeconds', 11, /greater than minReadySeconds \(30\)/)],
  },
  {
    name: 'hostPort with several replicas',
    yaml: deployment('web', { container: container('ports:\n  - containerPort: 80\n    hostPort: 8080\n') }),
    expect: [err('INVALID_VALUE', `${C}.ports[0].hostPort`, 20, /2 replicas/)],
  },
  {
    name: 'hostPort with a surging rolling update',
    yaml: deployment('web', { container: container('ports:\n  - containerPort: 80\n    hostPort: 8080\n') }).replace('replicas: 2', 'replicas: 1'),
    expect: [warn('INVALID_STRATEGY', `${C}.ports[0].hostPort`, 20, /berth rolls it maxUnavailable-first .*Recreate/)],
  },
  {
    name: 'hostPort other than containerPort with the host network',
    yaml: deployment('web', { podSpec: podSpec('hostNetwork: true\n'), container: container('ports:\n  - containerPort: 80\n    hostPort: 8080\n') })
      .replace('replicas: 2', 'replicas: 1')
      .replace('spec:\n  replicas: 1', 'spec:\n  replicas: 1\n  strategy:\n    type: Recreate'),
    expect: [err('INVALID_VALUE', `${C}.ports[0].hostPort`, 23, /must equal containerPort \(80\) with hostNetwork/)],
  },
  // ---- probes: validated and acted on (no warning); ports must be the container's
  {
    name: 'probe with two handlers',
    yaml: deployment('web', { container: container('readinessProbe:\n  httpGet:\n    port: 80\n  tcpSocket:\n    port: 80\n') }),
    expect: [err('INVALID_VALUE', `${C}.readinessProbe`, 18, /exactly one handler: httpGet, tcpSocket, exec or grpc/)],
  },
  {
    name: 'probe without a handler',
    yaml: deployment('web', { container: container('livenessProbe:\n  periodSeconds: 5\n') }),
    expect: [err('INVALID_VALUE', `${C}.livenessProbe`, 18, /exactly one handler/)],
  },
  {
    name: 'liveness probe successThreshold must be 1',
    yaml: deployment('web', { container: container('livenessProbe:\n  exec:\n    command: [cat, /tmp/ok]\n  successThreshold: 2\n') }),
    expect: [err('INVALID_VALUE', `${C}.livenessProbe.successThreshold`, 21, /must be 1/)],
  },
  {
    name: 'valid probes are accepted without a warning',
    yaml: deployment('web', {
      container: container(
        'ports:\n  - containerPort: 8080\n    name: http\nreadinessProbe:\n  httpGet:\n    path: /healthz\n    port: 8080\n    httpHeaders:\n      - name: X-Probe\n        value: "1"\nlivenessProbe:\n  tcpSocket:\n    port: http\nstartupProbe:\n  exec:\n    command: [cat, /tmp/ready]\n  failureThreshold: 30\n',
      ),
    }),
    expect: [],
  },
  ...(
    [
      // [what, container lines, field, line, message]
      [
        'a named probe port the container does not have',
        'ports:\n  - containerPort: 8080\n    name: http\nreadinessProbe:\n  httpGet:\n    port: web\n',
        `${C}.readinessProbe.httpGet.port`,
        23,
        /^names no port of the container: no ports\[\]\.name is "web"; berth probes through the port a replica publishes on 127\.0\.0\.1.*8080 \(http\)/,
      ],
      [
        'a probe port number not among the container ports',
        'ports:\n  - containerPort: 8080\nlivenessProbe:\n  tcpSocket:\n    port: 9090\n',
        `${C}.livenessProbe.tcpSocket.port`,
        22,
        /^9090 is not one of the container's ports: .*containerPort: 8080\); add it to ports$/,
      ],
      ['a probe port on a container without ports', 'startupProbe:\n  httpGet:\n    port: 80\n', `${C}.startupProbe.httpGet.port`, 20, /containerPort: none/],
      [
        'a named probe port that is UDP',
        'ports:\n  - containerPort: 53\n    name: dns\n    protocol: UDP\nreadinessProbe:\n  tcpSocket:\n    port: dns\n',
        `${C}.readinessProbe.tcpSocket.port`,
        24,
        /names a UDP port \(53\)/,
      ],
      [
        'a probe port number that is only UDP',
        'ports:\n  - containerPort: 53\n    protocol: UDP\nreadinessProbe:\n  tcpSocket:\n    port: 53\n',
        `${C}.readinessProbe.tcpSocket.port`,
        23,
        /53 is not one of the container's ports/,
      ],
    ] as const
  ).map(([what, lines, field, line, message]) => ({
    name: `probes: ${what}`,
    yaml: deployment('web', { container: container(lines) }),
    expect: [err('PROBE_PORT_NOT_FOUND', field, line, message)],
  })),
  {
    name: 'probes: an httpGet host is refused',
    yaml: deployment('web', { container: container('ports:\n  - containerPort: 80\nreadinessProbe:\n  httpGet:\n    host: example.com\n    port: 80\n') }),
    expect: [
      err(
        'UNSUPPORTED_FIELD',
        `${C}.readinessProbe.httpGet.host`,
        22,
        /^not supported by berth: probing another host: berth probes 127\.0\.0\.1 through the port the replica publishes; remove host$/,
      ),
    ],
  },
  {
    name: 'probes: a tcpSocket host is refused',
    yaml: deployment('web', { container: container('ports:\n  - containerPort: 80\nlivenessProbe:\n  tcpSocket:\n    host: 10.0.0.1\n    port: 80\n') }),
    expect: [err('UNSUPPORTED_FIELD', `${C}.livenessProbe.tcpSocket.host`, 22, /probes 127\.0\.0\.1/)],
  },
  // ---- gRPC probes: a port number among the container's ports, an optional service name
  {
    name: 'probes: grpc on a declared port, with and without a service',
    yaml: deployment('web', {
      container: container(
        'ports:\n  - containerPort: 9000\nreadinessProbe:\n  grpc:\n    port: 9000\nlivenessProbe:\n  grpc:\n    port: 9000\n    service: shop.Cart\n',
      ),
    }),
    expect: [],
  },
  {
    name: 'probes: grpc on a port the container does not declare',
    yaml: deployment('web', { container: container('ports:\n  - containerPort: 8080\nreadinessProbe:\n  grpc:\n    port: 9000\n') }),
    expect: [err('PROBE_PORT_NOT_FOUND', `${C}.readinessProbe.grpc.port`, 22, /9000 is not one of the container's ports/)],
  },
  {
    name: 'probes: a grpc port by name is refused (Kubernetes takes a number only)',
    yaml: deployment('web', { container: container('ports:\n  - containerPort: 9000\n    name: grpc\nreadinessProbe:\n  grpc:\n    port: grpc\n') }),
    expect: [err('INVALID_VALUE', `${C}.readinessProbe.grpc.port`, 23, /must be an integer, got string "grpc"/)],
  },
  {
    name: 'probes: grpc without a port, with an unknown field, with a service that is no string',
    yaml: deployment('web', {
      container: container(
        'ports:\n  - containerPort: 9000\nreadinessProbe:\n  grpc:\n    service: x\nlivenessProbe:\n  grpc:\n    port: 9000\n    tls: true\nstartupProbe:\n  grpc:\n    port: 9000\n    service: [a]\n',
      ),
    }),
    expect: [
      err('MISSING_FIELD', `${C}.readinessProbe.grpc.port`, 21),
      err('UNKNOWN_FIELD', `${C}.livenessProbe.grpc.tls`, 26),
      err('INVALID_VALUE', `${C}.startupProbe.grpc.service`, 30, /must be a string, got a list/),
    ],
  },
  {
    name: 'probes: grpc and another handler in one probe',
    yaml: deployment('web', {
      container: container('ports:\n  - containerPort: 9000\nreadinessProbe:\n  grpc:\n    port: 9000\n  tcpSocket:\n    port: 9000\n'),
    }),
    expect: [err('INVALID_VALUE', `${C}.readinessProbe`, 20, /exactly one handler: httpGet, tcpSocket, exec or grpc/)],
  },
  // ---- Namespace
  { name: 'a Namespace', yaml: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    team: a\n', expect: [] },
  {
    name: 'Namespace finalizers are ignored',
    yaml: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\nspec:\n  finalizers: [kubernetes]\n',
    expect: [warn('IGNORED_FIELD', 'spec.finalizers', 6)],
  },
  {
    name: 'Namespace with an unknown field',
    yaml: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\nspec:\n  quota: 3\n',
    expect: [err('UNKNOWN_FIELD', 'spec.quota', 6)],
  },
  // ---- the library path locates as well as the fast path (flow style forces the library)
  {
    name: 'flow-style document: located errors',
    yaml: deployment('web').replace('replicas: 2', 'replicas: {n: 2}'),
    expect: [err('INVALID_VALUE', 'spec.replicas', 6, /got a mapping/)],
  },
  { name: 'anchors and merge keys', yaml: `x-defaults: &c\n  name: main\n${deployment('web')}`, expect: [err('UNKNOWN_FIELD', 'x-defaults', 1)] },
];

function validate(yaml: string): { diagnostics: readonly Diagnostic[]; body: unknown } {
  const result = readManifestFile(new TextEncoder().encode(yaml), DEFAULT_PARSE_LIMITS);
  return { diagnostics: result.diagnostics, body: result.documents[0]?.body };
}

describe('validation', () => {
  for (const row of rows) {
    it(row.name, () => {
      const { diagnostics, body } = validate(row.yaml);
      const shown = JSON.stringify(diagnostics, null, 1);
      assert.equal(diagnostics.length, row.expect.length, `diagnostics: ${shown}`);
      for (const e of row.expect) {
        const match = diagnostics.find(
          (d) =>
            d.severity === e.severity &&
            d.code === e.code &&
            (e.field === undefined || d.field === e.field) &&
            (e.line === undefined || d.line === e.line) &&
            (e.message === undefined || e.message.test(d.message)),
        );
        assert.ok(match, `expected ${JSON.stringify({ ...e, message: e.message?.source })} in ${shown}`);
        assert.equal(typeof match.line, 'number', 'every diagnostic is located');
        assert.equal(typeof match.column, 'number', 'every diagnostic is located');
      }
      const hasError = row.expect.some((e) => e.severity === 'error');
      assert.equal(body === undefined, hasError, hasError ? 'an invalid document yields no object' : 'a valid document yields its object');
    });
  }

  it('file modes written the Kubernetes way (YAML 1.1 octal 0400) are read as Kubernetes reads them', () => {
    const { body, diagnostics } = validate(
      deployment('web', {
        podSpec: podSpec(
          'volumes:\n  - name: s\n    secret:\n      secretName: db\n      defaultMode: 0755\n      items:\n        - key: a\n          path: a\n          mode: 0400\n        - {key: b, path: b, mode: 0640}\n        - key: c\n          path: c\n          mode: 0o600\n        - key: d\n          path: d\n          mode: 420\n',
        ),
      }),
    );
    assert.deepEqual(diagnostics, []);
    const secret = (body as Omit<DeploymentManifest, 'source'>).spec.template.spec.volumes?.[0]?.secret;
    assert.equal(secret?.defaultMode, 0o755, '0755 is octal, as in Kubernetes (YAML 1.1), not 755');
    assert.deepEqual(
      secret?.items?.map((i) => i.mode),
      [0o400, 0o640, 0o600, 420],
      'leading-zero integers are octal; 0o600 and decimals are as written',
    );
  });

  it('keeps the positions of security-relevant fields with the object (for the namespace policy)', () => {
    const { body } = validate(
      deployment('web', { podSpec: podSpec('hostPID: true\n'), container: container('securityContext:\n  capabilities:\n    add: [NET_ADMIN]\n') }),
    );
    const positions = (body as Omit<DeploymentManifest, 'source'>).positions ?? {};
    assert.equal(positions[`${P}.hostPID`]?.line, 15, 'hostPID');
    assert.equal(positions[`${C}.securityContext.capabilities.add[0]`]?.line, 21, 'capabilities.add[0]');
    assert.equal(positions[C]?.line, 17, 'the container itself');
  });

  it('removes ignored fields from the object handed downstream, keeps the rest', () => {
    const { body } = validate(
      deployment('web', {
        podSpec: podSpec('nodeSelector:\n  disktype: ssd\npriorityClassName: high\nterminationGracePeriodSeconds: 5\n'),
        container: container(
          'ports:\n  - containerPort: 80\nresources:\n  requests:\n    cpu: 100m\n  limits:\n    cpu: 200m\nreadinessProbe:\n  tcpSocket:\n    port: 80\n',
        ),
      }),
    );
    const d = body as Omit<DeploymentManifest, 'source'>;
    assert.equal('priorityClassName' in d.spec.template.spec, false);
    // A nodeSelector is no hint: the swarm driver places replicas by it.
    assert.deepEqual(d.spec.template.spec.nodeSelector, { disktype: 'ssd' });
    assert.equal(d.spec.template.spec.terminationGracePeriodSeconds, 5);
    assert.deepEqual(d.spec.template.spec.containers[0]?.resources, { requests: { cpu: '100m' }, limits: { cpu: '200m' } });
    assert.deepEqual(d.spec.template.spec.containers[0]?.readinessProbe, { tcpSocket: { port: 80 } });
  });

  it('reports every problem of a document at once (allErrors), each located', () => {
    const { diagnostics } = validate(
      deployment('Web_App', { spec: '  replicas2: 3\n', container: container('ports:\n  - containerPort: 0\nresources:\n  limits:\n    memory: lots\n') }),
    );
    const fields = diagnostics.map((d) => `${d.field}@${d.line}`).sort();
    assert.deepEqual(fields, ['metadata.name@4', `${C}.ports[0].containerPort@20`, `${C}.resources.limits.memory@23`, 'spec.replicas2@10'].sort());
  });
});

describe('validation of hostile documents', () => {
  it('60 000 unknown fields (within the 1 MiB limit): bounded diagnostics', () => {
    let text = deployment('web');
    for (let i = 0; i < 60_000; i++) text += `f${i}: 1\n`;
    assert.ok(text.length < DEFAULT_PARSE_LIMITS.maxFileBytes);
    const { diagnostics, body } = validate(text);
    assert.equal(body, undefined);
    assert.equal(diagnostics.length, 101);
    assert.match(diagnostics[100]!.message, /^59900 more problem\(s\) in this document not shown$/);
  });
});
