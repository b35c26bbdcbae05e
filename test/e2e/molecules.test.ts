import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BD, ROOT, bd, bdJson, tempDirs, waitFor, running, logText } from './helpers.js';

const WORKER = join(ROOT, 'test', 'e2e', 'workers', 'molecule-worker.mjs');
const { store } = tempDirs(afterEach);
const children: ChildProcess[] = [];
afterEach(() => children.splice(0).forEach((c) => c.kill('SIGKILL')));

interface Worker {
  child: ChildProcess;
  output: () => string[];
  exited: Promise<number | null>;
}

function worker(dir: string, molecule: string, actor: string, leaseMs: number, stallOn?: string): Worker {
  const child = spawn(process.execPath, [WORKER, join(dir, '.beads'), molecule, actor, String(leaseMs), ...(stallOn ? ['--stall-on', stallOn] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => (err && process.stderr.write(err), resolve(code))));
  return { child, output: () => out.split('\n').filter(Boolean), exited };
}

/** Operations of the log, as parsed lines. */
function ops(dir: string): { kind: string; bead: string; actor: string; takeover_from?: string }[] {
  return logText(dir).split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

describe('bd mol and gates from the command line', () => {
  it('validates with file:line, pours, refuses a failing gate with its output, and records a forced close', () => {
    const dir = store();
    mkdirSync(join(dir, 'molecules'));
    writeFileSync(join(dir, 'molecules', 'gated.md'), '## Molecule: gated\nA gate.\nVar: code = 3\n\n## Step: check\nMust pass.\nGate: echo "checking {{code}}"; exit {{code}}\n');
    writeFileSync(join(dir, 'molecules', 'bad.md'), '## Molecule: bad\nBad.\n\n## Step: a\nDo a.\nNeeds: nowhere\n');
    const invalid = bd(dir, ['mol', 'validate', 'bad', 'gated']);
    expect(invalid.code).toBe(4);
    expect(invalid.stdout).toMatch(/molecules\/bad\.md:6: step "a" needs unknown step "nowhere"\nok: gated/);
    expect(bdJson<{ name: string; source: string }[]>(dir, ['mol', 'list']).filter((m) => m.source === 'rig').map((m) => m.name)).toEqual(['bad', 'gated']);
    expect(bd(dir, ['mol', 'pour', 'bad']).stderr).toMatch(/molecule "bad" is invalid/);
    const poured = bdJson<{ molecule: { id: string }; steps: { id: string }[] }>(dir, ['mol', 'pour', 'gated']);
    const check = poured.steps[0]!.id;
    const failed = bd(dir, ['close', check]);
    expect(failed.code).toBe(9);
    expect(failed.stderr).toMatch(new RegExp(`gate failed, ${check} stays open: echo "checking 3"; exit 3 \\(exit 3\\)\nchecking 3`));
    const failedJson = bd(dir, ['close', check, '--json']);
    expect(JSON.parse(failedJson.stdout).error).toMatchObject({ code: 'gate_failed', gate: { exit_code: 3, output: 'checking 3', passed: false } });
    expect(bd(dir, ['close', check, '--force']).code).toBe(4);
    expect(bdJson<{ status: string }[]>(dir, ['close', check, '--force', '-r', 'known failure'])[0]!.status).toBe('closed');
    expect(bd(dir, ['history', check]).stdout).toMatch(/gate FAILED: echo "checking 3"; exit 3 \(exit 3, \d+ ms\)[\s\S]*gates overridden: known failure[\s\S]*closed: known failure/);
    expect(bdJson<{ status: string; close_reason: string }[]>(dir, ['show', poured.molecule.id])[0]).toMatchObject({ status: 'closed', close_reason: 'all 1 step closed' });
    const second = bdJson<{ steps: { id: string }[] }>(dir, ['mol', 'pour', 'gated', '--var', 'code=0']).steps[0]!.id;
    const zero = bd(dir, ['close', second, '--gate-timeout', '0s']);
    expect([zero.code, zero.stderr.trim()]).toEqual([4, 'bd: the gate timeout must be more than 0 (give --gate-timeout a duration such as 30s or 10m)']);
    expect(bdJson<{ status: string }[]>(dir, ['close', second, '--gate-timeout', '30s'])[0]!.status).toBe('closed');
  });
  it('a variable pasted into a gate is its literal text: nothing in it runs', () => {
    const dir = store();
    mkdirSync(join(dir, 'molecules'));
    writeFileSync(join(dir, 'molecules', 'echo.md'), '## Molecule: echo\nEcho a name.\nVar: name\n\n## Step: say\nSay it.\nGate: echo {{name}}\n');
    const value = '$(touch pwned); y `touch pwned2` "$HOME"';
    const poured = bdJson<{ steps: { id: string }[] }>(dir, ['mol', 'pour', 'echo', '--var', `name=${value}`]);
    const closed = bd(dir, ['close', poured.steps[0]!.id]);
    expect(closed.code).toBe(0);
    expect(bdJson<{ kind: string; output?: string }[]>(dir, ['history', poured.steps[0]!.id]).find((o) => o.kind === 'gate')!.output).toBe(value);
    expect(existsSync(join(dir, 'pwned')) || existsSync(join(dir, 'pwned2'))).toBe(false);
  });

  it('a bd close killed while its gate runs (Ctrl-C, a crash) leaves nothing of the gate running', async () => {
    const dir = store();
    mkdirSync(join(dir, 'molecules'));
    writeFileSync(join(dir, 'molecules', 'slow.md'), '## Molecule: slow\nA slow gate.\n\n## Step: wait\nWait.\nGate: sleep 1000 & echo $! > sleep.pid; wait\n');
    const step = bdJson<{ steps: { id: string }[] }>(dir, ['mol', 'pour', 'slow']).steps[0]!.id;
    const close = spawn(process.execPath, [join(ROOT, 'packages', 'cli', 'dist', 'bd.mjs'), 'close', step], { cwd: dir, stdio: 'ignore' });
    children.push(close);
    const exited = new Promise((resolve) => close.on('exit', resolve));
    const pidFile = join(dir, 'sleep.pid');
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 'the gate to start');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    try {
      close.kill('SIGKILL');
      await exited;
      await waitFor(() => !running(pid), 'the gate to end with bd close');
    } finally {
      if (running(pid)) process.kill(pid, 'SIGKILL');
    }
    expect(bdJson<{ status: string }[]>(dir, ['show', step])[0]!.status).toBe('open');
  });

  it('bd close of several steps is all or nothing: a gate failing on one closes none, its gate runs recorded', () => {
    const dir = store();
    mkdirSync(join(dir, 'molecules'));
    writeFileSync(join(dir, 'molecules', 'trio.md'), '## Molecule: trio\nThree steps.\nVar: code = 1\n\n## Step: a\nA.\nGate: echo a-ok\n\n## Step: b\nB.\nGate: echo b-checked\nGate: echo "b says {{code}}"; exit {{code}}\n\n## Step: c\nC.\n');
    const poured = bdJson<{ molecule: { id: string }; steps: { id: string }[] }>(dir, ['mol', 'pour', 'trio']);
    const [a, b, c] = poured.steps.map((s) => s.id) as [string, string, string];
    const before = logText(dir);
    const failed = bd(dir, ['close', a, b, c]);
    expect(failed.code).toBe(9);
    for (const id of [a, b, c]) expect(bdJson<{ status: string }[]>(dir, ['show', id])[0]!.status).toBe('open');
    expect(failed.stderr).toContain(`gate failed on ${b}, so none of the 3 beads closes: echo "b says 1"; exit 1 (exit 1)\nb says 1`);
    // what changed is the record of the gates that ran, a's and b's up to the failing one: nothing else
    const after = logText(dir);
    expect(after.startsWith(before)).toBe(true);
    const added = after.slice(before.length).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; bead: string; command: string; passed: boolean });
    expect(added.map((o) => [o.kind, o.bead, o.command, o.passed])).toEqual([
      ['gate', a, 'echo a-ok', true],
      ['gate', b, 'echo b-checked', true],
      ['gate', b, 'echo "b says 1"; exit 1', false],
    ]);

    // when every gate passes, the steps and the molecule they complete close in one write
    const second = bdJson<{ molecule: { id: string }; steps: { id: string }[] }>(dir, ['mol', 'pour', 'trio', '--var', 'code=0']);
    const ids = second.steps.map((s) => s.id);
    const mark = logText(dir).length;
    const closed = bdJson<{ id: string; status: string }[]>(dir, ['close', ...ids, '-r', 'all done']);
    expect(closed.map((x) => [x.id, x.status])).toEqual(ids.map((id) => [id, 'closed']));
    const written = logText(dir).slice(mark).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; bead: string; ts: string; reason?: string });
    expect(written.filter((o) => o.kind === 'close').map((o) => [o.bead, o.reason])).toEqual([...ids.map((id) => [id, 'all done']), [second.molecule.id, 'all 3 steps closed']]);
    expect(written.filter((o) => o.kind === 'gate')).toHaveLength(3);
    expect(new Set(written.map((o) => o.ts)).size).toBe(1);
  });

  it('bd close refuses, writing nothing, when a bead it closes is closed by another process while the gates run', () => {
    const dir = store();
    mkdirSync(join(dir, 'molecules'));
    writeFileSync(join(dir, 'molecules', 'race.md'), '## Molecule: race\nA race.\n\n## Step: a\nA.\n\n## Step: b\nB.\nGate: node "$BD_BIN" close "$(cat other.id)" -r "closed meanwhile"\n');
    const [a, b] = bdJson<{ steps: { id: string }[] }>(dir, ['mol', 'pour', 'race']).steps.map((s) => s.id) as [string, string];
    writeFileSync(join(dir, 'other.id'), a);
    const before = logText(dir);
    const r = bd(dir, ['close', a, b], { BD_BIN: BD });
    expect([r.code, r.stderr.trim()]).toEqual([5, `bd: ${a} was closed while the gates ran; nothing is closed`]);
    // the only new line is the other process's close of a
    const added = logText(dir).slice(before.length).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; bead: string; reason?: string });
    expect(added.map((o) => [o.kind, o.bead, o.reason])).toEqual([['close', a, 'closed meanwhile']]);
    expect(bdJson<{ status: string }[]>(dir, ['show', b])[0]!.status).toBe('open');
  });

  it('bd mol list and bd mol validate agree: a molecule that expands itself (or an invalid one) is invalid in both', () => {
    const dir = store();
    mkdirSync(join(dir, 'molecules'));
    writeFileSync(join(dir, 'molecules', 'loop.md'), '## Molecule: loop\nExpands itself.\n\n## Step: again\nMolecule: loop\n');
    writeFileSync(join(dir, 'molecules', 'outer.md'), '## Molecule: outer\nExpands loop.\n\n## Step: inner\nMolecule: loop\n');
    writeFileSync(join(dir, 'molecules', 'fine.md'), '## Molecule: fine\nFine.\n\n## Step: a\nDo a.\n');
    const listed = bdJson<{ name: string; source: string; valid: boolean }[]>(dir, ['mol', 'list']).filter((m) => m.source === 'rig');
    const validate = bd(dir, ['mol', 'validate', ...listed.map((m) => m.name), '--json']);
    expect(validate.code).toBe(4);
    const validated = JSON.parse(validate.stdout) as { target: string; valid: boolean }[];
    expect(listed.map((m) => [m.name, m.valid])).toEqual([['fine', true], ['loop', false], ['outer', false]]);
    expect(validated.map((r) => [r.target, r.valid])).toEqual(listed.map((m) => [m.name, m.valid]));
    expect(bd(dir, ['mol', 'list']).stdout).toMatch(/^loop +rig +1 steps  INVALID/m);
    // the steps a pour makes: polecat-work's three, with engineer-in-box's four for its work step
    const shipped = bdJson<{ name: string; steps: number }[]>(dir, ['mol', 'list']).find((m) => m.name === 'polecat-work')!;
    expect(shipped.steps).toBe(6);
    expect(bdJson<{ steps: { path: string }[] }>(dir, ['mol', 'pour', 'polecat-work', '--var', 'bead=gt-x']).steps.filter((st) => st.path !== 'work')).toHaveLength(6);
  });
});

describe('pouring', () => {
  it('is atomic: pours killed at any moment leave whole molecules or nothing', async () => {
    const dir = store();
    const acknowledged: string[] = [];
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, [join(ROOT, 'test', 'e2e', 'workers', 'pourer.mjs'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      const closed = new Promise((r) => child.on('close', r));
      await waitFor(() => out.split('\n').filter(Boolean).length >= 3 + round, `${3 + round} pours`);
      child.kill('SIGKILL');
      await closed;
      acknowledged.push(...out.split('\n').slice(0, -1).filter(Boolean));
    }
    const beads = bdJson<{ id: string; issue_type: string; dependencies?: { depends_on_id: string; type: string }[] }[]>(dir, ['list', '--all', '-n', '0']);
    const molecules = beads.filter((b) => b.issue_type === 'molecule').map((b) => b.id);
    for (const id of acknowledged) expect(molecules).toContain(id);
    for (const m of molecules) {
      expect(beads.filter((b) => b.dependencies?.some((d) => d.type === 'parent-child' && d.depends_on_id === m)).map((b) => b.id)).toHaveLength(4);
    }
    expect(beads).toHaveLength(molecules.length * 5);
    expect(bdJson<{ ok: boolean }>(dir, ['doctor']).ok).toBe(true);
  });
});

describe('workers that crash', () => {
  it('B continues where A was killed: design done once by A, implement taken over after its lease', async () => {
    const dir = store();
    const poured = bdJson<{ molecule: { id: string }; steps: { path: string; id: string }[] }>(dir, ['mol', 'pour', 'engineer-in-box']);
    const step = Object.fromEntries(poured.steps.map((s) => [s.path, s.id]));
    const a = worker(dir, poured.molecule.id, 'worker-a', 1500, 'implement');
    await waitFor(() => a.output().includes('stalling'), 'worker A to claim implement');
    a.child.kill('SIGKILL');
    await a.exited;
    expect(a.output()).toEqual(['claimed design', 'closed design', 'claimed implement', 'stalling']);
    // A's claim still holds until its lease runs out: nothing of this molecule is ready meanwhile.
    expect(bdJson<{ id: string }[]>(dir, ['show', step.implement!])[0]).toMatchObject({ assignee: 'worker-a', status: 'in_progress' });

    const b = worker(dir, poured.molecule.id, 'worker-b', 30_000);
    expect(await b.exited).toBe(0);
    expect(b.output()).toEqual(['claimed implement', 'closed implement', 'claimed test', 'closed test', 'claimed submit', 'closed submit', 'molecule closed']);

    const log = ops(dir);
    const closes = (id: string) => log.filter((o) => o.bead === id && o.kind === 'close').map((o) => o.actor);
    expect(closes(step.design!)).toEqual(['worker-a']);
    expect(closes(step.implement!)).toEqual(['worker-b']);
    const claims = log.filter((o) => o.bead === step.implement && o.kind === 'claim');
    expect(claims.map((o) => [o.actor, o.takeover_from])).toEqual([
      ['worker-a', undefined],
      ['worker-b', 'worker-a'],
    ]);
    const history = bdJson<{ kind: string; actor: string }[]>(dir, ['history', step.implement!]).map((o) => `${o.kind} ${o.actor}`);
    expect(history).toEqual(['create tester', 'claim worker-a', 'claim worker-b', 'close worker-b']);
    const status = bdJson<{ status: string; done: number; total: number; steps: { title: string; assignee: string; status: string }[] }>(dir, ['mol', 'status', poured.molecule.id]);
    expect(status).toMatchObject({ status: 'closed', done: 4, total: 4 });
    expect(status.steps.map((s) => [s.title, s.assignee])).toEqual([
      ['design', 'worker-a'],
      ['implement', 'worker-b'],
      ['test', 'worker-b'],
      ['submit', 'worker-b'],
    ]);
  });

  it('ten workers racing over thirty parallel steps do each step exactly once', async () => {
    const dir = store();
    mkdirSync(join(dir, 'molecules'));
    const steps = Array.from({ length: 30 }, (_, i) => `## Step: s${String(i).padStart(2, '0')}\nDo part ${i}.\n`);
    writeFileSync(join(dir, 'molecules', 'wide.md'), `## Molecule: wide\nThirty independent steps.\n\n${steps.join('\n')}`);
    const poured = bdJson<{ molecule: { id: string }; steps: { id: string }[] }>(dir, ['mol', 'pour', 'wide']);
    const workers = Array.from({ length: 10 }, (_, i) => worker(dir, poured.molecule.id, `w${i}`, 60_000));
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual(Array(10).fill(0));
    const log = ops(dir);
    for (const s of poured.steps) {
      expect(log.filter((o) => o.bead === s.id && o.kind === 'close')).toHaveLength(1);
      expect(log.filter((o) => o.bead === s.id && o.kind === 'claim')).toHaveLength(1);
    }
    const closedBy = workers.flatMap((w) => w.output().filter((l) => l.startsWith('closed ')));
    expect(closedBy).toHaveLength(30);
    expect(new Set(closedBy).size).toBe(30);
    expect(bdJson<{ status: string }[]>(dir, ['show', poured.molecule.id])[0]!.status).toBe('closed');
  });
});
