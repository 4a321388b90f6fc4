import { ownValue } from '../core/index.js';
import { PRUNE_CONFIRMATIONS_KEPT, type AutoscalerRecord, type Pin, type PruneConfirmation, type RevisionRecord, type StoreState } from './types.js';

/**
 * What a restarted berth cannot rebuild from Git and the engine's labels: revision histories
 * (the last good revision an automatic rollback returns to), pins (manual rollbacks, and the
 * holds and auto-rollback records of failed revisions), and prune confirmations. Status is
 * derivable; these are decisions. A corrupt `status.json` once cost all of them: the pins were
 * lost, berth rolled a manually rolled-back Deployment forward again, and revision lists were
 * cut to one entry (#15). So every change to them is also one line of the append-only decision
 * journal (journal.ts), and the store rebuilds them from it by replaying these operations.
 */
export type DurableState = Pick<StoreState, 'revisions' | 'pins' | 'pruneConfirmations' | 'autoscalers'>;

export type DurableOp =
  | { readonly op: 'revision'; readonly key: string; readonly record: RevisionRecord; readonly limit: number }
  | { readonly op: 'pin'; readonly pin: Pin }
  | { readonly op: 'unpin'; readonly key: string }
  | { readonly op: 'confirm-prune'; readonly commit: string; readonly confirmation: PruneConfirmation }
  | { readonly op: 'autoscaler'; readonly record: AutoscalerRecord }
  | { readonly op: 'unautoscaler'; readonly key: string }
  /** The whole durable state at once: what a compacted journal starts with. */
  | { readonly op: 'snapshot'; readonly state: DurableState };

/** The durable state after `op`. Pure; the one place these rules live (the store applies ops, replay re-applies them). */
export function applyOp(state: DurableState, op: DurableOp): DurableState {
  switch (op.op) {
    case 'revision': {
      // Newest last; a revision seen again moves to the end; the newest `limit` (+ the current) are kept.
      const list = [...(ownValue(state.revisions, op.key) ?? []).filter((r) => r.revision !== op.record.revision), op.record];
      return { ...state, revisions: { ...state.revisions, [op.key]: list.slice(-Math.max(1, op.limit + 1)) } };
    }
    case 'pin':
      return { ...state, pins: { ...state.pins, [`${op.pin.namespace}/${op.pin.name}`]: op.pin } };
    case 'unpin': {
      const { [op.key]: _gone, ...rest } = state.pins ?? {};
      return { ...state, pins: rest };
    }
    case 'confirm-prune': {
      const { [op.commit]: _earlier, ...rest } = state.pruneConfirmations ?? {};
      const kept = Object.entries(rest).slice(-(PRUNE_CONFIRMATIONS_KEPT - 1));
      return { ...state, pruneConfirmations: { ...Object.fromEntries(kept), [op.commit]: op.confirmation } };
    }
    case 'autoscaler':
      return { ...state, autoscalers: { ...state.autoscalers, [`${op.record.namespace}/${op.record.name}`]: op.record } };
    case 'unautoscaler': {
      const { [op.key]: _gone, ...rest } = state.autoscalers ?? {};
      return { ...state, autoscalers: rest };
    }
    case 'snapshot':
      return sanitizeDurable(op.state);
  }
}

export function durableOf(state: StoreState): DurableState {
  return {
    ...(state.revisions ? { revisions: state.revisions } : {}),
    ...(state.pins ? { pins: state.pins } : {}),
    ...(state.pruneConfirmations ? { pruneConfirmations: state.pruneConfirmations } : {}),
    ...(state.autoscalers ? { autoscalers: state.autoscalers } : {}),
  };
}

/** One journal line → an operation, or undefined when it is not one (torn, garbage, wrong shape). */
export function parseOp(line: string): DurableOp | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(v)) return undefined;
  switch (v.op) {
    case 'revision':
      return typeof v.key === 'string' && isRevision(v.record) && typeof v.limit === 'number' && Number.isInteger(v.limit) && v.limit >= 0
        ? { op: 'revision', key: v.key, record: v.record, limit: v.limit }
        : undefined;
    case 'pin':
      return isPin(v.pin) ? { op: 'pin', pin: v.pin } : undefined;
    case 'unpin':
      return typeof v.key === 'string' ? { op: 'unpin', key: v.key } : undefined;
    case 'confirm-prune':
      return typeof v.commit === 'string' && isConfirmation(v.confirmation)
        ? { op: 'confirm-prune', commit: v.commit, confirmation: v.confirmation }
        : undefined;
    case 'autoscaler':
      return isAutoscaler(v.record) ? { op: 'autoscaler', record: v.record } : undefined;
    case 'unautoscaler':
      return typeof v.key === 'string' ? { op: 'unautoscaler', key: v.key } : undefined;
    case 'snapshot':
      return isRecord(v.state) ? { op: 'snapshot', state: sanitizeDurable(v.state) } : undefined;
    default:
      return undefined;
  }
}

/** Keeps the entries of the expected shape (a state file may hold anything); drops the rest. */
export function sanitizeDurable(value: unknown): DurableState {
  if (!isRecord(value)) return {};
  const revisions = entriesOf(value.revisions, (list): list is RevisionRecord[] => Array.isArray(list) && list.every(isRevision));
  const pins = entriesOf(value.pins, isPin);
  const pruneConfirmations = entriesOf(value.pruneConfirmations, isConfirmation);
  const autoscalers = entriesOf(value.autoscalers, isAutoscaler);
  return {
    ...(revisions ? { revisions } : {}),
    ...(pins ? { pins } : {}),
    ...(pruneConfirmations ? { pruneConfirmations } : {}),
    ...(autoscalers ? { autoscalers } : {}),
  };
}

function entriesOf<T>(value: unknown, ok: (v: unknown) => v is T): Record<string, T> | undefined {
  if (!isRecord(value)) return undefined;
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, T] => ok(e[1])));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const OUTCOMES = new Set(['complete', 'rolled-back-to', 'failed']);

function isRevision(v: unknown): v is RevisionRecord {
  return (
    isRecord(v) &&
    typeof v.revision === 'string' &&
    typeof v.commit === 'string' &&
    typeof v.image === 'string' &&
    typeof v.time === 'string' &&
    OUTCOMES.has(v.outcome as string)
  );
}

function isPin(v: unknown): v is Pin {
  return (
    isRecord(v) &&
    typeof v.namespace === 'string' &&
    typeof v.name === 'string' &&
    typeof v.commit === 'string' &&
    typeof v.revision === 'string' &&
    typeof v.headSpec === 'string' &&
    typeof v.createdAt === 'string' &&
    (v.cause === undefined || v.cause === 'manual' || v.cause === 'auto-rollback') &&
    (v.hold === undefined || v.hold === true) &&
    (v.failed === undefined || (isRecord(v.failed) && typeof v.failed.revision === 'string' && typeof v.failed.commit === 'string'))
  );
}

function isConfirmation(v: unknown): v is PruneConfirmation {
  return isRecord(v) && typeof v.at === 'string' && typeof v.by === 'string';
}

function isAutoscaler(v: unknown): v is AutoscalerRecord {
  const timed = (list: unknown, key: 'replicas' | 'change'): boolean =>
    Array.isArray(list) && list.every((e) => isRecord(e) && Number.isFinite(e.at) && Number.isInteger(e[key]));
  return (
    isRecord(v) &&
    typeof v.namespace === 'string' &&
    typeof v.name === 'string' &&
    typeof v.target === 'string' &&
    Number.isInteger(v.replicas) &&
    (v.replicas as number) >= 0 &&
    typeof v.updatedAt === 'string' &&
    timed(v.recommendations, 'replicas') &&
    timed(v.events, 'change')
  );
}
