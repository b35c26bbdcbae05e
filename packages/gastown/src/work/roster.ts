// The town's agents as gt agents lists them (session state, hooked work, progress) and the plan gt up
// follows: the standing agents and every polecat with work on its hook, each with the runtime it will run.
// Here rather than in agents/ because both read the hook (hook.ts).
import { BeadStore } from '@gastown/beads';
import { agentFor, resolveRuntime, rigNames, rigPolecats, sessionState, townAgents, townSessions, type SessionState } from '../agents/index.js';
import type { Agent, Runtime, Tools, Town } from '../model.js';
import { hookRuntime, hookedWork } from './hook.js';

export interface AgentRow {
  address: string;
  role: string;
  rig: string | null;
  session: string;
  state: SessionState;
  pid: number | null;
  hooked: string | null;
  molecule: string | null;
  step: string | null;
  /** Steps of the molecule closed, of all: "2/4". */
  progress: string | null;
  idle_s: number | null;
}

/** Every agent of the town (or of one rig), in townAgents' order, with its session and what is on its hook. */
export function agentRows(town: Town, rig?: string): AgentRow[] {
  const sessions = townSessions(town);
  const now = Date.now() / 1000;
  const stores = new Map<string, BeadStore>(); // a rig's agents share its store: open it once
  return townAgents(town, rig).map((agent) => {
    const info = sessions.get(agent.session);
    if (!stores.has(agent.store)) stores.set(agent.store, BeadStore.open(agent.store));
    const work = hookedWork(agent, stores.get(agent.store));
    return {
      address: agent.address,
      role: agent.role,
      rig: agent.rig ?? null,
      session: agent.session,
      state: sessionState(info),
      pid: info && !info.dead ? info.pid : null,
      hooked: work?.bead.id ?? null,
      molecule: work?.molecule?.id ?? null,
      step: work?.step ? `${work.step.step} (${work.step.id})` : null,
      progress: work?.molecule ? `${work.molecule.done}/${work.molecule.total}` : null,
      idle_s: info ? Math.max(0, Math.round(now - info.activity)) : null,
    };
  });
}

/** The standing agents: the mayor (for the whole town), and a witness and a refinery per rig. */
export function standingAgents(town: Town, rig?: string): Agent[] {
  return [...(rig ? [] : [agentFor(town, 'mayor')]), ...rigNames(town, rig).flatMap((r) => [agentFor(town, 'witness', r), agentFor(town, 'refinery', r)])];
}

/** Polecats with work on their hook (after gt down, a crash or a reboot), each with the runtime it was slung with. */
export function hookedPolecats(town: Town, rig?: string): { agent: Agent; previous?: string }[] {
  return rigNames(town, rig).flatMap((r) => {
    const polecats = rigPolecats(town, r);
    if (!polecats.length) return [];
    const store = BeadStore.open(polecats[0]!.store);
    return polecats.flatMap((agent) => {
      const work = hookedWork(agent, store);
      return work ? [{ agent, previous: hookRuntime(work.bead) }] : [];
    });
  });
}

export interface UpOptions {
  rig?: string;
  tools: Tools;
  /** The runtime for every agent (--runtime); else each agent's own choice (resolveRuntime). */
  runtime?: string;
}

/**
 * What gt up starts: the standing agents, then the hooked polecats, each with its runtime. Every runtime is
 * resolved here, before any session starts, so a bad one refuses the whole plan and nothing is half-started.
 */
export function upPlan(town: Town, options: UpOptions): { agent: Agent; runtime: Runtime }[] {
  const agents: { agent: Agent; previous?: string }[] = [...standingAgents(town, options.rig).map((agent) => ({ agent })), ...hookedPolecats(town, options.rig)];
  return agents.map(({ agent, previous }) => ({ agent, runtime: resolveRuntime(town, agent.role, options.tools, options.runtime, previous) }));
}
