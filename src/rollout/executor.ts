import type { Logger } from '../core/index.js';
import type { DesiredDeployment } from '../desired/index.js';
import type { RuntimeDriver } from '../runtime/index.js';
import { replicaSpec } from './container-spec.js';
import type { Step } from './step.js';

/** Grace period for replicas of a Deployment no longer in Git (its template is gone). */
export const PRUNE_GRACE_SECONDS = 30;

export interface ApplyStepOptions {
  readonly driver: RuntimeDriver;
  readonly step: Step;
  /** `undefined` when the step prunes a Deployment removed from Git. */
  readonly desired: DesiredDeployment | undefined;
  readonly instance: string;
  readonly network: string;
  readonly logger: Logger;
  /** Called once per replica slot restarted after an exit (feeds the crash back-off). */
  readonly onRestart?: (creation: { revision: string; replica: number }) => void;
}

/**
 * Applies exactly one step: removals first (each stopped gracefully, then removed), then
 * creations (image pulled only if missing). Every action is idempotent with respect to the
 * next pass: a crash half-way leaves labelled containers the next pass accounts for.
 */
export async function applyStep(options: ApplyStepOptions): Promise<void> {
  const { driver, step, desired, logger } = options;
  if (step.kind !== 'act') return;
  await Promise.all(
    step.remove.map(async ({ replica, reason }) => {
      logger.info({ container: replica.name, fromRevision: replica.revision, replica: replica.replica, reason }, 'removing replica');
      await driver.removeContainer(replica.id, desired?.template.stopGraceSeconds ?? PRUNE_GRACE_SECONDS);
    }),
  );
  if (step.create.length === 0) return;
  if (!desired) throw new Error('internal: a step without a desired Deployment cannot create replicas');
  await driver.ensureImage(desired.template.image);
  await Promise.all(
    step.create.map(async (creation) => {
      const spec = replicaSpec({ desired, creation, instance: options.instance, network: options.network });
      logger.info({ container: spec.name, replica: creation.replica, commit: creation.commit }, creation.restart ? 'restarting replica' : 'creating replica');
      if (creation.restart) options.onRestart?.(creation);
      await driver.runContainer(spec);
    }),
  );
}
