// gt dashboard in a real town: the plain snapshot (--once, or stdout not a terminal), --json, the bad input,
// and that no other command loads the dashboard's React.
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GT, bd, gt } from './helpers.js';
import { testTowns } from './town-harness.js';

const newTown = testTowns('dashboard');
const bases: string[] = [];
afterEach(() => bases.splice(0).forEach((b) => rmSync(b, { recursive: true, force: true })));

const idOf = (stdout: string): string => /\b(al-[a-z0-9]+)\b/.exec(stdout)![1]!;

describe('gt dashboard', () => {
  it('prints one plain snapshot: problems first, agents, work, the queue, the overseer mail', () => {
    const { town } = newTown();
    const blocker = idOf(bd(town, ['create', 'Lay the pipes', '--rig', 'alpha', '-p', '1']).stdout);
    const blocked = idOf(bd(town, ['create', 'Turn on the water', '--rig', 'alpha']).stdout);
    expect(bd(town, ['dep', 'add', blocked, blocker, '--rig', 'alpha']).code).toBe(0);
    expect(gt(town, ['mail', 'send', 'overseer', '-s', 'REJECTED al-x: polecat/nux', '-m', 'gate failed'], { GT_AGENT: 'alpha/refinery' }).code).toBe(0);
    expect(gt(town, ['mail', 'send', 'overseer', '-s', 'A note', '-m', 'hello']).code).toBe(0);
    const r = gt(town, ['dashboard', '--once']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^Gas Town \S+ · rigs alpha · daemon stopped$/);
    expect(lines[1]).toBe('0 working · 0 stalled · 3 dead · 1 ready · 0 queued MRs · 2 unread mail');
    expect(lines[3]).toMatch(/^1 Problems {2}4$/);
    for (const agent of ['mayor', 'alpha/witness', 'alpha/refinery']) expect(r.stdout).toMatch(new RegExp(`! dead +${agent.replace('/', '\\/')} +session absent`));
    expect(r.stdout).toMatch(/! rejected +hq-\S+ +alpha\/refinery: REJECTED al-x/);
    expect(r.stdout).toMatch(/✗ alpha\/refinery +dead/);
    expect(r.stdout).toMatch(new RegExp(`◇ ${blocker} +alpha +P1 ready +Lay the pipes`));
    expect(r.stdout).toMatch(new RegExp(`■ ${blocked} +alpha +P2 blocked +Turn on the water +blocked by ${blocker}`));
    expect(r.stdout).toContain('4 Merge queue  0 queued · 0 waiting\n  (none)');
    // unread first; the note came last, so it is the newer of the two
    const mail = r.stdout.slice(r.stdout.indexOf('5 Mail'));
    expect(mail.indexOf('A note')).toBeLessThan(mail.indexOf('REJECTED al-x'));
    expect(mail).toMatch(/✉ hq-\S+ +overseer/);
    // Activity: the town's feed, newest first (the beads' creation and the mail)
    const activity = r.stdout.slice(r.stdout.indexOf('6 Activity'));
    expect(activity).toMatch(new RegExp(`created +alpha +tester +${blocked}`));
    expect(activity).toMatch(new RegExp(`created +alpha +tester +${blocker}`));
    expect(activity.indexOf(blocked)).toBeLessThan(activity.indexOf(blocker));
    expect(activity).toMatch(/mail +hq +\S+ +.*A note/);
    // stdout not a terminal: the same snapshot without --once
    const piped = gt(town, ['dashboard']);
    expect(piped.code).toBe(0);
    const ages = (t: string): string => t.replace(/\b\d+[smhd]\b/g, 'T');
    expect(ages(piped.stdout)).toBe(ages(r.stdout));
    expect(piped.stdout).toContain('Lay the pipes');
    // --json: the snapshot itself; --rig keeps to one rig
    const j = JSON.parse(gt(town, ['dashboard', '--json', '--rig', 'alpha']).stdout) as { rigs: string[]; work: { id: string; status: string }[]; counts: Record<string, number> };
    expect(j.rigs).toEqual(['alpha']);
    expect(j.work.map((w) => [w.id, w.status])).toEqual([[blocker, 'ready'], [blocked, 'blocked']]);
    expect((j as unknown as { activity: { kind: string; bead: string }[] }).activity.filter((e) => e.kind === 'created').map((e) => e.bead)).toEqual([blocker, blocked]);
    expect(j.counts).toMatchObject({ ready: 1, blocked: 1, unread: 2, dead: 2 }); // the rig's witness and refinery: not the mayor
  });

  it('refuses an unknown rig, and runs only inside a town, each with one clear line', () => {
    const { town } = newTown();
    const r = gt(town, ['dashboard', '--once', '--rig', 'nope']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(`gt: no rig nope in town ${JSON.parse(readFileSync(join(town, 'town.json'), 'utf8')).name} (rigs: alpha)`);
    // an empty rig names none: the same invalid-input refusal as gt feed's (it was a lookup of rig '', exit 3)
    for (const args of [['dashboard', '--once'], ['feed']]) {
      const empty = gt(town, [...args, '--rig', '']);
      expect({ args, code: empty.code, stdout: empty.stdout, stderr: empty.stderr }).toEqual({ args, code: 4, stdout: '', stderr: 'gt: --rig must name a rig\n' });
      const json = gt(town, [args[0]!, '--json', '--rig', ' ']);
      expect({ args, code: json.code, error: (JSON.parse(json.stdout) as { error: unknown }).error }).toEqual({ args, code: 4, error: expect.objectContaining({ code: 'invalid_input', message: '--rig must name a rig' }) });
    }
    const dir = mkdtempSync(join(tmpdir(), 'gt-dashboard-none-'));
    bases.push(dir);
    const out = gt(dir, ['dashboard', '--once']);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/^gt: no town found from .* upward; create one with gt install DIR\n$/);
  });

  it('no other command loads React: gt and bd, and the chunks they import at start, hold none of it', () => {
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      expect({ file, react: /react\.element|react-reconciler|yoga/i.test(text) }).toEqual({ file, react: false });
      for (const m of text.matchAll(/from\s*"(\.\/chunks\/[^"]+)"/g)) visit(join(dirname(file), m[1]!));
    };
    visit(GT);
    visit(join(dirname(GT), 'bd.mjs'));
    // and the dashboard is one dynamic import away
    expect(readFileSync(GT, 'utf8')).toMatch(/import\("\.\/chunks\/[^"]+"\)/);
  });
});
