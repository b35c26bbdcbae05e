// Arguments yargs would drop or read as something else, kept as the user wrote them. yargs re-parses a
// command's positionals as options (`--ids e1 --ids -`), and there a lone `-` is no value: `bd close e1 -`
// closed e1 alone and `--reason -` became no reason. And what follows `--` never reaches a command's
// positionals: `bd close a -- b` closed a alone. So before parsing, such arguments are marked to read as plain
// words (and `--` itself is removed); handlers get them back unmarked. A value for an option that yargs
// turns into another type (`--no-title` is title false, `--claim=maybe` is claim false) is refused.
import { usageError } from './context.js';

// An argument from the command line cannot hold a NUL byte, so no real argument starts with this.
const MARK = '\u0000literal\u0000';

export interface Marked {
  /** The arguments for yargs: a lone `-`, and every argument after `--` that starts with `-`, marked. */
  argv: string[];
  /** The arguments before `--` (where options are), as given. */
  options: string[];
}

export function markLiterals(given: string[]): Marked {
  const end = given.indexOf('--');
  const options = end < 0 ? given : given.slice(0, end);
  const rest = end < 0 ? [] : given.slice(end + 1);
  const argv = [...options.map((a) => (a === '-' ? MARK + a : a)), ...rest.map((a) => (a.startsWith('-') ? MARK + a : a))];
  return { argv, options };
}

/** A value (a string, or a list of them) with the marks taken off. */
export function unmark<T>(value: T): T {
  if (typeof value === 'string') return (value.startsWith(MARK) ? value.slice(MARK.length) : value) as T;
  if (Array.isArray(value)) return value.map(unmark) as T;
  return value;
}

/** yargs' own messages (`Unknown argument: ...`) name arguments as given. */
export const unmarkMessage = (message: string): string => message.split(MARK).join('');

interface DeclaredOptions {
  string: string[];
  boolean: string[];
  alias: Record<string, string[]>;
}

/**
 * Takes the marks off the parsed arguments, in place, and refuses what yargs would read as another type: a
 * negated option that takes a value (`--no-title`: title false), a value other than true or false for a flag
 * (`--claim=maybe`: claim false).
 */
export function checkParsed(argv: Record<string, unknown>, declared: DeclaredOptions, options: string[]): void {
  for (const key of Object.keys(argv)) argv[key] = unmark(argv[key]);
  const aliases = new Set(Object.values(declared.alias).flat());
  for (const key of declared.string.filter((k) => !aliases.has(k))) {
    const v = argv[key];
    if (typeof v === 'boolean' || (Array.isArray(v) && v.some((x) => typeof x === 'boolean'))) {
      throw usageError(`--no-${key}: --${key} takes a value (give one, or leave the option out)`);
    }
  }
  for (const arg of options) {
    const m = /^--?([^=]+)=([\s\S]*)$/.exec(arg);
    if (m && declared.boolean.includes(m[1]!) && !/^(true|false)$/.test(m[2]!)) throw usageError(`--${m[1]} takes no value (it is a flag; --${m[1]}=false or --no-${m[1]} turns it off)`);
  }
}
