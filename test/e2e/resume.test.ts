// Resuming a conversation: Claude Code's SessionStart hook (gt prime --hook) records the session id it is
// given for the agent, and launchAgent resumes it (--resume <id>) when the runtime declares how and, for a
// polecat, the bead on its hook is the one recorded. Claude is the stand-in under stand-ins/: it runs its
// hooks with {"session_id": ...} on stdin and logs how it was started.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn as ptySpawn } from 'node-pty';
import { BeadStore, updateBead } from '@gastown/beads';
import { agentFor, launchAgent, requireTown, townSessions, type Agent } from '@gastown/gastown';
import { BD, GT, ROOT, bdJson, git, gt, gtJson, waitFor } from './helpers.js';
import { testTowns } from './town-harness.js';

const STAND_INS = join(ROOT, 'test', 'e2e', 'stand-ins');
const env = { PATH: `${STAND_INS}:${process.env.PATH}`, GT_RUNTIME: '' };
const tools = { node: process.execPath, gt: GT, bd: BD };
beforeAll(() => {
  // launchAgent runs in this process: it finds claude on this PATH, and must not be told another runtime
  process.env.PATH = env.PATH;
  delete process.env.GT_RUNTIME;
});

const town = testTowns('resume', env);
const newTown = (runtimes?: unknown): string => town({ runtimes }).town;

interface Start {
  pid: number;
  event: string;
  argv: string[];
  session_id: string;
  resumed: string | null;
  hooks: { command: string; code: number; stdout: string; stderr: string }[];
}
const starts = (town: string, agent: Agent): Start[] => {
  const log = join(town, '.standin', `${agent.address.replace(/\//g, '.')}.jsonl`);
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Start).filter((e) => e.event === 'start');
};
const record = (town: string, agent: Agent): Record<string, unknown> | null => {
  const file = join(town, '.gt', 'agents', `${agent.session}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : null;
};
const paneDead = (town: string, agent: Agent): boolean => townSessions(requireTown(town)).get(agent.session)?.dead === true;

/** Waits for the agent's n-th start, its hook run, and returns it. */
async function nthStart(town: string, agent: Agent, n: number): Promise<Start> {
  await waitFor(() => starts(town, agent).length >= n, `${agent.address}'s start #${n}`, 60_000);
  return starts(town, agent)[n - 1]!;
}

async function killRuntime(town: string, agent: Agent, pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  await waitFor(() => paneDead(town, agent), `${agent.address}'s pane to die`, 30_000);
}

describe('resuming a conversation', () => {
  it("records a claude polecat's session id with its bead, and resumes that conversation when its runtime is restarted", async () => {
    const town = newTown();
    const id = bdJson<{ id: string }>(town, ['create', 'resumable', '--rig', 'alpha']).id;
    gtJson(town, ['sling', id, 'alpha', '--runtime', 'claude'], env);
    const nux = agentFor(requireTown(town), 'polecat', 'alpha', 'nux');
    const first = await nthStart(town, nux, 1);
    expect(first.resumed).toBeNull();
    expect(first.argv).not.toContain('--resume');
    // the hook printed the prime as before, and recorded the conversation for the bead on the hook
    expect(first.hooks.map((h) => [h.command, h.code])).toEqual([['gt prime --hook', 0]]);
    expect(first.hooks[0]!.stdout).toContain(`You are alpha/polecats/nux, the polecat of rig alpha`);
    expect(first.hooks[0]!.stdout).toContain(`On your hook: ${id} resumable`);
    await waitFor(() => record(town, nux) !== null, 'the conversation record');
    expect(record(town, nux)).toMatchObject({ conversation_id: first.session_id, runtime: 'claude', bead: id });

    await killRuntime(town, nux, first.pid);
    const launched = launchAgent(requireTown(town), nux, { tools, restart: true });
    expect(launched).toMatchObject({ address: 'alpha/polecats/nux', runtime: 'claude', result: 'restarted', resumed: first.session_id });
    const second = await nthStart(town, nux, 2);
    expect(second.argv.slice(second.argv.indexOf('--resume'), second.argv.indexOf('--resume') + 2)).toEqual(['--resume', first.session_id]);
    expect(second.hooks[0]!.code).toBe(0);
    expect(record(town, nux)).toMatchObject({ conversation_id: first.session_id, bead: id });

    // a live runtime is left alone unless asked
    expect(launchAgent(requireTown(town), nux, { tools })).toMatchObject({ result: 'running' });
    expect(launchAgent(requireTown(town), nux, { tools }).resumed).toBeUndefined();
  });

  it("never resumes a previous bead's conversation: a new polecat under the same name, or another bead hooked, starts fresh", async () => {
    const town = newTown();
    const clone = join(town, 'alpha', 'main');
    const a = bdJson<{ id: string }>(town, ['create', 'first', '--rig', 'alpha']).id;
    const b = bdJson<{ id: string }>(town, ['create', 'second', '--rig', 'alpha']).id;
    gtJson(town, ['sling', a, 'alpha', '--runtime', 'claude'], env);
    const nux = agentFor(requireTown(town), 'polecat', 'alpha', 'nux');
    const first = await nthStart(town, nux, 1);
    await waitFor(() => record(town, nux)?.bead === a, 'the record for the first bead');

    // the first polecat goes (its bead released, worktree and branch removed); the next sling reuses the name
    gt(town, ['down'], env);
    const store = BeadStore.open(join(clone, '.beads'));
    updateBead(store, 'tester', a, { status: 'open', assignee: '' });
    git(clone, 'worktree', 'remove', '--force', nux.cwd);
    git(clone, 'branch', '-D', 'polecat/nux');
    const slung = gtJson<{ polecat: string }>(town, ['sling', b, 'alpha', '--runtime', 'claude'], env);
    expect(slung.polecat).toBe('nux');
    const second = await nthStart(town, nux, 2);
    expect([second.resumed, second.argv.includes('--resume')]).toEqual([null, false]);
    expect(second.session_id).not.toBe(first.session_id);
    await waitFor(() => record(town, nux)?.conversation_id === second.session_id, 'the new conversation recorded');
    expect(record(town, nux)).toMatchObject({ bead: b });

    // a record left for another bead than the one now hooked is not resumed either
    writeFileSync(join(town, '.gt', 'agents', `${nux.session}.json`), JSON.stringify({ conversation_id: first.session_id, runtime: 'claude', bead: a, at: new Date().toISOString() }));
    await killRuntime(town, nux, second.pid);
    const launched = launchAgent(requireTown(town), nux, { tools });
    expect(launched).toMatchObject({ result: 'restarted' });
    expect(launched.resumed).toBeUndefined();
    const third = await nthStart(town, nux, 3);
    expect([third.resumed, third.argv.includes('--resume')]).toEqual([null, false]);
  });

  it('a runtime that declares no resume starts fresh and primes; one declared {run, resume} resumes with its own arguments', async () => {
    // the town's own "claude" is a bare command line: it declares no way to resume
    const town = newTown({ default: 'claude', commands: { claude: 'claude --dangerously-skip-permissions' } });
    const mayor = agentFor(requireTown(town), 'mayor');
    expect(launchAgent(requireTown(town), mayor, { tools })).toMatchObject({ result: 'started', runtime: 'claude' });
    const first = await nthStart(town, mayor, 1);
    expect(first.hooks[0]!.stdout).toContain('You are mayor, the mayor');
    await waitFor(() => record(town, mayor) !== null, "the mayor's conversation record");
    await killRuntime(town, mayor, first.pid);
    const again = launchAgent(requireTown(town), mayor, { tools, restart: true });
    expect(again.resumed).toBeUndefined();
    const second = await nthStart(town, mayor, 2);
    expect([second.resumed, second.argv.includes('--resume')]).toEqual([null, false]);

    // declared with {run, resume}: the mayor (no hook to match) resumes its last conversation
    const file = join(town, 'town.json');
    const config = JSON.parse(readFileSync(file, 'utf8')) as { runtimes: { commands: Record<string, unknown> } };
    config.runtimes.commands.claude = { run: 'claude --dangerously-skip-permissions', resume: '--resume {id}' };
    writeFileSync(file, JSON.stringify(config));
    await waitFor(() => record(town, mayor)?.conversation_id === second.session_id, 'the second conversation recorded');
    await killRuntime(town, mayor, second.pid);
    expect(launchAgent(requireTown(town), mayor, { tools })).toMatchObject({ result: 'restarted', resumed: second.session_id });
    const third = await nthStart(town, mayor, 3);
    expect(third.resumed).toBe(second.session_id);
  });

  it('gt prime --hook primes all the same when stdin is not JSON, names no session, or is empty, and records nothing', () => {
    const town = newTown();
    const mayor = agentFor(requireTown(town), 'mayor');
    for (const input of ['not json', '{"other": 1}', '', '{"session_id": "bad\\u0007id"}']) {
      const r = spawnSync(process.execPath, [GT, 'prime', '--hook'], { cwd: town, input, encoding: 'utf8', env: { ...process.env, GT_AGENT: 'mayor', GT_TOWN: town } });
      expect({ input, code: r.status, stderr: r.stderr }).toEqual({ input, code: 0, stderr: '' });
      expect(r.stdout).toContain('You are mayor, the mayor');
      expect(record(town, mayor)).toBeNull();
    }
    const r = spawnSync(process.execPath, [GT, 'prime', '--hook'], { cwd: town, input: '{"session_id": "abc-123", "source": "startup"}', encoding: 'utf8', env: { ...process.env, GT_AGENT: 'mayor', GT_TOWN: town, GT_AGENT_RUNTIME: 'claude' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('You are mayor, the mayor');
    expect(record(town, mayor)).toMatchObject({ conversation_id: 'abc-123', runtime: 'claude' });
    expect(record(town, mayor)!.bead).toBeUndefined();
  });

  it('gt prime --hook from a terminal (no JSON to read) primes, ends by itself and records nothing', async () => {
    const town = newTown();
    const term = ptySpawn(process.execPath, [GT, 'prime', '--hook'], { cwd: town, cols: 200, rows: 50, env: { ...process.env, GT_AGENT: 'mayor', GT_TOWN: town } as Record<string, string> });
    let screen = '';
    let exit: number | undefined;
    term.onData((d) => (screen += d));
    term.onExit((e) => (exit = e.exitCode));
    try {
      // it must not wait for input a terminal never closes: it ends by itself
      await waitFor(() => exit !== undefined, 'gt prime --hook to end', 20_000);
    } finally {
      if (exit === undefined) term.kill('SIGKILL');
    }
    expect(exit).toBe(0);
    expect(screen).toContain('You are mayor, the mayor');
    expect(record(town, agentFor(requireTown(town), 'mayor'))).toBeNull();
  });
});
