/** Engine addresses (runtime/docker/client.ts) and how a failure to reach one reads (errors.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEngineAddress, resolveSocketPath, resolveTlsDir } from '../../../src/runtime/docker/client.js';
import { isConnectionError, toEngineError } from '../../../src/runtime/docker/errors.js';
import { chooseDriver } from '../../../src/runtime/docker/detect.js';

describe('parseEngineAddress: how berth reaches an engine', () => {
  const table: [string, string, unknown][] = [
    ['a socket path', '/run/docker.sock', { kind: 'unix', path: '/run/docker.sock' }],
    ['a relative socket path', 'node1/docker.sock', { kind: 'unix', path: 'node1/docker.sock' }],
    ['unix://', 'unix:///run/docker.sock', { kind: 'unix', path: '/run/docker.sock' }],
    ['unix:// alone: the default socket', 'unix://', { kind: 'unix', path: '/var/run/docker.sock' }],
    ['tcp:// with a port', 'tcp://10.79.0.11:2376', { kind: 'tcp', host: '10.79.0.11', port: 2376 }],
    ['tcp:// without a port: 2376, as the Docker CLI', 'tcp://engine.example', { kind: 'tcp', host: 'engine.example', port: 2376 }],
    ['tcp:// to an IPv6 address', 'tcp://[::1]:2375', { kind: 'tcp', host: '::1', port: 2375 }],
  ];
  for (const [what, address, expected] of table) it(what, () => assert.deepEqual(parseEngineAddress(address), expected));
  const refused: [string, string, RegExp][] = [
    ['ssh:// (not yet)', 'ssh://me@host', /ssh:\/\/ is not supported/],
    ['http://', 'http://host:2375', /http:\/\/ is not supported/],
    ['tcp:// with no host', 'tcp://:2376', /no host|not a URL/],
    ['tcp:// with a path', 'tcp://host:2376/v1.41', /has no path/],
  ];
  for (const [what, address, why] of refused)
    it(`refused: ${what}, saying what is supported`, () =>
      assert.throws(
        () => parseEngineAddress(address),
        (err: Error & { code?: string }) =>
          err.code === 'USAGE' && why.test(err.message) && /unix:\/\/\/path\/to\/docker.sock or tcp:\/\/host:port/.test(err.message),
      ));
});

describe('resolveSocketPath and resolveTlsDir: flags, else the Docker CLI’s environment', () => {
  const table: [string, string | undefined, NodeJS.ProcessEnv, string][] = [
    ['the flag wins', '/a.sock', { DOCKER_HOST: 'tcp://h:1' }, '/a.sock'],
    ['DOCKER_HOST unix://', undefined, { DOCKER_HOST: 'unix:///b.sock' }, '/b.sock'],
    ['DOCKER_HOST tcp:// kept as the address', undefined, { DOCKER_HOST: 'tcp://h:2376' }, 'tcp://h:2376'],
    ['nothing: the default socket', undefined, {}, '/var/run/docker.sock'],
  ];
  for (const [what, flag, env, expected] of table) it(what, () => assert.equal(resolveSocketPath(flag, env), expected));
  it('TLS: the flag, else DOCKER_CERT_PATH only when DOCKER_TLS_VERIFY is set (and not 0)', () => {
    assert.equal(resolveTlsDir('/certs', {}), '/certs');
    assert.equal(resolveTlsDir(undefined, { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/c' }), '/c');
    assert.equal(resolveTlsDir(undefined, { DOCKER_TLS_VERIFY: '0', DOCKER_CERT_PATH: '/c' }), undefined);
    assert.equal(resolveTlsDir(undefined, { DOCKER_CERT_PATH: '/c' }), undefined);
  });
});

describe('an engine at tcp:// that cannot be reached as configured is ENGINE_UNREACHABLE, saying why', () => {
  const table: [string, unknown, RegExp][] = [
    [
      'a server certificate no CA of ours signed',
      Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }),
      /TLS: .*check --docker-tls-dir/,
    ],
    [
      'a name the certificate does not carry',
      Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }),
      /TLS: /,
    ],
    ['our client certificate refused', Object.assign(new Error('tlsv1 alert unknown ca'), { code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA' }), /TLS: /],
    [
      'plain HTTP to an engine that speaks TLS',
      Object.assign(new Error('(HTTP code 400) unexpected - Client sent an HTTP request to an HTTPS server.'), {
        statusCode: 400,
        json: { message: 'Client sent an HTTP request to an HTTPS server.' },
      }),
      /the engine speaks TLS: give --docker-tls-dir/,
    ],
  ];
  for (const [what, err, why] of table)
    it(what, () => {
      assert.equal(isConnectionError(err), true);
      const mapped = toEngineError(err, 'tcp://10.79.0.11:2376', 'ping') as Error & { code?: string };
      assert.equal(mapped.code, 'ENGINE_UNREACHABLE');
      assert.match(mapped.message, /^Docker engine at tcp:\/\/10\.79\.0\.11:2376 did not answer \(ping\): /);
      assert.match(mapped.message, why);
    });
  it('another 400 is the engine’s answer, not a reachability problem', () =>
    assert.equal(isConnectionError(Object.assign(new Error('(HTTP code 400) bad parameter'), { statusCode: 400, json: { message: 'bad parameter' } })), false));
});

describe('chooseDriver: --driver auto', () => {
  const table: [string, Parameters<typeof chooseDriver>[0], 'docker' | 'swarm', RegExp][] = [
    ['an engine that does not answer: one engine', undefined, 'docker', /did not answer/],
    ['a plain engine', { swarmManager: false, ownedServices: 0, ownedContainers: 3 }, 'docker', /no Swarm manager/],
    ['a manager with nothing of this instance', { swarmManager: true, ownedServices: 0, ownedContainers: 0 }, 'swarm', /Swarm manager/],
    ['a manager running services of this instance', { swarmManager: true, ownedServices: 4, ownedContainers: 2 }, 'swarm', /services of this instance/],
    [
      'a manager where this instance runs plain containers: kept on the docker driver (switching would run every replica twice)',
      { swarmManager: true, ownedServices: 0, ownedContainers: 2 },
      'docker',
      /--driver swarm moves them/,
    ],
  ];
  for (const [what, facts, driver, why] of table)
    it(what, () => {
      const chosen = chooseDriver(facts);
      assert.equal(chosen.driver, driver);
      assert.match(chosen.why, why);
    });
});
