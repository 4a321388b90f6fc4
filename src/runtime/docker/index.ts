/**
 * runtime/docker: the RuntimeDriver for one Docker engine (dockerode over a unix socket).
 * dockerode types stop here: engine JSON is mapped to the port's plain types (map.ts),
 * engine errors to BerthError codes (errors.ts). Constructed only by main.ts (and tests).
 *
 * Invariants: objects are found by labels alone (`berth.managed=true`,
 * `berth.instance=<instance>`), never by memory; an object without them is never changed or
 * removed; containers always run with an init, restart policy `no`, and ports published on
 * 127.0.0.1 with ephemeral host ports; volumes are never removed. Host paths are mounted only
 * as what they say (no symlinks); the files of secret volumes live in a berth-private folder
 * (`filesDir`, default defaultFilesRoot()) and go with their container.
 */
export { createDockerDriver, type DockerDriverOptions } from './driver.js';
export { defaultFilesRoot } from './host-mounts.js';
export { DEFAULT_SOCKET_PATH } from './client.js';
export { chooseDriver, readEngineFacts, type EngineFacts } from './detect.js';
export { resolveSocketPath, resolveTlsDir } from './client.js';
