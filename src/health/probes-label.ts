/**
 * A replica's probes as they travel on the container: the template's `Probes` as canonical
 * JSON in the `berth.probes` label (rollout writes it, observed carries it as `probesJson`).
 * Parsing checks the shape field by field, as anything read back from the engine must be:
 * a label that does not parse as Probes counts as no probes (undefined), never as a crash.
 *   parseProbes('{"readiness":{"action":{"kind":"tcpSocket","port":80},"initialDelaySeconds":0,…}}') → { readiness: … }
 *   parseProbes('{}') → undefined            parseProbes('not json') → undefined
 */
import type { ProbeAction, ProbeSpec, Probes } from '../desired/index.js';
import { PROBE_KINDS } from './assess.js';

export function parseProbes(json: string): Probes | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  const probes: { -readonly [K in keyof Probes]: ProbeSpec } = {};
  for (const kind of PROBE_KINDS) {
    if (value[kind] === undefined) continue;
    const spec = toSpec(value[kind]);
    if (!spec) return undefined;
    probes[kind] = spec;
  }
  return Object.keys(probes).length > 0 ? probes : undefined;
}

function toSpec(value: unknown): ProbeSpec | undefined {
  if (!isRecord(value)) return undefined;
  const action = toAction(value.action);
  const { initialDelaySeconds, periodSeconds, timeoutSeconds, successThreshold, failureThreshold } = value;
  if (!action || !isCount(initialDelaySeconds, 0) || !isCount(periodSeconds, 1) || !isCount(timeoutSeconds, 1)) return undefined;
  if (!isCount(successThreshold, 1) || !isCount(failureThreshold, 1)) return undefined;
  return { action, initialDelaySeconds, periodSeconds, timeoutSeconds, successThreshold, failureThreshold };
}

function toAction(value: unknown): ProbeAction | undefined {
  if (!isRecord(value)) return undefined;
  switch (value.kind) {
    case 'httpGet': {
      const { path, port, scheme } = value;
      const headers = value.headers ?? []; // an empty list may be left out
      if (typeof path !== 'string' || !isPort(port) || (scheme !== 'HTTP' && scheme !== 'HTTPS')) return undefined;
      if (!Array.isArray(headers) || !headers.every((h) => isRecord(h) && typeof h.name === 'string' && typeof h.value === 'string')) return undefined;
      return { kind: 'httpGet', path, port, scheme, headers: headers.map((h: { name: string; value: string }) => ({ name: h.name, value: h.value })) };
    }
    case 'tcpSocket':
      return isPort(value.port) ? { kind: 'tcpSocket', port: value.port } : undefined;
    case 'grpc':
      return isPort(value.port) && typeof value.service === 'string' ? { kind: 'grpc', port: value.port, service: value.service } : undefined;
    case 'exec': {
      const { command } = value;
      if (!Array.isArray(command) || command.length === 0 || !command.every((c) => typeof c === 'string')) return undefined;
      return { kind: 'exec', command: [...(command as string[])] };
    }
    default:
      return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isCount(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min;
}

function isPort(value: unknown): value is number {
  return isCount(value, 1) && value <= 65535;
}
