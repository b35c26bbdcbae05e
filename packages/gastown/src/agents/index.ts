// Agents in tmux: who the agents are (addresses, sessions, stores), which runtime each runs, their sessions
// on the town's tmux server, and nudges.
export * from './agents.js';
export * from './runtime.js';
export * from './sessions.js';
export { capturePane, attachSession, requireTmux } from './tmux.js';
export { nudgeAgent, type NudgeResult } from './nudge.js';
