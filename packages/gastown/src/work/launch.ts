// Starting or restarting an agent's session the one way every caller does (gt up, the witness, the daemon's
// services): the runtime it had (a polecat's, recorded on its hook), and the conversation it was in, resumed
// where its runtime can resume one.
import { resolveRuntime, restartAgent, startAgent, townSessions } from '../agents/index.js';
import type { Agent, Tools, Town } from '../model.js';
import { hookRuntime, hookedWork } from './hook.js';

export interface LaunchOptions {
  tools: Tools;
  /** The runtime for this start (--runtime); else the agent's own (resolveRuntime). */
  runtime?: string;
  /** Replace a running session's runtime too (the witness's restart); else a running session is left alone. */
  restart?: boolean;
}

export interface LaunchResult {
  address: string;
  session: string;
  runtime: string;
  result: 'started' | 'restarted' | 'running';
  /** The conversation resumed, when the runtime resumed one. */
  resumed?: string;
}

/** Starts the agent's session (or restarts its runtime), with the hook kept: its successor primes and continues. */
export function launchAgent(town: Town, agent: Agent, options: LaunchOptions): LaunchResult {
  const previous = agent.role === 'polecat' ? (() => {
    const work = hookedWork(agent);
    return work ? hookRuntime(work.bead) : undefined;
  })() : undefined;
  const runtime = resolveRuntime(town, agent.role, options.tools, options.runtime, previous);
  const base = { address: agent.address, session: agent.session, runtime: runtime.name };
  const info = townSessions(town).get(agent.session);
  if (options.restart && info) {
    restartAgent(town, agent, runtime, options.tools);
    return { ...base, result: 'restarted' };
  }
  return { ...base, result: startAgent(town, agent, runtime, options.tools) };
}
