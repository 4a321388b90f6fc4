import { spawn } from 'node:child_process';
import { once } from 'node:events';

/**
 * The benchmark repository: `namespaces` folders, each with a namespace.yaml and its share of
 * `deployments` Deployment files (realistic ones: labels and an annotation, replicas 1–3,
 * selector, RollingUpdate strategy, a template with image, args, four env vars, two ports and
 * resources.limits; ~1.1 KB each, like a hand-written manifest). Every file is clean: no
 * diagnostics, not even warnings (no resources.requests, no probes), so the benchmark measures
 * the work of a valid repository and asserts that nothing was rejected.
 *
 * Commits are written with `git fast-import` (no work tree, no 10,000 small files on disk):
 * the initial commit in one stream, and each later one-file change as a commit on top of
 * `main` that rewrites exactly one Deployment's image tag. The objects land in packs, like
 * any repository that has been pushed to or gc'ed.
 */
export interface RepoShape {
  readonly deployments: number;
  readonly namespaces: number;
}

export function namespaceName(index: number): string {
  return `ns-${String(index).padStart(4, '0')}`;
}

export function deploymentName(index: number): string {
  return `app-${String(index).padStart(4, '0')}`;
}

/** How many Deployments namespace `ns` holds: the remainder is spread over the first folders. */
export function deploymentsIn(shape: RepoShape, ns: number): number {
  const base = Math.floor(shape.deployments / shape.namespaces);
  return base + (ns < shape.deployments % shape.namespaces ? 1 : 0);
}

/** Replica count of a Deployment: 1, 2 or 3 (2 on average). */
export function replicasOf(ns: number, dep: number): number {
  return ((ns + dep) % 3) + 1;
}

export function namespaceYaml(ns: number): string {
  const name = namespaceName(ns);
  return `apiVersion: v1
kind: Namespace
metadata:
  name: ${name}
  labels:
    team: team-${ns % 40}
`;
}

/** One Deployment file; `tag` is the image tag (the one-file change rewrites only it). */
export function deploymentYaml(ns: number, dep: number, tag = `1.${dep % 10}.${ns % 7}`): string {
  const name = deploymentName(dep);
  const namespace = namespaceName(ns);
  const port = 8000 + (dep % 100);
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${namespace}
  labels:
    app: ${name}
    tier: ${dep % 2 === 0 ? 'frontend' : 'backend'}
  annotations:
    owner: team-${ns % 40}@example.com
spec:
  replicas: ${replicasOf(ns, dep)}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app: ${name}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  template:
    metadata:
      labels:
        app: ${name}
        tier: ${dep % 2 === 0 ? 'frontend' : 'backend'}
    spec:
      terminationGracePeriodSeconds: 20
      containers:
        - name: ${name}
          image: registry.example.com/team-${ns % 40}/${name}:${tag}
          args: ["--port", "${port}", "--log-format", "json"]
          env:
            - name: LOG_LEVEL
              value: info
            - name: NAMESPACE
              value: ${namespace}
            - name: DATABASE_URL
              value: postgres://db.${namespace}.internal:5432/${name.replace('-', '_')}
            - name: FEATURE_FLAGS
              value: "checkout-v2,search-beta"
          ports:
            - name: http
              containerPort: ${port}
            - name: metrics
              containerPort: 9090
          resources:
            limits:
              cpu: 500m
              memory: 256Mi
`;
}

const COMMITTER = 'Berth Bench <bench@berth.invalid>';

/** The initial commit of the whole repository on `refs/heads/main` of `gitdir`. Returns the bytes written. */
export async function importRepository(gitdir: string, shape: RepoShape): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  await fastImport(gitdir, async (write) => {
    await write(commitHeader(`generate ${shape.deployments} Deployments in ${shape.namespaces} namespaces`, undefined));
    for (let ns = 0; ns < shape.namespaces; ns++) {
      const chunks: string[] = [fileCommand(`${namespaceName(ns)}/namespace.yaml`, namespaceYaml(ns))];
      for (let dep = 0; dep < deploymentsIn(shape, ns); dep++) {
        const yaml = deploymentYaml(ns, dep);
        bytes += Buffer.byteLength(yaml);
        chunks.push(fileCommand(`${namespaceName(ns)}/${deploymentName(dep)}.yaml`, yaml));
      }
      files += chunks.length;
      await write(chunks.join(''));
    }
  });
  return { files, bytes };
}

/** A commit on top of `main` that rewrites one Deployment's image tag. */
export async function importImageChange(gitdir: string, args: { ns: number; dep: number; tag: string }): Promise<void> {
  await fastImport(gitdir, async (write) => {
    await write(commitHeader(`${namespaceName(args.ns)}/${deploymentName(args.dep)}: image ${args.tag}`, 'refs/heads/main^0'));
    await write(fileCommand(`${namespaceName(args.ns)}/${deploymentName(args.dep)}.yaml`, deploymentYaml(args.ns, args.dep, args.tag)));
  });
}

function commitHeader(message: string, from: string | undefined): string {
  const when = `${Math.floor(Date.now() / 1000)} +0000`;
  return `commit refs/heads/main\ncommitter ${COMMITTER} ${when}\ndata ${Buffer.byteLength(message)}\n${message}\n${from ? `from ${from}\n` : ''}`;
}

function fileCommand(path: string, content: string): string {
  return `M 100644 inline ${path}\ndata ${Buffer.byteLength(content)}\n${content}\n`;
}

/** Runs `git fast-import` (async: the HTTP server may live in this process) and feeds it the stream. */
async function fastImport(gitdir: string, produce: (write: (chunk: string) => Promise<void>) => Promise<void>): Promise<void> {
  const child = spawn('git', ['--git-dir', gitdir, 'fast-import', '--quiet', '--done'], {
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
  });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (c: Buffer) => stderr.push(c));
  child.stdin.on('error', () => undefined); // a dying fast-import is reported by its exit code below
  const exited = once(child, 'close') as Promise<[number | null]>;
  const write = async (chunk: string): Promise<void> => {
    if (!child.stdin.write(chunk)) await once(child.stdin, 'drain');
  };
  await produce(write);
  child.stdin.end('done\n');
  const [code] = await exited;
  if (code !== 0) throw new Error(`git fast-import exited ${code}: ${Buffer.concat(stderr).toString().trim()}`);
}
