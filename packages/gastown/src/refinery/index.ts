// The refinery: the merge queue that lands the polecats' work on the target, gated, in order, crash-safe.
export { refineryRound, refineryRun, refineryLockPath, targetSettings, type RefineryOptions, type RoundResult, type RoundEvent, type RoundAction, type RunOptions } from './engine.js';
export { queueRows, queueOrder, rigMergeRequests, mergeRequest, changeMq, type QueueRow, type MergeRequest, type MqChange } from './queue.js';
export { prBranch } from './pr.js';
export { findMergeRequest, retryMergeRequest, rejectMr, refineryStatus, type RefineryStatus } from './actions.js';
