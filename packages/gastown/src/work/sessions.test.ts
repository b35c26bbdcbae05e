// startAgent against a real tmux: the session made by another gt between the look and the start (gt up racing
// the daemon's start of the same agent) means the agent runs, if the session is really that agent's.
import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testTowns } from '../town/test-town.js';
import { launchAgent } from './launch.js';
import { TOWN_FILE, type Agent, type Town } from '../model.js';
import { readTown, writeJsonAtomic } from '../town/index.js';
import { agentFor, shellQuote, startAgent, stopAgents, townSessions, townSocket } from '../agents/index.js';

const { town: newTown } = testTowns(afterEach);
const tools = { node: process.execPath, gt: '/nowhere/gt.mjs', bd: '/nowhere/bd.mjs' };
const runtime = { name: 'sleeper', command: 'sleep 600', claude: false };
const realTmux = execFileSync('sh', ['-c', 'command -v tmux'], { encoding: 'utf8' }).trim();

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

/**
 * Puts a tmux on PATH that, just before the first new-session asked of it, makes `agent`'s session itself, as
 * another gt would, with GT_AGENT `owner` (whose the session is; none: not an agent's) and `sleep 700` as its program.
 */
function raceWith(town: Town, agent: Agent, owner: string | undefined): void {
  const bin = mkdtempSync(join(tmpdir(), 'gt-tmux-race-'));
  const path = process.env.PATH;
  cleanups.push(() => {
    process.env.PATH = path;
    stopAgents(town);
    rmSync(bin, { recursive: true, force: true });
  });
  const other = [realTmux, '-L', townSocket(town), '-f', '/dev/null', 'new-session', '-d', '-s', agent.session, ...(owner ? ['-e', `GT_AGENT=${owner}`] : []), 'sleep 700'].map(shellQuote).join(' ');
  const mark = shellQuote(join(bin, 'raced'));
  writeFileSync(join(bin, 'tmux'), `#!/bin/sh\ncase " $* " in *" new-session "*) [ -e ${mark} ] || { touch ${mark}; ${other} || exit 1; } ;; esac\nexec ${shellQuote(realTmux)} "$@"\n`);
  chmodSync(join(bin, 'tmux'), 0o755);
  process.env.PATH = `${bin}:${path}`;
}

const programs = (town: Town): number[] => [...townSessions(town).values()].map((s) => s.pid);
const commandOf = (pid: number): string => execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim();

describe('startAgent, when another gt makes the same session first', () => {
  it("reports the agent running and leaves the other's session as it is", () => {
    const town = newTown();
    const mayor = agentFor(town, 'mayor');
    raceWith(town, mayor, mayor.address);
    expect(startAgent(town, mayor, runtime, tools)).toBe('running');
    expect(programs(town).map(commandOf)).toEqual(['sleep 700']);
  });

  it('through launchAgent too (gt up, the daemon)', () => {
    const installed = newTown();
    writeJsonAtomic(join(installed.root, TOWN_FILE), { ...installed.config, runtimes: { default: 'sleeper', commands: { sleeper: 'sleep 600' } } });
    const town = readTown(installed.root);
    const mayor = agentFor(town, 'mayor');
    raceWith(town, mayor, mayor.address);
    expect(launchAgent(town, mayor, { tools })).toMatchObject({ address: 'mayor', result: 'running' });
    expect(programs(town).map(commandOf)).toEqual(['sleep 700']);
  });

  it("refuses a session of that name that is another agent's, or no agent's", () => {
    const town = newTown();
    const mayor = agentFor(town, 'mayor');
    raceWith(town, mayor, 'beta/witness');
    expect(() => startAgent(town, mayor, runtime, tools)).toThrow(`tmux session ${mayor.session} is taken by agent beta/witness, so mayor cannot start there`);
    expect(programs(town).map(commandOf)).toEqual(['sleep 700']);
    cleanups.splice(0).forEach((c) => c());
    raceWith(town, mayor, undefined);
    expect(() => startAgent(town, mayor, runtime, tools)).toThrow(`tmux session ${mayor.session} is taken by something that is not a gt agent, so mayor cannot start there`);
  });
});
