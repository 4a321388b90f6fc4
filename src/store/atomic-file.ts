/** The one atomic-write helper lives in src/files (shared with the data plane); re-exported for the store's callers. */
export { writeFileAtomic } from '../files/index.js';
