import type { ProbeSpec } from '../desired/index.js';
import type { ProbeResult } from './assess.js';
import { runProbe, type ProbeAddress, type ProbeDeps } from './probe.js';

/**
 * Waits for one container's startup probe as the kubelet does before it starts the container
 * after a native sidecar: after `initialDelaySeconds`, every `periodSeconds`, until a success
 * (startup's successThreshold is 1), or `failureThreshold` failures in a row (then the last
 * failure is returned). `sleep` is injectable for tests.
 *   failureThreshold 3, the probe answers at its 2nd try → ok after one period
 */
export async function awaitStartup(
  spec: ProbeSpec,
  target: ProbeAddress,
  deps: ProbeDeps,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<ProbeResult> {
  if (spec.initialDelaySeconds > 0) await sleep(spec.initialDelaySeconds * 1000);
  for (let failures = 1; ; failures++) {
    const result = await runProbe(spec.action, target, spec.timeoutSeconds * 1000, deps);
    if (result.ok || failures >= spec.failureThreshold) return result;
    await sleep(spec.periodSeconds * 1000);
  }
}
