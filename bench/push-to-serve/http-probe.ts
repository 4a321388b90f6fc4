import http from 'node:http';

/**
 * One GET / against 127.0.0.1:port, on a fresh connection (no keep-alive, so every probe sees
 * the current listener). Resolves with the trimmed body of a 200, or undefined for anything
 * else: refused, reset (docker-proxy accepts and closes while the app is not listening yet),
 * another status, or no answer within `timeoutMs`.
 */
export function probe(port: number, timeoutMs = 1000): Promise<string | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (value: string | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, headers: { connection: 'close' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        done(undefined);
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(Buffer.concat(chunks).toString('utf8').trim()));
      res.on('error', () => done(undefined));
    });
    req.on('error', () => done(undefined));
    const timer = setTimeout(() => {
      req.destroy();
      done(undefined);
    }, timeoutMs);
  });
}
