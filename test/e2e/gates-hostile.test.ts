// Hostile gates: what a gate starts, however it tries to get away (setsid, a trap, bd close killed under it),
// ends with it, and a killed bd close leaves no output file behind.
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BD, bd, bdJson, tempDirs, waitFor, running } from './helpers.js';

const { store } = tempDirs(afterEach);
const children: ChildProcess[] = [];
const pids: number[] = [];
const temps: string[] = [];
afterEach(() => {
  children.splice(0).forEach((c) => c.kill('SIGKILL'));
  pids.splice(0).forEach((p) => running(p) && process.kill(p, 'SIGKILL'));
  temps.splice(0).forEach((t) => rmSync(t, { recursive: true, force: true }));
});


/** A store with one step whose gate is `gate`; the step's id. */
function gated(gate: string): { dir: string; step: string } {
  const dir = store();
  mkdirSync(join(dir, 'molecules'));
  writeFileSync(join(dir, 'molecules', 'g.md'), `## Molecule: g\nA gate.\n\n## Step: s\nS.\nGate: ${gate}\n`);
  return { dir, step: bdJson<{ steps: { id: string }[] }>(dir, ['mol', 'pour', 'g']).steps[0]!.id };
}

/** The pids a gate wrote to a file, one a line, once it has written `count` of them. */
async function pidsIn(path: string, count: number): Promise<number[]> {
  await waitFor(() => existsSync(path) && readFileSync(path, 'utf8').split('\n').filter(Boolean).length >= count, `${count} pids in ${path}`);
  const found = readFileSync(path, 'utf8').split('\n').filter(Boolean).map(Number);
  pids.push(...found);
  return found;
}

// a child that leaves the gate's process group and session, and ignores SIGTERM
const ESCAPE = `setsid sh -c 'trap "" TERM; echo $$ >> pids; exec sleep 1000' &`;

describe('gates that try to outlive their run', () => {
  it('a passing gate whose child left its group with setsid: the child is ended with the run', async () => {
    const { dir, step } = gated(`${ESCAPE} while [ ! -s pids ]; do sleep 0.05; done; echo started`);
    const r = bd(dir, ['close', step]);
    expect(r.code).toBe(0);
    const [child] = await pidsIn(join(dir, 'pids'), 1);
    expect(running(child!)).toBe(false);
  });

  it('a setsid child that ignores SIGTERM and keeps forking: it and all it forked end with the gate', async () => {
    // bounded: at most 600 children, one every 20 ms
    const forker = `setsid sh -c 'trap "" TERM; echo $$ >> pids; for i in $(seq 600); do (trap "" TERM; exec sleep 1000) & echo $! >> pids; sleep 0.02; done' &`;
    // (wc -l of a file not there yet says nothing, and the test [ "" -lt 5 ] is false: wait for the file first)
    const { dir, step } = gated(`${forker} while [ ! -s pids ] || [ "$(wc -l < pids)" -lt 5 ]; do sleep 0.05; done; echo started`);
    expect(bd(dir, ['close', step]).code).toBe(0);
    const [first] = await pidsIn(join(dir, 'pids'), 1);
    await waitFor(() => !running(first!), 'the forker to end');
    expect((await pidsIn(join(dir, 'pids'), 1)).filter(running)).toEqual([]);
  });

  it('a gate that times out: its setsid child is killed too', async () => {
    // the gate waits for the child's pid before it sleeps, so the timeout never ends the child before it is known
    const { dir, step } = gated(`${ESCAPE} while [ ! -s pids ]; do sleep 0.05; done; sleep 1000`);
    const r = bd(dir, ['close', step, '--gate-timeout', '5s']);
    expect(r.code).toBe(9);
    expect(r.stderr).toContain('timed out');
    const [child] = await pidsIn(join(dir, 'pids'), 1);
    expect(running(child!)).toBe(false);
  });

  it('bd close SIGKILLed mid-gate: the gate and its setsid child end with it', async () => {
    const { dir, step } = gated(`echo $$ >> pids; ${ESCAPE} trap "" TERM; sleep 1000`);
    const close = spawn(process.execPath, [BD, 'close', step], { cwd: dir, stdio: 'ignore', env: { ...process.env, BD_ACTOR: 'tester' } });
    children.push(close);
    const exited = new Promise((resolve) => close.on('exit', resolve));
    const started = await pidsIn(join(dir, 'pids'), 2);
    close.kill('SIGKILL');
    await exited;
    await waitFor(() => !started.some(running), 'the gate and its setsid child to end');
    expect(bdJson<{ status: string }[]>(dir, ['show', step])[0]!.status).toBe('open');
  });

  it('bd close SIGKILLed mid-gate leaves no output file behind (a gate may have written a lot)', async () => {
    const { dir, step } = gated('head -c 1000000 /dev/zero; echo $$ >> pids; sleep 1000');
    const tmp = mkdtempSync(join(tmpdir(), 'gates-hostile-'));
    temps.push(tmp);
    const close = spawn(process.execPath, [BD, 'close', step], { cwd: dir, stdio: 'ignore', env: { ...process.env, TMPDIR: tmp, BD_ACTOR: 'tester' } });
    children.push(close);
    const exited = new Promise((resolve) => close.on('exit', resolve));
    const [gate] = await pidsIn(join(dir, 'pids'), 1);
    expect(readdirSync(tmp)).toHaveLength(1); // the run's output directory
    close.kill('SIGKILL');
    await exited;
    await waitFor(() => !running(gate!), 'the gate to end');
    await waitFor(() => readdirSync(tmp).length === 0, 'the output directory to be removed');
  });
});
