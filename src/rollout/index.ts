/**
 * rollout: how a Deployment moves from what runs to what is desired. `step.ts` is pure
 * (`nextStep(desired, observed, history, now)`, one move per pass, Kubernetes fencepost
 * arithmetic); `executor.ts` applies exactly one step through the RuntimeDriver port, reading
 * the Secret values a new replica needs through the SecretResolver port just before it is
 * created (the only place values meet a ContainerSpec; they are never logged).
 */
export * from './step.js';
export * from './availability.js';
export * from './stateful-step.js';
export * from './fenceposts.js';
export * from './backoff.js';
export * from './member-restarts.js';
export * from './container-spec.js';
export * from './executor.js';
