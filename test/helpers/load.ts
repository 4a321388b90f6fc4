/**
 * A load client that counts every failed request — what a user behind the proxy would see.
 * Each request opens a new connection (`agent: false`), as busybox httpd closes after each
 * answer anyway; a refused connection, a reset, a timeout or a non-2xx answer is a failure.
 * (autocannon hides reconnects against `Connection: close` servers: ENVIRONMENT.md.)
 */
import http from 'node:http';

export interface LoadStats {
  readonly ok: number;
  readonly failed: number;
  /** First few failures, for the assertion message. */
  readonly errors: readonly string[];
  /** Answers by body (trimmed), e.g. which revision served. */
  readonly bodies: Readonly<Record<string, number>>;
}

export interface Load {
  stats(): LoadStats;
  /** Stops issuing requests, waits for those in flight, returns the totals. */
  stop(): Promise<LoadStats>;
}

export function startLoad(options: {
  port: number;
  host?: string;
  paths?: readonly string[];
  concurrency?: number;
  hostHeader?: string;
  timeoutMs?: number;
}): Load {
  let ok = 0;
  let failed = 0;
  const errors: string[] = [];
  const bodies: Record<string, number> = {};
  let running = true;
  const paths = options.paths ?? ['/'];
  const fail = (why: string) => {
    failed++;
    if (errors.length < 20) errors.push(why);
  };
  const one = (path: string) =>
    new Promise<void>((resolve) => {
      const req = http.request(
        {
          host: options.host ?? '127.0.0.1',
          port: options.port,
          path,
          agent: false,
          timeout: options.timeoutMs ?? 10_000,
          headers: options.hostHeader ? { host: options.hostHeader } : {},
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => {
            if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) {
              ok++;
              const key = body.trim().slice(0, 80);
              bodies[key] = (bodies[key] ?? 0) + 1;
            } else fail(`${path}: HTTP ${res.statusCode} ${body.trim().slice(0, 80)}`);
            resolve();
          });
          res.on('error', (err) => {
            fail(`${path}: response ${err.message}`);
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => {
        fail(`${path}: ${err.message}`);
        resolve();
      });
      req.end();
    });
  const loops = Array.from({ length: options.concurrency ?? 8 }, async (_, i) => {
    let n = i;
    while (running) await one(paths[n++ % paths.length]!);
  });
  const stats = (): LoadStats => ({ ok, failed, errors: [...errors], bodies: { ...bodies } });
  return {
    stats,
    async stop() {
      running = false;
      await Promise.all(loops);
      return stats();
    },
  };
}

/** Runs `fn` under a load started with `options`; the load's totals once it ends (stopped also when `fn` throws). */
export async function underLoad<T>(options: Parameters<typeof startLoad>[0], fn: () => Promise<T>): Promise<{ result: T; load: LoadStats }> {
  const load = startLoad(options);
  try {
    const result = await fn();
    return { result, load: await load.stop() };
  } catch (err) {
    await load.stop();
    throw err;
  }
}
