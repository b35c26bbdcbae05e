// For the hostile-input property test: the hostile values (control characters, empty strings, ambiguous
// prefixes, huge numbers, odd dates) and what the docs say about dates, priorities and one-line fields.
import fc from 'fast-check';
import type { Dependency } from '@gastown/beads';
import { changedIds, type Snapshot } from './hostile-harness.js';

export const show = (v: unknown) => JSON.stringify(v);

// ---- hostile values -------------------------------------------------------------------------------------

export const CONTROL = ['\n', '\r', '\x1b[31m', '\x1b]0;pwned\x07', '\x00', '\x07', '\t', '\x7f', '\u009b2J', '\b'];
export const control = fc.tuple(fc.constantFrom('a', 'fix', ''), fc.constantFrom(...CONTROL), fc.constantFrom('b', ' bug', '')).map(([a, c, b]) => a + c + b);
export const empty = fc.constantFrom('', ' ', '   ');
export const word = fc.constantFrom('good', 'login', 'ünïcode', 'x'.repeat(300), 'a,b', 'bad label', 'keep', 'spaced', 'quote"d', "it's", '$(touch /tmp/x)');
export const text = fc.oneof(word, control, empty);
export const NUMBERS = ['0', '4', 'P1', 'p3', '5', 'P9', '-1', '99999999999999999999', '9007199254740993', '1e309', 'NaN', '0x1', '2.5', '', ' 2 '];
export const DATES = ['2026-02-31', '01/02/2026', '99999999d', '-3d', '+2h', '3d', '0d', '1w', '2026-13-01', '2026-02-28', '2028-02-29', '2027-02-29', '2026-12-01T09:00Z', '2026-12-01T25:00Z', 'tomorrow', '', '9999999999999m'];
export const DURATIONS = ['10m', '30s', '0s', '-1m', '99999999999h', '1x', '', '2h'];
export const STATUSES = ['open', 'in_progress', 'blocked', 'deferred', 'hooked', 'pinned', 'closed', 'tombstone', 'bogus', '', 'OPEN'];
export const TYPES = ['task', 'bug', 'feature', 'epic', 'chore', 'molecule', 'nonsense', '', 'Task'];
export const DEP_TYPES = ['blocks', 'parent-child', 'related', 'discovered-from', 'waits-for'];
export const depType = fc.constantFrom(...DEP_TYPES, 'bogus', '', 'BLOCKS');

/** The seeded beads (seedTemplate in hostile.test.ts) and ids that name one of them, several, none, or are plain hostile. */
export const SEED_IDS = ['gt-aa1', 'gt-aa2', 'gt-ab3', 'gt-b1', 'gt-c1', 'gt-d1', 'gt-e1', 'gt-f1', 'gt-wisp-m1', 'gt-wisp-s1', 'gt-wisp-m2'];
export const id = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SEED_IDS) },
  { weight: 2, arbitrary: fc.constantFrom('ab', 'gt-ab', 'e1', 'b1', 'd', 'f1', 'gt-aa1 ') },
  { weight: 2, arbitrary: fc.constantFrom('gt-', 'gt-a', 'aa', 'a', 'gt', 'gt-wisp-', 'gt-wisp-m', 'wisp-m1') },
  { weight: 1, arbitrary: fc.constantFrom('gt-zzzzzzzzzz', 'nope', '', ' ', 'gt-aa1\n', '\x1b[2Jgt-aa1', 'gt-aa1 gt-aa2', '-', 'gt-aa1,gt-aa2') },
  // what a parser may drop or read as something else: a lone -, a negative or float-looking number, options
  { weight: 1, arbitrary: fc.constantFrom('-', '-1', '1e3', '0x1', '-x', '--no-x', '--title.x=1') },
);
export const ids = fc.array(id, { minLength: 1, maxLength: 3 });
export const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });

export const MAX_TIME = 8.64e15;
export const UNIT: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Whether a --defer/--due value is one the docs accept (an ISO date or time, or a duration from now). */
export function dateRefusal(value: string): string | undefined {
  const v = value.trim();
  if (v === '') return undefined; // clears the field
  const rel = /^([+-]?)(\d+)([mhdw])$/.exec(v);
  if (rel) return Number(rel[2]) * UNIT[rel[3]!]! + Date.now() > MAX_TIME ? `${show(value)} is out of range` : undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})(T(\d{2}):(\d{2})(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(v);
  if (!m) return `${show(value)} is not an ISO date or a duration`;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return `${show(value)} is not a calendar date`;
  if (m[4] && (Number(m[5]) > 23 || Number(m[6]) > 59)) return `${show(value)} is not a time of day`;
  return Number.isNaN(Date.parse(v)) ? `${show(value)} is not a date` : undefined;
}

/** After a success: whether the stored time is the one asked for. */
export function dateMismatch(value: string, stored: unknown, [t0, t1]: [number, number]): string | undefined {
  const v = value.trim();
  if (v === '') return stored === undefined || stored === '' ? undefined : `${show(value)} should clear the field, stored ${show(stored)}`;
  if (typeof stored !== 'string' || Number.isNaN(Date.parse(stored))) return `${show(value)} stored as ${show(stored)}`;
  const rel = /^([+-]?)(\d+)([mhdw])$/.exec(v);
  if (rel) {
    const ms = (rel[1] === '-' ? -1 : 1) * Number(rel[2]) * UNIT[rel[3]!]!;
    const at = Date.parse(stored);
    return at >= t0 + ms - 1000 && at <= t1 + ms + 1000 ? undefined : `${show(value)} stored as ${stored}`;
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return stored.slice(0, 10) === v ? undefined : `${show(value)} stored as ${stored}`;
  return Date.parse(stored) === Date.parse(v) ? undefined : `${show(value)} stored as ${stored}`;
}

export const priorityValue = (p: string): number | undefined => {
  const m = /^[Pp]?([0-4])$/.exec(p.trim());
  return m ? Number(m[1]) : undefined;
};

// ---- control characters in what is stored ------------------------------------------------------------

const CONTROL_CHAR = /[\u0000-\u001f\u007f-\u009f]/;

/** One-line fields of the changed beads that hold a control character (they should have been refused). */
export function controlInOneLineFields(before: Snapshot, after: Snapshot): string | undefined {
  for (const i of changedIds(before, after)) {
    const b = after.beads.get(i);
    if (!b) continue;
    const fields: [string, unknown][] = [['title', b.title], ['issue_type', b.issue_type], ['assignee', b.assignee], ['external_ref', b.external_ref], ['created_by', b.created_by], ...(b.labels ?? []).map((l): [string, unknown] => ['label', l]), ...(b.comments ?? []).map((c): [string, unknown] => ['comment author', c.author]), ...(b.dependencies ?? []).map((d: Dependency): [string, unknown] => ['dependency', d.depends_on_id])];
    const hit = fields.find(([, v]) => typeof v === 'string' && CONTROL_CHAR.test(v));
    if (hit) return `${i}'s ${hit[0]} holds a control character: ${show(hit[1])}`;
  }
  return undefined;
}
