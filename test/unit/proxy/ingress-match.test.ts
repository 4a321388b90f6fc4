import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostOfHeader, matchIngress, pathMatchLength, pathOfTarget, type IngressRoute, type NamespacedIngress } from '../../../src/proxy/index.js';

describe('hostOfHeader', () => {
  const table: [string | undefined, string][] = [
    ['Example.COM', 'example.com'],
    ['example.com:8080', 'example.com'],
    ['example.com.', 'example.com'],
    ['[::1]:8080', '[::1]'],
    ['[::1]', '[::1]'],
    ['127.0.0.1:80', '127.0.0.1'],
    [undefined, ''],
  ];
  for (const [header, host] of table) it(`${header} → ${host}`, () => assert.equal(hostOfHeader(header), host));
});

describe('pathOfTarget', () => {
  const table: [string, string][] = [
    ['/a/b?x=1', '/a/b'],
    ['/a#frag', '/a'],
    ['http://example.com/x/y?z', '/x/y'],
    ['http://example.com', '/'],
    ['*', '/*'],
  ];
  for (const [target, path] of table) it(`${target} → ${path}`, () => assert.equal(pathOfTarget(target), path));
});

describe('path matching (Kubernetes examples)', () => {
  // [pathType, rule path, request path, matches]
  const table: ['Prefix' | 'Exact' | 'ImplementationSpecific', string, string, boolean][] = [
    ['Prefix', '/', '/anything', true],
    ['Prefix', '/', '/', true],
    ['Exact', '/foo', '/foo', true],
    ['Exact', '/foo', '/bar', false],
    ['Exact', '/foo', '/foo/', false],
    ['Exact', '/foo/', '/foo', false],
    ['Prefix', '/foo', '/foo', true],
    ['Prefix', '/foo', '/foo/', true],
    ['Prefix', '/foo/', '/foo', true],
    ['Prefix', '/foo/', '/foo/', true],
    ['Prefix', '/foo', '/foo/bar', true],
    ['Prefix', '/foo', '/foobar', false],
    ['Prefix', '/aaa/bb', '/aaa/bbb', false],
    ['Prefix', '/aaa/bbb', '/aaa/bbb/ccc', true],
    ['Prefix', '/aaa/bbb/', '/aaa/bbbxyz', false],
    ['ImplementationSpecific', '/foo', '/foo/x', true],
    ['ImplementationSpecific', '/foo', '/foox', false],
  ];
  for (const [pathType, rule, path, expected] of table) {
    it(`${pathType} ${rule} ${expected ? 'matches' : 'does not match'} ${path}`, () =>
      assert.equal(pathMatchLength({ path: rule, pathType }, path) !== undefined, expected));
  }
  it('ranks /foo/ like /foo', () =>
    assert.equal(pathMatchLength({ path: '/foo/', pathType: 'Prefix' }, '/foo/x'), pathMatchLength({ path: '/foo', pathType: 'Prefix' }, '/foo/x')));
});

const ing = (namespace: string, ingress: IngressRoute): NamespacedIngress => ({ namespace, ingress });
const p = (path: string, service: string, pathType: 'Prefix' | 'Exact' = 'Prefix') => ({ path, pathType, service, port: 80 });

describe('matchIngress', () => {
  const web = ing('shop', {
    name: 'web',
    rules: [
      { host: 'shop.example.com', paths: [p('/', 'front'), p('/api', 'api'), p('/api/v2', 'api-v2'), p('/api', 'api-exact', 'Exact')] },
      { host: '*.example.com', paths: [p('/', 'wild')] },
      { paths: [p('/status', 'status')] },
    ],
    defaultBackend: { service: 'fallback', port: 'http' },
  });
  const other = ing('zoo', { name: 'other', rules: [{ host: 'zoo.example.com', paths: [p('/z', 'zoo')] }] });
  const earlier = ing('alpha', { name: 'first', rules: [{ host: 'shop.example.com', paths: [p('/cart', 'cart-a')] }] });
  const later = ing('beta', { name: 'second', rules: [{ host: 'shop.example.com', paths: [p('/cart', 'cart-b')] }] });
  const catchAll = ing('misc', { name: 'catch-all', rules: [], defaultBackend: { service: 'everything', port: 8080 } });
  const hostOnly = ing('host', {
    name: 'only',
    rules: [{ host: 'h.test', paths: [p('/h', 'h')] }],
    defaultBackend: { service: 'host-only-default', port: 80 },
  });
  const noDefault = ing('plain', { name: 'plain', rules: [{ host: 'plain.test', paths: [p('/only', 'only')] }] });

  // [ingresses, host, path, service or undefined (404), via]
  const table: [string, NamespacedIngress[], string, string, string | undefined, ('rule' | 'default')?][] = [
    ['prefix /', [web], 'shop.example.com', '/', 'front', 'rule'],
    ['longest prefix wins', [web], 'shop.example.com', '/api/v2/users', 'api-v2', 'rule'],
    ['element-wise: /api does not match /apix', [web], 'shop.example.com', '/apix', 'front', 'rule'],
    ['Exact beats Prefix at equal length', [web], 'shop.example.com', '/api', 'api-exact', 'rule'],
    ['Prefix when Exact does not match', [web], 'shop.example.com', '/api/', 'api', 'rule'],
    ['wildcard matches one label', [web], 'a.example.com', '/x', 'wild', 'rule'],
    ['wildcard does not match two labels (host-less tier, no path → default)', [web], 'a.b.example.com', '/x', 'fallback', 'default'],
    ['wildcard does not match the bare domain', [web], 'example.com', '/status', 'status', 'rule'],
    ['exact host beats wildcard', [web, other], 'zoo.example.com', '/z/1', 'zoo', 'rule'],
    ['a host with rules never falls through to wildcard or host-less rules', [web, other], 'zoo.example.com', '/status', undefined],
    ['host-less rule for an unknown host', [web], 'unknown.test', '/status/x', 'status', 'rule'],
    ['default backend of the Ingress when no path matches in its tier', [web], 'unknown.test', '/nothing', 'fallback', 'default'],
    [
      'host match is case-insensitive (rule side)',
      [ing('n', { name: 'i', rules: [{ host: 'Shop.Example.COM', paths: [p('/', 'ci')] }] })],
      'shop.example.com',
      '/',
      'ci',
      'rule',
    ],
    ['ties across Ingresses go to namespace/name order', [later, earlier], 'shop.example.com', '/cart', 'cart-a', 'rule'],
    ['longest path across Ingresses', [web, earlier], 'shop.example.com', '/cart/1', 'cart-a', 'rule'],
    ['an Ingress without rules is the catch-all', [catchAll, noDefault], 'any.test', '/', 'everything', 'default'],
    ['the catch-all does not serve a host that has rules', [catchAll, noDefault], 'plain.test', '/other', undefined],
    ['no rule, no default: 404', [noDefault], 'elsewhere.test', '/only', undefined],
    ['a host no rule names: the default backend of an Ingress with host rules', [noDefault, hostOnly], 'elsewhere.test', '/x', 'host-only-default', 'default'],
    ["a host with rules but no matching path: not another Ingress's default", [noDefault, hostOnly], 'plain.test', '/x', undefined],
    ['nothing configured', [], 'x', '/', undefined],
  ];
  for (const [what, ingresses, host, path, service, via] of table) {
    it(`${what}: ${host}${path} → ${service ?? '404'}`, () => {
      const match = matchIngress({ ingresses, host, path });
      assert.equal(match?.service, service);
      if (via) assert.equal(match?.via, via);
    });
  }

  it('names the namespace and Ingress that matched, with the port as written', () => {
    assert.deepEqual(matchIngress({ ingresses: [web, catchAll], host: 'nope.test', path: '/q' }), {
      namespace: 'misc',
      ingress: 'catch-all',
      service: 'everything',
      port: 8080,
      via: 'default',
    });
  });
});
