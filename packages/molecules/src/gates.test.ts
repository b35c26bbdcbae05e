import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BeadStore, BeadsError, initStore } from '@gastown/beads';
import { closeStep } from './close.js';
import { pourMolecule } from './pour.js';

const roots: string[] = [];
const strays: number[] = [];
afterEach(() => {
  for (const pid of strays.splice(0)) if (running(pid)) process.kill(pid, 'SIGKILL');
  roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true }));
});

/** A live process (a zombie, which waits only to be reaped, is not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A store with a one-step molecule whose step has this gate, poured: the step's id. */
function gated(gate: string): { root: string; store: BeadStore; step: string } {
  const root = mkdtempSync(join(tmpdir(), 'gates-'));
  roots.push(root);
  execFileSync('git', ['init', '-q', root]);
  const { dir } = initStore(root, 'gt');
  mkdirSync(join(root, 'molecules'));
  writeFileSync(join(root, 'molecules', 'g.md'), `## Molecule: g\nG.\n\n## Step: check\nCheck.\nGate: ${gate}\n`);
  const store = BeadStore.open(dir);
  return { root, store, step: pourMolecule(store, 'a', 'g', { catalog: { rigRoot: root } }).steps[0]!.id };
}

const pidIn = (output: string, tag: string): number => {
  const pid = Number(new RegExp(`${tag} (\\d+)`).exec(output)?.[1]);
  strays.push(pid);
  return pid;
};

describe('gates', () => {
  it('a gate killed by a signal says which signal in its output, as a timed-out gate says it timed out', () => {
    const { store, step } = gated('echo before; kill -TERM $$');
    expect(() => closeStep(store, 'tester', step)).toThrow(/\(exit none\)\nbefore\n\(gate killed by SIGTERM\)/);
  });

  it('a gate that leaves a process in the background passes when its shell exits, and the leftover is ended', async () => {
    const { root, store, step } = gated('sleep 300 & echo "started $!"');
    // long enough that a gate held open by its background child would time out rather than pass
    const result = closeStep(store, 'a', step, { cwd: root, gateTimeoutMs: 60_000 });
    expect(result.gates).toMatchObject([{ exit_code: 0, passed: true }]);
    expect(result.gates[0]!.timed_out).toBeUndefined();
    expect(store.get(step).status).toBe('closed');
    const pid = pidIn(result.gates[0]!.output, 'started');
    await until(() => !running(pid), 'the background sleep to end');
  });

  it('a gate that times out is refused, and every process it started is killed', async () => {
    const { root, store, step } = gated('sleep 1000 & echo "bg $!"; (sleep 1001 & echo "sub $!"); sleep 1002');
    let error: BeadsError | undefined;
    try {
      closeStep(store, 'a', step, { cwd: root, gateTimeoutMs: 1500 });
    } catch (err) {
      error = err as BeadsError;
    }
    expect(error?.code).toBe('gate_failed');
    const gate = (error!.details as { gate: { timed_out: boolean; output: string } }).gate;
    expect(gate.timed_out).toBe(true);
    const pids = [pidIn(gate.output, 'bg'), pidIn(gate.output, 'sub')];
    await until(() => pids.every((p) => !running(p)), 'the gate\'s processes to be killed');
    expect(store.get(step).status).toBe('open');
  });

  it('refuses a timeout of 0 (it would mean no limit), writing nothing', () => {
    const { root, store, step } = gated('true');
    const log = readFileSync(store.logPath);
    expect(() => closeStep(store, 'a', step, { cwd: root, gateTimeoutMs: 0 })).toThrow(/gate timeout must be more than 0/);
    expect(readFileSync(store.logPath).equals(log)).toBe(true);
  });
});
