import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { isOwned } from '../labels.js';
import type { OwnedContainer } from '../driver.js';
import { createJsonArraySplitter } from './json-array.js';
import { toOwnedContainer } from './map.js';

/** The slice of docker-modem berth calls to get an answer as a stream. */
interface Modem {
  dial(options: object, callback: (err: unknown, res: Readable | null) => void): void;
}

/**
 * The engine's list of the containers with `label` (all states), the owned ones mapped as each
 * arrives: the answer is read as a stream, element by element (json-array.ts), never as one body,
 * which at 20,000 containers is tens of MB of JSON. The same request dockerode's listContainers
 * makes, with its status handling and the client's idle timeout.
 */
export async function listOwnedContainers(api: Docker, instance: string, label: readonly string[]): Promise<OwnedContainer[]> {
  const options = {
    path: '/containers/json?',
    method: 'GET',
    options: { all: true, filters: { label } },
    isStream: true,
    statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' },
  };
  const res = await new Promise<Readable>((resolve, reject) =>
    (api.modem as Modem).dial(options, (err, answer) => (err || !answer ? reject(err ?? new Error('the engine sent no answer')) : resolve(answer))),
  );
  const owned: OwnedContainer[] = [];
  const splitter = createJsonArraySplitter((value) => {
    if (value === null || typeof value !== 'object') throw new Error('the engine listed a container that is not an object');
    const info = value as Docker.ContainerInfo;
    if (isOwned(info.Labels, instance)) owned.push(toOwnedContainer(info));
  });
  try {
    for await (const chunk of res) splitter.push(chunk as Buffer);
    splitter.end();
  } catch (err) {
    res.destroy();
    throw err;
  }
  return owned;
}
