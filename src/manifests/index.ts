/**
 * manifests: Snapshot → ManifestSet. Owns reading the manifest tree a commit holds: YAML
 * parsing with limits, JSON Schema validation (schemas/*.json, ajv compiled once), the
 * folder = namespace rules, duplicates, and the cache that makes an unchanged folder free.
 *
 * Invariants:
 *  - Pure: no I/O, no clock, no logger. The same Snapshot (and limits) always gives the same
 *    ManifestSet, whatever the cache holds; the cache only saves work.
 *  - Every problem is a Diagnostic with file, line, column, document and field path; nothing
 *    in the input is dropped silently. Scheduling-only Kubernetes fields are warnings (and are
 *    removed from the objects), fields berth cannot honour are errors, typos are errors.
 *  - A namespace folder with any error is `valid: false` with no objects, so downstream leaves
 *    that namespace exactly as it runs. Invalid input never deletes anything.
 *  - yaml nodes and ajv errors stop here: objects are plain, typed, and carry `source`.
 *  - Hostile input costs bounded work: size, nesting depth and alias expansion are limited
 *    before the expensive steps.
 */
export type * from './types.js';
export { SECRET_REFERENCE_TYPE, QUOTA_RESOURCES, ACCESS_MODES, podContainers, isWorkload } from './types.js';
export { loadManifests, parseAsRead, ManifestCacheMissError, type LoadOptions } from './load.js';
export { ManifestCache, type ManifestCacheStats } from './cache.js';
export { DEFAULT_PARSE_LIMITS, type ParseLimits } from './parse.js';
export { parseCpu, parseMemory, parseCount, parseNumber, formatCpu, formatMemory, MIN_CPU_LIMIT_NANOS, MIN_MEMORY_LIMIT_BYTES } from './quantity.js';
export { MANIFEST_DIAGNOSTICS, type ManifestDiagnosticCode } from './codes.js';
export { SUPPORTED_KINDS } from './schemas.js';
export { VALIDATED_NOT_ACTED_ON } from './deployment-rules.js';
export { RESERVED_ENV } from './secret-rules.js';
export { ENV_VAR_NAME, CONFIGMAP_MAX_BYTES, immutableConfigMapChanged, utf8Length, base64Length } from './configmap-rules.js';
export { DEFAULT_UPSTREAM_TIMEOUTS, UPSTREAM_TIMEOUT_ANNOTATIONS, upstreamTimeoutsOf, type UpstreamTimeouts } from './ingress-timeouts.js';
export { isReadOnlyClaim } from './claim-rules.js';
