/**
 * Whether the process `pid` runs: what a lock file (the store) or a kernel rule's comment (the
 * data plane's NAT chains) recorded of the process that made it. EPERM: it runs as another user.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
