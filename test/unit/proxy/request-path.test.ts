import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchIngress, normalizeRequestPath, queryOfTarget, type NamespacedIngress } from '../../../src/proxy/index.js';

describe('normalizeRequestPath: as nginx normalizes $uri before matching a location', () => {
  // [raw path, matched as, forwarded as] — or [raw path, 'invalid', reason regex]
  const ok: [string, string, string][] = [
    ['/', '/', '/'],
    ['/index.html', '/index.html', '/index.html'],
    // dot segments
    ['/cgi-bin/../index.html', '/index.html', '/index.html'],
    ['/x/../cgi-bin/slow', '/cgi-bin/slow', '/cgi-bin/slow'],
    ['/a/./b', '/a/b', '/a/b'],
    ['/a/b/..', '/a/', '/a/'],
    ['/a/b/.', '/a/b/', '/a/b/'],
    ['/a/..', '/', '/'],
    ['/.', '/', '/'],
    ['/a/b/../../c', '/c', '/c'],
    ['/a/...', '/a/...', '/a/...'],
    ['/a/..b/.c', '/a/..b/.c', '/a/..b/.c'],
    // percent-encoded dots and slashes are decoded first (nginx decodes every %XX into $uri)
    ['/x/%2e%2e/cgi-bin/slow', '/cgi-bin/slow', '/cgi-bin/slow'],
    ['/x/%2E%2E/cgi-bin/slow', '/cgi-bin/slow', '/cgi-bin/slow'],
    ['/x/.%2e/cgi-bin', '/cgi-bin', '/cgi-bin'],
    ['/cgi-bin/%2e%2e%2findex.html', '/index.html', '/index.html'],
    ['/x%2F..%2Fcgi-bin/slow', '/cgi-bin/slow', '/cgi-bin/slow'],
    ['/%63gi-bin/slow', '/cgi-bin/slow', '/cgi-bin/slow'],
    ['/a%2Fb', '/a/b', '/a/b'],
    // merge_slashes
    ['//cgi-bin//slow', '/cgi-bin/slow', '/cgi-bin/slow'],
    ['/a///', '/a/', '/a/'],
    ['///', '/', '/'],
    // re-encoding for the backend: outside pchar → %XX (UTF-8), the rest as is
    ['/a%20b', '/a b', '/a%20b'],
    ['/q%3Fx', '/q?x', '/q%3Fx'],
    ['/p%25', '/p%', '/p%25'],
    ['/h%23', '/h#', '/h%23'],
    ['/caf%C3%A9', '/café', '/caf%C3%A9'],
    ["/s!$&'()*+,;=:@~_-.", "/s!$&'()*+,;=:@~_-.", "/s!$&'()*+,;=:@~_-."],
  ];
  for (const [raw, path, forward] of ok) {
    it(`${raw} → ${path} (forwarded as ${forward})`, () => assert.deepEqual(normalizeRequestPath(raw), { kind: 'ok', path, forward }));
  }
  const invalid: [string, RegExp][] = [
    ['/..', /escapes the root/],
    ['/../etc/passwd', /escapes the root/],
    ['/a/../../etc/passwd', /escapes the root/],
    ['/%2e%2e/etc/passwd', /escapes the root/],
    ['/%2E%2e%2Fetc', /escapes the root/],
    ['/a/%2e%2e/%2e%2e/x', /escapes the root/],
    ['/..%2F..%2Fetc', /escapes the root/],
    ['/a%zz', /"%" not followed by two hex digits/],
    ['/a%2', /"%" not followed by two hex digits/],
    ['/a%00b', /NUL/],
    ['/a%ff', /not UTF-8/],
  ];
  for (const [raw, reason] of invalid) {
    it(`${raw} → 400 (${reason.source})`, () => {
      const r = normalizeRequestPath(raw);
      assert.equal(r.kind, 'invalid');
      assert.match((r as { reason: string }).reason, reason);
    });
  }
});

describe('queryOfTarget', () => {
  const table: [string, string][] = [
    ['/a?x=1&y=/../z', '?x=1&y=/../z'],
    ['/a', ''],
    ['/a?', '?'],
    ['/a?x#f', '?x'],
  ];
  for (const [target, query] of table) it(`${target} → ${JSON.stringify(query)}`, () => assert.equal(queryOfTarget(target), query));
});

describe('the incident: a normalized path picks the rule nginx would pick', () => {
  const ingresses: NamespacedIngress[] = [
    {
      namespace: 'shop',
      ingress: {
        name: 'web',
        rules: [
          {
            paths: [
              { path: '/', pathType: 'Prefix', service: 'site', port: 80 },
              { path: '/cgi-bin', pathType: 'Prefix', service: 'cgi', port: 80 },
            ],
          },
        ],
      },
    },
  ];
  const table: [string, string][] = [
    ['/cgi-bin/../index.html', 'site'],
    ['/x/../cgi-bin/slow', 'cgi'],
    ['/x/%2e%2e/cgi-bin/slow', 'cgi'],
    ['/cgi-bin/%2e%2e/index.html', 'site'],
  ];
  for (const [raw, service] of table) {
    it(`${raw} → ${service}`, () => {
      const n = normalizeRequestPath(raw);
      assert.equal(n.kind, 'ok');
      assert.equal(matchIngress({ ingresses, host: 'shop.localhost', path: (n as { path: string }).path })?.service, service);
    });
  }
});
