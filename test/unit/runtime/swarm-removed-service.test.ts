import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { removedService } from '../../../src/runtime/swarm/tasks.js';

/** An engine error as dockerode raises it: the status, and the engine's JSON message. */
const engineError = (statusCode: number, message: string) =>
  Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message}`), { statusCode, json: { message } });

describe('removedService: which asked-for service a refused task read names as gone', () => {
  const asked = new Set(['k2j4t8', 'p9q1r2']);
  const cases: [string, unknown, string | undefined][] = [
    ['404 naming an asked service → that service', engineError(404, 'service k2j4t8 not found'), 'k2j4t8'],
    ['the other one', engineError(404, 'service p9q1r2 not found'), 'p9q1r2'],
    ['404 naming a service not asked for → none', engineError(404, 'service zzz not found'), undefined],
    ['404 about something else → none', engineError(404, 'node k2j4t8 not found'), undefined],
    ['500 with the same words → none', engineError(500, 'service k2j4t8 not found'), undefined],
    [
      'a message without the JSON body (dockerode text only)',
      Object.assign(new Error('(HTTP code 404) no such service - service k2j4t8 not found'), { statusCode: 404 }),
      'k2j4t8',
    ],
    ['a connection failure → none', Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' }), undefined],
    ['not an error at all → none', 'service k2j4t8 not found', undefined],
  ];
  for (const [name, err, expected] of cases) it(name, () => assert.equal(removedService(err, asked), expected));
});
