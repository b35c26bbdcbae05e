// Dispatch: gt dispatch does one round per rig as its `dispatch` setting says. auto slings ready work beads
// in ready order (priority, then age) while fewer than max_polecats polecats work; a bead whose blocker
// closes starts on the next round; mayor mails the mayor once per newly ready bead; off does nothing. The
// polecats are scripted, on a molecule whose step never closes, so they keep working.
import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BeadStore, closeBead } from '@gastown/beads';
import { GT, bdJson, gt, gtJson, type Result } from './helpers.js';
import { testTowns } from './town-harness.js';
import { spawn } from 'node:child_process';

const scripted = { GT_RUNTIME: 'scripted' };
const STUCK = ['## Molecule: stuck', 'A step whose gate never passes.', '', '## Step: never', 'Never done.', 'Gate: false', ''].join('\n');
const town = testTowns('dispatch');
/** A town with rig alpha, whose molecule `stuck` has a step whose gate never passes: its polecats keep working. */
const newTown = (settings: Record<string, unknown> = {}): { town: string; clone: string } => town({ settings, molecules: { stuck: STUCK } });

interface Round {
  rig: string;
  mode: string;
  dry_run: boolean;
  capacity: number;
  working: number;
  slung: { bead: string; polecat: string; title: string }[];
  notified: string[];
  failed: { bead: string; error: string; code: string }[];
  skipped: { bead: string; reason: string }[];
}
interface Bead {
  id: string;
  status: string;
  assignee?: string;
  metadata?: Record<string, unknown>;
  comments?: { text: string }[];
}

const create = (town: string, title: string, ...args: string[]): string => bdJson<{ id: string }>(town, ['create', title, '--rig', 'alpha', '-l', 'molecule:stuck', ...args]).id;
const dispatch = (town: string, ...args: string[]): Round => {
  const rounds = gtJson<Round[]>(town, ['dispatch', 'alpha', ...args], scripted);
  expect(rounds.length).toBe(1);
  return rounds[0]!;
};
const show = (clone: string, id: string): Bead => bdJson<Bead[]>(clone, ['show', id])[0]!;
const polecats = (town: string): string[] => (existsSync(join(town, 'alpha', 'polecats')) ? gtJson<{ name: string }[]>(town, ['polecat', 'list', 'alpha']).map((p) => p.name) : []);
const gtAsync = (cwd: string, args: string[]): Promise<Result> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [GT, ...args], { cwd, env: { ...process.env, BD_ACTOR: 'tester', ...scripted } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });

describe('gt dispatch', () => {
  it('has --help with --dry-run and --json', () => {
    const r = gt(tmpdir(), ['dispatch', '--help']);
    expect(r.code).toBe(0);
    for (const word of ['gt dispatch [rig]', '--dry-run', '--json', 'max_polecats', 'no-dispatch']) expect(r.stdout).toContain(word);
  });

  it('auto: two rounds at once sling exactly max_polecats beads, the first in ready order (priority, then age); the next round none while they work', async () => {
    const { town, clone } = newTown({ dispatch: 'auto', max_polecats: 2 });
    const older = create(town, 'P2 older', '-p', '2');
    const p3 = create(town, 'P3', '-p', '3');
    const p1 = create(town, 'P1', '-p', '1');
    const newer = create(town, 'P2 newer', '-p', '2');

    // a dry run says what it would sling and changes nothing
    const dry = dispatch(town, '--dry-run');
    expect(dry).toMatchObject({ mode: 'auto', dry_run: true, capacity: 2, working: 0 });
    expect(dry.slung.map((s) => [s.bead, s.polecat])).toEqual([[p1, ''], [older, '']]);
    expect(polecats(town)).toEqual([]);
    expect([p1, older, newer, p3].map((id) => show(clone, id).status)).toEqual(['open', 'open', 'open', 'open']);

    const rounds = await Promise.all([gtAsync(town, ['dispatch', 'alpha', '--json']), gtAsync(town, ['dispatch', 'alpha', '--json'])]);
    for (const r of rounds) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const [a, b] = rounds.map((r) => (JSON.parse(r.stdout) as Round[])[0]!);
    const slung = [...a!.slung, ...b!.slung];
    expect(slung.map((s) => s.bead).sort()).toEqual([p1, older].sort());
    // one of the two rounds found every place taken by the other's polecats
    expect([a!.working, b!.working].sort()).toEqual([0, 2]);
    const first = a!.working === 0 ? a! : b!;
    expect(first.slung.map((s) => [s.bead, s.polecat])).toEqual([[p1, 'nux'], [older, 'slit']]);
    expect(first.skipped).toEqual([
      { bead: newer, reason: 'no free polecat (2 of max_polecats 2 working)' },
      { bead: p3, reason: 'no free polecat (2 of max_polecats 2 working)' },
    ]);
    expect([show(clone, p1), show(clone, older)].map((x) => [x.status, x.assignee])).toEqual([
      ['hooked', 'alpha/polecats/nux'],
      ['hooked', 'alpha/polecats/slit'],
    ]);

    const next = dispatch(town);
    expect([next.working, next.slung, next.failed]).toEqual([2, [], []]);
    expect(polecats(town).sort()).toEqual(['nux', 'slit']);
    expect(gt(town, ['dispatch', 'alpha']).stdout).toContain('alpha: dispatch auto, 2 of max_polecats 2 polecats working');
  });

  it('auto: a bead whose blocker closes (merged) starts on the next round', () => {
    const { town, clone } = newTown({ dispatch: 'auto' });
    const first = create(town, 'first');
    const second = create(town, 'second', '--deps', `blocks:${first}`);
    const r1 = dispatch(town);
    expect(r1.slung.map((s) => s.bead)).toEqual([first]);
    expect(r1.skipped).toEqual([]); // a blocked bead is not ready: not even passed over
    expect(dispatch(town).slung).toEqual([]);
    closeBead(BeadStore.open(join(clone, '.beads')), 'alpha/refinery', first, 'merged in 0123abc');
    const r3 = dispatch(town);
    expect(r3.slung.map((s) => [s.bead, s.polecat])).toEqual([[second, 'slit']]);
    expect(show(clone, second)).toMatchObject({ status: 'hooked', assignee: 'alpha/polecats/slit' });
  });

  it('auto: assigned, no-dispatch, deferred, epic and molecule-step beads are passed over, each with why', () => {
    const { town, clone } = newTown({ dispatch: 'auto' });
    const assigned = create(town, 'taken', '-a', 'someone');
    const labelled = create(town, 'by hand', '-l', 'no-dispatch');
    const deferred = create(town, 'later', '--defer', '2d');
    const epic = create(town, 'big', '-t', 'epic');
    const work = create(town, 'work');
    const r = dispatch(town);
    expect(r.slung.map((s) => s.bead)).toEqual([work]);
    expect(r.skipped).toEqual(
      expect.arrayContaining([
        { bead: assigned, reason: 'assigned to someone' },
        { bead: labelled, reason: 'labelled no-dispatch' },
        { bead: epic, reason: 'an epic, not work a polecat is slung (task, bug, feature, chore)' },
      ]),
    );
    // neither the deferred bead nor the slung bead's molecule steps are slung or listed
    expect(r.skipped.length).toBe(3);
    expect(show(clone, deferred).status).toBe('open');
    expect(dispatch(town).slung).toEqual([]);
    expect(polecats(town)).toEqual(['nux']);
  });

  it('auto: a sling whose setup fails is reported with its output, recorded on the bead, and not tried again next round', () => {
    const { town, clone } = newTown({ dispatch: 'auto', setup: ['echo "cannot install"; exit 7'] });
    const id = create(town, 'unlucky');
    const r = dispatch(town);
    expect(r.slung).toEqual([]);
    expect(r.failed).toHaveLength(1);
    expect(r.failed[0]).toMatchObject({ bead: id, code: 'gate_failed' });
    expect(r.failed[0]!.error).toContain('exited 7');
    expect(r.failed[0]!.error).toContain('cannot install');
    const bead = show(clone, id);
    expect(bead.status).toBe('open');
    expect((bead.metadata?.dispatch as { failed_at: string; error: string }).error).toContain('cannot install');
    expect(bead.comments?.map((c) => c.text).join('\n')).toContain('cannot install');
    expect(polecats(town)).toEqual([]);
    expect(gt(town, ['dispatch', 'alpha']).stdout).toMatch(new RegExp(`skipped ${id}: its sling failed at .*; tried again from `));
    const again = dispatch(town);
    expect([again.slung, again.failed]).toEqual([[], []]);
  });

  it('mayor (the default): one mail listing the newly ready beads, each bead told once', () => {
    const { town, clone } = newTown();
    const a = create(town, 'first', '-p', '1');
    const b = create(town, 'second', '-p', '2');
    const inbox = (): { id: string; subject: string }[] => gtJson(town, ['mail', 'inbox', '--to', 'mayor']);
    expect(dispatch(town, '--dry-run')).toMatchObject({ mode: 'mayor', dry_run: true, notified: [a, b] });
    expect(inbox()).toEqual([]);

    expect(dispatch(town)).toMatchObject({ mode: 'mayor', notified: [a, b], slung: [] });
    const mails = inbox();
    expect(mails.map((m) => m.subject)).toEqual(['Ready work in alpha: 2 bead(s)']);
    const body = gtJson<{ body: string }>(town, ['mail', 'read', mails[0]!.id], { GT_AGENT: 'mayor' }).body;
    expect(body).toContain(`${a}  P1  task  first`);
    expect(body).toContain(`${b}  P2  task  second`);
    expect(typeof (show(clone, a).metadata?.dispatch as { told?: string }).told).toBe('string');

    const again = dispatch(town);
    expect(again.notified).toEqual([]);
    expect(again.skipped.map((s) => s.bead)).toEqual([a, b]);
    expect(inbox()).toHaveLength(1);

    const c = create(town, 'third');
    expect(dispatch(town).notified).toEqual([c]);
    expect(inbox()).toHaveLength(2);
    expect(polecats(town)).toEqual([]);
  });

  it('off does nothing; an unknown rig is refused', () => {
    const { town, clone } = newTown({ dispatch: 'off' });
    const id = create(town, 'idle');
    expect(dispatch(town)).toEqual({ rig: 'alpha', mode: 'off', dry_run: false, capacity: 4, working: 0, slung: [], notified: [], failed: [], skipped: [] });
    expect(gt(town, ['dispatch']).stdout).toBe('alpha: dispatch off: nothing to do\n');
    expect(show(clone, id).metadata).toBeUndefined();
    expect(gtJson<unknown[]>(town, ['mail', 'inbox', '--to', 'mayor'])).toEqual([]);
    const bad = gt(town, ['dispatch', 'nosuch']);
    expect([bad.code, bad.stderr]).toEqual([3, 'gt: no rig nosuch in town town (rigs: alpha)\n']);
  });
});
