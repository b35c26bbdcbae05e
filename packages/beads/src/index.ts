// @gastown/beads: the bead store as a library. No CLI or UI dependency.
export * from './types.js';
export * from './errors.js';
export { BeadStore, LOG_FILE, CONFIG_FILE, resolveIdIn, type OpDraft, type StoreConfig } from './store.js';
export { foldOperations, foldLogId, applyOp, compareOps, type BeadState } from './fold.js';
export { findStoreDir, initStore, isWispId, wispStoreDir, BEADS_DIRNAME, GITATTRIBUTES_LINE, WISPS_DIRNAME } from './location.js';
export * from './mutations.js';
export { readyBeads, blockedBeads, type BlockedBead } from './ready.js';
export { listBeads, searchBeads, storeStats, openDescendants, type StoreStats } from './query.js';
export { type BeadFilter } from './filter.js';
export { importFile, importRecords, exportRecords, parseExport, type ImportResult } from './interchange.js';
export { runDoctor, stateHash, type DoctorReport } from './doctor.js';
export { dependencyTree, dependencyCycles, type DepNode } from './graph.js';
export { resolveActor } from './actor.js';
export { canonicalBead } from './record.js';
export { newBeadId, newOpId, randomToken, PREFIX_PATTERN } from './ids.js';
export type { CacheReader } from './cache.js';
export { readOps, forEachLine, parseOpLine, type CorruptLine } from './log.js';
export { withLock, sleepSync } from './lock.js';
