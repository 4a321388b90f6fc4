import type { Logger } from '../core/index.js';
import { buildDesiredState, DesiredCache, type DesiredNamespace, type DesiredState } from '../desired/index.js';
import { loadManifests, ManifestCache, parseAsRead, type ManifestSet } from '../manifests/index.js';
import { DEFAULT_OPERATOR_POLICY, namespacePolicy, type OperatorPolicy } from '../policy/index.js';
import type { CommitInfo, GitSource } from '../source/index.js';

export interface SourceRevision {
  readonly commit: CommitInfo;
  readonly manifests: ManifestSet;
  readonly desired: DesiredState;
}

/**
 * Source → manifests → desired, with the caches that make polls cheap: a poll that finds the
 * same commit reads nothing at all; a new commit reads only the namespace folders whose tree
 * ids changed and, within them, only blobs not parsed before. Every namespace is checked
 * against the namespace policy with the operator's ceiling (default: DEFAULT_OPERATOR_POLICY),
 * at the head and at the older commits a broken head falls back to alike.
 */
export class DesiredSource {
  private readonly cache = new ManifestCache();
  private readonly desiredCache = new DesiredCache();
  private latest: SourceRevision | undefined;
  private readonly older = new Map<string, DesiredState>();
  private readonly policy: ReturnType<typeof namespacePolicy>;

  constructor(
    private readonly source: GitSource,
    private readonly instance: string,
    private readonly logger: Logger,
    operatorPolicy: OperatorPolicy = DEFAULT_OPERATOR_POLICY,
  ) {
    this.policy = namespacePolicy(operatorPolicy);
  }

  get description(): string {
    return this.source.description;
  }

  current(): SourceRevision | undefined {
    return this.latest;
  }

  /** Fetches and resolves the ref; when the commit moved, loads the new desired state. */
  async refresh(): Promise<{ readonly revision: SourceRevision; readonly changed: boolean }> {
    const commit = await this.source.resolve();
    if (this.latest && this.latest.commit.oid === commit.oid) return { revision: this.latest, changed: false };
    const manifests = await this.load(commit.oid, this.cache);
    this.cache.retain(manifests);
    const desired = buildDesiredState(manifests, { instance: this.instance, cache: this.desiredCache, policy: this.policy });
    this.latest = { commit, manifests, desired };
    this.logger.info({ commit: commit.oid, namespaces: desired.namespaces.length, parsedFiles: this.cache.stats.parsedFiles }, 'loaded desired state');
    return { revision: this.latest, changed: true };
  }

  /** Resolves a ref or (abbreviated) commit id to a full commit id. */
  async commitOf(ref: string): Promise<string> {
    return (await this.source.resolveRef(ref)).oid;
  }

  /** The desired state of one namespace at an older commit (fallback for a namespace broken at head). */
  async namespaceAt(commit: string, namespace: string): Promise<DesiredNamespace | undefined> {
    const ns = (await this.stateAt(commit)).namespaces.find((n) => n.name === namespace);
    return ns?.valid ? ns : undefined;
  }

  /** The whole desired state at an older commit (kept among the few older ones read last). */
  async stateAt(commit: string): Promise<DesiredState> {
    let state = this.older.get(commit);
    if (!state) {
      const manifests = await this.load(commit, new ManifestCache());
      state = buildDesiredState(manifests, { instance: this.instance, policy: this.policy });
      // A few older commits are kept (rollback pins and broken-head fallbacks read them every pass).
      if (this.older.size >= 8) this.older.delete(this.older.keys().next().value!);
      this.older.set(commit, state);
    }
    return state;
  }

  private load(commit: string, cache: ManifestCache): Promise<ManifestSet> {
    return readManifestSet(this.source, commit, cache);
  }
}

/**
 * The manifests at `commit`, read through `cache`: folders and blobs the cache holds are not read,
 * and each manifest is parsed as soon as its bytes arrive (parseAsRead), so the read never holds
 * every file's bytes at once. The one way berth reads manifests from a source.
 */
export async function readManifestSet(source: Pick<GitSource, 'snapshot'>, commit: string, cache: ManifestCache = new ManifestCache()): Promise<ManifestSet> {
  const snapshot = await source.snapshot({ commit, knownTree: cache.hasTree, knownBlob: cache.hasBlob, consume: parseAsRead(cache) });
  return loadManifests(snapshot, cache);
}
