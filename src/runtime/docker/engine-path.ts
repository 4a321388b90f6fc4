import { BerthError, parseImageReference } from '../../core/index.js';

/**
 * Every value berth splices into an Engine API path goes through here: dockerode builds paths
 * by concatenation (`'/images/' + name + '/json'`), and the engine cleans the decoded path
 * (Go's ServeMux): a value with a "." or ".." segment or an empty one ("//") is answered with a
 * 301 to another endpoint, which docker-modem followed to a hostname — an unhandled 'error'
 * event that ended the process (issue #15: `image: "../x"`). So a value is checked against
 * what it can legitimately be, and percent-encoded; anything else is a BerthError before any
 * request is made.
 */

/** An image reference for `/images/{name}/...` (and the pull's `fromImage`). */
export function imagePathValue(image: string): string {
  const parsed = parseImageReference(image);
  if (!parsed.ok) {
    throw new BerthError('INVALID_IMAGE_REFERENCE', `${JSON.stringify(image)} is not an image reference: it ${parsed.reason}`, { details: { image } });
  }
  return encodeURIComponent(image);
}

/** Container names and ids, network and volume names and ids, exec ids: `[A-Za-z0-9][A-Za-z0-9_.-]*`. */
const OBJECT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

export function objectPathValue(kind: 'container' | 'network' | 'volume' | 'exec', value: string): string {
  if (!OBJECT.test(value)) {
    throw new BerthError('USAGE', `refusing to address ${kind} ${JSON.stringify(value)} on the engine: not a ${kind} name or id`, {
      details: { [kind]: value },
    });
  }
  return encodeURIComponent(value);
}
