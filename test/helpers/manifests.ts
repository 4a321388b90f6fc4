/** YAML for test repositories: a Kubernetes Deployment with the knobs tests turn. */
export interface DeploymentYamlOptions {
  readonly name: string;
  readonly replicas?: number;
  readonly image?: string;
  readonly env?: Record<string, string>;
  readonly command?: readonly string[];
  readonly strategy?: 'Recreate' | { maxSurge: number | string; maxUnavailable: number | string };
  readonly port?: number;
  readonly namespace?: string;
  readonly readinessProbe?: ProbeYaml;
  readonly livenessProbe?: ProbeYaml;
  readonly progressDeadlineSeconds?: number;
  readonly minReadySeconds?: number;
  readonly terminationGracePeriodSeconds?: number;
  /** resources.requests / resources.limits, as written (`cpu: 100m`). */
  readonly resources?: { readonly requests?: Readonly<Record<string, string>>; readonly limits?: Readonly<Record<string, string>> };
  /** The pod's nodeSelector (where the swarm driver may place its replicas). */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** Lines of the pod spec's `affinity` (and anything else under it), indented as its children: `['podAntiAffinity:', '  required…: …']`. */
  readonly affinity?: readonly string[];
}

/** One metric of an HPA: a resource (Utilization or AverageValue) or one of berth's per-replica metrics. */
export type HpaMetricYaml =
  | { readonly resource: 'cpu' | 'memory'; readonly utilization: number }
  | { readonly resource: 'cpu' | 'memory'; readonly averageValue: string }
  | { readonly pods: 'berth_requests_per_second' | 'berth_in_flight'; readonly averageValue: string };

/** An autoscaling/v2 HorizontalPodAutoscaler of Deployment `target` (default: its own name). */
export function hpaYaml(o: {
  readonly name: string;
  readonly target?: string;
  readonly min?: number;
  readonly max: number;
  readonly metrics: readonly HpaMetricYaml[];
  readonly scaleDownWindow?: number;
}): string {
  const lines = [
    'apiVersion: autoscaling/v2',
    'kind: HorizontalPodAutoscaler',
    'metadata:',
    `  name: ${o.name}`,
    'spec:',
    '  scaleTargetRef:',
    '    apiVersion: apps/v1',
    '    kind: Deployment',
    `    name: ${o.target ?? o.name}`,
    `  minReplicas: ${o.min ?? 1}`,
    `  maxReplicas: ${o.max}`,
    '  metrics:',
  ];
  for (const m of o.metrics) {
    if ('pods' in m)
      lines.push(
        '    - type: Pods',
        '      pods:',
        '        metric:',
        `          name: ${m.pods}`,
        '        target:',
        '          type: AverageValue',
        `          averageValue: "${m.averageValue}"`,
      );
    else
      lines.push(
        '    - type: Resource',
        '      resource:',
        `        name: ${m.resource}`,
        '        target:',
        ...('utilization' in m
          ? ['          type: Utilization', `          averageUtilization: ${m.utilization}`]
          : ['          type: AverageValue', `          averageValue: ${m.averageValue}`]),
      );
  }
  if (o.scaleDownWindow !== undefined) lines.push('  behavior:', '    scaleDown:', `      stabilizationWindowSeconds: ${o.scaleDownWindow}`);
  return lines.join('\n') + '\n';
}

/** An httpGet (path) or tcpSocket probe on the container's port, checked every `periodSeconds` (default 1). */
export interface ProbeYaml {
  readonly path?: string;
  readonly tcp?: boolean;
  /** An exec probe: this command (port unused). */
  readonly exec?: readonly string[];
  readonly port: number;
  readonly periodSeconds?: number;
  readonly failureThreshold?: number;
  readonly initialDelaySeconds?: number;
}

function probeLines(kind: string, p: ProbeYaml): string[] {
  const action = p.exec
    ? ['            exec:', `              command: ${JSON.stringify(p.exec)}`]
    : p.tcp
      ? ['            tcpSocket:', `              port: ${p.port}`]
      : ['            httpGet:', `              path: ${p.path ?? '/'}`, `              port: ${p.port}`];
  return [
    `          ${kind}:`,
    ...action,
    `            periodSeconds: ${p.periodSeconds ?? 1}`,
    ...(p.failureThreshold !== undefined ? [`            failureThreshold: ${p.failureThreshold}`] : []),
    ...(p.initialDelaySeconds !== undefined ? [`            initialDelaySeconds: ${p.initialDelaySeconds}`] : []),
  ];
}

/**
 * A busybox web server whose answers say which version and which replica served them:
 * `/` answers `<text> <hostname>`, `/cgi-bin/slow` the same after 200 ms. With
 * `servesAfterTermSeconds`, it keeps serving that long after SIGTERM before it stops — what a
 * Kubernetes user does with a preStop sleep for stops no one drains first (a Swarm node drain).
 */
export function webCommand(text: string, port = 8080, o: { servesAfterTermSeconds?: number } = {}): string[] {
  // CGI headers need CRLF (printf turns \015 into CR): Node's HTTP parser refuses bare LF.
  const slow = `#!/bin/sh\\necho Content-Type: text/plain\\015\\necho \\015\\nsleep 0.2\\necho ${text} $(hostname)\\n`;
  const setup = `mkdir -p /www/cgi-bin && echo "${text} $(hostname)" > /www/index.html && printf '${slow}' > /www/cgi-bin/slow && chmod +x /www/cgi-bin/slow`;
  const serve = `httpd -f -p ${port} -h /www`;
  if (o.servesAfterTermSeconds === undefined) return ['sh', '-c', `${setup} && exec ${serve}`];
  return ['sh', '-c', `${setup} || exit 1; ${serve} & p=$!; trap 'sleep ${o.servesAfterTermSeconds}; kill $p; exit 0' TERM; wait $p`];
}

/**
 * A v1 Service selecting `app: <selector>` on `port` → targetPort. Default type: NodePort with a
 * nodePort, else LoadBalancer (so it listens on the host at nodePort, else port, as tests read it);
 * `type: 'ClusterIP'` for one reached only inside the namespace.
 */
export function serviceYaml(o: {
  name: string;
  selector?: string;
  port: number;
  targetPort: number | string;
  nodePort?: number;
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
}): string {
  return [
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    `  name: ${o.name}`,
    'spec:',
    `  type: ${o.type ?? (o.nodePort ? 'NodePort' : 'LoadBalancer')}`,
    '  selector:',
    `    app: ${o.selector ?? o.name}`,
    '  ports:',
    `    - port: ${o.port}`,
    `      targetPort: ${typeof o.targetPort === 'number' ? o.targetPort : JSON.stringify(o.targetPort)}`,
    ...(o.nodePort ? [`      nodePort: ${o.nodePort}`] : []),
    '',
  ].join('\n');
}

/** A networking.k8s.io/v1 Ingress: rules of host (optional) → paths → Service:port. */
export function ingressYaml(o: {
  name: string;
  rules: { host?: string; paths: { path: string; pathType?: string; service: string; port: number }[] }[];
}): string {
  const lines = ['apiVersion: networking.k8s.io/v1', 'kind: Ingress', 'metadata:', `  name: ${o.name}`, 'spec:', '  rules:'];
  for (const rule of o.rules) {
    lines.push(rule.host ? `    - host: ${JSON.stringify(rule.host)}` : '    - http:', ...(rule.host ? ['      http:'] : []), '        paths:');
    for (const p of rule.paths) {
      lines.push(
        `          - path: ${p.path}`,
        `            pathType: ${p.pathType ?? 'Prefix'}`,
        '            backend:',
        '              service:',
        `                name: ${p.service}`,
        '                port:',
        `                  number: ${p.port}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

/** A long-running busybox process that serves HTTP on `port` (default 8080) when asked. */
export function serveCommand(text: string, port = 8080): string[] {
  return ['sh', '-c', `mkdir -p /www && echo '${text}' > /www/index.html && exec httpd -f -p ${port} -h /www`];
}

export function deploymentYaml(o: DeploymentYamlOptions): string {
  const command = o.command ?? ['sleep', '3600'];
  const lines = [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${o.name}`,
    ...(o.namespace ? [`  namespace: ${o.namespace}`] : []),
    'spec:',
    `  replicas: ${o.replicas ?? 1}`,
    ...(o.progressDeadlineSeconds !== undefined ? [`  progressDeadlineSeconds: ${o.progressDeadlineSeconds}`] : []),
    ...(o.minReadySeconds !== undefined ? [`  minReadySeconds: ${o.minReadySeconds}`] : []),
    '  selector:',
    '    matchLabels:',
    `      app: ${o.name}`,
  ];
  if (o.strategy === 'Recreate') lines.push('  strategy:', '    type: Recreate');
  else if (o.strategy)
    lines.push(
      '  strategy:',
      '    type: RollingUpdate',
      '    rollingUpdate:',
      `      maxSurge: ${JSON.stringify(o.strategy.maxSurge)}`,
      `      maxUnavailable: ${JSON.stringify(o.strategy.maxUnavailable)}`,
    );
  lines.push(
    '  template:',
    '    metadata:',
    '      labels:',
    `        app: ${o.name}`,
    '    spec:',
    `      terminationGracePeriodSeconds: ${o.terminationGracePeriodSeconds ?? 5}`,
    ...(o.nodeSelector ? ['      nodeSelector:', ...Object.entries(o.nodeSelector).map(([k, v]) => `        ${k}: ${JSON.stringify(v)}`)] : []),
    ...(o.affinity ? ['      affinity:', ...o.affinity.map((l) => `        ${l}`)] : []),
    '      containers:',
    `        - name: ${o.name}`,
    `          image: ${o.image ?? 'busybox:1.36'}`,
    `          command: ${JSON.stringify(command)}`,
  );
  const env = Object.entries(o.env ?? {});
  if (env.length > 0) {
    lines.push('          env:');
    for (const [k, v] of env) lines.push(`            - name: ${k}`, `              value: ${JSON.stringify(v)}`);
  }
  if (o.port) lines.push('          ports:', `            - containerPort: ${o.port}`);
  if (o.resources) {
    lines.push('          resources:');
    for (const kind of ['requests', 'limits'] as const) {
      const values = Object.entries(o.resources[kind] ?? {});
      if (values.length > 0) lines.push(`            ${kind}:`, ...values.map(([k, v]) => `              ${k}: ${v}`));
    }
  }
  if (o.readinessProbe) lines.push(...probeLines('readinessProbe', o.readinessProbe));
  if (o.livenessProbe) lines.push(...probeLines('livenessProbe', o.livenessProbe));
  return lines.join('\n') + '\n';
}
