import { compareDiagnostics, hasErrors, isDnsLabel, spreadOwn, type Diagnostic } from '../core/index.js';
import type { Snapshot, SnapshotFile, SnapshotFolder } from '../source/index.js';
import { checkClaimUses, type ClaimFacts, type PlacedClaimUser } from './claim-rules.js';
import type { ManifestCache, FolderEntry } from './cache.js';
import type { ConfigMapKeys, ConfigMapRefUse } from './configmap-rules.js';
import { oversizedFile, readManifestFile, type FileResult } from './file-result.js';
import { checkIngressBackends, type IngressBackendUse } from './ingress-rules.js';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from './parse.js';
import { checkQuotas, type PlacedObject, type PlacedQuota } from './quota-rules.js';
import { isUnsafeFileKey, type SecretKeyRefUse } from './secret-rules.js';
import { checkHostPorts, type PlacedHostPorts } from './host-port-rules.js';
import { checkHostPortsAcrossNamespaces } from './service-host-port-rules.js';
import { checkTargetPortNames } from './target-port-rules.js';
import { checkWorkloadNames } from './statefulset-rules.js';
import { checkAutoscalers } from './hpa-rules.js';
import { checkListenPorts, type PlacedService, type ServicePortFact } from './service-rules.js';
import type { Manifest, ManifestSet, NamespaceManifests } from './types.js';
import { shared } from './share-strings.js';

/** Limits applied to every file; see ParseLimits for the defaults. */
export type LoadOptions = Partial<ParseLimits>;

/**
 * A caller bug, never bad input: the Snapshot omitted a folder's files or a file's content
 * (because `knownTree`/`knownBlob` said the cache had them) but the cache does not.
 */
export class ManifestCacheMissError extends Error {
  constructor(message: string) {
    super(`internal error: ${message} (the Snapshot was read with knownTree/knownBlob from a different or since-pruned ManifestCache?)`);
    this.name = 'ManifestCacheMissError';
  }
}

/**
 * Snapshot → ManifestSet. Folder = namespace:
 *
 *  - Every folder directly under the root whose name is a DNS label is a namespace and gets a
 *    NamespaceManifests entry, even when empty. Its *.yaml / *.yml files directly inside are
 *    read (extension case-insensitive); other files are ignored silently (README.md, …);
 *    *.yaml files deeper down get a NESTED_FILE warning; symlinks are never followed (an
 *    error for a *.yaml name, so the namespace is left as it runs, else a warning);
 *    submodules get a warning.
 *  - A folder whose name is not a DNS label cannot be a namespace: it gets no entry, and a
 *    set-level INVALID_FOLDER_NAME diagnostic (an error when it holds *.yaml files, else a
 *    warning). Nothing berth runs can be in such a namespace, so leaving it out can never
 *    prune anything. Folders starting with '.' (.github, .vscode) are skipped silently.
 *  - *.yaml files directly under the root belong to no namespace: ROOT_FILE warning.
 *  - In a folder: `metadata.namespace`, when present, must equal the folder; a Namespace
 *    object must be named after the folder (so there is at most one); a kind/name pair may
 *    be defined once (the second gets the error, naming the first's file:line); every
 *    `env[].valueFrom.secretKeyRef` names a Secret of the same folder and a key it declares,
 *    unless it is `optional: true` (as Kubernetes, which also resolves within the namespace);
 *    likewise every configMapKeyRef, envFrom configMapRef and configMap volume names a ConfigMap
 *    of the folder and a key it holds;
 *    no two Service ports listen on the same port (nodePort, else port); every Ingress backend
 *    names a Service of the same folder and a port that Service declares; the folder's
 *    Deployments (replicas, limits) and objects fit every ResourceQuota of the folder
 *    (quota-rules.ts: steady-state sums, the Deployment that goes over gets the error); every
 *    persistentVolumeClaim volume names a PersistentVolumeClaim of the folder, and a
 *    ReadWriteOncePod claim has one Deployment with one replica and no surge (claim-rules.ts).
 *  - Any error in a folder makes it `valid: false` with `objects: []`: it is left as it runs.
 *    Every file that parsed is still checked (schema, references, quotas), and its objects are
 *    kept as `reportOnly` for the policy's report: every problem shows in one run.
 *
 * Diagnostics are sorted; objects keep file then document order; namespaces are sorted by name.
 * Pure: reads nothing but its arguments, and uses `cache` for results of earlier loads.
 */
export function loadManifests(snapshot: Snapshot, cache: ManifestCache, options: LoadOptions = {}): ManifestSet {
  const limits = limitsOf(options);
  cache.useLimits(limits);
  const diagnostics: Diagnostic[] = [];
  const namespaces: NamespaceManifests[] = [];

  for (const file of snapshot.rootFiles) {
    const d = rootFileDiagnostic(file);
    if (d) diagnostics.push(d);
  }

  for (const folder of snapshot.folders) {
    if (folder.name.startsWith('.')) continue;
    const cached = cache.namespace(folder.name, folder.treeId);
    if (cached) {
      namespaces.push(cached);
      continue;
    }
    const entries = folder.files ? folderEntries(folder) : cache.listing(folder.treeId);
    if (!entries)
      throw new ManifestCacheMissError(
        `folder ${JSON.stringify(folder.name)} (tree ${folder.treeId}) came without files and the cache does not hold that tree`,
      );
    if (!isDnsLabel(folder.name)) {
      const holdsManifests = entries.some((e) => !e.path.includes('/') && isManifestName(e.path));
      diagnostics.push({
        severity: holdsManifests ? 'error' : 'warning',
        code: 'INVALID_FOLDER_NAME',
        file: folder.name,
        message: `folder ${JSON.stringify(folder.name)} is not a namespace: a namespace folder is named as a DNS label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)${holdsManifests ? '; its manifests are not loaded' : ''}`,
      });
      continue;
    }
    const contents = new Map<string, Uint8Array>();
    const oversized = new Map<string, { readonly size: number; readonly limit: number }>();
    for (const f of folder.files ?? []) {
      if (f.content) contents.set(f.oid, f.content);
      else if (f.tooLarge) oversized.set(f.oid, f.tooLarge);
    }
    const result = loadNamespace(folder, entries, (oid, path) => {
      const content = contents.get(oid);
      const tooLarge = oversized.get(oid);
      const read = content
        ? (): FileResult => readManifestFile(content, limits)
        : tooLarge
          ? (): FileResult => oversizedFile(tooLarge.size, Math.min(tooLarge.limit, limits.maxFileBytes))
          : undefined;
      const found = cache.file(oid, read);
      if (!found) throw new ManifestCacheMissError(`file ${path} (blob ${oid}) came without content and the cache does not hold that blob`);
      return found;
    });
    cache.storeNamespace(result, entries);
    namespaces.push(result);
  }

  return {
    commit: snapshot.commit,
    namespaces: checkHostPortsAcrossNamespaces(namespaces),
    diagnostics: diagnostics.sort(compareDiagnostics),
  };
}

function loadNamespace(folder: SnapshotFolder, entries: readonly FolderEntry[], fileResult: (oid: string, path: string) => FileResult): NamespaceManifests {
  const name = folder.name;
  const diagnostics: Diagnostic[] = [];
  const objects: Manifest[] = [];
  const defined = new Map<string, string>(); // "Kind/name" → "file:line" of its first definition
  const secrets = new Map<string, readonly string[] | undefined>(); // Secret name → its keys (undefined: the document is invalid)
  const refs: { use: SecretKeyRefUse; file: string; document: number }[] = [];
  const configMaps = new Map<string, ConfigMapKeys | undefined>(); // ConfigMap name → its keys (undefined: the document is invalid)
  const configMapRefs: { use: ConfigMapRefUse; file: string; document: number }[] = [];
  const services = new Map<string, readonly ServicePortFact[] | undefined>(); // Service name → its ports (undefined: the document is invalid)
  const placedServices: PlacedService[] = [];
  const placedHostPorts: PlacedHostPorts[] = [];
  const backends: { use: IngressBackendUse; file: string; document: number }[] = [];
  const quotas: PlacedQuota[] = [];
  const placed: PlacedObject[] = []; // valid objects, for the quota sums
  const claims = new Map<string, ClaimFacts | undefined>(); // PersistentVolumeClaim name → its facts (undefined: the document is invalid)
  const claimUsers: PlacedClaimUser[] = [];

  for (const entry of entries) {
    const file = shared(`${name}/${entry.path}`); // flat: every diagnostic and manifest of the file holds it
    const isManifest = isManifestName(entry.path);
    if (entry.mode === 'submodule') {
      diagnostics.push({ severity: 'warning', code: 'SUBMODULE', file, namespace: name, message: 'ignored: a Git submodule (berth does not read submodules)' });
      continue;
    }
    if (entry.path.includes('/')) {
      if (isManifest)
        diagnostics.push({
          severity: 'warning',
          code: 'NESTED_FILE',
          file,
          namespace: name,
          message: 'ignored: berth reads only files directly in the namespace folder',
        });
      continue;
    }
    if (entry.mode === 'symlink') {
      diagnostics.push(
        isManifest
          ? { severity: 'error', code: 'SYMLINK', file, namespace: name, message: 'a symlink: berth never follows symlinks; put the manifest itself here' }
          : { severity: 'warning', code: 'SYMLINK', file, namespace: name, message: 'ignored: a symlink (berth never follows symlinks)' },
      );
      continue;
    }
    if (!isManifest) continue;

    const result = fileResult(entry.oid, file);
    for (const d of result.diagnostics) diagnostics.push({ ...d, file, namespace: name });
    for (const doc of result.documents) {
      const at = (p: { line: number; column: number } | undefined, field: string) => ({
        file,
        namespace: name,
        document: doc.index,
        field,
        line: p?.line ?? doc.line,
        ...(p ? { column: p.column } : {}),
      });
      if (doc.namespace !== undefined && doc.namespace !== name) {
        diagnostics.push({
          severity: 'error',
          code: 'NAMESPACE_MISMATCH',
          ...at(doc.namespaceAt, 'metadata.namespace'),
          message: `metadata.namespace is ${JSON.stringify(doc.namespace)} but the file is in folder ${JSON.stringify(name)} (the folder is the namespace)`,
        });
      }
      if (doc.kind === 'Namespace' && doc.name !== undefined && doc.name !== name) {
        diagnostics.push({
          severity: 'error',
          code: 'NAMESPACE_NAME_MISMATCH',
          ...at(doc.nameAt, 'metadata.name'),
          message: `a Namespace object must be named after its folder: expected ${JSON.stringify(name)}, got ${JSON.stringify(doc.name)}`,
        });
      }
      if (doc.kind !== undefined && doc.name !== undefined) {
        const key = `${doc.kind}/${doc.name}`;
        const here = at(doc.nameAt, 'metadata.name');
        const first = defined.get(key);
        if (first !== undefined) {
          diagnostics.push({
            severity: 'error',
            code: 'DUPLICATE_OBJECT',
            ...here,
            message: `duplicate ${doc.kind} ${JSON.stringify(doc.name)}: already defined at ${first}`,
          });
        } else {
          defined.set(key, `${file}:${here.line}`);
        }
      }
      if (doc.kind === 'Secret' && doc.name !== undefined && !secrets.has(doc.name)) secrets.set(doc.name, doc.secretKeys);
      for (const use of doc.secretKeyRefs ?? []) refs.push({ use, file, document: doc.index });
      if (doc.kind === 'ConfigMap' && doc.name !== undefined && !configMaps.has(doc.name)) configMaps.set(doc.name, doc.configMapKeys);
      for (const use of doc.configMapRefs ?? []) configMapRefs.push({ use, file, document: doc.index });
      if (doc.kind === 'Service' && doc.name !== undefined && !services.has(doc.name)) {
        services.set(doc.name, doc.servicePorts);
        if (doc.servicePorts) placedServices.push({ name: doc.name, file, document: doc.index, ports: doc.servicePorts });
      }
      for (const use of doc.ingressBackends ?? []) backends.push({ use, file, document: doc.index });
      if (doc.hostPorts && doc.hostPorts.length > 0 && doc.name !== undefined)
        placedHostPorts.push({ deployment: doc.name, file, document: doc.index, ports: doc.hostPorts });
      if (doc.kind === 'PersistentVolumeClaim' && doc.name !== undefined && !claims.has(doc.name)) claims.set(doc.name, doc.claim);
      if (doc.claimUser && doc.name !== undefined) claimUsers.push({ deployment: doc.name, file, document: doc.index, user: doc.claimUser });
      if (doc.body && doc.kind !== undefined && doc.name !== undefined) {
        placed.push({
          kind: doc.kind,
          name: doc.name,
          file,
          document: doc.index,
          nameAt: doc.nameAt ?? { line: doc.line, column: 1 },
          ...(doc.quotaDemand ? { demand: doc.quotaDemand } : {}),
          ...(doc.claim ? { storage: { amount: doc.claim.storageBytes, at: doc.claim.storageAt } } : {}),
        });
      }
      // A StatefulSet's claims (one per template per ordinal) count as PersistentVolumeClaims of the folder.
      for (const c of doc.templateClaims ?? [])
        placed.push({
          kind: 'PersistentVolumeClaim',
          name: c.name,
          file,
          document: doc.index,
          nameAt: c.at,
          storage: { amount: c.bytes, at: c.at, field: c.field },
        });
      if (doc.quotaBounds && doc.name !== undefined) quotas.push({ name: doc.name, file, document: doc.index, bounds: doc.quotaBounds });
      if (doc.body) objects.push(spreadOwn<Manifest>(doc.body, { source: { file, document: doc.index, line: doc.line } }));
    }
  }
  diagnostics.push(...checkSecretKeyRefs(name, refs, secrets, defined));
  diagnostics.push(...checkConfigMapRefs(name, configMapRefs, configMaps, defined));
  diagnostics.push(...checkListenPorts(name, placedServices));
  diagnostics.push(...checkHostPorts(name, placedServices, placedHostPorts));
  diagnostics.push(...checkIngressBackends(name, backends, services, defined));
  diagnostics.push(...checkQuotas(name, quotas, placed));
  diagnostics.push(...checkClaimUses(name, claims, defined, claimUsers));
  diagnostics.push(...checkAutoscalers(name, objects));
  diagnostics.push(...checkWorkloadNames(name, objects));

  const valid = !hasErrors(diagnostics);
  if (valid) diagnostics.push(...checkTargetPortNames(name, objects));
  return {
    name,
    treeId: folder.treeId,
    objects: valid ? objects : [],
    diagnostics: diagnostics.sort(compareDiagnostics),
    valid,
    ...(valid ? {} : { reportOnly: objects }),
  };
}

/**
 * Every non-optional secretKeyRef must name a Secret of this folder and a key it declares (a
 * Secret whose document is invalid counts as defined: its own errors say what is wrong).
 */
function checkSecretKeyRefs(
  namespace: string,
  refs: readonly { use: SecretKeyRefUse; file: string; document: number }[],
  secrets: ReadonlyMap<string, readonly string[] | undefined>,
  defined: ReadonlyMap<string, string>,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { use, file, document } of refs) {
    if (use.optional) continue;
    const where = { severity: 'error' as const, code: 'SECRET_REF_NOT_FOUND', file, namespace, document };
    if (!secrets.has(use.secret)) {
      if (use.key !== undefined && use.nameField === 'secretName') continue; // a volume's item: the volume itself reports the missing Secret
      out.push({
        ...where,
        field: `${use.field}.${use.nameField ?? 'name'}`,
        ...use.nameAt,
        message: `Secret ${JSON.stringify(use.secret)} is not defined in namespace folder ${JSON.stringify(namespace)}: add a v1 Secret (type: berth.dev/host-reference) named ${JSON.stringify(use.secret)} there, or set optional: true`,
      });
      continue;
    }
    const keys = secrets.get(use.secret);
    const unsafe = use.allKeys ? (keys ?? []).filter(isUnsafeFileKey) : [];
    if (unsafe.length > 0) {
      out.push({
        ...where,
        code: 'INVALID_VALUE',
        field: `${use.field}.secretName`,
        ...use.nameAt,
        message: `Secret ${JSON.stringify(use.secret)} declares key(s) ${unsafe.map((k) => JSON.stringify(k)).join(', ')} that cannot be a file name (".", ".." or starting with ".."): list the keys in items, each with a path`,
      });
    }
    if (use.key !== undefined && keys && !keys.includes(use.key)) {
      out.push({
        ...where,
        field: `${use.field}.key`,
        ...use.keyAt,
        message: `Secret ${JSON.stringify(use.secret)} (${defined.get(`Secret/${use.secret}`) ?? namespace}) has no key ${JSON.stringify(use.key)}; it declares ${keys.map((k) => JSON.stringify(k)).join(', ')}`,
      });
    }
  }
  return out;
}

/**
 * Every non-optional ConfigMap reference must name a ConfigMap of this folder and a key it holds:
 * in `data` for an env var (Kubernetes' env never reads binaryData), in either for a volume item
 * (a ConfigMap whose document is invalid counts as defined: its own errors say what is wrong).
 */
function checkConfigMapRefs(
  namespace: string,
  refs: readonly { use: ConfigMapRefUse; file: string; document: number }[],
  configMaps: ReadonlyMap<string, ConfigMapKeys | undefined>,
  defined: ReadonlyMap<string, string>,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { use, file, document } of refs) {
    const keys = configMaps.get(use.configMap);
    if (use.optional) continue;
    const where = { severity: 'error' as const, code: 'CONFIGMAP_REF_NOT_FOUND', file, namespace, document };
    if (!configMaps.has(use.configMap)) {
      if (use.item) continue; // the volume itself reports the missing ConfigMap
      out.push({
        ...where,
        field: `${use.field}.name`,
        ...use.nameAt,
        message: `ConfigMap ${JSON.stringify(use.configMap)} is not defined in namespace folder ${JSON.stringify(namespace)}: add a v1 ConfigMap named ${JSON.stringify(use.configMap)} there, or set optional: true`,
      });
      continue;
    }
    if (use.key === undefined || !keys) continue;
    const held = use.keyIn === 'data' ? keys.data : [...keys.data, ...keys.binaryData].sort();
    if (held.includes(use.key)) continue;
    const inBinary = use.keyIn === 'data' && keys.binaryData.includes(use.key);
    out.push({
      ...where,
      field: `${use.field}.key`,
      ...use.keyAt,
      message: inBinary
        ? `ConfigMap ${JSON.stringify(use.configMap)} holds ${JSON.stringify(use.key)} in binaryData; an environment variable reads data only (as in Kubernetes): mount it as a file of a configMap volume`
        : `ConfigMap ${JSON.stringify(use.configMap)} (${defined.get(`ConfigMap/${use.configMap}`) ?? namespace}) has no key ${JSON.stringify(use.key)}${use.keyIn === 'data' ? ' in data' : ''}; it holds ${held.length > 0 ? held.map((k) => JSON.stringify(k)).join(', ') : 'none'}`,
    });
  }
  return out;
}

/** The entries of a folder that matter (manifests, symlinks, submodules), relative to the folder, by path. */
function folderEntries(folder: SnapshotFolder): FolderEntry[] {
  const prefix = `${folder.name}/`;
  const out: FolderEntry[] = [];
  for (const f of folder.files ?? []) {
    const path = f.path.startsWith(prefix) ? f.path.slice(prefix.length) : f.path;
    if (f.mode === 'symlink' || f.mode === 'submodule' || isManifestName(path)) out.push({ path, oid: f.oid, mode: f.mode });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function rootFileDiagnostic(file: SnapshotFile): Diagnostic | undefined {
  if (file.mode === 'submodule')
    return { severity: 'warning', code: 'SUBMODULE', file: file.path, message: 'ignored: a Git submodule (berth does not read submodules)' };
  if (file.mode === 'symlink') return { severity: 'warning', code: 'SYMLINK', file: file.path, message: 'ignored: a symlink (berth never follows symlinks)' };
  if (isManifestName(file.path))
    return {
      severity: 'warning',
      code: 'ROOT_FILE',
      file: file.path,
      message: 'ignored: a file directly in the manifest root belongs to no namespace; move it into a namespace folder',
    };
  return undefined;
}

function isManifestName(path: string): boolean {
  return /\.ya?ml$/i.test(path);
}

/**
 * The snapshot's `consume` for a load into `cache` with the same `options`: each file a namespace
 * folder holds directly with a manifest name (`shop/web.yaml`) is parsed and validated into the
 * cache as soon as its bytes are read, and the snapshot drops them; loadManifests then finds the
 * result as it finds a known blob. Other files (deeper, at the root, in a folder that cannot be a
 * namespace, not *.yaml) are left to the snapshot as they were. The ManifestSet is the same either way: a
 * file's result depends only on its bytes and the limits. What changes is memory: the bytes
 * of one file live while it is parsed, not every file's until the whole tree is read.
 */
export function parseAsRead(cache: ManifestCache, options: LoadOptions = {}): (path: string, oid: string, content: Uint8Array) => boolean {
  const limits = limitsOf(options);
  cache.useLimits(limits);
  return (path, oid, content) => {
    const slash = path.indexOf('/');
    if (slash <= 0 || path.includes('/', slash + 1) || !isManifestName(path) || !isDnsLabel(path.slice(0, slash))) return false;
    cache.fileAhead(oid, () => readManifestFile(content, limits));
    return true;
  };
}

function limitsOf(options: LoadOptions): ParseLimits {
  return { ...DEFAULT_PARSE_LIMITS, ...definedOnly(options) };
}

function definedOnly(options: LoadOptions): Partial<ParseLimits> {
  const out: { -readonly [K in keyof ParseLimits]?: ParseLimits[K] } = {};
  for (const key of ['maxFileBytes', 'maxAliasCount', 'maxDepth'] as const) if (options[key] !== undefined) out[key] = options[key];
  return out;
}
