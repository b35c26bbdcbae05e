// Work: what is on an agent's hook, slinging a bead to a polecat, `gt done` filing its merge request, mail,
// and the prime an agent starts from.
export { hookedWork, hookRuntime, HOOK_MOLECULE_KEY, HOOK_RUNTIME_KEY, type HookedWork } from './hook.js';
export * from './mail.js';
export { slingBead, POLECAT_NAMES, DEFAULT_WORK_MOLECULE, type SlingOptions, type SlingResult } from './sling.js';
export { finishWork, mrMeta, mqOf, type DoneResult } from './done.js';
export { primeAgent, renderPrime, rolesDir, HANDOFF_SUBJECT, type Prime } from './prime.js';
export { agentRows, hookedPolecats, standingAgents, upPlan, type AgentRow, type UpOptions } from './roster.js';
export { polecatRows, gcPolecats, type PolecatRow, type PolecatState, type GcEntry, type GcResult } from './polecats.js';
export { launchAgent, type LaunchOptions, type LaunchResult } from './launch.js';
export { RELEASED_LABEL, RELEASE_KEY, releaseRecord, pendingRelease, releasedReason, type ReleaseRecord } from './released.js';
