/**
 * The distribution reference grammar (src/core/image-reference.ts), as the engine parses it.
 * Cases from github.com/distribution/reference's own tests, plus the #15 hostile inputs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseImageReference } from '../../../src/core/index.js';

const HEX64 = 'a'.repeat(64);

const VALID: readonly [string, { domain?: string; path: string; tag?: string; digest?: string }][] = [
  ['busybox', { path: 'busybox' }],
  ['busybox:1.36', { path: 'busybox', tag: '1.36' }],
  ['library/busybox:latest', { path: 'library/busybox', tag: 'latest' }],
  ['berth-test/busybox:1', { path: 'berth-test/busybox', tag: '1' }],
  ['registry.example.com/team/app', { domain: 'registry.example.com', path: 'team/app' }],
  ['registry.example.com:5000/team/app:v1.2.3', { domain: 'registry.example.com:5000', path: 'team/app', tag: 'v1.2.3' }],
  ['localhost/app', { domain: 'localhost', path: 'app' }],
  ['localhost:5000', { path: 'localhost', tag: '5000' }],
  ['[::1]:5000/app', { domain: '[::1]:5000', path: 'app' }],
  [`app@sha256:${HEX64}`, { path: 'app', digest: `sha256:${HEX64}` }],
  [`app:1@sha256:${HEX64}`, { path: 'app', tag: '1', digest: `sha256:${HEX64}` }],
  ['a__b/c-d/e.f_g:T_1.x-y', { path: 'a__b/c-d/e.f_g', tag: 'T_1.x-y' }],
  ['gcr.io/google-samples/microservices-demo/frontend:v0.10.1', { domain: 'gcr.io', path: 'google-samples/microservices-demo/frontend', tag: 'v0.10.1' }],
  ['Registry.Example.com/app', { domain: 'Registry.Example.com', path: 'app' }],
];

const INVALID: readonly [string, RegExp][] = [
  ['', /empty/],
  ['../x', /"\.\." path component/],
  ['/x', /empty path component/],
  ['%2e%2e/x', /"%2e%2e", which is not a repository name component/],
  ['x/../../containers/json', /"\.\." path component/],
  ['busybox:1.36/../../../v1.40/containers/create', /"\.\." path component|not a repository/],
  ['busybox/./x', /"\." path component/],
  ['busybox//x', /empty path component/],
  ['busybox/', /empty path component/],
  ['Busybox', /must be lowercase/],
  ['team/App:1', /must be lowercase/],
  ['app@sha256:bad', /malformed digest/],
  [`app@sha256:${'a'.repeat(63)}`, /malformed digest|64/],
  [`app@sha256:${'a'.repeat(65)}`, /64/],
  ['app#1', /not a repository name component/],
  ['app:-1', /malformed tag/],
  [`app:${'t'.repeat(129)}`, /malformed tag/],
  ['busybox:', /malformed tag/],
  ['a b', /a space/],
  ['x\u0000y', /control character U\+0000/],
  ['x\ny', /control character U\+000A/],
  ['héllo', /"é"/],
  ['.', /"\." path component/],
  ['..', /"\.\." path component/],
  ['-app', /not a repository name component/],
  ['app-', /not a repository name component/],
  ['reg_istry.com:x/app', /port is not a number|host name/],
  [`${'a'.repeat(256)}`, /at most 255/],
  ['@sha256:' + HEX64, /no repository name/],
];

test('valid references parse into domain, path, tag and digest', () => {
  for (const [ref, want] of VALID) {
    const got = parseImageReference(ref);
    assert.ok(got.ok, `${JSON.stringify(ref)} should be valid: ${got.ok ? '' : got.reason}`);
    assert.deepEqual(got.reference, want, ref);
  }
});

test('invalid references are refused with the reason', () => {
  for (const [ref, reason] of INVALID) {
    const got = parseImageReference(ref);
    assert.equal(got.ok, false, `${JSON.stringify(ref)} should be invalid`);
    if (!got.ok) assert.match(got.reason, reason, JSON.stringify(ref));
  }
});
