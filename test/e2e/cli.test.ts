import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync, appendFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { BD, bd, bdJson, tempDirs, logText, writerLog } from './helpers.js';

const { store, git } = tempDirs(afterEach);

/** Replaces ids, times and op ids so --json shapes can be snapshotted. */
function normalise(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value)
      .replace(/gt-[0-9a-z]{8}/g, 'gt-ID')
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g, 'TIME')
      .replace(/"op_id":"[0-9a-z]+"/g, '"op_id":"OP"')
      .replace(/"origin":"[0-9a-z]+"/g, '"origin":"OP"'),
  );
}

describe('bd end to end', () => {
  it('prints --json shapes that agents can rely on', () => {
    const dir = store();
    const epic = bdJson<{ id: string }>(dir, ['create', 'Ship it', '-t', 'epic', '-p', '1', '-d', 'the epic', '-l', 'release,q4']);
    const task = bdJson<{ id: string }>(dir, ['create', 'Write code', '--parent', epic.id, '--assignee', 'alice']);
    const later = bdJson<{ id: string }>(dir, ['create', 'Test code', '--deps', `blocks:${task.id}`]);
    expect(normalise(bdJson(dir, ['show', epic.id, task.id]))).toMatchSnapshot('show');
    expect(normalise(bdJson(dir, ['ready']))).toMatchSnapshot('ready');
    expect(normalise(bdJson(dir, ['blocked']))).toMatchSnapshot('blocked');
    expect(normalise(bdJson(dir, ['comment', task.id, 'looks good']))).toMatchSnapshot('comment');
    expect(normalise(bdJson(dir, ['close', task.id, '-r', 'done']))).toMatchSnapshot('close');
    expect(normalise(bdJson(dir, ['history', task.id]))).toMatchSnapshot('history');
    expect(normalise(bdJson(dir, ['dep', 'tree', later.id]))).toMatchSnapshot('dep tree');
    expect(normalise(bdJson(dir, ['stats']))).toMatchSnapshot('stats');
    expect(bdJson<{ id: string }[]>(dir, ['list']).map((b) => b.id)).toEqual([epic.id, later.id]);
    expect(bdJson<{ id: string }[]>(dir, ['list', '--all']).map((b) => b.id)).toEqual([epic.id, task.id, later.id]);
    expect(bdJson<{ id: string }[]>(dir, ['search', 'CODE']).map((b) => b.id).sort()).toEqual([task.id, later.id].sort());
  });

  it('runs the rest of the commands: reopen, delete, labels, dependencies, cycles, comments, export', () => {
    const dir = store();
    const a = bdJson<{ id: string }>(dir, ['create', 'alpha', '-l', 'x,y']);
    const b = bdJson<{ id: string }>(dir, ['create', 'beta', '--deps', `blocks:${a.id}`]);
    expect(bdJson<{ labels: string[] }>(dir, ['label', 'remove', a.id, 'x']).labels).toEqual(['y']);
    expect(bdJson<{ labels: string[] }>(dir, ['label', 'add', a.id, 'z', 'w']).labels).toEqual(['w', 'y', 'z']);
    bdJson(dir, ['dep', 'add', a.id, b.id, '-t', 'related']); // related never blocks; a blocks edge here would close a cycle and is refused (refusals.test.ts)
    expect(bdJson<string[][]>(dir, ['dep', 'cycles'])).toEqual([]);
    expect(bd(dir, ['dep', 'cycles']).stdout).toBe('No cycles.\n');
    expect(bdJson<{ dependencies?: unknown[] }>(dir, ['dep', 'remove', a.id, b.id, '-t', 'related']).dependencies).toBeUndefined();
    expect(bdJson<{ children: { id: string }[] }>(dir, ['dep', 'tree', a.id, '--up']).children.map((c) => c.id)).toEqual([b.id]);
    bdJson(dir, ['comment', a.id, 'first']);
    bdJson(dir, ['comment', a.id, 'second']);
    expect(bdJson<{ id: number; text: string; author: string }[]>(dir, ['comments', a.id])).toEqual([
      expect.objectContaining({ id: 1, text: 'first', author: 'tester' }),
      expect.objectContaining({ id: 2, text: 'second', author: 'tester' }),
    ]);
    bdJson(dir, ['close', a.id, b.id]);
    expect(bdJson<unknown[]>(dir, ['ready'])).toEqual([]);
    const reopened = bdJson<{ status: string; closed_at?: string }[]>(dir, ['reopen', a.id]);
    expect(reopened[0]).toMatchObject({ status: 'open' });
    expect(reopened[0]!.closed_at).toBeUndefined();
    bdJson(dir, ['delete', b.id, '-r', 'duplicate']);
    expect(bdJson<{ id: string }[]>(dir, ['list', '--all']).map((x) => x.id)).toEqual([a.id]);
    expect(bd(dir, ['update', b.id, '--title', 'x']).stderr).toMatch(/was deleted/);
    const exported = bd(dir, ['export']).stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; status: string; delete_reason?: string });
    expect(exported.find((r) => r.id === b.id)).toMatchObject({ status: 'tombstone', delete_reason: 'duplicate' });
    const out = join(dir, 'out.jsonl');
    expect(bdJson(dir, ['export', '-o', out, '--no-deleted'])).toEqual({ file: out, count: 1 });
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(1);
    const history = bdJson<{ kind: string; actor: string }[]>(dir, ['history', a.id]);
    expect(history.map((o) => o.kind)).toEqual(['create', 'label_remove', 'label_add', 'label_add', 'dep_add', 'dep_remove', 'comment', 'comment', 'close', 'reopen']);
  });

  it('accepts any unique prefix of an id, and says when one is ambiguous', () => {
    const dir = store();
    const a = bdJson<{ id: string }>(dir, ['create', 'one', '--id', 'gt-abc111']);
    bdJson(dir, ['create', 'two', '--id', 'gt-abc222']);
    expect(bdJson<{ id: string }[]>(dir, ['show', 'gt-abc1'])[0]!.id).toBe(a.id);
    expect(bdJson<{ id: string }[]>(dir, ['show', 'abc1'])[0]!.id).toBe(a.id);
    const r = bd(dir, ['show', 'gt-abc', '--json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'ambiguous_id', candidates: ['gt-abc111', 'gt-abc222'] });
  });

  it('finds the store from BEADS_DIR, --dir, a subdirectory, or a redirect', () => {
    const dir = store();
    const { id } = bdJson<{ id: string }>(dir, ['create', 'x']);
    const other = { dir: git() };
    expect(bdJson<unknown[]>(other.dir, ['show', id], { BEADS_DIR: join(dir, '.beads') })).toHaveLength(1);
    expect(bdJson<unknown[]>(other.dir, ['show', id, '--dir', dir])).toHaveLength(1);
    mkdirSync(join(dir, 'src', 'deep'), { recursive: true });
    expect(bdJson<unknown[]>(join(dir, 'src', 'deep'), ['show', id])).toHaveLength(1);
    const r = bd(other.dir, ['list', '--json']);
    expect(r.code).toBe(8);
    expect(JSON.parse(r.stdout).error.code).toBe('no_store');
    bd(other.dir, ['init', '--prefix', 'zz']);
    writeFileSync(join(other.dir, '.beads', 'redirect'), dir + '\n');
    expect(bdJson<unknown[]>(other.dir, ['show', id])).toHaveLength(1);
  });

  it('rejects bad input with one clear error, a non-zero exit, and the log byte for byte unchanged', () => {
    const dir = store();
    const { id } = bdJson<{ id: string }>(dir, ['create', 'exists']);
    const gone = bdJson<{ id: string }>(dir, ['create', 'gone']).id;
    bdJson(dir, ['delete', gone]);
    const before = logText(dir);
    const cases: [string[], number, RegExp][] = [
      [['create', ''], 4, /title must not be empty/],
      [['create', 'x'.repeat(120_000)], 4, /title is too long \(120000 characters; at most 500\)/], // argv caps one argument at 128 KiB; the 1 MB title is checked through import below
      [['create', 'x', '-p', '7'], 4, /invalid priority 7: must be <= 4/],
      [['create', 'x', '-p', 'high'], 4, /invalid --priority "high"/],
      [['create', 'x', '-t', 'story'], 4, /invalid issue_type "story"/],
      [['create', 'x', '--deps', 'blocks:gt-nothere'], 3, /no bead gt-nothere/],
      [['create', 'x', '--deps', 'blocks:'], 4, /invalid --deps entry/],
      [['create', 'x', '--parent', gone], 3, /was deleted/],
      [['dep', 'add', id, gone], 3, /was deleted/],
      [['create', 'x', '--defer', 'someday'], 4, /invalid --defer "someday"/],
      [['update', id, '--status', 'done'], 4, /invalid status "done": must be one of/],
      [['update', id, '--status', 'closed'], 4, /invalid status "closed"/],
      [['update', 'gt-nothere', '--title', 'y'], 3, /no bead gt-nothere/],
      [['update', id], 4, /nothing to update/],
      [['show', 'gt-nothere'], 3, /no bead gt-nothere/],
      [['close', id, 'gt-nothere'], 3, /no bead gt-nothere/],
      [['list', '--limit', 'many'], 4, /invalid --limit "many"/],
      [['list', '--status', 'bogus'], 4, /invalid status\.0 "bogus"/],
      [['label', 'add', id, 'has space'], 4, /invalid labels\.0/],
      [['dep', 'add', id, id], 4, /cannot depend on itself/],
      [['create', 'x', '--bogus-flag'], 2, /Unknown argument: bogus-flag/],
      // an option's value starting with '-' is never read as short flags (-h among them printed the help, exit 0)
      [['update', id, '--title', '-hello'], 2, /Not enough arguments following: title \(-hello reads as an option; write --title=-hello to give it as the value\)$/],
      [['close', id, '-r', '-h'], 2, /Not enough arguments following: reason \(-h reads as an option/],
      [['list', '--assignee', '-x'], 2, /Not enough arguments following: assignee \(-x reads/],
      [['list', '-s', '-h'], 2, /Not enough arguments following: status \(-h reads as an option; write --status=-h/],
      [['create', 'x', '-l', '-hello'], 2, /Not enough arguments following: labels \(-hello reads/],
      [['frobnicate'], 2, /Unknown argument: frobnicate/],
      [['import', '/nonexistent/file.jsonl'], 3, /cannot read/],
    ];
    for (const [args, code, message] of cases) {
      const r = bd(dir, args);
      const shown = args.join(' ').slice(0, 80);
      expect({ shown, code: r.code }).toEqual({ shown, code });
      expect(r.stderr.split('\n')[0]).toMatch(message);
      expect(r.stderr).not.toMatch(/^\s+at \S+/m); // no stack trace
      const j = bd(dir, [...args, '--json']);
      expect(j.code).toBe(code);
      expect(JSON.parse(j.stdout).error.message).toMatch(message);
    }
    const huge = join(dir, 'huge.jsonl');
    writeFileSync(huge, JSON.stringify({ id: 'gt-huge1', title: 'x'.repeat(1024 * 1024), status: 'open', priority: 2, issue_type: 'task' }) + '\n');
    const badId = join(dir, 'bad-id.jsonl');
    writeFileSync(badId, '{"id":"gt-ok1","title":"fine"}\n{"id":"no spaces allowed","title":"x"}\n');
    const badImport = bd(dir, ['import', badId]);
    expect(badImport.code).toBe(4);
    expect(badImport.stderr).toMatch(/bad-id\.jsonl:2: no spaces allowed: invalid id "no spaces allowed"/);
    const imp = bd(dir, ['import', huge]);
    expect(imp.code).toBe(4);
    expect(imp.stderr).toMatch(/huge\.jsonl:1: gt-huge1: title is too long \(1048576 characters; at most 500\)/);
    expect(logText(dir)).toBe(before);
  });

  it("takes an option's value starting with '-' given with =, or reading as a number, a duration or words", () => {
    const dir = store();
    const { id } = bdJson<{ id: string }>(dir, ['create', 'x']);
    expect(bdJson<{ title: string }>(dir, ['update', id, '--title=-hello']).title).toBe('-hello');
    expect(bdJson<{ assignee: string }>(dir, ['update', id, '--assignee', '-1h']).assignee).toBe('-1h');
    expect(bdJson<{ description: string }>(dir, ['update', id, '--description', '- first\n- second']).description).toBe('- first\n- second');
    expect(bdJson<{ close_reason?: string }[]>(dir, ['close', id, '-r', '-2'])[0]!.close_reason).toBe('-2');
  });

  it('refuses to work over a corrupt line, naming file and line; doctor reports it and doctor --fix moves it aside', () => {
    const dir = store();
    bdJson(dir, ['create', 'ok']);
    const log = writerLog(dir);
    const shown = relative(dir, log);
    appendFileSync(log, '{"op_id":"zz","bead":"gt-x"}\n');
    const before = readFileSync(log);
    const r = bd(dir, ['create', 'more']);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(`${shown}:2: corrupt line in the bead log (kind is required)`);
    const doctor = bd(dir, ['doctor', '--json']);
    expect(doctor.code).toBe(6);
    expect(JSON.parse(doctor.stdout).corrupt).toEqual([{ file: shown, line: 2, message: 'kind is required' }]);
    expect(readFileSync(log).equals(before)).toBe(true);
    expect(bd(dir, ['doctor']).stdout).toMatch(/problems: 1 corrupt line\(s\); bd doctor --fix moves them to \.beads\/ops\.corrupt\.jsonl/);

    // --fix moves the line aside (nothing lost) and the store works again
    const fixed = bd(dir, ['doctor', '--fix']);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toMatch(/fixed: moved 1 corrupt line\(s\) to \.beads\/ops\.corrupt\.jsonl:\n/);
    expect(fixed.stdout).toContain(`\n  ${shown}:2: kind is required\n`);
    expect(fixed.stdout).toMatch(/ok: caches rebuilt/);
    expect(readFileSync(log, 'utf8')).toBe(before.toString().replace('{"op_id":"zz","bead":"gt-x"}\n', ''));
    expect(JSON.parse(readFileSync(join(dir, '.beads', 'ops.corrupt.jsonl'), 'utf8'))).toMatchObject({ line: 2, text: '{"op_id":"zz","bead":"gt-x"}', moved_by: 'tester' });
    bdJson(dir, ['create', 'more']);
    expect(bdJson<{ title: string }[]>(dir, ['list']).map((b) => b.title).sort()).toEqual(['more', 'ok']);
    expect(bd(dir, ['doctor', '--fix']).stdout).toMatch(/fixed: no corrupt line to move/);
  });

  it('ends quietly when the reader of its output goes away', () => {
    const dir = store();
    // more than a pipe's 64 KiB buffer, so the writer really meets the closed pipe
    for (let i = 0; i < 30; i++) bdJson(dir, ['create', `bead ${i}`, '-d', 'x'.repeat(5000)]);
    const r = spawnSync('bash', ['-c', `node ${BD} export | head -c 10 > /dev/null; node ${BD} list -n 0 --json | head -c 10 >/dev/null; echo "\${PIPESTATUS[0]}"`], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('0');
  });

  it('has --help for every command', () => {
    const dir = store();
    const top = bd(dir, ['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatchSnapshot('bd --help');
    for (const cmd of ['init', 'create', 'show', 'list', 'update', 'close', 'reopen', 'delete', 'ready', 'blocked', 'dep', 'dep add', 'dep remove', 'dep tree', 'dep cycles', 'label add', 'label remove', 'comment', 'comments', 'history', 'stats', 'search', 'doctor', 'sync', 'import', 'export', 'heartbeat', 'mol', 'mol list', 'mol show', 'mol validate', 'mol pour', 'mol status', 'mol next', 'mol squash', 'mol burn', 'mol gc']) {
      const r = bd(dir, [...cmd.split(' '), '--help']);
      expect({ cmd, code: r.code }).toEqual({ cmd, code: 0 });
      expect(r.stdout).toContain('--json');
    }
  });
});
