/**
 * Engine quantities back in the units people write in manifests, for change previews:
 * the shortest exact Kubernetes quantity.
 *   formatMemory(134217728)  = '128Mi'     formatMemory(1_000_000_000) = '1G'
 *   formatMemory(1536)       = '1536'      (1.5Ki has no whole-number form)
 *   formatCpu(250_000_000)   = '250m'      formatCpu(2_000_000_000)    = '2'
 *   formatCpu(1_500_000_000) = '1500m'     formatCpu(1)                = '1n'
 */
const BINARY: readonly [string, number][] = [
  ['Ei', 2 ** 60],
  ['Pi', 2 ** 50],
  ['Ti', 2 ** 40],
  ['Gi', 2 ** 30],
  ['Mi', 2 ** 20],
  ['Ki', 2 ** 10],
];
const DECIMAL: readonly [string, number][] = [
  ['E', 1e18],
  ['P', 1e15],
  ['T', 1e12],
  ['G', 1e9],
  ['M', 1e6],
  ['k', 1e3],
];

export function formatMemory(bytes: number): string {
  if (bytes === 0) return '0';
  for (const [suffix, size] of BINARY) if (bytes % size === 0) return `${bytes / size}${suffix}`;
  for (const [suffix, size] of DECIMAL) if (bytes % size === 0) return `${bytes / size}${suffix}`;
  return String(bytes);
}

export function formatCpu(nanoCpus: number): string {
  if (nanoCpus % 1e9 === 0) return String(nanoCpus / 1e9);
  if (nanoCpus % 1e6 === 0) return `${nanoCpus / 1e6}m`;
  if (nanoCpus % 1e3 === 0) return `${nanoCpus / 1e3}u`;
  return `${nanoCpus}n`;
}
