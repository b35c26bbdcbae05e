// The states of the flag the op check's worker and the main thread share (op-check.ts, validate-worker.ts).
export const NOT_STARTED = 0;
export const STARTED = 1;
export const ANSWERED = 2;
export const FAILED = 3;
