import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { buildDesiredState, type DesiredDeployment } from '../../../src/desired/index.js';
import { loadManifests, ManifestCache } from '../../../src/manifests/index.js';
import type { Snapshot, SnapshotFile, SnapshotFolder } from '../../../src/source/snapshot.js';

/**
 * In-memory Snapshots for tests, shaped as the source module builds them: paths relative to
 * the manifest root, fake but consistent git ids (sha1 of the content / of the listing).
 */
const encoder = new TextEncoder();

export function oidOf(content: string | Uint8Array): string {
  return createHash('sha1').update(content).digest('hex');
}

export type FileSpec = string | Uint8Array | { readonly symlink: string } | { readonly submodule: true };

/** A folder from `{ 'web.yaml': '…', 'sub/x.yaml': '…', 'link.yaml': { symlink: '../x' } }`. */
export function folder(name: string, files: Readonly<Record<string, FileSpec>>): SnapshotFolder {
  const list: SnapshotFile[] = Object.entries(files)
    .map(([rel, spec]) => file(`${name}/${rel}`, spec))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { name, treeId: oidOf(list.map((f) => `${f.mode} ${f.path.slice(name.length + 1)} ${f.oid}`).join('\n')), files: list };
}

export function file(path: string, spec: FileSpec): SnapshotFile {
  if (typeof spec === 'string' || spec instanceof Uint8Array) {
    const content = typeof spec === 'string' ? encoder.encode(spec) : spec;
    return { path, oid: oidOf(content), mode: 'file', content };
  }
  if ('symlink' in spec) return { path, oid: oidOf(`link:${spec.symlink}`), mode: 'symlink' };
  return { path, oid: oidOf(`submodule:${path}`), mode: 'submodule' };
}

export function snapshot(folders: readonly SnapshotFolder[], rootFiles: Readonly<Record<string, FileSpec>> = {}, commit = 'c0ffee'): Snapshot {
  return {
    commit,
    root: '',
    rootTreeId: oidOf(folders.map((f) => f.treeId).join()),
    folders: [...folders].sort((a, b) => (a.name < b.name ? -1 : 1)),
    rootFiles: Object.entries(rootFiles).map(([p, spec]) => file(p, spec)),
  };
}

/** What the source hands over when asked with the cache's knownTree/knownBlob callbacks. */
export function asSourceWouldRead(s: Snapshot, cache: ManifestCache): Snapshot {
  return {
    ...s,
    folders: s.folders.map((f) =>
      cache.hasTree(f.treeId)
        ? { name: f.name, treeId: f.treeId }
        : { ...f, files: (f.files ?? []).map((x) => (cache.hasBlob(x.oid) ? { path: x.path, oid: x.oid, mode: x.mode } : x)) },
    ),
  };
}

/** A valid Deployment; `extra` lines are appended under `spec.template.spec.containers[0]`. */
export function deployment(name: string, options: { labels?: string; container?: string; spec?: string; metadata?: string; podSpec?: string } = {}): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
${options.metadata ?? ''}spec:
  replicas: 2
  selector:
    matchLabels:
      app: ${name}
${options.spec ?? ''}  template:
    metadata:
      labels:
        app: ${name}
${options.labels ?? ''}    spec:
${options.podSpec ?? ''}      containers:
        - name: main
          image: busybox:1.36
${options.container ?? ''}`;
}

/** Indents every non-empty line by `n` spaces: a pod spec block is indent(6), a container's fields indent(10). */
export const indent =
  (n: number) =>
  (lines: string): string =>
    lines.replace(/^(?=.)/gm, ' '.repeat(n));

/** The desired Deployment `name` of a valid namespace folder `shop` holding `files` (or one file web.yaml). */
export function desiredDeploymentOf(files: Readonly<Record<string, string>> | string, name?: string): DesiredDeployment {
  const set = loadManifests(snapshot([folder('shop', typeof files === 'string' ? { 'web.yaml': files } : files)]), new ManifestCache());
  const ns = buildDesiredState(set, { instance: 'default' }).namespaces[0]!;
  assert.equal(ns.valid, true, JSON.stringify(ns.diagnostics));
  const d = name === undefined ? ns.deployments[0] : ns.deployments.find((x) => x.name === name);
  assert.ok(d, `Deployment ${name ?? '(first)'} is desired`);
  return d;
}
