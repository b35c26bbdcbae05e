// Agent sessions: starting an agent's runtime in its tmux session with its identity in the environment,
// seeing which sessions run, and stopping them with every process they started.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BeadsError } from '@gastown/beads';
import { townSocket } from './agents.js';
import type { Agent, Runtime, Tools, Town } from '../model.js';
import { excludeFromGit } from '../git-cli.js';
import { writeJsonAtomic } from '../town/index.js';
import { alive, descendants, endProcesses, processTable, processesStartedBy } from './processes.js';
import { PRIME_PROMPT, shellQuote } from './runtime.js';
import { listSessions, removeStaleSocket, requireTmux, respawnSession, serverPid, sessionVariable, startSession, stopServer, stopSession, type SessionInfo, type SessionSpec } from './tmux.js';

export type SessionState = 'running' | 'dead' | 'absent';

/** The sessions of the town's tmux server, by name. */
export function townSessions(town: Town): Map<string, SessionInfo> {
  return new Map(listSessions(townSocket(town)).map((s) => [s.name, s]));
}

/** An agent's session; a not_found error saying how to start one when it has none. */
export function requireSession(town: Town, agent: Agent): SessionInfo {
  const info = townSessions(town).get(agent.session);
  if (!info) throw new BeadsError('not_found', `${agent.address} has no session (gt up starts one; gt sling starts a new polecat)`, { agent: agent.address });
  return info;
}

export function sessionState(info: SessionInfo | undefined): SessionState {
  return !info ? 'absent' : info.dead ? 'dead' : 'running';
}

/** What every process an agent's session starts carries in GT_SESSION: the town's socket and the session. */
const sessionTag = (town: Town, agent: Agent): string => `${townSocket(town)}/${agent.session}`;

/** The environment an agent's runtime starts with: who it is, where its store is, and gt and bd on PATH. */
export function agentEnv(town: Town, agent: Agent, runtime: Runtime, tools: Tools): Record<string, string> {
  const email = `${agent.address.replace(/\//g, '.')}@${town.config.name}.gastown.invalid`;
  return {
    GT_TOWN: town.root,
    GT_TOWN_NAME: town.config.name,
    // Set only here (a person may export GT_TOWN, never this): how gt down knows what the session started.
    GT_SESSION: sessionTag(town, agent),
    GT_ROLE: agent.role,
    GT_AGENT: agent.address,
    ...(agent.rig ? { GT_RIG: agent.rig } : {}),
    ...(agent.name ? { GT_POLECAT: agent.name } : {}),
    // Its own runtime, for itself (a handoff restarts the same). GT_RUNTIME is the person's choice for every
    // agent and passes on only when set: an agent's own runtime must not become that of all it starts.
    GT_AGENT_RUNTIME: runtime.name,
    ...(process.env.GT_RUNTIME ? { GT_RUNTIME: process.env.GT_RUNTIME } : {}),
    GT_PROMPT: PRIME_PROMPT,
    BD_ACTOR: agent.address,
    BEADS_DIR: agent.store,
    GIT_AUTHOR_NAME: agent.address,
    GIT_AUTHOR_EMAIL: email,
    GIT_COMMITTER_NAME: agent.address,
    GIT_COMMITTER_EMAIL: email,
    PATH: `${toolsBin(town, tools)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
  };
}

/** A directory of `gt` and `bd` commands that run this installation, for agents' PATH. */
function toolsBin(town: Town, tools: Tools): string {
  const bin = join(town.root, '.gt', 'bin');
  mkdirSync(bin, { recursive: true });
  for (const [name, script] of [['gt', tools.gt], ['bd', tools.bd]] as const) {
    const text = `#!/bin/sh\nexec ${shellQuote(tools.node)} ${shellQuote(script)} "$@"\n`;
    const path = join(bin, name);
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) {
      writeFileSync(path, text);
      chmodSync(path, 0o755);
    }
  }
  return bin;
}

/** The hook command Claude Code runs when a session starts (or resumes): it records the conversation, then primes. */
export const PRIME_HOOK_COMMAND = 'gt prime --hook';
/**
 * Run after each of an agent's turns (Claude Code's Stop hook): while the town is marked up, a daemon that is
 * not running is started again. Silent, and always exits 0. With it any agent at work brings the daemon back,
 * not only a witness patrol (a witness killed while the daemon was down would otherwise wait for a person).
 */
export const DAEMON_HOOK_COMMAND = 'gt daemon ensure --hook';

/**
 * Claude Code's local settings in the agent's directory: its session-start hook runs `gt prime --hook`, which
 * reads the session's id from the JSON Claude gives it on stdin, records it (a restart resumes that
 * conversation), and prints the prime; its stop hook (after each turn) runs `gt daemon ensure --hook`. Other settings are kept. The local file (not settings.json, which a
 * project may track) is kept out of git, so a polecat's commits never carry it.
 */
function writeClaudeSettings(cwd: string): void {
  const path = join(cwd, '.claude', 'settings.local.json');
  mkdirSync(dirname(path), { recursive: true });
  const settings = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { hooks?: Record<string, unknown[]> }) : {};
  const hooks = settings.hooks ?? {};
  const entry = (command: string): string => JSON.stringify({ hooks: [{ type: 'command', command }] });
  const prime = { hooks: [{ type: 'command', command: PRIME_HOOK_COMMAND }] };
  // (the plain `gt prime` an older gt wrote is replaced too)
  const ours = new Set([entry(PRIME_HOOK_COMMAND), entry('gt prime')]);
  const start = (hooks.SessionStart ?? []).filter((h) => !ours.has(JSON.stringify(h)));
  const ensure = { hooks: [{ type: 'command', command: DAEMON_HOOK_COMMAND }] };
  const stop = (hooks.Stop ?? []).filter((h) => JSON.stringify(h) !== entry(DAEMON_HOOK_COMMAND));
  writeFileSync(path, JSON.stringify({ ...settings, hooks: { ...hooks, SessionStart: [...start, prime], Stop: [...stop, ensure] } }, null, 2) + '\n');
  excludeFromGit(cwd, '.claude/settings.local.json');
}

/**
 * The conversation an agent's runtime last reported (machine-local: .gt/agents/<session>.json): its id, the
 * runtime, and for a polecat the bead on its hook then, so a restart resumes it only for the same work.
 */
export interface ConversationRecord {
  conversation_id: string;
  runtime: string;
  bead?: string;
  at: string;
}

const conversationPath = (town: Town, agent: Agent): string => join(town.root, '.gt', 'agents', `${agent.session}.json`);

export function readConversation(town: Town, agent: Agent): ConversationRecord | null {
  try {
    const r = JSON.parse(readFileSync(conversationPath(town, agent), 'utf8')) as Partial<ConversationRecord>;
    return typeof r.conversation_id === 'string' && r.conversation_id && typeof r.runtime === 'string' ? (r as ConversationRecord) : null;
  } catch {
    return null; // none, or torn by a crash: start fresh
  }
}

export function recordConversation(town: Town, agent: Agent, record: Omit<ConversationRecord, 'at'>): ConversationRecord {
  const full: ConversationRecord = { conversation_id: record.conversation_id, runtime: record.runtime, ...(record.bead ? { bead: record.bead } : {}), at: new Date().toISOString() };
  const path = conversationPath(town, agent);
  mkdirSync(dirname(path), { recursive: true });
  writeJsonAtomic(path, full);
  return full;
}

/**
 * What a runtime's session-start hook was given on stdin (Claude Code: JSON with `session_id`), recorded as the
 * agent's conversation, with the bead on a polecat's hook (`bead`); null when it names none (not JSON, no id:
 * nothing is recorded, and the agent is primed all the same).
 */
export function recordSessionStart(town: Town, agent: Agent, input: string, runtime: string, bead?: string): ConversationRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(input);
  } catch {
    return null;
  }
  const id = (value as { session_id?: unknown } | null)?.session_id;
  // eslint-disable-next-line no-control-regex
  if (typeof id !== 'string' || !id.trim() || id.length > 200 || /[\u0000-\u001f\u007f]/.test(id)) return null;
  return recordConversation(town, agent, { conversation_id: id, runtime, ...(agent.role === 'polecat' && bead ? { bead } : {}) });
}

/** Forgets an agent's conversation (a new polecat under an old one's name starts its own). */
export function forgetConversation(town: Town, agent: Agent): void {
  rmSync(conversationPath(town, agent), { force: true });
}

function sessionSpec(town: Town, agent: Agent, runtime: Runtime, tools: Tools): SessionSpec {
  const env = agentEnv(town, agent, runtime, tools);
  // tmux gives a new pane the PATH of the client that asked for it, whatever the session's environment says,
  // and the environment of whoever started its server (which may have set GT_RUNTIME).
  const unset = env.GT_RUNTIME ? '' : 'unset GT_RUNTIME; ';
  return { name: agent.session, cwd: agent.cwd, env, command: `export PATH=${shellQuote(env.PATH!)}; ${unset}${runtime.command}` };
}

/**
 * Starts an agent's session unless it is running: 'started' for a new session, 'restarted' when its runtime
 * had died (the session is reused), 'running' when there was nothing to do.
 */
export function startAgent(town: Town, agent: Agent, runtime: Runtime, tools: Tools): 'started' | 'restarted' | 'running' {
  requireTmux();
  const info = townSessions(town).get(agent.session);
  if (info && !info.dead) return 'running';
  if (agent.role !== 'polecat') mkdirSync(agent.cwd, { recursive: true });
  else if (!existsSync(agent.cwd)) throw new BeadsError('not_found', `${agent.address} has no worktree at ${agent.cwd}`);
  if (runtime.claude) writeClaudeSettings(agent.cwd);
  const spec = sessionSpec(town, agent, runtime, tools);
  if (info) {
    respawnSession(townSocket(town), spec);
    return 'restarted';
  }
  if (startSession(townSocket(town), spec)) return 'started';
  // Made meanwhile by another gt (a whole-town gt up racing the daemon's start of the same agent): the agent is
  // running, if the session is really this agent's (names can meet: rig svc's witness and a service witness
  // are both gt-<town>-svc-witness).
  const owner = sessionVariable(townSocket(town), agent.session, 'GT_AGENT');
  if (owner !== agent.address) throw new BeadsError('conflict', `tmux session ${agent.session} is taken by ${owner ? `agent ${owner}` : 'something that is not a gt agent'}, so ${agent.address} cannot start there`, { agent: agent.address });
  return 'running';
}

/** Replaces the runtime of a running (or dead) session with a fresh one. */
export function restartAgent(town: Town, agent: Agent, runtime: Runtime, tools: Tools): void {
  if (runtime.claude) writeClaudeSettings(agent.cwd);
  respawnSession(townSocket(town), sessionSpec(town, agent, runtime, tools));
}

/**
 * Ends these agents' sessions and every process their runtimes started (asked to end, killed after a grace
 * period). With no list, the whole town: its tmux server goes too. Worktrees are never touched.
 *
 * What a session started is found three ways: the tree under its pane's program; its session id (nohup and &
 * keep it, so an orphan that init adopted is still found); and, on Linux, the tag every session's environment
 * carries (GT_SESSION: the town's socket and the session), which setsid keeps too. What forks while they
 * end is looked for again the same ways (but the panes' pids, which may be another's by then). Beyond reach: a process
 * that cleared its environment and left the session, and, where there is no /proc, anything that left the
 * tree. (cgroups would close that gap, but need systemd or root, which a town cannot count on.)
 */
export function stopAgents(town: Town, agents?: Agent[]): string[] {
  const socket = townSocket(town);
  const sessions = listSessions(socket);
  const wanted = agents ? new Set(agents.map((a) => a.session)) : null;
  const targets = sessions.filter((s) => !wanted || wanted.has(s.name));
  const roots = targets.filter((s) => !s.dead).map((s) => s.pid);
  const tags = agents ? new Set(agents.map((a) => `GT_SESSION=${sessionTag(town, a)}`)) : null;
  const townTag = `GT_SESSION=${socket}/`;
  const mine = (env: string[]): boolean => env.some((e) => (tags ? tags.has(e) : e.startsWith(townTag)));
  // The server may carry a session's tag (when a gt run inside a session started it): it holds every session.
  const server = wanted ? serverPid(socket) : undefined;
  // (the panes' programs only at first: once ended, their pids may be another's)
  const find = (from: number[]): number[] => {
    const table = processTable();
    const started = table ? processesStartedBy(table, { env: mine, sessions: roots }).filter((p) => p !== server) : [];
    return [...new Set([...from, ...descendants([...from, ...started]), ...started])];
  };
  const pids = find(roots);
  if (!wanted) stopServer(socket);
  else for (const s of targets) stopSession(socket, s.name);
  endProcesses(pids);
  // What forked while they were asked to end (a process that ignores SIGTERM may fork until it is killed) is
  // found by the same marks and killed at once, until nothing is left: only the living fork, and each round
  // kills every one alive.
  for (let round = 0; round < 50; round++) {
    const more = find([]).filter((p) => alive(p));
    if (!more.length) break;
    endProcesses(more, 0);
  }
  // The server ends with its last session (stopServer sees to its own socket).
  if (wanted && targets.length === sessions.length) removeStaleSocket(socket, 2000);
  return targets.map((s) => s.name);
}
