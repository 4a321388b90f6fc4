/**
 * A ControlPort for server tests over real HTTP: every method refuses (`not used by these
 * tests`) until a test's subclass gives it a body, so a route a test did not mean to reach
 * fails loudly instead of answering something made up.
 */
import type { DesiredState } from '../../src/desired/index.js';
import type { PodStatus } from '../../src/observed/index.js';
import type { Plan } from '../../src/plan/index.js';
import type { ControlPort } from '../../src/server/index.js';

const unused = (): never => {
  throw new Error('not used by these tests');
};

export class UnusedControl implements ControlPort {
  async syncNow(): Promise<{ commit?: string }> {
    return unused();
  }
  watchedRef(): string | undefined {
    return 'main';
  }
  async rollback(_args: { namespace: string; name: string; toCommit?: string; toRevision?: string }): Promise<{ pinnedTo: string }> {
    return unused();
  }
  async confirmPrune(_args: { commit: string; by?: string }): Promise<{ confirmed: string; reasons: readonly string[] }> {
    return unused();
  }
  async pods(_args: { namespace?: string }): Promise<readonly PodStatus[]> {
    return unused();
  }
  async livePlan(): Promise<Plan> {
    return unused();
  }
  desired(): DesiredState | undefined {
    return undefined;
  }
  async deploymentAt(..._args: Parameters<ControlPort['deploymentAt']>): ReturnType<ControlPort['deploymentAt']> {
    return unused();
  }
  async replicaLogs(..._args: Parameters<ControlPort['replicaLogs']>): Promise<void> {
    return unused();
  }
}
