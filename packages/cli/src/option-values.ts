// An option that takes a value takes the next argument, even one starting with '-': yargs read
// `gt feed --since -1h` as --since '' and the short flags -1 -h, and printed the help with exit 0. So every
// string option (not a positional, not a list) is declared to need a value, and the parser lets such an option
// eat the argument after it whatever it starts with (yargs-parser's nargs-eats-options), so a value is never
// read as flags. A value that looks like an option (-x, --json; not -1h, -3d or "- item") is then refused naming the
// option, as yargs refused one for --defer before: most often a value was forgotten (`--reason --json`), and
// `--reason=-x` gives a value starting with '-'. (A list option, --label, still stops at a dashed argument.)
import type { Argv, Options } from 'yargs';
import { usageError } from './context.js';

/** The parser configuration that goes with requireValues. */
export const VALUES_EAT_DASHES = { 'nargs-eats-options': true } as const;

/**
 * Makes every string option declared on `y` (and on the same instance in command builders, which yargs
 * reuses) need a value. Positionals are declared through option() as well; they are left as they are.
 */
export function requireValues(y: Argv): void {
  const option = y.option;
  const positional = y.positional;
  let inPositional = false;
  const wrapped = function (this: Argv, ...args: unknown[]): Argv {
    const opt = args[1] as Options | undefined;
    if (typeof args[0] === 'string' && opt?.type === 'string' && !opt.array && !inPositional) args[1] = { requiresArg: true, ...opt };
    return (option as (...a: unknown[]) => Argv).apply(this, args);
  };
  y.option = y.options = wrapped as Argv['option'];
  y.positional = function (this: Argv, key: string, opt: Parameters<Argv['positional']>[1]) {
    inPositional = true;
    try {
      return positional.call(this, key, opt);
    } finally {
      inPositional = false;
    }
  } as Argv['positional'];
}

export interface ValueOptions {
  narg: Record<string, number>;
  array: string[];
  alias: Record<string, string[]>;
}

/** Refuses `--name -x` (written apart) for an option that takes a value, when -x looks like an option. */
export function checkDashedValues(declared: ValueOptions, options: string[]): void {
  const keyOf = new Map<string, string>();
  for (const key of Object.keys(declared.narg)) {
    if (declared.array.includes(key)) continue;
    for (const name of [key, ...(declared.alias[key] ?? [])]) keyOf.set(name, key);
  }
  for (let i = 0; i < options.length - 1; i++) {
    const m = /^--?([^=]+)$/.exec(options[i]!);
    const key = m && keyOf.get(m[1]!);
    if (!key) continue;
    const value = options[i + 1]!;
    // an option is one word of a dash and a letter, or two dashes (-x, --json, --no-x, --rig=a); a negative
    // number or duration (-1h), a lone -, or words with a space (a list, "- first\n- second") are values
    if (!/^(-[A-Za-z]|--)\S*$/.test(value)) {
      i++;
      continue;
    }
    // `--due --json` is a value forgotten, said as yargs says it at the end of the line; `--title -x` may mean it
    const hint = value.startsWith('--') ? '' : ` (${value} reads as an option; write --${key}=${value} to give it as the value)`;
    throw usageError(`Not enough arguments following: ${key}${hint}`);
  }
}
