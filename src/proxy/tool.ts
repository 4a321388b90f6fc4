import { execFile } from 'node:child_process';

/**
 * Runs a host tool of the data plane (`ip`, `iptables-save`, `iptables-restore`) with `input` on
 * its stdin; resolves with its stdout, or with an error message naming the command instead of
 * throwing (a missing tool, no permission, a rejected rule set).
 */
export function runTool(command: string, args: readonly string[], input?: string): Promise<{ stdout: string; error?: string }> {
  return new Promise((resolve) => {
    const child = execFile(command, [...args], { timeout: 10_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve(err ? { stdout: String(stdout), error: `${command} ${args.join(' ')}: ${String(stderr).trim() || err.message}` } : { stdout: String(stdout) });
    });
    child.stdin?.on('error', () => {});
    if (input !== undefined) child.stdin?.end(input);
  });
}
