// Starting or restarting an agent's session the one way every caller does (gt up, the witness, the daemon's
// services): the runtime it had (a polecat's, recorded on its hook), and the conversation it was in, resumed
// where its runtime can resume one.
import { readConversation, resolveRuntime, restartAgent, resumeRuntime, startAgent, townSessions } from '../agents/index.js';
import type { Agent, Runtime, Tools, Town } from '../model.js';
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

/**
 * The conversation to resume: the one recorded for the agent, when its runtime is this one and can resume it,
 * and, for a polecat, only when the bead on its hook is the one it was recorded for (a new bead, or a new
 * polecat under an old one's name, starts a conversation of its own).
 */
function conversationToResume(town: Town, agent: Agent, runtime: Runtime, hooked: string | undefined): string | undefined {
  if (!runtime.resume) return undefined;
  const record = readConversation(town, agent);
  if (!record || record.runtime !== runtime.name) return undefined;
  if (agent.role === 'polecat' && (!hooked || record.bead !== hooked)) return undefined;
  return record.conversation_id;
}

/** Starts the agent's session (or restarts its runtime), with the hook kept: its successor primes and continues. */
export function launchAgent(town: Town, agent: Agent, options: LaunchOptions): LaunchResult {
  const work = agent.role === 'polecat' ? hookedWork(agent) : null;
  const fresh = resolveRuntime(town, agent.role, options.tools, options.runtime, work ? hookRuntime(work.bead) : undefined);
  const base = { address: agent.address, session: agent.session, runtime: fresh.name };
  const info = townSessions(town).get(agent.session);
  if (info && !info.dead && !options.restart) return { ...base, result: 'running' };
  const id = conversationToResume(town, agent, fresh, work?.bead.id);
  const runtime = id ? resumeRuntime(fresh, id) : fresh;
  const resumed = id ? { resumed: id } : {};
  if (options.restart && info) {
    restartAgent(town, agent, runtime, options.tools);
    return { ...base, result: 'restarted', ...resumed };
  }
  return { ...base, result: startAgent(town, agent, runtime, options.tools), ...resumed };
}
