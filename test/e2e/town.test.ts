import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GT, bd, bdJson, gt, git, gtJson, waitFor } from './helpers.js';

const bases: string[] = [];
afterEach(() => bases.splice(0).forEach((b) => rmSync(b, { recursive: true, force: true })));



/** A temp directory holding a town installed by the real gt (removed after the test). */
function newTown(tag: string): { base: string; town: string } {
  const base = mkdtempSync(join(tmpdir(), tag));
  bases.push(base);
  const town = join(base, 'town');
  gt(base, ['install', town]);
  return { base, town };
}

/** A project repository with one commit, and (optionally) its own bead store. */
function project(base: string, name: string, prefix?: string): string {
  const dir = join(base, name);
  git(base, 'init', '-q', dir);
  writeFileSync(join(dir, 'README'), `${name}\n`);
  if (prefix) bd(dir, ['init', '--prefix', prefix]);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'start');
  return dir;
}

describe('gt install and rigs', () => {
  it('has --help for every command', () => {
    for (const cmd of ['', 'install', 'ready', 'sync', 'rig', 'rig add', 'rig list', 'rig remove', 'up', 'down', 'agents', 'peek', 'attach', 'sling', 'prime', 'done', 'nudge', 'handoff', 'mail', 'mail send', 'mail inbox', 'mail read', 'mail ack', 'mail reply', 'rig settings', 'mq', 'mq list', 'mq show', 'mq retry', 'mq reject', 'refinery', 'refinery run', 'refinery status', 'polecat', 'polecat list', 'polecat gc', 'dispatch', 'daemon', 'daemon start', 'daemon stop', 'daemon status', 'daemon logs', 'daemon run', 'services', 'services ensure', 'service', 'service add', 'service remove', 'service reset', 'witness', 'witness patrol', 'status', 'feed', 'dashboard']) {
      const r = gt(tmpdir(), [...cmd.split(' ').filter(Boolean), '--help']);
      expect({ cmd, code: r.code }).toEqual({ cmd, code: 0 });
      expect(r.stdout).toContain('--json');
    }
  });

  it("adds a rig in its own place when GIT_DIR points elsewhere (gt run from a git hook), and leaves that repository alone", () => {
    const { base, town } = newTown('gt-rig-gitdir-');
    const source = project(base, 'src');
    const other = project(base, 'other');
    const before = git(other, 'rev-parse', 'HEAD');
    const r = gt(town, ['rig', 'add', 'alpha', source, '--json'], { GIT_DIR: join(other, '.git'), GIT_WORK_TREE: other });
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: '' });
    expect(git(join(town, 'alpha', 'main'), 'rev-parse', 'HEAD')).toBe(git(source, 'rev-parse', 'HEAD'));
    expect(git(other, 'rev-parse', 'HEAD')).toBe(before);
    expect(git(other, 'status', '--porcelain')).toBe('');
  });

  it('rigs added at the same time are all kept; two of one name give one rig and one clear refusal', async () => {
    const { base, town } = newTown('gt-rig-race-');
    const source = project(base, 'src');
    const add = (name: string, prefix: string): Promise<{ code: number | null; out: string }> =>
      new Promise((resolve) => {
        const p = spawn(process.execPath, [GT, 'rig', 'add', name, source, '--prefix', prefix, '--json'], { cwd: town, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (out += d));
        p.on('close', (code) => resolve({ code, out }));
      });
    const names = ['ra', 'rb', 'rc', 'rd', 're', 'rf'];
    const results = await Promise.all(names.map((n) => add(n, n)));
    expect(results.map((r) => r.code)).toEqual(names.map(() => 0));
    expect(gtJson<{ name: string }[]>(town, ['rig', 'list']).map((r) => r.name).sort()).toEqual(names);
    expect(readFileSync(join(town, '.gitignore'), 'utf8').split('\n').filter((l) => names.some((n) => l === `/${n}/`))).toHaveLength(names.length);
    const same = await Promise.all([add('twin', 'tw'), add('twin', 'tx')]);
    expect(same.map((r) => r.code).sort()).toEqual([0, 5]);
    expect(same.find((r) => r.code === 5)!.out).toMatch(/already (has a rig named twin|exists)/);
    expect(gtJson<{ name: string }[]>(town, ['rig', 'list']).filter((r) => r.name === 'twin')).toHaveLength(1);
    expect(existsSync(join(town, 'twin', 'main', '.beads'))).toBe(true);
  });

  it('installs a town once, adds rigs (new store or adopted), lists and removes them', () => {
    const base = mkdtempSync(join(tmpdir(), 'gt-town-'));
    bases.push(base);
    const town = join(base, 'town');
    expect(gtJson<{ created: string[] }>(base, ['install', town, '--name', 'home']).created).toEqual(['.git', 'town.json', 'rigs.json', '.beads', 'molecules', '.gitignore']);
    expect(gtJson<{ created: string[]; name: string }>(base, ['install', town])).toMatchObject({ created: [], name: 'home' });
    expect(JSON.parse(readFileSync(join(town, '.beads', 'config.json'), 'utf8')).prefix).toBe('hq');

    const plain = project(base, 'plain');
    const stored = project(base, 'stored', 'st');
    expect(gtJson(town, ['rig', 'add', 'alpha', plain, '--prefix', 'al'])).toMatchObject({ name: 'alpha', prefix: 'al', path: 'alpha' });
    expect(readdirSync(join(town, 'alpha')).sort()).toEqual(['main', 'polecats', 'refinery']);
    expect(JSON.parse(readFileSync(join(town, 'alpha', 'main', '.beads', 'config.json'), 'utf8')).prefix).toBe('al');
    expect(gtJson(town, ['rig', 'add', 'beta', stored])).toMatchObject({ name: 'beta', prefix: 'st' });
    // the rigs (repositories of their own) and gt's files stay out of the town's repository
    expect(readFileSync(join(town, '.gitignore'), 'utf8')).toBe('/.gt/\n/mayor/\n/alpha/\n/beta/\n');
    expect(execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: town, encoding: 'utf8' }).split('\n').filter((l) => /alpha|beta/.test(l))).toEqual([]);
    const fromDeep = gtJson<{ name: string; prefix: string; store: string }[]>(join(town, 'alpha', 'polecats'), ['rig', 'list']);
    expect(fromDeep.map((r) => [r.name, r.prefix])).toEqual([['alpha', 'al'], ['beta', 'st']]);
    expect(fromDeep[1]!.store).toBe(join(town, 'beta', 'main', '.beads'));

    // beta's clone is exactly what was pushed: it can go; alpha's new store is not committed yet: refused
    expect(gtJson(town, ['rig', 'remove', 'beta'])).toMatchObject({ removed: 'beta', discarded: [] });
    const refused = gt(town, ['rig', 'remove', 'alpha']);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/^gt: rig alpha has unmerged work \(main: uncommitted changes/);
    expect(existsSync(join(town, 'alpha'))).toBe(true);
    expect(gtJson(town, ['rig', 'remove', 'alpha', '--force'])).toMatchObject({ removed: 'alpha' });
    expect(gtJson<unknown[]>(town, ['rig', 'list'])).toEqual([]);
    expect(readFileSync(join(town, '.gitignore'), 'utf8')).toBe('/.gt/\n/mayor/\n');
  });

  it('routes bd inside a town: the rig of the directory, --rig, and ids to their rig by prefix', () => {
    const { base, town } = newTown('gt-route-');
    gtJson(town, ['rig', 'add', 'alpha', project(base, 'a'), '--prefix', 'al']);
    gtJson(town, ['rig', 'add', 'beta', project(base, 'b'), '--prefix', 'be']);
    const inAlpha = bdJson<{ id: string }>(town, ['create', 'alpha work', '--rig', 'alpha']).id;
    const inBeta = bdJson<{ id: string }>(join(town, 'beta', 'polecats'), ['create', 'beta work']).id;
    const inTown = bdJson<{ id: string }>(town, ['create', 'town work']).id;
    expect([inAlpha.slice(0, 3), inBeta.slice(0, 3), inTown.slice(0, 3)]).toEqual(['al-', 'be-', 'hq-']);
    // from anywhere in the town, an id reaches its rig
    for (const where of [town, join(town, 'alpha', 'refinery'), join(town, 'beta', 'main'), join(town, 'molecules')]) {
      expect(bdJson<{ title: string }[]>(where, ['show', inAlpha, inBeta, inTown]).map((b) => b.title)).toEqual(['alpha work', 'beta work', 'town work']);
    }
    bdJson(join(town, 'alpha', 'main'), ['close', inBeta]);
    expect(bdJson<{ status: string }[]>(town, ['show', inBeta])[0]!.status).toBe('closed');
    expect(bdJson<{ title: string }[]>(join(town, 'beta', 'polecats'), ['list', '--all']).map((b) => b.title)).toEqual(['beta work']);
    expect(bdJson<{ title: string }[]>(town, ['list', '--rig', 'alpha']).map((b) => b.title)).toEqual(['alpha work']);
    expect(bdJson<{ title: string }[]>(town, ['list']).map((b) => b.title)).toEqual(['town work']);
    // the town's molecules/ is searched after the rig's own and before the shipped ones
    writeFileSync(join(town, 'molecules', 'standup.md'), '## Molecule: standup\nA town molecule.\n\n## Step: talk\nSay what you did.\n');
    expect(bdJson<{ name: string; source: string }[]>(join(town, 'alpha', 'main'), ['mol', 'list']).find((m) => m.name === 'standup')).toMatchObject({ source: 'town' });
    const poured = bdJson<{ molecule: { id: string } }>(join(town, 'alpha', 'main'), ['mol', 'pour', 'standup']);
    expect(poured.molecule.id.startsWith('al-')).toBe(true);
    const unknown = bd(town, ['list', '--rig', 'gamma']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/no rig gamma in town town \(rigs: alpha, beta\)/);
    expect(bd(base, ['list', '--rig', 'alpha']).stderr).toMatch(/--rig alpha: not inside a town/);
  });

  it('gt ready lists ready work across the town, and gt sync syncs every rig and says which could not', () => {
    const { base, town } = newTown('gt-sync-');
    const remote = join(base, 'alpha.git');
    git(base, 'clone', '-q', '--bare', project(base, 'a'), remote);
    gtJson(town, ['rig', 'add', 'alpha', remote, '--prefix', 'al']);
    gtJson(town, ['rig', 'add', 'beta', project(base, 'b'), '--prefix', 'be']);
    bdJson(town, ['create', 'urgent in beta', '-p', '0', '--rig', 'beta']);
    bdJson(town, ['create', 'alpha work', '--rig', 'alpha']);
    bdJson(town, ['create', 'town work', '-p', '1']);
    const ready = gtJson<{ rig: string; title: string }[]>(join(town, 'alpha', 'polecats'), ['ready']);
    expect(ready.map((r) => [r.rig, r.title])).toEqual([['beta', 'urgent in beta'], ['hq', 'town work'], ['alpha', 'alpha work']]);

    const synced = gt(town, ['sync', '--json']);
    expect(synced.code).toBe(10);
    const results = JSON.parse(synced.stdout) as { rig: string; ok: boolean; result?: { out: { operations: number } }; error?: { code: string } }[];
    expect(results.map((r) => [r.rig, r.ok, r.ok ? r.result!.out.operations : r.error!.code])).toEqual([
      ['hq', false, 'no_remote'],
      ['alpha', true, 1],
      ['beta', false, 'sync_failed'], // cloned from a repository with a checked-out branch: git refuses the push
    ]);
    const elsewhere = join(base, 'elsewhere');
    git(base, 'clone', '-q', remote, elsewhere);
    expect(bdJson<{ title: string }[]>(elsewhere, ['list']).map((b) => b.title)).toEqual(['alpha work']);
  });

  it('counts a blocker in another rig: a town epic waits for a rig bead, and is ready once it closes', () => {
    const { base, town } = newTown('gt-cross-');
    gtJson(town, ['rig', 'add', 'alpha', project(base, 'a'), '--prefix', 'al']);
    const blocker = bdJson<{ id: string }>(town, ['create', 'rig work', '--rig', 'alpha']).id;
    const epic = bdJson<{ id: string; dependencies: { depends_on_id: string }[] }>(town, ['create', 'town epic', '-t', 'epic', '--deps', `blocks:${blocker}`]);
    expect(epic.dependencies.map((d) => d.depends_on_id)).toEqual([blocker]);
    const later = bdJson<{ id: string }>(town, ['create', 'later']).id;
    bdJson(town, ['dep', 'add', later, blocker]);
    expect(bdJson<{ id: string }[]>(town, ['ready']).map((b) => b.id)).toEqual([]);
    expect(bdJson<{ id: string; blocked_by: string[] }[]>(town, ['blocked']).map((b) => [b.id, b.blocked_by])).toEqual([
      [epic.id, [blocker]],
      [later, [blocker]],
    ]);
    expect(gtJson<{ id: string }[]>(town, ['ready']).map((b) => b.id)).toEqual([blocker]);
    expect(bd(town, ['create', 'x', '--deps', 'blocks:al-nothere']).stderr).toMatch(/no bead al-nothere/);
    bdJson(join(town, 'alpha', 'main'), ['close', blocker]);
    expect(bdJson<{ id: string }[]>(town, ['ready']).map((b) => b.id)).toEqual([epic.id, later]);
    expect(gtJson<{ id: string }[]>(town, ['ready']).map((b) => b.id)).toEqual([epic.id, later]);
  });

  it('across machines: a town epic blocked by a rig bead becomes ready when another town closes it and both sync', () => {
    const here = newTown('gt-fed-a-');
    const there = newTown('gt-fed-b-');
    const remote = join(here.base, 'alpha.git');
    git(here.base, 'clone', '-q', '--bare', project(here.base, 'a', 'al'), remote);
    gtJson(here.town, ['rig', 'add', 'alpha', remote]);
    gtJson(there.town, ['rig', 'add', 'alpha', remote]);
    const blocker = bdJson<{ id: string }>(here.town, ['create', 'rig work', '--rig', 'alpha']).id;
    const epic = bdJson<{ id: string }>(here.town, ['create', 'town epic', '-t', 'epic', '--deps', `blocks:${blocker}`]).id;
    const syncAlpha = (town: string, actor: string): { rig: string; ok: boolean }[] => {
      const r = gt(town, ['sync', '--json'], { BD_ACTOR: actor });
      const results = JSON.parse(r.stdout) as { rig: string; ok: boolean; error?: { code: string } }[];
      // the town stores have no remote here; each rig's does
      expect(results.map((x) => [x.rig, x.ok, x.error?.code])).toEqual([
        ['hq', false, 'no_remote'],
        ['alpha', true, undefined],
      ]);
      return results;
    };
    syncAlpha(here.town, 'tester');
    syncAlpha(there.town, 'remote-worker');
    // the other machine sees the bead (by id, from anywhere in its town), claims and closes it
    expect(bdJson<{ title: string }[]>(there.town, ['show', blocker])[0]!.title).toBe('rig work');
    bdJson(there.town, ['update', blocker, '--claim'], { BD_ACTOR: 'remote-worker' });
    bdJson(join(there.town, 'alpha', 'main'), ['close', blocker, '--reason', 'done over there'], { BD_ACTOR: 'remote-worker' });
    // not yet here: nothing has synced
    expect(bdJson<{ id: string }[]>(here.town, ['ready']).map((b) => b.id)).toEqual([]);
    expect(gtJson<{ id: string }[]>(here.town, ['ready']).map((b) => b.id)).toEqual([blocker]);
    syncAlpha(there.town, 'remote-worker');
    syncAlpha(here.town, 'tester');
    expect(bdJson<{ status: string; assignee: string }[]>(here.town, ['show', blocker])[0]).toMatchObject({ status: 'closed', assignee: 'remote-worker' });
    expect(bdJson<{ id: string }[]>(here.town, ['ready']).map((b) => b.id)).toEqual([epic]);
    expect(gtJson<{ id: string }[]>(here.town, ['ready']).map((b) => b.id)).toEqual([epic]);
    const hashOf = (town: string): string => bdJson<{ hash: string }>(join(town, 'alpha', 'main'), ['doctor']).hash;
    expect(hashOf(here.town)).toBe(hashOf(there.town));
  });

  it('rejects bad rigs with one clear error and leaves nothing half-created', () => {
    const { base, town } = newTown('gt-bad-');
    const repo = project(base, 'repo');
    const stored = project(base, 'stored', 'st');
    gtJson(town, ['rig', 'add', 'first', repo, '--prefix', 'gt']);
    const registry = readFileSync(join(town, 'rigs.json'));
    const cases: [string[], number, RegExp][] = [
      [['rig', 'add', 'Bad Name', repo], 4, /invalid rig name "Bad Name"/],
      [['rig', 'add', 'hq', repo], 4, /invalid rig name "hq".*not hq, which the town uses/],
      [['rig', 'add', 'first', repo], 5, /already has a rig named first/],
      [['rig', 'add', 'second', repo, '--prefix', 'gt'], 5, /prefix gt is already used by first/],
      [['rig', 'add', 'second', repo, '--prefix', 'hq'], 5, /prefix hq is already used by the town store/],
      [['rig', 'add', 'second', repo, '--prefix', 'Bad-Prefix'], 4, /invalid prefix "Bad-Prefix"/],
      [['rig', 'add', 'second', join(base, 'no-such-repo')], 4, /is not a git repository that can be cloned/],
      [['rig', 'add', 'second', stored, '--prefix', 'zz'], 5, /already has a bead store with prefix st/],
      [['rig', 'remove', 'nothing'], 3, /no rig nothing/],
    ];
    for (const [args, code, message] of cases) {
      const r = gt(town, args);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.stderr).toMatch(message);
      expect(readFileSync(join(town, 'rigs.json')).equals(registry)).toBe(true);
      expect(existsSync(join(town, 'second'))).toBe(false);
    }
    const outside = gt(base, ['rig', 'list']);
    expect(outside.code).toBe(8);
    expect(outside.stderr).toMatch(/no town found .* gt install DIR/);
  });
});

describe("the town's files cut short or of the wrong shape", () => {
  /** A town with rig alpha and one bead in it. */
  function townWithRig(): string {
    const { base, town } = newTown('gt-townfiles-');
    gtJson(town, ['rig', 'add', 'alpha', project(base, 'a'), '--prefix', 'al']);
    bdJson(town, ['create', 'a bead', '--rig', 'alpha']);
    return town;
  }

  it.each([
    ['town.json cut short', 'town.json', '{"name": "town", "form', 6, /: it is not valid JSON \(/],
    ['town.json empty', 'town.json', '', 6, /: it is empty; /],
    ['town.json an array', 'town.json', '[]', 4, /: it must hold a JSON object .*, not an array; /],
    ['rigs.json cut short', 'rigs.json', '{"rigs": [', 6, /: it is not valid JSON \(/],
    ['rigs.json with rigs not an array', 'rigs.json', '{"rigs": "alpha"}', 4, /: "rigs" must be an array of rigs, not string "alpha"; /],
  ])('%s: one line naming the file, its exit code, nothing on stdout, for gt feed, gt dashboard --once, gt status and bd list', (_what, file, text, code, message) => {
    const town = townWithRig();
    writeFileSync(join(town, file), text);
    const path = join(town, file);
    for (const [tool, args, cwd] of [
      [gt, ['feed'], town],
      [gt, ['dashboard', '--once'], town],
      [gt, ['status'], town],
      [bd, ['list'], town],
      [bd, ['list'], join(town, 'alpha', 'main')],
    ] as const) {
      const r = tool(cwd, [...args]);
      const name = tool === gt ? 'gt' : 'bd';
      expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code, stdout: '' });
      expect(r.stderr).not.toMatch(/internal error|please report|\n\s+at /);
      expect(r.stderr.startsWith(`${name}: ${path}: `)).toBe(true);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    // --json: the error as the one JSON document, with its code and the file
    const json = gt(town, ['feed', '--json']);
    expect(json.code).toBe(code);
    expect(JSON.parse(json.stdout)).toEqual({ error: { code: code === 6 ? 'corrupt_log' : 'invalid_input', message: expect.stringContaining(path), file: path } });
  }, 120_000);

  it('gt feed --follow: rigs.json caught cut short is said once naming the file, and the feed goes on once it is whole', async () => {
    const town = townWithRig();
    const child = spawn(process.execPath, [GT, 'feed', '--follow'], { cwd: town, env: { ...process.env, GT_FEED_POLL_MS: '50' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => out.includes("'a bead'"), 'the history');
      const rigs = join(town, 'rigs.json');
      const kept = readFileSync(rigs, 'utf8');
      writeFileSync(rigs, '{"rigs": [');
      await waitFor(() => err.length > 0, 'the poll to fail');
      writeFileSync(rigs, kept);
      const id = bdJson<{ id: string }>(join(town, 'alpha', 'main'), ['create', 'after the registry was whole']).id;
      await waitFor(() => out.includes(id), 'the new bead in the feed');
      expect(err.split('\n')).toEqual([expect.stringMatching(/^gt feed: .*: it is not valid JSON \(.+\); a write was cut short\? restore it from git or fix it by hand$/), '']);
      expect(err.startsWith(`gt feed: ${rigs}: `)).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 120_000);
});
