/**
 * The dashboard's revision diff: a Deployment as two commits of its history declare it, field by
 * field, by the pull-request preview's own comparison (preview's compareDeployment: env values
 * whose names look secret are masked, Secret references are named and never resolved). Pure.
 *
 *   from 3f2a… (commit c1, env.VERSION=v1) → to 9b0c… (commit c2, env.VERSION=v2)
 *     → fields [{ field: 'env.VERSION', change: 'changed', from: 'v1', to: 'v2' }]
 */
import type { DesiredDeployment } from '../desired/index.js';
import { compareDeployment, type FieldChange } from '../preview/index.js';

export interface RevisionSide {
  readonly revision: string;
  /** The commit that introduced the revision (its history record). */
  readonly commit: string;
  /** The Deployment as that commit declares it; undefined when the commit no longer reads (invalid, or gone). */
  readonly deployment?: DesiredDeployment;
}

export interface RevisionDiffView {
  readonly from: { readonly revision: string; readonly commit: string };
  readonly to: { readonly revision: string; readonly commit: string };
  readonly fields: readonly FieldChange[];
  /** Why the diff is partial or empty, when it is. */
  readonly notes: readonly string[];
}

export function revisionDiffView(from: RevisionSide, to: RevisionSide): RevisionDiffView {
  const notes: string[] = [];
  for (const side of [from, to]) {
    if (!side.deployment) notes.push(`the manifests at ${side.commit.slice(0, 12)} do not declare this Deployment validly any more: nothing to compare`);
    else if (side.deployment.revision !== side.revision)
      notes.push(
        `the manifests at ${side.commit.slice(0, 12)} give revision ${side.deployment.revision}, not ${side.revision} (something outside the template, such as a ConfigMap, changed its hash)`,
      );
  }
  const fields = from.deployment && to.deployment ? compareDeployment(from.deployment, to.deployment).fields : [];
  if (from.deployment && to.deployment && fields.length === 0) notes.push('the two templates are the same');
  return {
    from: { revision: from.revision, commit: from.commit },
    to: { revision: to.revision, commit: to.commit },
    fields: fields.map((f) => ({ ...f })),
    notes,
  };
}
