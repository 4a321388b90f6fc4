/** The CLI's door to the one exit-code registry, core/exit-codes.ts (also used by the planner). */
export { EXIT, type ExitCode } from '../core/index.js';
