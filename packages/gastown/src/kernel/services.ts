// Services: pinned `service` beads in the town store, one per standing agent (the mayor; each rig's witness
// and refinery) and one per command the user declares (gt service add). ensureServices keeps them running,
// with crash-loop backoff (backoff.ts). Everything it decides on is in the store or in tmux: a run killed at
// any line is finished by the next.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BeadsError, assertNoControl, closeBead, createBead, listBeads, updateBead, withLock, type Bead } from '@gastown/beads';
import { agentFor, parseAgent, requireRig, sessionState, startAgent, stopAgents, townSessions, type SessionState } from '../agents/index.js';
import type { Agent, Role, Tools, Town } from '../model.js';
import { rigPaths, townStoreDir } from '../town/index.js';
import { launchAgent, sendMail, townStore } from '../work/index.js';
import { backoffPolicy, recentRestarts, restartDecision, withRestart, type BackoffPolicy, type ServiceState } from './backoff.js';

export * from './backoff.js';

export interface ServiceSpec {
  name: string;
  kind: 'agent' | 'command';
  /** An agent service's agent: mayor, <rig>/witness, <rig>/refinery. */
  address?: string;
  rig?: string;
  /** A command service's shell command line. */
  cmd?: string;
  /** Where a command service runs: its rig's clone, else the town's root. */
  cwd?: string;
}

export interface ServicesOptions {
  tools: Tools;
  actor?: string;
  dryRun?: boolean;
  /** The clock (ms since the epoch), for tests of backoff. */
  now?: number;
  log?: (line: string) => void;
}

export interface ServiceAction {
  service: string;
  action: string;
  reason: string;
}

export interface ServicesResult {
  dry_run: boolean;
  actions: ServiceAction[];
}

export type ServiceStatus = SessionState | 'backoff' | 'crash_loop' | 'held';

export interface ServiceRow extends ServiceSpec {
  id: string;
  session: string;
  state: ServiceStatus;
  /** Restarts within the crash-loop window. */
  restarts: number;
  /** When a service in backoff may be restarted. */
  next_try_at: string | null;
  crash_loop_since: string | null;
}

const DEFAULT_ACTOR = 'daemon';

/** A duration for a reason: 15 min, 3 s. */
const span = (ms: number): string => (ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`);
const NAME = /^[a-z][a-z0-9_-]{0,39}$/;

interface ServiceBead {
  bead: Bead;
  spec: ServiceSpec;
  state: ServiceState | undefined;
}

const specOf = (bead: Bead): ServiceSpec | undefined => (bead.metadata as { service?: ServiceSpec } | undefined)?.service;

/** The town's services: pinned service beads, by name. */
function serviceBeads(town: Town): ServiceBead[] {
  const beads = listBeads(townStore(town), { issue_type: ['service'], status: ['pinned'], limit: 0 });
  return beads
    .flatMap((bead) => {
      const spec = specOf(bead);
      return spec ? [{ bead, spec, state: (bead.metadata as { service_state?: ServiceState }).service_state }] : [];
    })
    // the standing agents first, then the commands, each in the order they were declared
    .sort((a, b) => Number(a.spec.kind === 'command') - Number(b.spec.kind === 'command') || a.bead.created_at.localeCompare(b.bead.created_at) || a.spec.name.localeCompare(b.spec.name));
}

/** The standing agents' services the town should have: the mayor, and each rig's witness and refinery. */
function standingSpecs(town: Town): ServiceSpec[] {
  return [
    { name: 'mayor', kind: 'agent', address: 'mayor' },
    ...town.rigs.flatMap((r) => (['witness', 'refinery'] as const).map((role): ServiceSpec => ({ name: `${r.name}/${role}`, kind: 'agent', address: `${r.name}/${role}`, rig: r.name }))),
  ];
}

/** The agent a command service runs as: a session of its own on the town's socket, tagged like every agent's. */
export function commandAgent(town: Town, spec: ServiceSpec): Agent {
  const t = town.config.name.replace(/[^A-Za-z0-9_-]/g, '_');
  // Not one of the four roles: GT_ROLE says "service". startAgent gives it everything a session needs (the
  // GT_SESSION tag gt down finds it by, gt and bd on PATH, a pane kept when its program exits).
  return { role: 'service' as Role, ...(spec.rig ? { rig: spec.rig } : {}), address: `service/${spec.name}`, session: `gt-${t}-svc-${spec.name}`, cwd: spec.cwd ?? town.root, store: townStoreDir(town) };
}

const serviceAgent = (town: Town, spec: ServiceSpec): Agent => (spec.kind === 'agent' ? parseAgent(town, spec.address!) : commandAgent(town, spec));

/**
 * Creates the standing agents' service beads the town lacks, and retires (closes) those of rigs it no longer
 * has. Returns what it did (or would do).
 */
export function syncStandingServices(town: Town, actor: string, dryRun = false): ServiceAction[] {
  const have = serviceBeads(town);
  const want = standingSpecs(town);
  const names = new Set(have.map((s) => s.spec.name));
  const actions: ServiceAction[] = [];
  for (const spec of want.filter((s) => !names.has(s.name))) {
    actions.push({ service: spec.name, action: 'create', reason: spec.rig ? `rig ${spec.rig} has no ${spec.name.split('/')[1]} service yet` : 'the town has no mayor service yet' });
    if (!dryRun) createBead(townStore(town), actor, { title: spec.name, issue_type: 'service', status: 'pinned', description: `The ${spec.address} agent, kept running by the daemon.`, metadata: { service: spec } });
  }
  const rigs = new Set(town.rigs.map((r) => r.name));
  for (const s of have.filter((x) => x.spec.rig && !rigs.has(x.spec.rig))) {
    actions.push({ service: s.spec.name, action: 'retire', reason: `rig ${s.spec.rig} was removed` });
    if (!dryRun) closeBead(townStore(town), actor, s.bead.id, `rig ${s.spec.rig} was removed`);
  }
  return actions;
}

function findService(town: Town, name: string): ServiceBead {
  const all = serviceBeads(town);
  const found = all.find((s) => s.spec.name === name.trim());
  if (!found) throw new BeadsError('not_found', `no service ${JSON.stringify(name)} (services: ${all.map((s) => s.spec.name).join(', ') || 'none'}; gt services lists them)`, { service: name });
  return found;
}

export interface AddServiceInput {
  name: string;
  cmd: string;
  rig?: string;
}

/** Declares a command service: the daemon (or gt services ensure) starts it and keeps it running. */
export function addService(town: Town, actor: string, input: AddServiceInput): ServiceRow {
  const name = input.name.trim();
  if (!NAME.test(name)) throw new BeadsError('invalid_input', `invalid service name ${JSON.stringify(input.name)}: a lowercase letter, then up to 39 lowercase letters, digits, - or _`, { name: input.name });
  const cmd = input.cmd.trim();
  if (!cmd) throw new BeadsError('invalid_input', 'a service needs a command: --cmd "npm run dev"');
  assertNoControl(cmd, 'command', 'line');
  const rig = input.rig === undefined ? undefined : requireRig(town, input.rig.trim());
  if (name === 'mayor' || serviceBeads(town).some((s) => s.spec.name === name)) throw new BeadsError('conflict', `a service named ${name} exists already (gt service remove ${name} first)`, { name });
  const spec: ServiceSpec = { name, kind: 'command', cmd, ...(rig ? { rig, cwd: rigPaths(town, rig).clone } : {}) };
  createBead(townStore(town), actor, { title: name, issue_type: 'service', status: 'pinned', description: `Command service: ${cmd}`, metadata: { service: spec } });
  return serviceRows(town).find((r) => r.name === name)!;
}

/** Removes a command service: its session ends, its bead is closed. A standing agent's service cannot go. */
export function removeService(town: Town, actor: string, name: string): { name: string; stopped: string[] } {
  const s = findService(town, name);
  if (s.spec.kind !== 'command') throw new BeadsError('invalid_input', `${s.spec.name} is a standing agent's service and cannot be removed (gt down stops it; gt rig remove removes a rig's)`, { name });
  const stopped = stopAgents(town, [commandAgent(town, s.spec)]);
  closeBead(townStore(town), actor, s.bead.id, 'removed by gt service remove');
  return { name: s.spec.name, stopped };
}

function writeState(town: Town, actor: string, s: ServiceBead, state: ServiceState | undefined): void {
  const { service_state: _old, ...rest } = (s.bead.metadata ?? {}) as Record<string, unknown>;
  updateBead(townStore(town), actor, s.bead.id, { metadata: state ? { ...rest, service_state: state } : rest });
}

/** Clears a service's restart history: out of a crash loop (or a hold), it is restarted at the next ensure. */
export function resetService(town: Town, actor: string, name: string): ServiceRow {
  const s = findService(town, name);
  if (s.state) writeState(town, actor, s, undefined);
  return serviceRows(town).find((r) => r.name === s.spec.name)!;
}

/**
 * Holds (or releases) the services of a rig, or with no rig every one: gt down RIG holds its rig's, so that the
 * daemon does not bring back what was just stopped; gt up releases them.
 */
export function holdServices(town: Town, actor: string, hold: boolean, rig?: string): string[] {
  // under the services' lock: a round of ensureServices in progress (which read the services before the hold)
  // ends first, and the next one sees the hold
  return underServicesLock(town, () => {
    const now = new Date().toISOString();
    const changed: string[] = [];
    for (const s of serviceBeads(town).filter((x) => !rig || x.spec.rig === rig)) {
      if (Boolean(s.state?.held) === hold) continue;
      const { held: _held, ...rest } = s.state ?? { restarts: [] };
      writeState(town, actor, s, hold ? { ...rest, held: { since: now, by: rig ? `gt down ${rig}` : 'gt down' } } : rest);
      changed.push(s.spec.name);
    }
    return changed;
  });
}

/**
 * Whether gt down RIG holds the rig (its witness's service is held): then neither the daemon nor a witness
 * patrol nor dispatch starts anything of it until gt up.
 */
export function rigHold(town: Town, rig: string): { since: string; by: string } | null {
  return serviceBeads(town).find((s) => s.spec.rig === rig && s.spec.address === `${rig}/witness`)?.state?.held ?? null;
}

function underServicesLock<T>(town: Town, fn: () => T): T {
  const locks = join(town.root, '.gt', 'locks');
  mkdirSync(locks, { recursive: true });
  return withLock(join(locks, 'services.lock'), fn, { timeoutMs: 60_000, what: 'the services (another gt services ensure or the daemon)' });
}

/** Every service with its state: running, dead, absent, backoff (dead or absent, waiting to restart), crash_loop, held. */
export function serviceRows(town: Town, now = Date.now(), policy: BackoffPolicy = backoffPolicy()): ServiceRow[] {
  const sessions = townSessions(town);
  return serviceBeads(town).map((s) => {
    const session = s.spec.kind === 'agent' ? sessionOf(town, s.spec) : commandAgent(town, s.spec).session;
    const live = sessionState(sessions.get(session));
    const decision = restartDecision(s.state, now, policy);
    const state: ServiceStatus = live === 'running' ? 'running' : s.state?.held ? 'held' : decision.kind === 'crash_loop' ? 'crash_loop' : decision.kind === 'wait' ? 'backoff' : live;
    return {
      id: s.bead.id,
      ...s.spec,
      session,
      state,
      restarts: recentRestarts(s.state, now, policy).length,
      next_try_at: state === 'backoff' && decision.kind === 'wait' ? new Date(decision.until).toISOString() : null,
      crash_loop_since: s.state?.crash_loop?.since ?? null,
    };
  });
}

/** An agent service's session name, without checking that its rig still exists (a retired one is shown). */
function sessionOf(town: Town, spec: ServiceSpec): string {
  if (spec.address === 'mayor') return agentFor(town, 'mayor').session;
  const [rig, role] = spec.address!.split('/') as [string, 'witness' | 'refinery'];
  try {
    return agentFor(town, role, rig).session;
  } catch {
    return `(rig ${rig} removed)`;
  }
}

/**
 * One round over the services: the standing ones the town lacks are created; each that is not running is
 * started, unless held, in backoff or in a crash loop. A crash loop is recorded and mailed to the overseer
 * once. Each restart is recorded before it is made, so a run killed in between still counts it.
 */
export function ensureServices(town: Town, options: ServicesOptions): ServicesResult {
  const actor = options.actor ?? DEFAULT_ACTOR;
  const dryRun = Boolean(options.dryRun);
  const round = (): ServicesResult => {
    const now = options.now ?? Date.now();
    const policy = backoffPolicy();
    const actions = syncStandingServices(town, actor, dryRun);
    for (const a of actions) options.log?.(`${a.service}: ${a.action}: ${a.reason}`);
    const act = (a: ServiceAction): void => {
      actions.push(a);
      options.log?.(`${a.service}: ${a.action}: ${a.reason}`);
    };
    const sessions = townSessions(town);
    for (const s of serviceBeads(town)) {
      if (s.state?.held) continue;
      if (s.spec.rig && !town.rigs.some((r) => r.name === s.spec.rig)) continue; // retired above
      const agent = serviceAgent(town, s.spec);
      const live = sessionState(sessions.get(agent.session));
      if (live === 'running') continue;
      const decision = restartDecision(s.state, now, policy);
      if (decision.kind === 'wait') continue;
      if (decision.kind === 'crash_loop') {
        if (s.state?.crash_loop?.mailed) continue;
        const n = s.state?.restarts.length ?? 0; // (kept to the window of the last restart when recorded)
        const reason = `${n} restarts within ${span(policy.windowMs)} and ${live === 'dead' ? 'its runtime died' : 'its session is gone'} again: no more restarts (gt service reset ${s.spec.name} clears it)`;
        act({ service: s.spec.name, action: 'crash_loop', reason });
        if (dryRun) continue;
        const since = s.state?.crash_loop?.since ?? new Date(now).toISOString();
        const mail = sendMail(town, actor, 'overseer', `service ${s.spec.name} is in a crash loop`, `${reason}.\nSession: ${agent.session}${s.spec.cmd ? `\nCommand: ${s.spec.cmd}` : ''}\nRestarts: ${(s.state?.restarts ?? []).join(', ')}`);
        writeState(town, actor, s, { ...(s.state ?? { restarts: [] }), crash_loop: { since, mailed: true, mail: mail.id } });
        continue;
      }
      const n = recentRestarts(s.state, now, policy).length;
      const why = live === 'dead' ? 'its runtime died (the pane is dead)' : 'it has no session';
      act({ service: s.spec.name, action: live === 'dead' ? 'restart' : 'start', reason: `${why}${n ? `; restart ${n + 1} of ${policy.limit} allowed within ${span(policy.windowMs)}` : ''}` });
      if (dryRun) continue;
      writeState(town, actor, s, withRestart(s.state, now, policy));
      try {
        if (s.spec.kind === 'agent') launchAgent(town, agent, { tools: options.tools });
        else startAgent(town, agent, { name: 'command', command: s.spec.cmd!, claude: false }, options.tools);
      } catch (err) {
        act({ service: s.spec.name, action: 'failed', reason: `could not start it: ${(err as Error).message}` });
      }
    }
    return { dry_run: dryRun, actions };
  };
  if (dryRun) return round();
  return underServicesLock(town, round);
}
