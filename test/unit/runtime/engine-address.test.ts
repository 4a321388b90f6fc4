/** Engine addresses (runtime/docker/client.ts) and how a failure to reach one reads (errors.ts). */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { isEncryptedKey, parseEngineAddress, resolveSocketPath, resolveTlsDir } from '../../../src/runtime/docker/client.js';
import { checkHostKey } from '../../../src/runtime/docker/known-hosts.js';
import { isConnectionError, isRefusedConnection, toEngineError } from '../../../src/runtime/docker/errors.js';
import { nodeEngineAddress } from '../../../src/runtime/swarm/node-engines.js';
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
    ['ssh:// with a user: port 22', 'ssh://deploy@10.0.0.5', { kind: 'ssh', user: 'deploy', host: '10.0.0.5', port: 22 }],
    ['ssh:// with a port, no user (this process’s)', 'ssh://engine.example:2222', { kind: 'ssh', user: undefined, host: 'engine.example', port: 2222 }],
    ['ssh:// with a trailing slash', 'ssh://me@host/', { kind: 'ssh', user: 'me', host: 'host', port: 22 }],
  ];
  for (const [what, address, expected] of table) it(what, () => assert.deepEqual(parseEngineAddress(address), expected));
  const refused: [string, string, RegExp][] = [
    ['ssh:// with a password', 'ssh://me:secret@host', /no password in the address/],
    ['ssh:// with a path', 'ssh://me@host/var/run/docker.sock', /has no path/],
    ['http://', 'http://host:2375', /http:\/\/ is not supported/],
    ['tcp:// with no host', 'tcp://:2376', /no host|not a URL/],
    ['tcp:// with a path', 'tcp://host:2376/v1.41', /has no path/],
  ];
  for (const [what, address, why] of refused)
    it(`refused: ${what}, saying what is supported`, () =>
      assert.throws(
        () => parseEngineAddress(address),
        (err: Error & { code?: string }) =>
          err.code === 'USAGE' && why.test(err.message) && /unix:\/\/\/path\/to\/docker.sock, tcp:\/\/host:port .*, or ssh:\/\/user@host/.test(err.message),
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

describe('an engine at ssh:// that cannot be reached as configured is ENGINE_UNREACHABLE, saying why', () => {
  const table: [string, unknown, RegExp][] = [
    [
      'no key accepted',
      Object.assign(new Error('All configured authentication methods failed'), { level: 'client-authentication' }),
      /accepted none of the keys offered/,
    ],
    ['a host key known_hosts does not have', new Error('Host denied (verification failed)'), /not in ~\/\.ssh\/known_hosts .*ssh-keyscan -p 2222 h\.example/],
    [
      'no handshake in time',
      Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' }),
      /SSH: no handshake before the deadline/,
    ],
    [
      'nothing listens',
      Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:22'), { level: 'client-socket', code: 'ECONNREFUSED' }),
      /SSH: connect ECONNREFUSED/,
    ],
    [
      'the session printed no HTTP (a nologin shell)',
      Object.assign(new Error('Parse Error: Expected HTTP/'), { code: 'HPE_INVALID_CONSTANT' }),
      /did not carry Docker's API: .*docker system dial-stdio/,
    ],
    ['the session closed at once (no docker there)', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), /docker system dial-stdio/],
  ];
  for (const [what, err, why] of table)
    it(what, () => {
      assert.equal(isConnectionError(err), true);
      const mapped = toEngineError(err, 'ssh://me@h.example:2222', 'ping') as Error & { code?: string };
      assert.equal(mapped.code, 'ENGINE_UNREACHABLE');
      assert.match(mapped.message, /^Docker engine at ssh:\/\/me@h\.example:2222 did not answer \(ping\): /);
      assert.match(mapped.message, why);
    });
});

describe('checkHostKey: known_hosts as ssh checks it (no trust on first use)', () => {
  const K = 'AAAAC3NzaC1lZDI1NTE5AAAAIKey1';
  const O = 'AAAAC3NzaC1lZDI1NTE5AAAAIOther';
  const salt = Buffer.from('0123456789abcdef0123');
  const hashed = (name: string) => `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
  const table: [string, string, string, number, string, ReturnType<typeof checkHostKey>][] = [
    ['the address with its key', `10.0.0.5 ssh-ed25519 ${K}`, '10.0.0.5', 22, K, 'known'],
    ['one of a list of names', `web,10.0.0.5 ssh-ed25519 ${K} comment`, '10.0.0.5', 22, K, 'known'],
    ['the name with another key only: changed', `10.0.0.5 ssh-ed25519 ${O}`, '10.0.0.5', 22, K, 'changed'],
    [
      'another key and the right one: known (several keys per host)',
      `10.0.0.5 ssh-rsa ${O}
10.0.0.5 ssh-ed25519 ${K}`,
      '10.0.0.5',
      22,
      K,
      'known',
    ],
    ['no line for the host: unknown', `10.0.0.6 ssh-ed25519 ${K}`, '10.0.0.5', 22, K, 'unknown'],
    ['a port other than 22 is [host]:port', `[10.0.0.5]:2222 ssh-ed25519 ${K}`, '10.0.0.5', 2222, K, 'known'],
    ['the bare name does not vouch for another port', `10.0.0.5 ssh-ed25519 ${K}`, '10.0.0.5', 2222, K, 'unknown'],
    ['hashed names (HashKnownHosts)', `${hashed('10.0.0.5')} ssh-ed25519 ${K}`, '10.0.0.5', 22, K, 'known'],
    ['a hashed other name', `${hashed('10.0.0.6')} ssh-ed25519 ${K}`, '10.0.0.5', 22, K, 'unknown'],
    ['a wildcard', `*.example.com ssh-ed25519 ${K}`, 'node1.example.com', 22, K, 'known'],
    ['a negated name wins over a wildcard', `*.example.com,!bad.example.com ssh-ed25519 ${K}`, 'bad.example.com', 22, K, 'unknown'],
    ['? matches one character', `node? ssh-ed25519 ${K}`, 'node1', 22, K, 'known'],
    [
      '@revoked refuses the key even where it is known',
      `@revoked * ssh-ed25519 ${K}
10.0.0.5 ssh-ed25519 ${K}`,
      '10.0.0.5',
      22,
      K,
      'revoked',
    ],
    ['@cert-authority lines are no host keys', `@cert-authority * ssh-ed25519 ${K}`, '10.0.0.5', 22, K, 'unknown'],
    [
      'comments and blank lines',
      `# 10.0.0.5 ssh-ed25519 ${K}

`,
      '10.0.0.5',
      22,
      K,
      'unknown',
    ],
  ];
  for (const [what, text, host, port, key, verdict] of table) it(what, () => assert.equal(checkHostKey([text], host, port, key), verdict));
  it('several files: the system one counts too', () => assert.equal(checkHostKey(['', `10.0.0.5 ssh-ed25519 ${K}`], '10.0.0.5', 22, K), 'known'));
});

describe('isEncryptedKey: keys that need a passphrase are not offered (the agent holds those)', () => {
  const openssh = (cipher: string) => {
    const name = Buffer.from(cipher);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(name.length);
    const blob = Buffer.concat([Buffer.from('openssh-key-v1\0', 'latin1'), len, name, Buffer.alloc(16)]);
    return `-----BEGIN OPENSSH PRIVATE KEY-----\n${blob.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`;
  };
  const table: [string, string, boolean][] = [
    ['an OpenSSH key without a passphrase (cipher none)', openssh('none'), false],
    ['an OpenSSH key with one (aes256-ctr)', openssh('aes256-ctr'), true],
    ['a PEM key with Proc-Type ENCRYPTED', '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n…', true],
    ['PKCS#8 encrypted', '-----BEGIN ENCRYPTED PRIVATE KEY-----\n…', true],
    ['a plain PEM key', '-----BEGIN RSA PRIVATE KEY-----\nMIIE…\n-----END RSA PRIVATE KEY-----', false],
  ];
  for (const [what, text, encrypted] of table) it(what, () => assert.equal(isEncryptedKey(text), encrypted));
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

describe('nodeEngineAddress: a Swarm node’s own engine, from its berth.engine label', () => {
  const node = (engine?: string) => ({
    id: 'n2',
    hostname: 'node2',
    role: 'worker' as const,
    state: 'ready',
    availability: 'active',
    address: '10.79.0.12',
    labels: (engine === undefined ? {} : { 'berth.engine': engine }) as Record<string, string>,
    leader: false,
  });
  for (const address of ['unix:///run/node2/docker.sock', 'tcp://10.79.0.12:2376', 'ssh://root@10.79.0.12'])
    it(`accepted: ${address}`, () => assert.equal(nodeEngineAddress(node(address)), address));
  it('no label: ENGINE_UNREACHABLE saying how to add one', () =>
    assert.throws(
      () => nodeEngineAddress(node()),
      (err: Error & { code?: string }) => err.code === 'ENGINE_UNREACHABLE' && /label it with berth\.engine=.*ssh:\/\/user@host/.test(err.message),
    ));
  it('an address berth cannot use: USAGE naming the node', () =>
    assert.throws(
      () => nodeEngineAddress(node('http://10.79.0.12:2375')),
      (err: Error & { code?: string }) => err.code === 'USAGE' && /node node2: label berth\.engine: .*http:\/\/ is not supported/.test(err.message),
    ));
});

describe('isRefusedConnection: nothing listens (the engine is gone), through wrapped causes', () => {
  const table: [string, unknown, boolean][] = [
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), true],
    ['a socket file gone', Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' }), true],
    ['wrapped as ENGINE_UNREACHABLE', toEngineError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), '/s.sock', 'ping'), true],
    ['a timeout is no refusal', Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }), false],
    ['a reset is no refusal', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), false],
    ['not an error', undefined, false],
  ];
  for (const [what, err, refused] of table) it(what, () => assert.equal(isRefusedConnection(err), refused));
});
