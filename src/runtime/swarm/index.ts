/**
 * runtime/swarm: the RuntimeDriver for a Docker Swarm cluster (through its manager's engine),
 * a replica per one-task service. dockerode types stop here, as in runtime/docker.
 */
export { createSwarmDriver, type SwarmDriverOptions } from './driver.js';
export { ENGINE_LABEL, placementConstraints, serviceName, type SwarmNode } from './map.js';
