// Turning flag values into the store's input shapes. Malformed values fail here with the flag's name; values
// of the right shape but out of range are left for the schema check, which names the field.
import { BeadsError, isoTimeProblem, type BeadFilter } from '@gastown/beads';

export type Args = Record<string, unknown>;

export function str(args: Args, key: string): string | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return String(v);
}

/** A rig named by an option (--rig): an empty name names no rig, refused as such (not looked up as a rig ''). */
export function rigOption(args: Args, key = 'rig'): string | undefined {
  const rig = str(args, key);
  if (rig !== undefined && !rig.trim()) throw new BeadsError('invalid_input', `--${key} must name a rig`);
  return rig;
}

/** The raw values of a positional or repeated option, trimmed; none are dropped. */
function raw(args: Args, key: string): string[] {
  const v = args[key];
  if (v === undefined || v === null) return [];
  if (Array.isArray(v) && v.length === 0) return ['']; // yargs gives [] for an array option written `--status=`
  return (Array.isArray(v) ? v : [v]).map((x) => String(x).trim());
}

/** The values of a positional list, as given (no splitting): an empty one is refused with `empty`, never skipped. */
export function values(args: Args, key: string, empty: string): string[] {
  const out = raw(args, key);
  if (out.some((v) => !v)) throw new BeadsError('invalid_input', empty);
  return out;
}

/**
 * Ids given as positionals (commas separate them too, as no id holds one): an empty one is refused, never
 * skipped (`bd close ''` must not succeed doing nothing).
 */
export function ids(args: Args, key = 'ids'): string[] {
  return parts(args, key, 'an empty id was given') ?? [];
}

/** One id given as a positional: an empty one is refused here, for commands that look at it before any store does. */
export function oneId(args: Args, key = 'id'): string {
  const id = str(args, key)?.trim();
  if (!id) throw new BeadsError('invalid_input', 'an empty id was given');
  return id;
}

/** Comma-separated and/or repeated values where an empty one (`''`, `a,,b`) is a mistake: refused, never skipped. */
function parts(args: Args, key: string, empty: string): string[] | undefined {
  const out = raw(args, key).flatMap((x) => x.split(',').map((s) => s.trim()));
  if (out.some((l) => !l)) throw new BeadsError('invalid_input', empty);
  return out.length ? out : undefined;
}

export function labels(args: Args, key: string): string[] | undefined {
  return parts(args, key, 'label must not be empty');
}

export function priority(value: string | undefined, flag = '--priority'): number | undefined {
  if (value === undefined) return undefined;
  const m = /^[Pp]?(\d+)$/.exec(value.trim());
  if (!m) throw new BeadsError('invalid_input', `invalid ${flag} ${JSON.stringify(value)}: use 0-4 (0 most urgent) or P0-P4`);
  return Number(m[1]);
}

/** A whole number option (0 or more); `hint` says what the number means. */
export function wholeNumber(args: Args, key: string, hint = ''): number | undefined {
  const v = str(args, key);
  if (v === undefined) return undefined;
  if (!/^\d{1,15}$/.test(v.trim())) throw new BeadsError('invalid_input', `invalid --${key} ${JSON.stringify(v)}: use a whole number${hint}`);
  return Number(v);
}

export function limit(args: Args): number | undefined {
  return wholeNumber(args, 'limit', ' (0 for no limit)');
}

const MAX_OFFSET_MS = 36_525 * 86_400_000; // 100 years: further is a typo, and Date ends at year 275760

/**
 * Accepts an ISO 8601 date or time that exists, or a duration from now such as 2h, 3d, 1w, or one before now
 * (-3d). A date stays as given; a time becomes UTC. An empty value clears the field.
 */
export function when(value: string | undefined, flag: string, now = new Date()): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return '';
  const rel = /^([+-]?)(\d+)([mhdw])$/.exec(text);
  if (rel) {
    const ms = Number(rel[2]) * { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[rel[3] as 'm' | 'h' | 'd' | 'w'];
    if (!(ms <= MAX_OFFSET_MS)) throw new BeadsError('invalid_input', `invalid ${flag} ${JSON.stringify(value)}: too far from now (at most 100 years either way)`);
    return new Date(now.getTime() + (rel[1] === '-' ? -ms : ms)).toISOString();
  }
  const problem = isoTimeProblem(text);
  if (problem) {
    const hint = /^\d{4}-/.test(text) ? '' : ', or a duration from now such as 2h, 3d, 1w (-3d: three days ago)';
    throw new BeadsError('invalid_input', `invalid ${flag} ${JSON.stringify(value)}: ${problem}${hint}`);
  }
  return /^\d{4}-\d{2}-\d{2}$/.test(text) ? text : new Date(Date.parse(text)).toISOString();
}

/** `--deps blocks:gt-abc,discovered-from:gt-def` (a bare id means blocks). */
export function deps(args: Args, key = 'deps'): { type: string; id: string }[] | undefined {
  const value = parts(args, key, `invalid --${key} entry "": use type:id, e.g. blocks:gt-abc12`);
  if (!value) return undefined;
  return value.map((item) => {
    const colon = item.indexOf(':');
    if (colon < 0) return { type: 'blocks', id: item };
    const type = item.slice(0, colon).trim();
    const id = item.slice(colon + 1).trim();
    if (!type || !id) throw new BeadsError('invalid_input', `invalid --deps entry ${JSON.stringify(item)}: use type:id, e.g. blocks:gt-abc12`);
    return { type, id };
  });
}

export function filter(args: Args): BeadFilter {
  // An empty value would drop the test and match everything (`bd list -s "$S"` with S unset): refused.
  const values = (key: string): string[] | undefined => parts(args, key, `--${key} must not be empty (leave the option out to match any)`);
  const pri = values('priority')?.map((p) => priority(p)!);
  return {
    status: values('status'),
    issue_type: values('type'),
    assignee: str(args, 'assignee'),
    labels: values('label'),
    priority: pri,
    parent: str(args, 'parent'),
    all: args.all ? true : undefined,
    limit: limit(args),
  };
}
