// Hostile input through the built bd: every refusal is one clear error with its documented exit code, no stack
// trace, and the log byte for byte unchanged; what is accepted does exactly what it says.
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { join } from 'node:path';
import { BD, bd, bdJson, gt, tempDirs, type Result, logText, writerLog } from './helpers.js';

const { store, git } = tempDirs(afterEach);

const logOf = (dir: string): Buffer => Buffer.from(logText(dir));

/** Runs the command as text and as --json: both refused with `code` and `message`, and nothing written. */
function refused(dir: string, args: string[], code: number, message: RegExp, env: Record<string, string> = {}): Result {
  const before = logOf(dir);
  const r = bd(dir, args, env);
  const shown = args.join(' ').slice(0, 80);
  expect({ shown, code: r.code }).toEqual({ shown, code });
  expect({ shown, line: r.stderr.split('\n')[0] }).toEqual({ shown, line: expect.stringMatching(message) });
  expect(r.stderr).not.toMatch(/^\s+at \S+/m);
  expect(r.stderr).not.toMatch(/internal error|please report/);
  const j = bd(dir, [...args, '--json'], env);
  expect({ shown, code: j.code }).toEqual({ shown, code });
  expect(JSON.parse(j.stdout).error.message).toMatch(message);
  expect(logOf(dir).equals(before)).toBe(true);
  return r;
}

const create = (dir: string, ...args: string[]): string => bdJson<{ id: string }>(dir, ['create', ...args]).id;

describe('empty values (issue 10, items 15 and 20a)', () => {
  it('refuses an empty id in every command that takes ids', () => {
    const dir = store();
    const a = create(dir, 'a');
    for (const cmd of [['show'], ['close'], ['delete'], ['reopen'], ['heartbeat'], ['comments'], ['history'], ['mol', 'status']]) {
      refused(dir, [...cmd, ''], 4, /an empty id was given/);
    }
    refused(dir, ['close', a, ''], 4, /an empty id was given/);
    refused(dir, ['delete', ' ', a], 4, /an empty id was given/);
    refused(dir, ['update', '', '--title', 'x'], 4, /an empty id was given/);
    refused(dir, ['mol', 'burn', ' '], 4, /an empty id was given/);
    refused(dir, ['mol', 'squash', ''], 4, /an empty id was given/);
    refused(dir, ['dep', 'add', a, ''], 4, /an empty id was given/);
    refused(dir, ['dep', 'remove', a, ''], 4, /an empty id was given/);
    refused(dir, ['comment', '', 'text'], 4, /an empty id was given/);
    refused(dir, ['import', ''], 4, /an empty file name was given/);
    refused(dir, ['mol', 'validate', ''], 4, /an empty molecule name or file was given/);
    refused(dir, ['create', 'x', '--actor', ' '], 4, /--actor must not be empty/);
    refused(dir, ['close', `${a},`], 4, /an empty id was given/);
    refused(dir, ['search', ' '], 4, /give the text to search for/);
    for (const flag of ['--status', '--type', '--label', '--priority']) refused(dir, ['list', `${flag}=`], 4, new RegExp(`${flag} must not be empty`));
    refused(dir, ['ready', '-s', 'open,'], 4, /--status must not be empty/);
    expect(bdJson<{ status: string }[]>(dir, ['show', a])[0]!.status).toBe('open');
  });

  it('refuses an empty label', () => {
    const dir = store();
    const a = create(dir, 'a', '-l', 'keep');
    refused(dir, ['label', 'add', a, ''], 4, /label must not be empty/);
    refused(dir, ['label', 'add', a, 'ok', ''], 4, /label must not be empty/);
    refused(dir, ['label', 'add', a, ','], 4, /label must not be empty/);
    refused(dir, ['label', 'remove', a, ''], 4, /label must not be empty/);
    refused(dir, ['create', 'x', '-l', 'a,,b'], 4, /label must not be empty/);
    refused(dir, ['create', 'x', '--labels='], 4, /label must not be empty/);
    expect(bdJson<{ labels: string[] }[]>(dir, ['show', a])[0]!.labels).toEqual(['keep']);
  });
});

describe('arguments the parser would drop or reinterpret', () => {
  it('refuses a lone - as an id in every command that takes ids (it was dropped: bd close a - closed a)', () => {
    const dir = store();
    const a = create(dir, 'a');
    const b = create(dir, 'b');
    for (const cmd of [['show'], ['close'], ['delete'], ['reopen'], ['heartbeat'], ['comments'], ['history'], ['mol', 'status'], ['mol', 'next'], ['dep', 'tree']]) {
      refused(dir, [...cmd, '-'], 3, /no bead -$/);
    }
    for (const cmd of [['mol', 'burn'], ['mol', 'squash']]) refused(dir, [...cmd, '-'], 4, /- is not a wisp/);
    refused(dir, ['close', a, '-'], 3, /no bead -$/);
    refused(dir, ['delete', '-', a], 3, /no bead -$/);
    refused(dir, ['reopen', '-', b], 3, /no bead -$/);
    refused(dir, ['heartbeat', '-', a], 3, /no bead -$/);
    refused(dir, ['update', '-', '--title', 'x'], 3, /no bead -$/);
    refused(dir, ['dep', 'add', a, '-'], 3, /no bead -$/);
    refused(dir, ['dep', 'add', '-', a], 3, /no bead -$/);
    refused(dir, ['dep', 'remove', a, '-'], 3, /no bead -$/);
    refused(dir, ['label', 'add', '-', 'x'], 3, /no bead -$/);
    refused(dir, ['comment', '-', 'text'], 3, /no bead -$/);
    expect(bdJson<{ status: string }[]>(dir, ['show', a, b]).map((x) => x.status)).toEqual(['open', 'open']);
  });

  it('takes a lone - as an option value literally (--reason - was stored as no reason, --description - was a usage error)', () => {
    const dir = store();
    const a = create(dir, 'a');
    expect(bdJson<{ description: string }>(dir, ['update', a, '--description', '-']).description).toBe('-');
    expect(bdJson<{ title: string }>(dir, ['create', '-']).title).toBe('-');
    expect(bdJson<{ text: string }>(dir, ['comment', a, '-']).text).toBe('-');
    expect(bdJson<{ close_reason?: string }[]>(dir, ['close', a, '--reason', '-'])[0]!.close_reason).toBe('-');
  });

  it('after -- every argument is a positional, none ignored (bd close a -- b closed a only)', () => {
    const dir = store();
    const [a, b, c] = [create(dir, 'a'), create(dir, 'b'), create(dir, 'c')];
    const closed = bd(dir, ['--json', 'close', a, '--', b]);
    expect(closed.code).toBe(0);
    expect(JSON.parse(closed.stdout).map((x: { id: string }) => x.id)).toEqual([a, b]);
    expect(JSON.parse(bd(dir, ['show', '--json', '--', c]).stdout)[0].id).toBe(c);
    const dashed = bd(dir, ['create', '--json', '--', '-x']);
    expect(dashed.code).toBe(0);
    expect(JSON.parse(dashed.stdout).title).toBe('-x');
    const before = logOf(dir);
    const notAnOption = bd(dir, ['close', '--json', c, '--', '--reason', 'r']);
    expect(notAnOption.code).toBe(3);
    expect(JSON.parse(notAnOption.stdout).error.message).toBe('no bead --reason');
    const unknown = bd(dir, ['update', c, '--', 'x']);
    expect({ code: unknown.code, line: unknown.stderr.split('\n')[0] }).toEqual({ code: 2, line: 'bd: Unknown argument: x' });
    expect(logOf(dir).equals(before)).toBe(true);
  });

  it('refuses --no-X for an option that takes a value, dotted options and a value for a flag (they were stored as "false" and "[object Object]")', () => {
    const dir = store();
    const a = create(dir, 'a');
    refused(dir, ['update', a, '--no-title'], 2, /--no-title: --title takes a value/);
    refused(dir, ['update', a, '--no-assignee'], 2, /--no-assignee: --assignee takes a value/);
    refused(dir, ['create', 'x', '--no-actor'], 2, /--no-actor: --actor takes a value/);
    refused(dir, ['update', a, '--title.x=3'], 2, /Unknown argument: title.x/);
    refused(dir, ['list', '--status.a', 'open'], 2, /Unknown argument: status.a/);
    refused(dir, ['update', a, '--claim=maybe'], 2, /--claim takes no value/);
    expect(bdJson<{ title: string }[]>(dir, ['show', a])[0]!.title).toBe('a');
  });

  it('keeps numeric-looking ids and values as written (0012 is not 12, 1e3 is not 1000)', () => {
    const dir = store();
    for (const id of ['gt-0012', 'gt-12', 'gt-1000']) create(dir, id, '--id', id);
    expect(bdJson<{ id: string }[]>(dir, ['show', '0012'])[0]!.id).toBe('gt-0012');
    refused(dir, ['show', '1e3'], 3, /no bead 1e3$/);
    refused(dir, ['show', '-1'], 3, /no bead -1$/);
    const made = bdJson<{ id: string; title: string; assignee: string; labels: string[] }>(dir, ['create', '1e3', '-a', '0x10', '-l', '007']);
    expect(made).toMatchObject({ title: '1e3', assignee: '0x10', labels: ['007'] });
  });
});

describe('a claim takes the bead for the actor', () => {
  it('refuses --assignee (other than the actor) and --status (other than in_progress) with --claim; they left a bead in_progress with nobody, or claimed for someone else', () => {
    const dir = store();
    const a = create(dir, 'a');
    refused(dir, ['update', a, '--claim', '--assignee', ''], 4, /--claim takes the bead for tester: --assignee "" would leave it unassigned/);
    refused(dir, ['update', a, '--assignee', 'good', '--claim'], 4, /--claim takes the bead for tester: --assignee "good" contradicts it/);
    refused(dir, ['update', a, '--claim', '-a', 'tester', '--actor', 'other'], 4, /--claim takes the bead for other: --assignee "tester" contradicts it/);
    refused(dir, ['update', a, '--claim', '--status', 'open'], 4, /--claim sets the status in_progress: --status "open" contradicts it/);
    refused(dir, ['update', a, '--claim', '--status', 'blocked', '--title', 'new'], 4, /--status "blocked" contradicts it/);
    expect(bdJson<{ status: string; assignee?: string; title: string }[]>(dir, ['show', a])[0]).toMatchObject({ status: 'open', title: 'a' });
    expect(bdJson<{ assignee?: string }[]>(dir, ['show', a])[0]!.assignee).toBeUndefined();
    const mine = bdJson<{ status: string; assignee: string }>(dir, ['update', a, '--claim', '--assignee', ' tester ', '--status', 'in_progress']);
    expect(mine).toMatchObject({ status: 'in_progress', assignee: 'tester' });
    const other = bd(dir, ['update', a, '--claim', '--json'], { BD_ACTOR: 'other' });
    expect({ code: other.code, error: JSON.parse(other.stdout).error.code }).toEqual({ code: 5, error: 'already_claimed' });
    const b = create(dir, 'b');
    expect(bdJson<{ status: string; assignee: string }>(dir, ['update', b, '--assignee', 'good'])).toMatchObject({ status: 'open', assignee: 'good' });
  });
});

describe('removing dependencies (issue 10, item 8)', () => {
  it('resolves the other id like every command: an ambiguous prefix is refused', () => {
    const dir = store();
    const a = create(dir, 'a');
    create(dir, 'b1', '--id', 'gt-bbb111');
    create(dir, 'b2', '--id', 'gt-bbb222');
    bdJson(dir, ['dep', 'add', a, 'gt-bbb111']);
    bdJson(dir, ['dep', 'add', a, 'gt-bbb222']);
    const r = refused(dir, ['dep', 'remove', a, 'gt-'], 3, /gt- is ambiguous/);
    expect(r.code).toBe(3);
    expect(JSON.parse(bd(dir, ['dep', 'remove', a, 'bbb', '--json']).stdout).error.code).toBe('ambiguous_id');
    const left = bdJson<{ dependencies: { depends_on_id: string }[] }>(dir, ['dep', 'remove', a, 'bbb1']);
    expect(left.dependencies.map((d) => d.depends_on_id)).toEqual(['gt-bbb222']);
  });

  it('removes only the blocks edge without -t; parent-child only with -t parent-child', () => {
    const dir = store();
    const parent = create(dir, 'molecule-ish');
    const step = create(dir, 'step', '--parent', parent);
    bdJson(dir, ['dep', 'add', step, parent]); // blocks too
    const after = bdJson<{ dependencies: { depends_on_id: string; type: string }[] }>(dir, ['dep', 'remove', step, parent]);
    expect(after.dependencies).toEqual([expect.objectContaining({ depends_on_id: parent, type: 'parent-child' })]);
    refused(dir, ['dep', 'remove', step, parent], 3, new RegExp(`${step} has no blocks dependency on ${parent} \\(it has parent-child: use -t parent-child\\)`));
    expect(bdJson<{ dependencies?: unknown[] }>(dir, ['dep', 'remove', step, parent, '-t', 'parent-child']).dependencies).toBeUndefined();
  });

  it('removes a dependency on a deleted bead, or one given by its full id that the store does not hold; refuses one of a deleted bead', () => {
    const dir = store();
    const a = create(dir, 'a');
    const gone = create(dir, 'gone');
    bdJson(dir, ['dep', 'add', a, gone]);
    bdJson(dir, ['delete', gone]);
    expect(bdJson<{ dependencies?: unknown[] }>(dir, ['dep', 'remove', a, gone]).dependencies).toBeUndefined();
    const file = join(dir, 'dangling.jsonl');
    writeFileSync(file, JSON.stringify({ id: 'gt-dang1', title: 'd', dependencies: [{ depends_on_id: 'zz-elsewhere', type: 'blocks' }] }) + '\n');
    bdJson(dir, ['import', file]);
    expect(bdJson<{ dependencies?: unknown[] }>(dir, ['dep', 'remove', 'gt-dang1', 'zz-elsewhere']).dependencies).toBeUndefined();
    const source = create(dir, 'deleted with its dependency');
    bdJson(dir, ['dep', 'add', source, a]);
    bdJson(dir, ['delete', source]);
    refused(dir, ['dep', 'remove', source, a], 3, new RegExp(`${source} was deleted`)); // before, an op the fold ignores
  });
});

describe('commands with several values are all or nothing (issue 10, item 9)', () => {
  it('label add and label remove write nothing when one value is bad', () => {
    const dir = store();
    const a = create(dir, 'a', '-l', 'spaced');
    refused(dir, ['label', 'add', a, 'good1', 'bad label'], 4, /invalid labels\.1 "bad label"/);
    refused(dir, ['label', 'remove', a, 'spaced', 'nonexist'], 3, /has no label nonexist/);
    expect(bdJson<{ labels: string[] }[]>(dir, ['show', a])[0]!.labels).toEqual(['spaced']);
    expect(bdJson<{ labels: string[] }>(dir, ['label', 'add', a, 'x', 'y', 'x']).labels).toEqual(['spaced', 'x', 'y']);
    expect(bdJson<{ labels?: string[] }>(dir, ['label', 'remove', a, 'x', 'spaced']).labels).toEqual(['y']);
    const kinds = bdJson<{ kind: string; lc: number }[]>(dir, ['history', a]).map((o) => o.kind);
    expect(kinds).toEqual(['create', 'label_add', 'label_add', 'label_remove', 'label_remove']);
  });

  it('close, reopen, delete and heartbeat with several ids write nothing when one cannot be done', () => {
    const dir = store();
    const a = create(dir, 'a');
    const b = create(dir, 'b');
    bdJson(dir, ['close', b]);
    refused(dir, ['close', a, b], 5, new RegExp(`${b} is already closed`));
    refused(dir, ['reopen', b, a], 5, new RegExp(`${a} is not closed`));
    bdJson(dir, ['update', a, '--claim', '--lease', '10m']);
    refused(dir, ['heartbeat', a, b], 5, new RegExp(`${b} is not held by tester`));
    refused(dir, ['delete', a, 'gt-nothere'], 3, /no bead gt-nothere/);
    expect(bdJson<{ status: string }[]>(dir, ['show', a, b]).map((x) => x.status)).toEqual(['in_progress', 'closed']);
    expect(bdJson<{ id: string }[]>(dir, ['delete', a, b, a]).map((x) => x.id)).toEqual([a, b]);
    expect(bdJson<unknown[]>(dir, ['list', '--all'])).toEqual([]);
  });

  it('across stores (the wisps and the store), one failing id writes nothing in either', () => {
    const dir = store();
    const a = create(dir, 'a');
    bdJson(dir, ['close', a]);
    const wisp = bdJson<{ molecule: { id: string } }>(dir, ['mol', 'pour', 'polecat-work', '--var', 'bead=x', '--wisp']).molecule.id;
    const wisps = (): Buffer => readFileSync(join(dir, '.beads', 'wisps', 'ops.jsonl'));
    const before = wisps();
    refused(dir, ['reopen', a, wisp], 5, new RegExp(`${wisp} is not closed`)); // refused() checks the store's log
    refused(dir, ['delete', wisp, 'gt-nothere'], 3, /no bead gt-nothere/);
    expect(wisps().equals(before)).toBe(true);
    expect(bdJson<{ id: string }[]>(dir, ['delete', wisp, a]).map((b) => b.id)).toEqual([wisp, a]);
  });
});

describe('dependency cycles (issue 10, item 16)', () => {
  it('refuses the edge that closes a cycle of blocks, naming the cycle in order', () => {
    const dir = store();
    const [a, b, c] = ['a', 'b', 'c'].map((t) => create(dir, t));
    bdJson(dir, ['dep', 'add', a!, b!]);
    bdJson(dir, ['dep', 'add', b!, c!, '-t', 'waits-for']);
    const r = refused(dir, ['dep', 'add', c!, a!], 5, new RegExp(`would close a dependency cycle: ${c} -> ${a} -> ${b} -> ${c}`));
    expect(r.stderr).toMatch(/bd dep cycles/);
    expect(JSON.parse(bd(dir, ['dep', 'add', c!, a!, '--json']).stdout).error).toMatchObject({ code: 'conflict', cycle: [c, a, b, c] });
    bdJson(dir, ['dep', 'add', c!, a!, '-t', 'related']); // related never blocks: no cycle
    expect(bdJson(dir, ['dep', 'cycles'])).toEqual([]);
  });

  it('refuses parent-child both ways, and a parent blocked by its own descendant', () => {
    const dir = store();
    const epic = create(dir, 'epic');
    const child = create(dir, 'child', '--parent', epic);
    const grandchild = create(dir, 'grandchild', '--parent', child);
    refused(dir, ['dep', 'add', epic, child, '-t', 'parent-child'], 5, new RegExp(`cycle: ${epic} -> ${child} -> ${epic}`));
    refused(dir, ['dep', 'add', epic, grandchild], 5, new RegExp(`cycle: ${epic} -> ${grandchild} -> ${child} -> ${epic}`));
    expect(bdJson<{ dependencies: unknown[] }>(dir, ['dep', 'add', grandchild, epic]).dependencies).toHaveLength(2); // down the tree is fine
  });

  it('checks bd create too (an imported bead may already point at the new id), and bd dep cycles still finds imported cycles', () => {
    const dir = store();
    const file = join(dir, 'imported.jsonl');
    writeFileSync(file, [
      { id: 'gt-imp1', title: 'waits for a bead not yet created', dependencies: [{ depends_on_id: 'gt-later1', type: 'blocks' }] },
      { id: 'gt-cyc1', title: 'one', dependencies: [{ depends_on_id: 'gt-cyc2', type: 'blocks' }] },
      { id: 'gt-cyc2', title: 'two', dependencies: [{ depends_on_id: 'gt-cyc1', type: 'parent-child' }] },
    ].map((r) => JSON.stringify(r)).join('\n') + '\n');
    bdJson(dir, ['import', file]);
    expect(bdJson(dir, ['dep', 'cycles'])).toEqual([['gt-cyc1', 'gt-cyc2']]);
    expect(bd(dir, ['dep', 'cycles']).stdout).toBe('cycle: gt-cyc1 -> gt-cyc2 -> gt-cyc1\n');
    refused(dir, ['create', 'later', '--id', 'gt-later1', '--deps', 'blocks:gt-imp1'], 5, /cycle: gt-later1 -> gt-imp1 -> gt-later1/);
    refused(dir, ['create', 'later', '--id', 'gt-later1', '--parent', 'gt-imp1'], 5, /cycle: gt-later1 -> gt-imp1 -> gt-later1/);
    expect(create(dir, 'later', '--id', 'gt-later1')).toBe('gt-later1');
  });
});

describe('dates and durations (issue 10, item 17)', () => {
  it('refuses days that do not exist, other formats than ISO 8601, and durations out of range', () => {
    const dir = store();
    const a = create(dir, 'a');
    refused(dir, ['create', 'x', '--due', '2026-02-31'], 4, /invalid --due "2026-02-31": there is no such day/);
    refused(dir, ['create', 'x', '--due', '2026-02-29'], 4, /there is no such day/);
    refused(dir, ['create', 'x', '--defer', '2026-13-01'], 4, /invalid --defer "2026-13-01": there is no such day/);
    refused(dir, ['create', 'x', '--due', '2026-12-01T24:30Z'], 4, /invalid --due "2026-12-01T24:30Z": there is no such time/);
    refused(dir, ['create', 'x', '--due', '01/02/2026'], 4, /invalid --due "01\/02\/2026": use an ISO 8601 date/);
    refused(dir, ['create', 'x', '--due', 'March 3, 2026'], 4, /use an ISO 8601 date/);
    refused(dir, ['update', a, '--defer', '2026-1-5'], 4, /use an ISO 8601 date/);
    refused(dir, ['create', 'x', '--due', '99999999d'], 4, /invalid --due "99999999d": too far from now/);
    refused(dir, ['create', 'x', '--due', '-99999999w'], 4, /too far from now/);
    refused(dir, ['update', a, '--claim', '--lease', '99999999999d'], 4, /invalid --lease "99999999999d": too long/);
    refused(dir, ['heartbeat', a, '--lease', '9007199254740993ms'], 4, /invalid --lease "9007199254740993ms": too long/);
    refused(dir, ['close', a, '--gate-timeout', '99999999999d'], 4, /invalid --gate-timeout "99999999999d": too long/);
    expect(bdJson<{ due_at: string }>(dir, ['create', 'leap', '--due', '2028-02-29']).due_at).toBe('2028-02-29');
    expect(bdJson<{ due_at: string }>(dir, ['create', 'zoned', '--due', '2026-12-01T09:00+02:00']).due_at).toBe('2026-12-01T07:00:00.000Z');
  });

  it('says a time option needs a value as a usage error (it was an internal error after requiresArg)', () => {
    const dir = store();
    refused(dir, ['create', 'x', '--due'], 2, /Not enough arguments following: due$/);
    refused(dir, ['create', 'x', '--defer', '-a'], 2, /Not enough arguments following: defer/);
  });

  it('takes a negative duration as a time in the past (-3d), and --due "" clears', () => {
    const dir = store();
    const before = Date.now();
    const b = bdJson<{ id: string; due_at: string; defer_until: string }>(dir, ['create', 'late', '--due', '-3d', '--defer', '-2h']);
    const after = Date.now();
    const day = 86_400_000;
    expect(Date.parse(b.due_at)).toBeGreaterThanOrEqual(before - 3 * day);
    expect(Date.parse(b.due_at)).toBeLessThanOrEqual(after - 3 * day);
    expect(Date.parse(b.defer_until)).toBeLessThanOrEqual(after - 2 * 3_600_000);
    expect(bdJson<{ id: string }[]>(dir, ['ready']).map((x) => x.id)).toEqual([b.id]); // a defer in the past does not defer
    expect(bdJson<{ due_at?: string }>(dir, ['update', b.id, '--due', '']).due_at).toBeUndefined();
  });
});

describe('numbers', () => {
  it('refuses a limit or a depth that is not a whole number, where they were read as NaN (no limit)', () => {
    const dir = store();
    const a = create(dir, 'a');
    refused(dir, ['dep', 'tree', a, '--depth', 'abc'], 4, /invalid --depth "abc": use a whole number/);
    refused(dir, ['dep', 'tree', a, '--depth', '-1'], 4, /invalid --depth "-1"/);
    refused(dir, ['mol', 'next', a, '-n', 'x'], 4, /invalid --limit "x": use a whole number \(0 for no limit\)/);
    refused(dir, ['list', '-n', '99999999999999999999'], 4, /invalid --limit "99999999999999999999"/);
    expect(bdJson<{ children: unknown[] }>(dir, ['dep', 'tree', a, '--depth', '0']).children).toEqual([]);
  });
});

const ESC = '\u001b';

describe('control characters (issue 10, item 14)', () => {
  it('refuses them in one-line fields and the actor; long text keeps newlines and tabs but not escapes', () => {
    const dir = store();
    const a = create(dir, 'a');
    refused(dir, ['create', 'two\nlines'], 4, /invalid title "two\\nlines": control characters are not allowed/);
    refused(dir, ['create', `red ${ESC}[31m`], 4, /invalid title "red \\u001b\[31m": control characters are not allowed/);
    refused(dir, ['create', 'c1 \u009b31m'], 4, /invalid title "c1 \\u009b31m"/);
    refused(dir, ['create', 'del \u007f'], 4, /invalid title/);
    refused(dir, ['update', a, '--title', 'tab\there'], 4, /invalid title "tab\\there"/);
    refused(dir, ['create', 'x', '-a', 'bob\nalice'], 4, /invalid assignee "bob\\nalice"/);
    refused(dir, ['update', a, '-a', `bob${ESC}[2J`], 4, /invalid assignee/);
    refused(dir, ['label', 'add', a, `l${ESC}[31m`], 4, /invalid labels\.0 "l\\u001b\[31m"/);
    refused(dir, ['create', 'x', '-l', `ok,l${ESC}x`], 4, /invalid labels\.1/);
    refused(dir, ['create', 'x', '-d', `clear ${ESC}[2J`], 4, /invalid description "clear \\u001b\[2J": control characters other than newline and tab are not allowed/);
    refused(dir, ['comment', a, `hi ${ESC}]0;pwned\u0007`], 4, /invalid comment/);
    refused(dir, ['close', a, '-r', `done${ESC}[2J`], 4, /invalid reason/);
    refused(dir, ['create', 'x', '--actor', 'me\nyou'], 4, /invalid --actor "me\\nyou": control characters are not allowed/);
    refused(dir, ['create', 'x'], 4, /invalid BD_ACTOR "me\\u001b\[31m"/, { BD_ACTOR: `me${ESC}[31m` });
    refused(dir, ['mol', 'pour', 'polecat-work', '--var', `bead=x${ESC}[2J`], 4, /invalid --var bead "x\\u001b\[2J": control characters are not allowed/);
    refused(dir, ['mol', 'pour', 'polecat-work', '--var', 'bead=x\ntouch /tmp/y'], 4, /invalid --var bead "x\\ntouch \/tmp\/y": control characters are not allowed/);
    refused(dir, ['mol', 'pour', 'polecat-work', '--var', 'be\tad=x'], 4, /invalid --var name "be\\tad"/);
    const ok = bdJson<{ description: string }>(dir, ['create', 'fine', '-d', 'line one\n\tindented']);
    expect(ok.description).toBe('line one\n\tindented');
  });

  it('refuses them in a mail subject and body (gt mail send) and in keys typed into a session (gt nudge)', () => {
    const town = git();
    expect(gt(town, ['install', town]).code).toBe(0);
    const log = (): Buffer => Buffer.from(logText(town));
    const before = log();
    const r = gt(town, ['mail', 'send', 'overseer', '-s', 'hello\nBcc: everyone']);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe('gt: invalid subject "hello\\nBcc: everyone": control characters are not allowed\n');
    expect(gt(town, ['mail', 'send', 'overseer', '-s', 'hi', '-m', `body ${ESC}[2J`]).code).toBe(4);
    expect(log().equals(before)).toBe(true);
    expect(gt(town, ['mail', 'send', 'overseer', '-s', 'fine', '-m', 'two\nlines']).code).toBe(0);
    const nudge = gt(town, ['nudge', 'mayor', 'stop\u0003now']);
    expect(nudge.code).toBe(4);
    expect(nudge.stderr).toBe('gt: invalid nudge text "stop\\u0003now": control characters are not allowed\n');
    expect(gt(town, ['nudge', 'mayor', 'a\tb']).stderr).toMatch(/^gt: invalid nudge text "a\\tb"/);
  });

  it('shows stored control characters escaped in text, and plain in --json', () => {
    const dir = store();
    const title = `evil${ESC}[2J title\nsecond line`;
    const file = join(dir, 'old.jsonl');
    writeFileSync(file, JSON.stringify({ id: 'gt-old1', title, labels: [`red${ESC}[31m`], assignee: 'eve\r', description: `para\n${ESC}]0;x\u0007 \u009b` }) + '\n');
    bdJson(dir, ['import', file]);
    for (const args of [['list'], ['show', 'gt-old1'], ['ready'], ['search', 'evil'], ['history', 'gt-old1'], ['dep', 'tree', 'gt-old1']]) {
      const r = bd(dir, args);
      expect({ args, code: r.code }).toEqual({ args, code: 0 });
      expect({ args, raw: /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(r.stdout) }).toEqual({ args, raw: false });
      expect(r.stdout).toContain('evil\\x1b[2J title');
    }
    const list = bd(dir, ['list']).stdout.trimEnd().split('\n');
    expect(list).toHaveLength(1);
    expect(list[0]).toContain('evil\\x1b[2J title\\nsecond line @eve\\r [red\\x1b[31m]');
    expect(bd(dir, ['show', 'gt-old1']).stdout).toContain('    para\n    \\x1b]0;x\\x07 \\x9b');
    const shown = bdJson<{ title: string; labels: string[] }[]>(dir, ['show', 'gt-old1'])[0]!;
    expect(shown.title).toBe(title);
    expect(shown.labels).toEqual([`red${ESC}[31m`]);
    const missing = bd(dir, ['show', `gt-${ESC}[2J`]);
    expect(missing.stderr).toBe('bd: no bead gt-\\x1b[2J\n');
  });
});

/**
 * Runs bd in a private user and mount namespace (unshare -rm: no real privilege needed, nothing leaks to the
 * host) after `setup`: there a read-only bind mount or a full tmpfs really fails, even for root, whom
 * permission bits do not stop.
 */
function bdInNamespace(dir: string, setup: string, args: string[]): Result {
  const quoted = args.map((x) => `'${x.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('unshare', ['-rm', 'sh', '-c', `set -e; ${setup}; set +e; "${process.execPath}" "${BD}" ${quoted}`], { cwd: dir, encoding: 'utf8', env: { ...process.env, BD_ACTOR: 'tester' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('environment failures (issue 10, item 18)', () => {
  const noTrace = (r: Result): void => {
    expect(r.stderr).not.toMatch(/^\s+at \S+/m);
    expect(r.stderr + r.stdout).not.toMatch(/internal error|please report/);
  };

  it('a read-only .beads is an io_error that says what failed and what to do', () => {
    const dir = store();
    create(dir, 'one');
    const before = logOf(dir);
    const readOnly = 'mount --bind .beads .beads; mount -o remount,ro,bind .beads';
    const r = bdInNamespace(dir, readOnly, ['create', 'two']);
    expect(r.code).toBe(12);
    expect(r.stderr).toMatch(/^bd: cannot write \.beads\/lock\S*: the file system is read-only \(EROFS\); remount it read-write or work in a writable clone\n$/);
    noTrace(r);
    const j = bdInNamespace(dir, readOnly, ['create', 'two', '--json']);
    expect(j.code).toBe(12);
    expect(JSON.parse(j.stdout).error).toMatchObject({ code: 'io_error', errno: 'EROFS' });
    expect(bdInNamespace(dir, readOnly, ['list']).code).toBe(0); // reading needs no write
    expect(logOf(dir).equals(before)).toBe(true);
  });

  it('a full disk, a .beads that is not a directory and an unreadable log are io_errors too', () => {
    const dir = store();
    create(dir, 'one');
    const full = 'cp -a .beads "$TMPDIR_COPY"; mount -t tmpfs -o size=256k tmpfs .beads; cp -a "$TMPDIR_COPY"/. .beads/; dd if=/dev/zero of=.beads/filler bs=4k 2>/dev/null || true';
    const r = bdInNamespace(dir, `TMPDIR_COPY=$(mktemp -d); rmdir "$TMPDIR_COPY"; ${full}`, ['create', 'two']);
    expect(r.code).toBe(12);
    expect(r.stderr).toMatch(/^bd: cannot write (a file in \.beads|\.beads\/\S+): the disk is full \(ENOSPC\); free some space and run the command again\n$/);
    noTrace(r);

    const other = store();
    const cache = join(other, '.beads', 'cache');
    rmSync(cache, { recursive: true, force: true });
    writeFileSync(cache, 'not a directory');
    // The cache is not the truth: a write whose cache cannot be written still succeeds once its line is in the
    // log (item 5), the store folds in memory, and bd doctor says why.
    const notDir = bd(other, ['create', 'x', '--json']);
    expect([notDir.code, notDir.stderr]).toEqual([0, '']);
    expect(logText(other)).toContain(JSON.parse(notDir.stdout).id);
    expect(bdJson<{ warnings: string[] }>(other, ['doctor']).warnings.join('\n')).toMatch(/the cache could not be written to .*: commands fold the log in memory/);

    const third = store();
    create(third, 'one');
    rmSync(writerLog(third));
    mkdirSync(writerLog(third));
    const isDir = bd(third, ['list', '--all']);
    expect(isDir.code).toBe(12);
    expect(isDir.stderr).toBe('bd: cannot read a file in .beads: it is a directory (EISDIR); move the directory that stands where a file belongs out of the way\n');
    noTrace(isDir);
  });
});

describe('a sample of hostile arguments through the binary', () => {
  it('a command that exits non-zero leaves the log byte-identical; one that exits 0 wrote what it printed', () => {
    const dir = store();
    for (const id of ['gt-aaa111', 'gt-aaa222', 'gt-bbb111']) create(dir, id, '--id', id);
    const hostile = fc.string({ unit: fc.constantFrom('a', ' ', ',', '-', '\n', '\t', ESC, '\u0007', '\u009b', 'é'), maxLength: 8 });
    const id = fc.oneof(fc.constantFrom('gt-aaa111', 'gt-bbb111', 'gt-aaa', 'gt-', 'bbb', '', 'gt-nothere'), hostile);
    const value = fc.oneof(fc.constantFrom('ok', 'q4', '', 'has space', '2026-02-31', '01/02/2026', '-3d', '99999999d', '2026-12-01'), hostile);
    const argv = fc.oneof(
      fc.tuple(id, fc.array(value, { minLength: 1, maxLength: 3 })).map(([i, ls]) => ['label', 'add', i, ...ls]),
      fc.tuple(id, fc.array(value, { minLength: 1, maxLength: 2 })).map(([i, ls]) => ['label', 'remove', i, ...ls]),
      fc.tuple(value, value, value).map(([t, l, d]) => ['create', t, '-l', l, '--due', d]),
      fc.tuple(id, id, fc.constantFrom('blocks', 'parent-child', 'related')).map(([a, b, t]) => ['dep', 'add', a, b, '-t', t]),
      fc.tuple(fc.array(id, { minLength: 1, maxLength: 3 }), value).map(([is, r]) => ['close', ...is, '-r', r]),
      fc.tuple(id, value, value).map(([i, t, d]) => ['update', i, '--title', t, '--defer', d]),
    );
    fc.assert(
      fc.property(argv, (args) => {
        const before = logOf(dir);
        const r = bd(dir, [...args, '--json']);
        const shown = JSON.stringify(args);
        if (r.code !== 0) {
          expect({ shown, code: r.code, internal: /internal/.test(r.stdout) }).toEqual({ shown, code: expect.any(Number), internal: false });
          expect({ shown, code: r.code }).not.toEqual({ shown, code: 1 });
          expect({ shown, unchanged: logOf(dir).equals(before) }).toEqual({ shown, unchanged: true });
          return;
        }
        const printed = JSON.parse(r.stdout) as { id: string } | { id: string }[];
        const ids = (Array.isArray(printed) ? printed : [printed]).map((b) => b.id);
        const written = logOf(dir).subarray(before.length).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { bead: string });
        for (const op of written) expect({ shown, bead: ids.includes(op.bead) }).toEqual({ shown, bead: true });
      }),
      { numRuns: 40 },
    );
  });
});
