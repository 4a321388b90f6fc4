import { ownValue } from './own.js';

/** A Kubernetes label selector (metav1.LabelSelector): every term must hold; `{}` selects everything. */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelRequirement[];
}

export interface LabelRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  /** In/NotIn: at least one value; Exists/DoesNotExist: none. */
  readonly values?: readonly string[];
}

/**
 * Whether `labels` satisfy `selector`, as Kubernetes evaluates it (pure):
 *   {}                                         selects every label set
 *   {matchLabels: {app: db}}                   {app: db, tier: x} yes; {app: web} no
 *   {matchExpressions: [{key: env, operator: NotIn, values: [prod]}]}   {} yes (an absent key is not in prod)
 *   {matchExpressions: [{key: env, operator: Exists}]}                  {} no
 */
export function matchesSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (ownValue(labels, k) !== v) return false;
  for (const r of selector.matchExpressions ?? []) {
    const value = ownValue(labels, r.key);
    const has = value !== undefined;
    const inValues = has && (r.values ?? []).includes(value);
    const holds = r.operator === 'In' ? inValues : r.operator === 'NotIn' ? !inValues : r.operator === 'Exists' ? has : /* DoesNotExist */ !has;
    if (!holds) return false;
  }
  return true;
}
