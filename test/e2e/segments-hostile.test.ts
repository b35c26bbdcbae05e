// Hostile tests of the segmented log through the built bd, with real git: files of the store that are not what
// they should be, sync across clones where segments were deleted or stray files sit in log/, and counts.
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseOpLine } from '@gastown/beads';
import { WRITER, bd, bdAsync, bdJson, clones, git, logFiles, tempDirs, waitFor, writerLog } from './helpers.js';

const bases: string[] = [];
afterEach(() => bases.splice(0).forEach((b) => rmSync(b, { recursive: true, force: true })));
const dirs = tempDirs(afterEach);

const segmentTexts = (root: string): string[] => readdirSync(join(root, '.beads', 'log')).sort().map((f) => readFileSync(join(root, '.beads', 'log', f), 'utf8'));

describe('a store whose files are not what they should be', () => {
  it('refuses a write when .beads/writer is a directory, naming it, and leaves nothing behind', () => {
    const root = dirs.store();
    bdJson(root, ['create', 'one']);
    const before = segmentTexts(root);
    rmSync(join(root, '.beads', 'writer'));
    mkdirSync(join(root, '.beads', 'writer'));
    const r = bd(root, ['create', 'two']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('.beads/writer: it is a directory');
    expect(r.stderr).not.toMatch(/writer\.tmp/);
    expect(readdirSync(join(root, '.beads')).filter((n) => n.includes('.tmp'))).toEqual([]);
    expect(segmentTexts(root)).toEqual(before);
  });
});

describe('files in log/ that are not segments', () => {
  it('are neither read, counted nor committed by bd sync, and bd doctor names them', () => {
    const { dirs } = clones(2, bases);
    const [a] = dirs;
    bdJson(a!, ['create', 'one']);
    expect(bd(a!, ['sync']).code).toBe(0);
    bdJson(a!, ['create', 'two']);
    // A copy of a segment's last line under a name the log does not read (notes, an editor's backup)
    const last = readFileSync(writerLog(a!), 'utf8').trim().split('\n').pop()!;
    writeFileSync(join(a!, '.beads', 'log', 'notes.jsonl'), last.replace(/"op_id":"[^"]+"/, '"op_id":"zzzzzzzzzzzzzzzz"') + '\n');
    const dry = bdJson<{ out: { operations: number } }>(a!, ['sync', '--dry-run']);
    const real = bdJson<{ out: { operations: number } }>(a!, ['sync']);
    expect(real.out.operations).toBe(1);
    expect(dry.out.operations).toBe(real.out.operations);
    expect(git(a!, 'ls-files', '.beads/log').split('\n')).not.toContain('.beads/log/notes.jsonl');
    const report = bdJson<{ warnings: string[] }>(a!, ['doctor']);
    expect(report.warnings.filter((w) => w.includes('notes.jsonl'))).toHaveLength(1);
    expect(report.warnings.find((w) => w.includes('notes.jsonl'))).toMatch(/not read/);
  });
});

describe('a remote where a segment was deleted', () => {
  it('gets it back from the clone that writes it, even when that clone has written to it since', () => {
    const { dirs } = clones(3, bases);
    const [a, b, c] = dirs;
    const one = bdJson<{ id: string }>(a!, ['create', 'one']).id;
    expect(bd(a!, ['sync']).code).toBe(0);
    expect(bd(b!, ['sync']).code).toBe(0);
    const segment = writerLog(a!).slice(a!.length + 1);
    git(b!, 'rm', '-q', segment); // someone thought it was old
    git(b!, 'commit', '-qm', 'remove a segment');
    git(b!, 'push', '-q', 'origin', 'HEAD');
    const two = bdJson<{ id: string }>(a!, ['create', 'two']).id;
    const r = bd(a!, ['sync']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const d of [a!, b!, c!]) expect(bd(d, ['sync']).code).toBe(0);
    for (const d of [a!, b!, c!]) expect(bdJson<{ id: string }[]>(d, ['list']).map((x) => x.id).sort()).toEqual([one, two].sort());
    expect(new Set(dirs.map((d) => bdJson<{ hash: string }>(d, ['doctor']).hash)).size).toBe(1);
  });
});

describe('writers in one clone crossing seals', () => {
  /** Every operation line of the clone's log files: op id -> the files holding it. */
  function opFiles(root: string): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const f of logFiles(root)) {
      for (const line of readFileSync(f, 'utf8').split('\n')) {
        const op = line ? parseOpLine(line) : 'empty';
        if (typeof op !== 'string') out.set(op.op_id, [...(out.get(op.op_id) ?? []), f]);
      }
    }
    return out;
  }

  it('SIGKILLed mid-append lose no acknowledged bead, write each operation to one file, and leave one open segment', async () => {
    const root = dirs.store();
    const config = join(root, '.beads', 'config.json');
    const SEAL = 3000;
    writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), segment_bytes: SEAL }));
    const acked = new Set<string>();
    const readers: Promise<unknown>[] = [];
    for (let round = 0; round < 3; round++) {
      const kids = [0, 1, 2].map((i) => {
        const child = spawn(process.execPath, [WRITER, join(root, '.beads'), 'forever', `w${round}${i}`], { stdio: ['ignore', 'pipe', 'pipe'] });
        const mine: string[] = [];
        child.stdout.on('data', (d: Buffer) => mine.push(...d.toString().split('\n').filter(Boolean)));
        return { child, mine };
      });
      readers.push(bdAsync(root, ['list', '--all', '--json', '-n', '0']), bdAsync(root, ['ready', '--json']));
      await waitFor(() => kids.every((k) => k.mine.length >= 8 + round * 3), 'each writer to acknowledge some beads', 120_000);
      for (const k of kids) k.child.kill('SIGKILL');
      await Promise.all(kids.map((k) => new Promise((r) => (k.child.exitCode !== null || k.child.signalCode !== null ? r(null) : k.child.on('exit', r)))));
      for (const k of kids) for (const id of k.mine) acked.add(id);
    }
    for (const r of await Promise.all(readers)) expect((r as { code: number }).code).toBe(0);
    const listed = new Set(bdJson<{ id: string }[]>(root, ['list', '--all', '-n', '0']).map((b) => b.id));
    for (const id of acked) expect(listed.has(id)).toBe(true);
    // each operation in exactly one file
    const files = opFiles(root);
    expect([...files.values()].filter((f) => f.length > 1)).toEqual([]);
    // one open segment: every other has reached the seal
    const open = writerLog(root);
    const segs = logFiles(root).filter((f) => f.includes(`${join('.beads', 'log')}/`));
    expect(segs.length).toBeGreaterThan(3);
    for (const f of segs) if (f !== open) expect(statSync(f).size).toBeGreaterThanOrEqual(SEAL);
    // what the caches caught up to is what a fold from scratch gives
    const cached = bdJson<{ hash: string }>(root, ['doctor']).hash;
    const before = bd(root, ['list', '--all', '--json', '-n', '0']).stdout;
    rmSync(join(root, '.beads', 'cache'), { recursive: true, force: true });
    expect(bd(root, ['list', '--all', '--json', '-n', '0']).stdout).toBe(before);
    expect(bdJson<{ hash: string }>(root, ['doctor']).hash).toBe(cached);
  });
});

describe('clones syncing at once with small segments', () => {
  const opIds = (root: string): Set<string> => {
    const out = new Set<string>();
    for (const f of logFiles(root)) for (const line of readFileSync(f, 'utf8').split('\n')) {
      const op = line ? parseOpLine(line) : 'empty';
      if (typeof op !== 'string') out.add(op.op_id);
    }
    return out;
  };

  it('converge; each sync says how many operations came in, and a dry run says what the sync then does', async () => {
    const { dirs } = clones(3, bases);
    const config = join(dirs[0]!, '.beads', 'config.json');
    writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), segment_bytes: 1200 }));
    expect(bd(dirs[0]!, ['sync']).code).toBe(0);
    for (const d of dirs.slice(1)) expect(bd(d, ['sync']).code).toBe(0);
    for (let round = 0; round < 3; round++) {
      for (const [i, d] of dirs.entries()) for (let k = 0; k < 4; k++) bdJson(d, ['create', `c${i} r${round} ${k}`]);
      const results = await Promise.all(dirs.map((d) => bdAsync(d, ['sync', '--json'])));
      for (const r of results) expect(r.stderr).toBe('');
    }
    // one at a time now: the dry run's counts are the sync's, and `in` is what the clone's log gained
    for (let round = 0; round < 2; round++) {
      for (const d of dirs) {
        const dry = bdJson<{ in: { operations: number }; out: { operations: number } }>(d, ['sync', '--dry-run']);
        const before = opIds(d);
        const real = bdJson<{ in: { operations: number }; out: { operations: number } }>(d, ['sync']);
        const gained = [...opIds(d)].filter((id) => !before.has(id)).length;
        expect({ in: real.in.operations, out: real.out.operations }).toEqual({ in: dry.in.operations, out: dry.out.operations });
        expect(real.in.operations).toBe(gained);
      }
    }
    expect(new Set(dirs.map((d) => bdJson<{ hash: string }>(d, ['doctor']).hash)).size).toBe(1);
    expect(bdJson<unknown[]>(dirs[0]!, ['list', '-n', '0'])).toHaveLength(36);
  });
});

describe('the same operation in two files', () => {
  it('is not counted as coming in by a clone that has it in another file', () => {
    const { dirs } = clones(3, bases);
    const [a, b, c] = dirs;
    bdJson(a!, ['create', 'one']);
    bdJson(a!, ['create', 'two']);
    expect(bd(a!, ['sync']).code).toBe(0);
    for (const d of [b!, c!]) expect(bd(d, ['sync']).code).toBe(0);
    // someone renames a's segment by hand and pushes; b's sync puts its lines back under the old name too
    const segment = writerLog(a!).slice(a!.length + 1);
    git(b!, 'mv', segment, segment.replace(/-[a-z0-9]{8}\.jsonl$/, '-zzzzzzzz.jsonl'));
    git(b!, 'commit', '-qm', 'rename a segment');
    git(b!, 'push', '-q', 'origin', 'HEAD');
    expect(bd(b!, ['sync']).code).toBe(0);
    const dry = bdJson<{ in: { operations: number } }>(c!, ['sync', '--dry-run']);
    const real = bdJson<{ in: { operations: number } }>(c!, ['sync']);
    expect(bdJson<unknown[]>(c!, ['list'])).toHaveLength(2);
    expect(dry.in.operations).toBe(0);
    expect(real.in.operations).toBe(0);
    // the operations now in two files fold, caught up or from scratch, to one state everywhere
    for (const d of dirs) expect(bd(d, ['sync']).code).toBe(0);
    const hashes = dirs.map((d) => {
      const cached = bdJson<{ hash: string }>(d, ['doctor']).hash;
      rmSync(join(d, '.beads', 'cache'), { recursive: true, force: true });
      expect(bdJson<{ hash: string }>(d, ['doctor']).hash).toBe(cached);
      return cached;
    });
    expect(new Set(hashes).size).toBe(1);
  });
});

describe('branches and a work tree git moves under the cache', () => {
  const titlesOf = (root: string): string[] => bdJson<{ title: string }[]>(root, ['list', '--all', '-n', '0']).map((b) => b.title).sort();
  const fresh = (root: string): string => {
    const cached = bdJson<{ hash: string }>(root, ['doctor']).hash;
    rmSync(join(root, '.beads', 'cache'), { recursive: true, force: true });
    expect(bdJson<{ hash: string }>(root, ['doctor']).hash).toBe(cached);
    return cached;
  };

  it('a branch without the writer\'s segment starts one; the branches merge by hand without a conflict', () => {
    const root = dirs.store();
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'store');
    bdJson(root, ['create', 'on main']);
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'main 1');
    const mainSegment = writerLog(root);
    git(root, 'checkout', '-q', '-b', 'side', 'HEAD~1');
    bdJson(root, ['create', 'on side']);
    expect(writerLog(root)).not.toBe(mainSegment);
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'side 1');
    git(root, 'checkout', '-q', '-');
    expect(titlesOf(root)).toEqual(['on main']);
    bdJson(root, ['create', 'on main again']);
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'main 2');
    git(root, 'merge', '-q', '--no-edit', 'side');
    expect(git(root, 'status', '--porcelain')).toBe('');
    expect(titlesOf(root)).toEqual(['on main', 'on main again', 'on side']);
    fresh(root);
  });

  it('a branch holding an older copy of the writer\'s segment: both grow it, and a merge by hand keeps both', () => {
    const root = dirs.store();
    bdJson(root, ['create', 'one']);
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'one');
    bdJson(root, ['create', 'two']);
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'two');
    const main = git(root, 'rev-parse', '--abbrev-ref', 'HEAD').trim();
    git(root, 'checkout', '-q', '-b', 'side', 'HEAD~1');
    bdJson(root, ['create', 'side']);
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'side');
    git(root, 'checkout', '-q', main);
    git(root, 'merge', '-q', '--no-edit', 'side');
    expect(git(root, 'status', '--porcelain')).toBe('');
    expect(titlesOf(root)).toEqual(['one', 'side', 'two']);
    fresh(root);
  });

  it('git checkout -- .beads of the open segment the cache covers: reads follow it, and writes go on', () => {
    const root = dirs.store();
    bdJson(root, ['create', 'kept']);
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'kept');
    bdJson(root, ['create', 'thrown away']);
    expect(titlesOf(root)).toEqual(['kept', 'thrown away']);
    git(root, 'checkout', '--', '.beads');
    expect(titlesOf(root)).toEqual(['kept']);
    bdJson(root, ['create', 'after']);
    expect(titlesOf(root)).toEqual(['after', 'kept']);
    fresh(root);
    // git stash of the segment's growth, a write, then the stash back: the log holds all three
    bdJson(root, ['create', 'stashed']);
    git(root, 'stash', '-q');
    expect(titlesOf(root)).toEqual(['kept']);
    git(root, 'stash', 'pop', '-q');
    expect(titlesOf(root)).toEqual(['after', 'kept', 'stashed']);
    fresh(root);
  });
});

describe('sealed segments edited by hand, and torn lines, across clones', () => {
  it('a line removed from a sealed segment by hand comes back; a torn line is never committed', () => {
    const { dirs } = clones(2, bases);
    const [a, b] = dirs;
    const config = join(a!, '.beads', 'config.json');
    writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), segment_bytes: 400 }));
    for (const t of ['one', 'two', 'three', 'four', 'five']) bdJson(a!, ['create', t]);
    expect(bd(a!, ['sync']).code).toBe(0);
    expect(bd(b!, ['sync']).code).toBe(0);
    const sealed = logFiles(a!).find((f) => f !== writerLog(a!))!;
    const lines = readFileSync(sealed, 'utf8').split('\n');
    writeFileSync(sealed, [lines[0], ...lines.slice(2)].join('\n')); // the second line removed by hand
    writeFileSync(writerLog(a!), readFileSync(writerLog(a!), 'utf8') + '{"op_id":"abcdefgh12345678","bead":"gt-to'); // a writer killed mid-append
    expect(bdJson<{ torn_tail: unknown }>(a!, ['doctor']).torn_tail).not.toBeNull();
    for (let round = 0; round < 2; round++) for (const d of dirs) expect(bd(d, ['sync']).stderr).toBe('');
    for (const d of dirs) expect(bdJson<unknown[]>(d, ['list'])).toHaveLength(5);
    expect(new Set(dirs.map((d) => bdJson<{ hash: string }>(d, ['doctor']).hash)).size).toBe(1);
    // no commit of any clone holds a torn or corrupt line
    for (const d of dirs) {
      for (const rev of git(d, 'rev-list', '--all').trim().split('\n')) {
        for (const p of git(d, 'ls-tree', '-r', '--name-only', rev, '.beads/log').split('\n').filter(Boolean)) {
          const text = git(d, 'show', `${rev}:${p}`);
          expect(text === '' || text.endsWith('\n')).toBe(true);
          for (const line of text.split('\n').filter(Boolean)) expect(typeof parseOpLine(line)).not.toBe('string');
        }
      }
    }
  });
});

describe('migration racing and arriving by git pull', () => {
  /** Two clones of a single-file store (format 1, as an older bd left it) holding one bead. */
  function singleFile(): string[] {
    const { dirs } = clones(2, bases);
    const [a, b] = dirs;
    writeFileSync(join(a!, '.beads', 'config.json'), JSON.stringify({ prefix: 'gt', format: 1 }, null, 2) + '\n');
    rmSync(join(a!, '.beads', 'log'), { recursive: true, force: true });
    bdJson(a!, ['create', 'old']);
    git(a!, 'add', '-A');
    git(a!, 'commit', '-qm', 'single file');
    git(a!, 'push', '-q', 'origin', 'HEAD');
    git(b!, 'pull', '-q', '--no-rebase');
    return dirs;
  }

  it('two bd migrate at once: one migrates, the other finds it done, and the config is whole', async () => {
    const [a] = singleFile();
    const runs = await Promise.all([0, 1, 2].map(() => bdAsync(a!, ['migrate', '--json'])));
    for (const r of runs) expect(r.code).toBe(0);
    expect(runs.map((r) => (JSON.parse(r.stdout) as { migrated: boolean }).migrated).sort()).toEqual([false, false, true]);
    expect(JSON.parse(readFileSync(join(a!, '.beads', 'config.json'), 'utf8'))).toEqual({ prefix: 'gt', format: 2 });
    const attributes = readFileSync(join(a!, '.gitattributes'), 'utf8').split('\n');
    expect(attributes.filter((l) => l.includes('log/*.jsonl'))).toHaveLength(1);
  });

  it('a clone on one file that pulls the migrated config with git pull writes a segment, and the clones converge', () => {
    const [a, b] = singleFile();
    bdJson(b!, ['list']); // b's cache covers ops.jsonl
    expect(bdJson<{ migrated: boolean }>(a!, ['migrate']).migrated).toBe(true);
    expect(bd(a!, ['sync']).code).toBe(0);
    git(b!, 'pull', '-q', '--no-rebase');
    const legacy = readFileSync(join(b!, '.beads', 'ops.jsonl'), 'utf8');
    bdJson(b!, ['create', 'new in b']);
    expect(readFileSync(join(b!, '.beads', 'ops.jsonl'), 'utf8')).toBe(legacy);
    expect(logFiles(b!).some((f) => f === writerLog(b!))).toBe(true);
    for (let round = 0; round < 2; round++) for (const d of [a!, b!]) expect(bd(d, ['sync']).stderr).toBe('');
    for (const d of [a!, b!]) expect(bdJson<{ title: string }[]>(d, ['list']).map((x) => x.title).sort()).toEqual(['new in b', 'old']);
    expect(bdJson<{ hash: string }>(a!, ['doctor']).hash).toBe(bdJson<{ hash: string }>(b!, ['doctor']).hash);
  });
});

describe('a segment deleted from the work tree', () => {
  it('is restored by bd sync, so the clone ends with what the remote has, and the dry run says what the sync does', () => {
    const { dirs } = clones(2, bases);
    const [a, b] = dirs;
    bdJson(a!, ['create', 'from a']);
    expect(bd(a!, ['sync']).code).toBe(0);
    expect(bd(b!, ['sync']).code).toBe(0);
    bdJson(b!, ['create', 'from b']);
    rmSync(writerLog(a!).replace(a!, b!)); // a's segment, removed by hand in b (not committed)
    const dry = bdJson<{ in: { operations: number }; out: { operations: number } }>(b!, ['sync', '--dry-run']);
    const real = bdJson<{ in: { operations: number }; out: { operations: number } }>(b!, ['sync']);
    expect({ in: dry.in.operations, out: dry.out.operations }).toEqual({ in: real.in.operations, out: real.out.operations });
    expect(real.out.operations).toBe(1);
    expect(bdJson<{ title: string }[]>(b!, ['list']).map((x) => x.title).sort()).toEqual(['from a', 'from b']);
    expect(bd(a!, ['sync']).code).toBe(0);
    expect(bdJson<{ hash: string }>(a!, ['doctor']).hash).toBe(bdJson<{ hash: string }>(b!, ['doctor']).hash);
    expect(git(b!, 'status', '--porcelain', '.beads')).toBe('');
  });
});

describe('clones on one file syncing at once while one migrates', () => {
  it('converge to one state, and ops.jsonl only ever grows', async () => {
    const { dirs } = clones(3, bases);
    const [a] = dirs;
    writeFileSync(join(a!, '.beads', 'config.json'), JSON.stringify({ prefix: 'gt', format: 1, segment_bytes: 1200 }, null, 2) + '\n');
    rmSync(join(a!, '.beads', 'log'), { recursive: true, force: true });
    bdJson(a!, ['create', 'old']);
    git(a!, 'add', '-A');
    git(a!, 'commit', '-qm', 'single file');
    git(a!, 'push', '-q', 'origin', 'HEAD');
    for (const d of dirs.slice(1)) git(d, 'pull', '-q', '--no-rebase');
    const legacy = readFileSync(join(a!, '.beads', 'ops.jsonl'), 'utf8');
    for (let round = 0; round < 3; round++) {
      if (round === 1) expect(bdJson<{ migrated: boolean }>(dirs[1]!, ['migrate']).migrated).toBe(true);
      await Promise.all(dirs.map(async (d, i) => {
        for (let k = 0; k < 3; k++) expect((await bdAsync(d, ['create', `c${i} r${round} ${k}`])).code).toBe(0);
        const r = await bdAsync(d, ['sync']);
        expect(r.stderr).toBe('');
      }));
    }
    for (let round = 0; round < 2; round++) for (const d of dirs) expect(bd(d, ['sync']).stderr).toBe('');
    const hashes = dirs.map((d) => bdJson<{ hash: string }>(d, ['doctor']).hash);
    expect(new Set(hashes).size).toBe(1);
    expect(bdJson<unknown[]>(a!, ['list', '-n', '0'])).toHaveLength(28);
    for (const d of dirs) {
      expect(JSON.parse(readFileSync(join(d, '.beads', 'config.json'), 'utf8')).format).toBe(2);
      expect(readFileSync(join(d, '.beads', 'ops.jsonl'), 'utf8').startsWith(legacy)).toBe(true);
    }
  });
});
