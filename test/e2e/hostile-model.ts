// For the hostile-input property test: every mutating bd command as generated arguments plus what a run of it
// may do. A command's model says, from the state before, why the command must fail (a bad value, an id that
// names no bead or several, a cycle), and, when it succeeded, whether the change is exactly what it reported
// (and what it was asked).
import fc from 'fast-check';
import type { Bead, Comment } from '@gastown/beads';
import { changedIds, resolveIn, type Snapshot } from './hostile-harness.js';
import { DATES, DEP_TYPES, DURATIONS, NUMBERS, STATUSES, TYPES, control, dateMismatch, dateRefusal, depType, empty, id, ids, opt, priorityValue, show, text, word } from './hostile-values.js';

export const PREFIX = 'gt';
export const ACTOR = 'tester';

/** How a command shows in a counterexample. */
export const shown = (args: string[]) => `bd ${args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}`;

export interface Command {
  /** The arguments after `bd --dir DIR --json`. */
  args: string[];
  /** Why this command must fail, judged against the state before it ran; undefined when it may succeed. */
  mustFail(before: Snapshot): string | undefined;
  /** After a success: what is wrong with the change or the report; undefined when it is exactly right. */
  check(before: Snapshot, after: Snapshot, report: unknown, window: [number, number]): string | undefined;
}


// ---- what the state says ----------------------------------------------------------------------------------

const beadOf = (s: Snapshot, i: string): Bead | undefined => {
  const r = resolveIn(s.beads, PREFIX, i);
  return r === undefined ? undefined : s.beads.get(r);
};
const edgeKey = (d: { depends_on_id: string; type: string }) => `${d.depends_on_id}|${d.type}`;
const edges = (b: Bead | undefined) => new Set((b?.dependencies ?? []).map(edgeKey));
/** The same JSON value, whatever the order of object keys. */
const canonical = (v: unknown): unknown => (Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v);
const same = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
const setEq = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));

/** Whether `from` reaches `to` over blocks, waits-for and parent-child edges (the graph bd dep cycles checks). */
function reaches(s: Snapshot, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const cur = stack.pop()!;
    if (cur === to) return true;
    if (seen.has(cur)) continue;
    seen.add(cur);
    for (const d of s.beads.get(cur)?.dependencies ?? []) if (d.type !== 'related' && d.type !== 'discovered-from') stack.push(d.depends_on_id);
  }
  return false;
}

/** The unique live bead an id argument names, or why it does not. */
function needLive(s: Snapshot, i: string, what = 'id'): string | undefined {
  const b = beadOf(s, i);
  if (!b) return `${what} ${show(i)} names no single bead`;
  if (b.status === 'tombstone') return `${what} ${show(i)} names a deleted bead`;
  return undefined;
}

/** A molecule that closed because its last open step did (docs/bd.md, bd close): the one change not reported. */
function closedWithItsSteps(before: Snapshot, after: Snapshot, i: string): boolean {
  const m = after.beads.get(i);
  if (m?.issue_type !== 'molecule' || m.status !== 'closed' || before.beads.get(i)?.status === 'closed') return false;
  const steps = [...after.beads.values()].filter((b) => b.dependencies?.some((d) => d.type === 'parent-child' && d.depends_on_id === i));
  return steps.length > 0 && steps.every((st) => st.status === 'closed' || st.status === 'tombstone');
}

/** A changed set that is exactly the reported beads, each stored as reported (with closing, the molecules they finish). */
function exactly(before: Snapshot, after: Snapshot, reported: Bead[], closing = false): string | undefined {
  const changed = changedIds(before, after);
  const ids = new Set(reported.map((b) => b.id));
  const extra = [...changed].filter((c) => !ids.has(c) && !(closing && closedWithItsSteps(before, after, c)));
  if (extra.length) return `changed ${show(extra)} which it did not report`;
  for (const b of reported) if (!same(after.beads.get(b.id), b)) return `reported ${b.id} as ${show(b)} but stored ${show(after.beads.get(b.id))}`;
  return undefined;
}


// ---- the fields create and update share --------------------------------------------------------------------

interface Fields {
  title?: string;
  description?: string;
  priority?: string;
  type?: string;
  assignee?: string;
  defer?: string;
  due?: string;
  externalRef?: string;
}

const fieldsArb = fc.record(
  { description: opt(fc.oneof(text, fc.constant('-'))), priority: opt(fc.constantFrom(...NUMBERS)), type: opt(fc.constantFrom(...TYPES)), assignee: opt(fc.oneof(text, fc.constantFrom(ACTOR, ` ${ACTOR} `, 'other'))), defer: opt(fc.constantFrom(...DATES)), due: opt(fc.constantFrom(...DATES)), externalRef: opt(text) },
  { requiredKeys: [] },
);

function fieldArgs(f: Fields): string[] {
  const out: string[] = [];
  const add = (flag: string, v: string | undefined) => v !== undefined && out.push(flag, v);
  add('--description', f.description);
  add('--priority', f.priority);
  add('--type', f.type);
  add('--assignee', f.assignee);
  add('--defer', f.defer);
  add('--due', f.due);
  add('--external-ref', f.externalRef);
  return out;
}

function fieldRefusal(f: Fields): string | undefined {
  if (f.title !== undefined && f.title.trim() === '') return 'the title is empty';
  if (f.priority !== undefined && priorityValue(f.priority) === undefined) return `priority ${show(f.priority)} is not 0-4`;
  if (f.type !== undefined && f.type.trim() === '') return 'the type is empty';
  for (const [flag, v] of [['--defer', f.defer], ['--due', f.due]] as const) {
    const why = v === undefined ? undefined : dateRefusal(v);
    if (why) return `${flag} ${why}`;
  }
  return undefined;
}

function fieldMismatch(f: Fields, b: Bead, window: [number, number]): string | undefined {
  if (f.title !== undefined && b.title !== f.title && b.title !== f.title.trim()) return `title ${show(f.title)} stored as ${show(b.title)}`;
  if (f.priority !== undefined && b.priority !== priorityValue(f.priority)) return `priority ${show(f.priority)} stored as ${b.priority}`;
  if (f.type !== undefined && b.issue_type !== f.type && b.issue_type !== f.type.trim()) return `type ${show(f.type)} stored as ${show(b.issue_type)}`;
  if (f.description !== undefined && (b.description ?? '') !== f.description) return `description ${show(f.description)} stored as ${show(b.description)}`;
  if (f.assignee !== undefined && f.assignee.trim() !== '' && b.assignee !== f.assignee && b.assignee !== f.assignee.trim()) return `assignee ${show(f.assignee)} stored as ${show(b.assignee)}`;
  for (const [flag, v, stored] of [['--defer', f.defer, b.defer_until], ['--due', f.due, b.due_at]] as const) {
    const why = v === undefined ? undefined : dateMismatch(v, stored, window);
    if (why) return `${flag} ${why}`;
  }
  return undefined;
}

/** The pieces of label values as bd reads them (comma-separated); an empty value is refused. */
const labelPieces = (values: string[]) => values.flatMap((v) => v.split(',')).map((s) => s.trim());
const labelRefusal = (values: string[]) => (values.some((v) => v.trim() === '') ? `label ${show(values.find((v) => v.trim() === ''))} is empty` : undefined);

// ---- the commands -----------------------------------------------------------------------------------------

const create = fc
  .record({ title: fc.oneof(word, control, empty, fc.constant('-3d')), fields: fieldsArb, labels: fc.array(text, { maxLength: 3 }), parent: opt(id), deps: fc.array(fc.tuple(depType, id), { maxLength: 3 }), explicit: opt(fc.constantFrom('gt-aa1', 'gt-new1', '', 'GT-X', 'zz-1')) })
  .map(({ title, fields, labels, parent, deps, explicit }): Command => {
    const f: Fields = { ...fields, title };
    const args = ['create', title, ...fieldArgs(f), ...labels.flatMap((l) => ['-l', l]), ...(parent !== undefined ? ['--parent', parent] : []), ...deps.flatMap(([t, i]) => ['--deps', `${t}:${i}`]), ...(explicit !== undefined ? ['--id', explicit] : [])];
    // --deps is type:id,... (a bare id means blocks), as docs/bd.md has it
    const pieces = deps.flatMap(([t, i]) => `${t}:${i}`.split(',')).map((p) => p.trim()).filter(Boolean);
    const asked = pieces.map((p) => (p.includes(':') ? { type: p.slice(0, p.indexOf(':')).trim(), i: p.slice(p.indexOf(':') + 1) } : { type: 'blocks', i: p }));
    const wanted = (s: Snapshot) => [...(parent !== undefined ? [{ type: 'parent-child', i: parent }] : []), ...asked].map((d) => ({ ...d, to: beadOf(s, d.i) }));
    return {
      args,
      mustFail: (s) => {
        const why = fieldRefusal(f) ?? labelRefusal(labels);
        if (why) return why;
        if (explicit !== undefined && (explicit.trim() === '' || s.beads.has(explicit))) return `--id ${show(explicit)} is empty or taken`;
        for (const d of wanted(s)) {
          if (!DEP_TYPES.includes(d.type)) return `dependency type ${show(d.type)} is unknown`;
          const bad = needLive(s, d.i, 'dependency');
          if (bad) return bad;
        }
        return undefined;
      },
      check: (b, a, report, window) => {
        const r = report as Bead;
        if (b.beads.has(r.id)) return `reported ${r.id} as created but it existed`;
        const wrong = exactly(b, a, [r]) ?? fieldMismatch(f, r, window);
        if (wrong) return wrong;
        if (explicit !== undefined && r.id !== explicit) return `--id ${explicit} gave ${r.id}`;
        const got = new Set(r.labels ?? []);
        const want = new Set(labelPieces(labels).filter(Boolean));
        if (!setEq(got, want)) return `labels ${show(labels)} stored as ${show(r.labels)}`;
        const wantEdges = new Set(wanted(b).map((d) => edgeKey({ depends_on_id: d.to!.id, type: d.type })));
        return setEq(edges(r), wantEdges) ? undefined : `dependencies ${show([...wantEdges])} stored as ${show([...edges(r)])}`;
      },
    };
  });

const update = fc
  .record({ target: id, title: opt(fc.oneof(word, control, empty)), fields: fieldsArb, status: opt(fc.constantFrom(...STATUSES)), claim: fc.boolean(), lease: opt(fc.constantFrom(...DURATIONS)), actor: opt(fc.oneof(fc.constantFrom(ACTOR, 'other'), control, empty)) })
  .map(({ target, title, fields, status, claim, lease, actor }): Command => {
    const f: Fields = { ...fields, ...(title !== undefined ? { title } : {}) };
    const args = ['update', target, ...(title !== undefined ? ['--title', title] : []), ...fieldArgs(f), ...(status !== undefined ? ['--status', status] : []), ...(claim ? ['--claim'] : []), ...(lease !== undefined ? ['--lease', lease] : []), ...(actor !== undefined ? ['--actor', actor] : [])];
    const who = actor?.trim() || ACTOR;
    return {
      args,
      mustFail: (s) => {
        const nothing = Object.values(f).every((v) => v === undefined) && status === undefined && !claim;
        if (nothing) return 'nothing to update was given';
        if (lease !== undefined && !claim) return '--lease without --claim';
        if (status !== undefined && !['open', 'in_progress', 'blocked', 'deferred', 'hooked', 'pinned', 'closed'].includes(status)) return `status ${show(status)} is not one update sets`;
        const why = fieldRefusal(f) ?? needLive(s, target);
        if (why || !claim) return why;
        if (f.assignee !== undefined && f.assignee.trim() !== who) return `--claim (for ${who}) and --assignee ${show(f.assignee)} contradict`;
        if (status !== undefined && status !== 'in_progress') return `--claim (in_progress) and --status ${show(status)} contradict`;
        const held = beadOf(s, target)!;
        const lapsed = held.lease_expires_at !== undefined && Date.parse(held.lease_expires_at) < Date.now();
        if (held.assignee && held.assignee !== who && !lapsed) return `${held.id} is held by ${held.assignee}`;
        return ['open', 'in_progress', 'blocked', 'deferred'].includes(held.status) || held.assignee === who ? undefined : `${held.id} is ${held.status}: not claimable`;
      },
      check: (b, a, report, window) => {
        const r = report as Bead;
        const wrong = exactly(b, a, [r]) ?? fieldMismatch(f, r, window);
        if (wrong) return wrong;
        if (r.id !== beadOf(b, target)!.id) return `updated ${r.id}, asked ${target}`;
        if (status !== undefined && !claim && r.status !== status) return `status ${status} stored as ${r.status}`;
        if (claim && r.assignee !== who) return `claimed by ${show(who)} but the assignee is ${show(r.assignee)}`;
        if (claim && r.status !== 'in_progress') return `claimed but the status is ${r.status}`;
        return undefined;
      },
    };
  });

/** Several ids as bd reads them: comma-separated or one per argument. */
const pieces = (values: string[]) => values.flatMap((v) => v.split(',')).map((x) => x.trim()).filter(Boolean);

/** close, reopen, delete, heartbeat: several ids, every one resolved before anything is written. */
function manyIds(verb: 'close' | 'reopen' | 'delete' | 'heartbeat', extra: fc.Arbitrary<string[]>) {
  // With `split`, the options come first and `--` sits among the ids: every id after it is an id too.
  return fc.tuple(ids, extra, fc.option(fc.nat(2), { nil: undefined, freq: 3 })).map(([targets, more, split]): Command => ({
    args: split === undefined ? [verb, ...targets, ...more] : [verb, ...more, ...targets.slice(0, split), '--', ...targets.slice(split)],
    mustFail: (s) => {
      if (targets.some((t) => t.trim() === '')) return 'an id is empty';
      for (const t of pieces(targets)) {
        const bead = beadOf(s, t);
        if (!bead) return `id ${show(t)} names no single bead`;
        if (verb !== 'delete' && bead.status === 'tombstone') return `${bead.id} is deleted`;
        if (verb === 'close' && bead.status === 'closed') return `${bead.id} is already closed`;
        if (verb === 'heartbeat' && (bead.assignee !== ACTOR || bead.status !== 'in_progress')) return `${bead.id} is not held by ${ACTOR}`;
      }
      const lease = more[more.indexOf('--lease') + 1];
      if (verb === 'heartbeat' && more.includes('--lease') && !/^\d+[smhdw]$/.test(lease!.trim())) return `--lease ${show(lease)}`;
      if (more.includes('--force') && !more.includes('--reason')) return '--force without --reason';
      return undefined;
    },
    check: (b, a, report) => {
      if (!Array.isArray(report)) return `reported ${show(report)}, not an array of beads`;
      const rs = report as Bead[];
      const asked = new Set(pieces(targets).map((t) => beadOf(b, t)!.id));
      const got = new Set(rs.map((r) => r.id));
      if (!setEq(asked, got)) return `asked ${show([...asked])}, reported ${show([...got])}`;
      const last = [...new Map(rs.map((r) => [r.id, r])).values()];
      const wrong = exactly(b, a, last, verb === 'close');
      if (wrong) return wrong;
      const want = { close: 'closed', reopen: 'open', delete: 'tombstone', heartbeat: undefined }[verb];
      const zeroLease = /^0+[smhdw]$/.test((more[more.indexOf('--lease') + 1] ?? '').trim());
      const off = last.find((r) => (want ? r.status !== want : !r.lease_expires_at && !zeroLease));
      if (off) return `${verb} left ${off.id} ${off.status}${want ? '' : ' without a lease'}`;
      const why = more.includes('--reason') ? more[more.indexOf('--reason') + 1]! : '';
      const field = verb === 'close' ? 'close_reason' : verb === 'delete' ? 'delete_reason' : undefined;
      const lost = field && why.trim() ? last.find((r) => r[field] !== why) : undefined;
      return lost ? `--reason ${show(why)} stored on ${lost.id} as ${show(lost[field!])}` : undefined;
    },
  }));
}

const reason = fc.constantFrom<string[]>([], ['--reason', 'done'], ['--reason', ''], ['--reason', 'a\x1b[2Jb'], ['--reason', '-']);
const close = manyIds('close', fc.tuple(reason, fc.constantFrom<string[]>([], [], ['--gate-timeout', '0s'], ['--gate-timeout', '-1m'], ['--force'])).map(([r, g]) => [...r, ...g]));
const reopen = manyIds('reopen', reason);
const remove = manyIds('delete', reason);
const beat = manyIds('heartbeat', fc.constantFrom<string[]>([], ['--lease', '10m'], ['--lease', '0s'], ['--lease', '-5m'], ['--lease', '99999999999h'], ['--lease', '']));

const labels = fc.tuple(fc.constantFrom('add', 'remove'), id, fc.array(text, { minLength: 1, maxLength: 3 })).map(([verb, target, values]): Command => ({
  args: ['label', verb, target, ...values],
  mustFail: (s) => {
    const why = needLive(s, target) ?? labelRefusal(values);
    if (why || verb === 'add') return why;
    const has = new Set(beadOf(s, target)!.labels ?? []);
    const missing = labelPieces(values).find((l) => !has.has(l));
    return missing !== undefined ? `${target} has no label ${show(missing)}` : undefined;
  },
  check: (b, a, report) => {
    const r = report as Bead;
    if (typeof r !== 'object' || r === null || typeof r.id !== 'string') return `reported ${show(report)}, not a bead`;
    const wrong = exactly(b, a, [r]);
    if (wrong) return wrong;
    const had = new Set(beadOf(b, target)!.labels ?? []);
    const pieces = labelPieces(values);
    const want = verb === 'add' ? new Set([...had, ...pieces]) : new Set([...had].filter((l) => !pieces.includes(l)));
    return setEq(new Set(r.labels ?? []), want) ? undefined : `label ${verb} ${show(values)} on ${show([...had])} gave ${show(r.labels)}`;
  },
}));

const deps = fc.tuple(fc.constantFrom('add', 'remove'), id, id, opt(depType)).map(([verb, from, to, type]): Command => ({
  args: ['dep', verb, from, to, ...(type !== undefined ? ['--type', type] : [])],
  mustFail: (s) => {
    const t = type ?? 'blocks';
    if (!DEP_TYPES.includes(t)) return `dependency type ${show(t)} is unknown`;
    const named = (i: string, what: string) => (beadOf(s, i) ? undefined : `${what} ${show(i)} names no single bead`);
    const bad = verb === 'add' ? needLive(s, from) ?? needLive(s, to, 'depends-on') : named(from, 'id') ?? named(to, 'depends-on');
    if (bad || verb === 'remove') return bad;
    const [x, y] = [beadOf(s, from)!.id, beadOf(s, to)!.id];
    if (x === y) return `${x} cannot depend on itself`;
    if (t !== 'related' && t !== 'discovered-from' && reaches(s, y, x)) return `${x} -> ${y} closes a cycle`;
    return undefined;
  },
  check: (b, a, report) => {
    const r = report as Bead;
    const wrong = exactly(b, a, [r]);
    if (wrong) return wrong;
    const edge = edgeKey({ depends_on_id: beadOf(b, to)!.id, type: type ?? 'blocks' });
    const had = edges(beadOf(b, from));
    const want = new Set(verb === 'add' ? [...had, edge] : [...had].filter((e) => e !== edge));
    return setEq(edges(r), want) ? undefined : `dep ${verb} ${edge} on ${show([...had])} gave ${show([...edges(r)])}`;
  },
}));

const comment = fc.tuple(id, text, opt(fc.oneof(control, empty))).map(([target, body, actor]): Command => ({
  args: ['comment', target, body, ...(actor !== undefined ? ['--actor', actor] : [])],
  mustFail: (s) => needLive(s, target) ?? (body.trim() === '' ? 'the comment is empty' : undefined),
  check: (b, a, report) => {
    const c = report as Comment;
    const bead = a.beads.get(beadOf(b, target)!.id)!;
    const changed = [...changedIds(b, a)];
    if (!same(changed, [bead.id])) return `changed ${show(changed)}, commented on ${bead.id}`;
    const before = beadOf(b, target)!.comments ?? [];
    if (!same(bead.comments, [...before, c])) return `reported comment ${show(c)}, stored ${show(bead.comments)}`;
    return c.text === body ? undefined : `comment ${show(body)} stored as ${show(c.text)}`;
  },
}));

const pour = fc
  .record({ name: fc.constantFrom('engineer-in-box', 'bug-fix', 'bug-fix', 'no-such-molecule', '', '../../etc/passwd'), vars: fc.array(fc.oneof(fc.tuple(fc.constantFrom('bug', 'test_command', ''), text).map(([k, v]) => `${k}=${v}`), fc.constantFrom('novalue', '=x')), { maxLength: 2 }), key: opt(fc.oneof(word, empty, control)), parent: opt(id), assignee: opt(text), wisp: fc.boolean() })
  .map(({ name, vars, key, parent, assignee, wisp }): Command => ({
    args: ['mol', 'pour', name, ...vars.flatMap((v) => ['--var', v]), ...(key !== undefined ? ['--key', key] : []), ...(parent !== undefined ? ['--parent', parent] : []), ...(assignee !== undefined ? ['--assignee', assignee] : []), ...(wisp ? ['--wisp'] : [])],
    mustFail: (s) => {
      if (!['engineer-in-box', 'bug-fix'].includes(name)) return `there is no molecule ${show(name)}`;
      if (vars.some((v) => v.indexOf('=') <= 0)) return `a --var is not name=value: ${show(vars)}`;
      if (name === 'bug-fix' && !vars.some((v) => v.startsWith('bug='))) return 'bug-fix needs --var bug=...';
      return parent !== undefined ? needLive(s, parent, 'parent') : undefined;
    },
    check: (b, a, report) => {
      const r = report as { molecule: Bead; steps: { id: string }[]; existing?: boolean };
      const changed = changedIds(b, a);
      const want = r.existing ? new Set<string>() : new Set([r.molecule.id, ...r.steps.map((st) => st.id)]);
      if (!setEq(changed, want)) return `reported ${show([...want])}, changed ${show([...changed])}`;
      if ([...want].some((w) => b.beads.has(w))) return 'reported as poured beads that existed';
      if (!r.existing && !same(a.beads.get(r.molecule.id), r.molecule)) return `reported molecule ${show(r.molecule)}, stored ${show(a.beads.get(r.molecule.id))}`;
      const p = parent !== undefined ? beadOf(b, parent)!.id : undefined;
      if (!r.existing && p && !edges(r.molecule).has(`${p}|parent-child`)) return `poured under ${p} but the molecule has no parent-child on it`;
      return undefined;
    },
  }));

/** mol burn, squash and gc act on wisps only (the wisp store beside the store). */
const isWisp = (i: string) => i.startsWith(`${PREFIX}-wisp-`);
const wispCmd = fc
  .oneof(
    fc.tuple(fc.constantFrom('burn', 'squash'), id, fc.constantFrom<string[]>([], [], ['--summary', 'done'], ['--summary', ''], ['--summary', 'a\x1b[2Jb'])).map(([v, i, more]) => ['mol', v, i, ...(v === 'squash' ? more : [])]),
    fc.constantFrom<string[]>(['mol', 'gc'], ['mol', 'gc', '--older-than', '0s'], ['mol', 'gc', '--older-than', '-1d'], ['mol', 'gc', '--older-than', 'soon'], ['mol', 'gc', '--older-than', '99999999999d']),
  )
  .map((args): Command => ({
    args,
    mustFail: (s) => {
      if (args[1] === 'gc') return undefined;
      const target = beadOf(s, args[2]!);
      if (!target || !isWisp(target.id)) return `${show(args[2])} names no single wisp`;
      return target.status === 'tombstone' ? `${target.id} is deleted` : undefined;
    },
    check: (b, a, report) => {
      const changed = [...changedIds(b, a)];
      const gone = changed.filter((c) => !a.beads.has(c));
      if (gone.some((g) => !isWisp(g))) return `removed beads that are not wisps: ${show(gone)}`;
      const r = report as { id?: string; digest?: Bead; burned?: number | string[]; beads?: number };
      const digest = args[1] === 'squash' ? r.digest : undefined;
      const stayed = changed.filter((c) => a.beads.has(c) && c !== digest?.id);
      if (stayed.length) return `changed ${show(stayed)}, reported ${show(report)}`;
      if (args[1] === 'gc') {
        if (!Array.isArray(r.burned)) return `reported ${show(report)}, not the wisps burned`;
        const kept = r.burned.filter((m) => !gone.includes(m));
        if (kept.length) return `reported burning ${show(kept)}, which are still there`;
        return gone.length && !r.burned.length ? `removed ${show(gone)} but reported none` : undefined;
      }
      const count = args[1] === 'burn' ? r.beads : r.burned;
      if (count !== gone.length) return `reported ${show(report)}, removed ${gone.length} beads`;
      if (gone.length === 0) return `reported ${show(report)} but removed nothing`;
      if (digest && (b.beads.has(digest.id) || !same(a.beads.get(digest.id), digest) || digest.status !== 'closed')) return `the digest ${show(digest)} is not a new closed bead stored as reported`;
      return undefined;
    },
  }));

/** bd import of a few generated records, one of them possibly bad: all or nothing. */
export const importRecords = fc.uniqueArray(
  fc.record({ id: fc.constantFrom('gt-imp1', 'gt-imp2', 'gt-imp3', 'gt-aa1', '', 'GT!'), title: fc.oneof(word, control, empty), status: fc.constantFrom('open', 'closed', 'tombstone', 'bogus'), priority: fc.constantFrom(0, 2, 4, 9, -1, 1e21), created_at: fc.constantFrom('2026-01-01T00:00:00Z', '2026-02-31T00:00:00Z', 'yesterday') }),
  { minLength: 1, maxLength: 3, selector: (r) => r.id },
);
export function importCommand(file: string, records: { id: string }[]): Command {
  const fileIds = new Set(records.map((r) => r.id));
  return {
    args: ['import', file],
    mustFail: () => (records.some((r) => r.id.trim() === '') ? 'a record has no id' : undefined),
    check: (b, a, report) => {
      const r = report as { created: number; updated: number; unchanged: number };
      const changed = [...changedIds(b, a)];
      const outside = changed.filter((c) => !fileIds.has(c));
      if (outside.length) return `changed ${show(outside)}, which the file does not hold`;
      const created = changed.filter((c) => !b.beads.has(c)).length;
      if (created !== r.created || changed.length - created !== r.updated) return `reported ${show(report)}, created ${created} and updated ${changed.length - created}`;
      return r.created + r.updated + r.unchanged === fileIds.size ? undefined : `reported ${show(report)} for ${fileIds.size} records`;
    },
  };
}

/** init over the store, doctor --fix and sync (no remote here): none changes a bead of a healthy store. */
const upkeep = fc.constantFrom<string[]>(['doctor', '--fix'], ['sync'], ['sync', '--dry-run'], ['sync', '-m', 'a\x1b[2Jb'], ['init'], ['init', '--prefix', 'gt'], ['init', '--prefix', 'other'], ['init', '--prefix', ''], ['init', '--prefix', 'a\nb']).map((args): Command => ({
  args,
  mustFail: () => (args[0] === 'sync' ? 'the store has no git remote' : args[0] === 'init' ? 'a store exists there' : undefined),
  check: (b, a) => {
    const changed = [...changedIds(b, a)];
    return changed.length ? `changed ${show(changed)}` : undefined;
  },
}));

/** A command shows as its command line in fast-check's counterexamples. */
const printable = (c: Command): Command => Object.assign(c, { [fc.toStringMethod]: () => shown(c.args) });
const FAMILY_LIST = { create, update, close, reopen, delete: remove, heartbeat: beat, label: labels, dep: deps, comment, pour, wisp: wispCmd, upkeep };
export const FAMILIES: Record<keyof typeof FAMILY_LIST, fc.Arbitrary<Command>> = Object.fromEntries(Object.entries(FAMILY_LIST).map(([k, a]) => [k, a.map(printable)])) as never;
export const anyCommand = fc.oneof(...Object.values(FAMILIES));
