/**
 * files: durable local files, the one helper every module that keeps state on disk shares
 * (the store's status.json, the data plane's proxy-table.json), and whether the process a lock
 * file or a kernel rule names still runs, and berth's own folder (PROJECT_ROOT: the files it ships
 * beside its code, found the same from the sources and from the bundle). Effectful, and a leaf like core:
 * it imports no other module, so store and proxy may both use it under the dependency rule
 * without depending on each other. Invariant: a file written here is either the old or the new
 * content after a crash, never torn.
 */
export { writeFileAtomic } from './atomic-write.js';
export { isProcessAlive } from './process-alive.js';
export { PROJECT_ROOT } from './project-root.js';
