import { contains, formatIpv4, isVirtualAddress, parseCidr, parseIpv4 } from '../core/index.js';
import { runTool } from './tool.js';

/**
 * Makes the virtual addresses of a namespace's Services exactly `wanted` on its bridge (each
 * as a /32, so the host routes nothing new): adds the missing ones, removes /32s of the
 * subnet's Service range that are no longer wanted. Idempotent, run on every table change —
 * a bridge recreated with its network has lost them. Needs CAP_NET_ADMIN (`ip`). Resolves
 * with an error message instead of throwing (a missing bridge, no permission).
 */
export async function syncVirtualAddresses(
  bridge: string,
  subnet: string,
  wanted: readonly string[],
  o: {
    /** The whole subnet is berth's (a cluster namespace's Service network on lo), not only its upper half. */
    readonly whole?: boolean;
  } = {},
): Promise<string | undefined> {
  const cidr = parseCidr(subnet);
  if (!cidr) return `bad subnet ${subnet}`;
  const shown = await run(['-4', '-o', 'addr', 'show', 'dev', bridge]);
  if (shown.error) return shown.error;
  const present = new Set<string>();
  for (const m of shown.stdout.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\/32/g)) present.add(m[1]!);
  const want = new Set(wanted);
  const lines: string[] = [];
  for (const a of want) if (!present.has(a)) lines.push(`addr add ${a}/32 dev ${bridge}`);
  for (const a of present) {
    const n = parseIpv4(a);
    if (!want.has(a) && n !== undefined && (o.whole ? contains(cidr, n) : isVirtualAddress(cidr, n))) lines.push(`addr del ${formatIpv4(n)}/32 dev ${bridge}`);
  }
  if (lines.length === 0) return undefined;
  const changed = await run(['-batch', '-'], lines.join('\n') + '\n');
  return changed.error;
}

const run = (args: readonly string[], input?: string) => runTool('ip', args, input);
