/**
 * core: the shared vocabulary every other module speaks. Pure: no I/O, no clock reads.
 * Owns errors (one class, one code registry), the exit-code registry, diagnostics, canonical hashing, naming rules,
 * and the Clock/Logger ports.
 */
export * from './errors.js';
export * from './hash.js';
export * from './clock.js';
export * from './logger.js';
export * from './diagnostic.js';
export * from './names.js';
export * from './image-reference.js';
export * from './exit-codes.js';
export * from './own.js';
export * from './ipv4.js';
export * from './label-selector.js';
export * from './placement.js';
export * from './backoff.js';
export * from './memo.js';
export * from './order.js';
export * from './bounded-pool.js';
