// An option that takes a value takes the next argument, even one starting with '-': yargs read
// `gt feed --since -1h` as --since '' and the short flags -1 -h, and printed the help with exit 0. So every
// string option (not a positional, not a list) is declared to need a value, and the parser lets such an option
// eat the argument after it whatever it starts with (yargs-parser's nargs-eats-options), so a value is never
// read as flags. A value that looks like an option (-x, --json; not -1h, -3d or "- item") is then refused naming
// the option, as yargs refused one for --defer before: most often a value was forgotten (`--reason --json`),
// and `--reason=-x` gives a value starting with '-'. A list option (--label) still stops at such a value, which
// is refused the same way, before yargs' own checks and before the help that a -h among its letters asks for.
import type { Argv, Options } from 'yargs';
import { usageError } from './context.js';

/** The parser configuration that goes with valueOptions. */
export const VALUES_EAT_DASHES = { 'nargs-eats-options': true } as const;

export interface ValueOptions {
  string: string[];
  narg: Record<string, number>;
  array: string[];
  alias: Record<string, string[]>;
}

/**
 * On `y` (and so in command builders, which yargs gives the same instance): every string option declared
 * needs a value (positionals, declared through option() as well, are left as they are); `options`, the
 * command line's arguments before any `--`, are checked by checkDashedValues before yargs validates them
 * and before it shows the help.
 */
export function valueOptions(y: Argv, options: string[]): void {
  const option = y.option;
  const positional = y.positional;
  const showHelp = y.showHelp;
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
  // yargs' options of the running command (its types omit getOptions' narg)
  const declared = (instance: Argv): ValueOptions => (instance as unknown as { getOptions(): ValueOptions }).getOptions();
  y.showHelp = function (this: Argv, ...args: unknown[]) {
    checkDashedValues(declared(this), options);
    return (showHelp as (...a: unknown[]) => Argv).apply(this, args);
  } as Argv['showHelp'];
  y.middleware(((_argv: unknown, parser: Argv) => checkDashedValues(declared(parser), options)) as never, true);
}

/** Refuses `--name -x` (written apart) for an option that takes a value or a list, when -x looks like an option. */
export function checkDashedValues(declared: ValueOptions, options: string[]): void {
  const keyOf = new Map<string, string>();
  const aliases = new Set(Object.values(declared.alias).flat());
  for (const key of declared.string) {
    if (aliases.has(key) || (!(key in declared.narg) && !declared.array.includes(key))) continue;
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
