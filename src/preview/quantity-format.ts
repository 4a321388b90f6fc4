/**
 * Engine quantities back in the units people write in manifests, for change previews: the
 * shortest exact Kubernetes quantity (formatMemory(134217728) = '128Mi', formatCpu(250_000_000)
 * = '250m'). The inverse of the manifests' parseMemory/parseCpu, so it lives beside them.
 */
export { formatCpu, formatMemory } from '../manifests/index.js';
