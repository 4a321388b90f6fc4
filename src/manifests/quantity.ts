/**
 * Kubernetes resource quantities (`resources.limits.cpu: 500m`, `memory: 128Mi`), converted to
 * what the Docker engine takes: NanoCpus and Memory bytes.
 *
 * Grammar (k8s.io/apimachinery resource.Quantity):
 *   quantity ::= sign? number suffix?
 *   number   ::= digits | digits "." digits? | "." digits
 *   suffix   ::= Ki | Mi | Gi | Ti | Pi | Ei          (binary: 2^10 … 2^60)
 *              | n | u | m | "" | k | M | G | T | P | E (decimal: 10^-9 … 10^18)
 *              | (e|E) sign? digits                   (decimal exponent)
 * Exact arithmetic (BigInt), rounded up as Kubernetes does:
 *   parseCpu("500m") = 500_000_000 nanoCPUs   parseCpu("0.5") = parseCpu(0.5) = 500_000_000
 *   parseCpu(2)      = 2_000_000_000          parseCpu("1n")  = 1
 *   parseMemory("128Mi") = 134_217_728        parseMemory("1G") = 1_000_000_000
 *   parseMemory("129e6") = 129_000_000        parseMemory("0.5Ki") = 512
 *   parseMemory("1.5") = 2 (a fractional byte rounds up)
 * Negative values, NaN/Infinity, results above Number.MAX_SAFE_INTEGER and anything outside
 * the grammar give `undefined`.
 */

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei)|(n|u|m|k|M|G|T|P|E))?$/;

const BINARY_SHIFT: Readonly<Record<string, bigint>> = { Ki: 10n, Mi: 20n, Gi: 30n, Ti: 40n, Pi: 50n, Ei: 60n };
const DECIMAL_EXPONENT: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** Longest quantity string considered; Kubernetes quantities are short. Bounds BigInt work. */
const MAX_QUANTITY_LENGTH = 64;
/** Largest |decimal exponent| considered: beyond it nothing fits a safe integer or rounds to > 0 usefully. */
const MAX_EXPONENT = 40;

/** An exact non-negative rational `numerator / denominator`. */
interface Rational {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

/** Parses a quantity into an exact rational, or undefined when it is not one (or is negative). */
function parseQuantity(input: string | number): Rational | undefined {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) return undefined;
    text = String(input); // e.g. "0.5", "2", "1e+21": all inside the grammar
  } else if (typeof input === 'string') {
    text = input;
  } else {
    return undefined;
  }
  if (text.length === 0 || text.length > MAX_QUANTITY_LENGTH) return undefined;
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const [, sign, number = '', exponentText, binary, decimal] = m;
  const [intPart = '', fracPart = ''] = number.split('.');
  const digits = BigInt(`${intPart}${fracPart}` || '0');
  if (sign === '-' && digits !== 0n) return undefined;
  let exponent = -fracPart.length;
  if (exponentText !== undefined) exponent += Number(exponentText);
  if (decimal !== undefined) exponent += DECIMAL_EXPONENT[decimal] ?? 0;
  if (Math.abs(exponent) > MAX_EXPONENT + fracPart.length) return undefined;
  let numerator = digits;
  let denominator = 1n;
  if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
  else denominator = 10n ** BigInt(-exponent);
  if (binary !== undefined) numerator <<= BINARY_SHIFT[binary] ?? 0n;
  return { numerator, denominator };
}

/** ceil(r × scale) as a safe integer, or undefined when it does not fit. */
function scaledCeil(r: Rational, scale: bigint): number | undefined {
  const n = r.numerator * scale;
  const q = n / r.denominator + (n % r.denominator === 0n ? 0n : 1n);
  return q <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(q) : undefined;
}

/** CPU quantity → nanoCPUs (Docker `NanoCpus`): "500m" → 500000000. Undefined when invalid. */
export function parseCpu(quantity: string | number): number | undefined {
  const r = parseQuantity(quantity);
  return r === undefined ? undefined : scaledCeil(r, 1_000_000_000n);
}

/** Memory quantity → bytes (Docker `Memory`): "128Mi" → 134217728. Undefined when invalid. */
export function parseMemory(quantity: string | number): number | undefined {
  const r = parseQuantity(quantity);
  return r === undefined ? undefined : scaledCeil(r, 1n);
}

/**
 * Count quantity (a ResourceQuota's `pods: "10"`) → a whole number, rounded up as Kubernetes'
 * `Quantity.Value()` does: parseCount("10") = 10, parseCount("1k") = 1000, parseCount(3) = 3.
 * Undefined when invalid.
 */
export function parseCount(quantity: string | number): number | undefined {
  return parseMemory(quantity);
}

/** Docker refuses CPU limits below 0.01 CPU ("Range of CPUs is from 0.01 to …"). */
export const MIN_CPU_LIMIT_NANOS = 10_000_000;
/** Docker refuses memory limits below 6 MiB ("Minimum memory limit allowed is 6MB"). */
export const MIN_MEMORY_LIMIT_BYTES = 6 * 1024 * 1024;

/**
 * Any quantity as a plain number (an HPA's averageValue: "500m" = 0.5, "50" = 50, "128Mi" =
 * 134217728): parseNumber("500m") = 0.5. Undefined when invalid.
 */
export function parseNumber(quantity: string | number): number | undefined {
  const r = parseQuantity(quantity);
  if (r === undefined) return undefined;
  const n = Number(r.numerator) / Number(r.denominator);
  return Number.isFinite(n) ? n : undefined;
}

export type QuantityKind = 'cpu' | 'memory' | 'cpu-limit' | 'memory-limit' | 'count' | 'number';

/**
 * Why `value` is not acceptable as a quantity of `kind`, or undefined when it is. Limits must
 * also be at least what Docker accepts, so a bad limit fails here rather than at container start.
 */
export function quantityProblem(kind: QuantityKind, value: unknown): string | undefined {
  if (kind === 'count') {
    if ((typeof value !== 'string' && typeof value !== 'number') || parseCount(value) === undefined)
      return `must be a count: a whole number such as 10 (or a quantity such as "10" or "1k")${typeof value === 'string' || typeof value === 'number' ? `, got ${JSON.stringify(typeof value === 'string' ? value.slice(0, 40) : value)}` : ''}`;
    return undefined;
  }
  if (kind === 'number') {
    if ((typeof value !== 'string' && typeof value !== 'number') || parseNumber(value) === undefined)
      return `must be a quantity such as 50, 500m or 128Mi${typeof value === 'string' || typeof value === 'number' ? `, got ${JSON.stringify(typeof value === 'string' ? value.slice(0, 40) : value)}` : ''}`;
    return undefined;
  }
  const isCpu = kind === 'cpu' || kind === 'cpu-limit';
  const examples = isCpu ? '500m, 0.5 or 2' : '128Mi, 1Gi, 512M or 134217728';
  if (typeof value !== 'string' && typeof value !== 'number') return `must be a ${isCpu ? 'CPU' : 'memory'} quantity such as ${examples}`;
  const parsed = isCpu ? parseCpu(value) : parseMemory(value);
  if (parsed === undefined) return `${JSON.stringify(value)} is not a valid ${isCpu ? 'CPU' : 'memory'} quantity (examples: ${examples})`;
  if (kind === 'cpu-limit' && parsed < MIN_CPU_LIMIT_NANOS) return `CPU limit ${JSON.stringify(value)} is below Docker's minimum of 10m (0.01 CPU)`;
  if (kind === 'memory-limit' && parsed < MIN_MEMORY_LIMIT_BYTES) return `memory limit ${JSON.stringify(value)} is below Docker's minimum of 6Mi`;
  return undefined;
}

const BINARY_UNITS: readonly (readonly [string, number])[] = [
  ['Ei', 2 ** 60],
  ['Pi', 2 ** 50],
  ['Ti', 2 ** 40],
  ['Gi', 2 ** 30],
  ['Mi', 2 ** 20],
  ['Ki', 2 ** 10],
];
const DECIMAL_UNITS: readonly (readonly [string, number])[] = [
  ['E', 1e18],
  ['P', 1e15],
  ['T', 1e12],
  ['G', 1e9],
  ['M', 1e6],
  ['k', 1e3],
];

/**
 * Bytes back in the units people write: the shortest exact Kubernetes quantity.
 *   formatMemory(134217728) = '128Mi'   formatMemory(1_000_000_000) = '1G'
 *   formatMemory(1536)      = '1536'    (1.5Ki has no whole-number form)
 */
export function formatMemory(bytes: number): string {
  if (bytes === 0) return '0';
  for (const [suffix, size] of BINARY_UNITS) if (bytes % size === 0) return `${bytes / size}${suffix}`;
  for (const [suffix, size] of DECIMAL_UNITS) if (bytes % size === 0) return `${bytes / size}${suffix}`;
  return String(bytes);
}

/**
 * NanoCPUs back in the units people write.
 *   formatCpu(250_000_000) = '250m'   formatCpu(2_000_000_000) = '2'
 *   formatCpu(1_500_000_000) = '1500m'   formatCpu(1) = '1n'
 */
export function formatCpu(nanoCpus: number): string {
  if (nanoCpus % 1e9 === 0) return String(nanoCpus / 1e9);
  if (nanoCpus % 1e6 === 0) return `${nanoCpus / 1e6}m`;
  if (nanoCpus % 1e3 === 0) return `${nanoCpus / 1e3}u`;
  return `${nanoCpus}n`;
}
