// @gastown/gastown: the town and its rigs (agents, the merge queue and the dashboard's data come later).
export * from './town.js';
export { addRig, listRigs, removeRig, rigPaths, type AddRigOptions } from './rigs.js';
export * from './agents.js';
export * from './runtime.js';
export * from './sessions.js';
export { capturePane, attachSession, requireTmux } from './tmux.js';
export { hookedWork, hookRuntime, HOOK_MOLECULE_KEY, HOOK_RUNTIME_KEY, type HookedWork } from './work.js';
export { nudgeAgent, type NudgeResult } from './nudge.js';
export * from './mail.js';
export { slingBead, POLECAT_NAMES, DEFAULT_WORK_MOLECULE, type SlingOptions, type SlingResult } from './sling.js';
export { finishWork, mrMeta, type DoneResult, type MergeRequestMeta } from './done.js';
export { primeAgent, renderPrime, rolesDir, HANDOFF_SUBJECT, type Prime } from './prime.js';
export { ScriptedAgent, shellBlocks, blocksFor, type CodeBlock } from './scripted-agent.js';
