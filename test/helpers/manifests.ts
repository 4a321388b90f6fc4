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
    '  selector:',
    '    matchLabels:',
    `      app: ${o.name}`,
  ];
  if (o.strategy === 'Recreate') lines.push('  strategy:', '    type: Recreate');
  else if (o.strategy) lines.push('  strategy:', '    type: RollingUpdate', '    rollingUpdate:', `      maxSurge: ${JSON.stringify(o.strategy.maxSurge)}`, `      maxUnavailable: ${JSON.stringify(o.strategy.maxUnavailable)}`);
  lines.push(
    '  template:',
    '    metadata:',
    '      labels:',
    `        app: ${o.name}`,
    '    spec:',
    '      terminationGracePeriodSeconds: 5',
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
  return lines.join('\n') + '\n';
}
