/**
 * cli: the `berth` command line (commander). Reads flags, asks main.ts's adapters for the
 * concrete source/driver/store, calls the same pipeline `berth run` uses, prints text or JSON,
 * and maps outcomes to the documented exit codes (exit-codes.ts).
 */
export * from './program.js';
export * from './adapters.js';
export * from './exit-codes.js';
