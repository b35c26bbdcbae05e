// What bd and gt share as programs: one yargs setup (strict, no camel-case duplicates, a usage error stops
// before any handler runs), quiet exit when the reader closes the pipe, and the one top-level catch.
import yargs, { type Argv, type MiddlewareFunction, type Options } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { reportError, setProgramName, usageError } from './context.js';
import { checkParsed, markLiterals, unmarkMessage } from './literal-arguments.js';
import { valueOptions, VALUES_EAT_DASHES } from './option-values.js';
import { run, type Run } from './run.js';

export interface ProgramSpec {
  name: string;
  usage: string;
  epilogue: string;
  options: Record<string, Options>;
  commands: ((y: Argv, run: Run) => Argv)[];
}

export async function runProgram(spec: ProgramSpec): Promise<void> {
  setProgramName(spec.name);
  // A reader that stops early (`bd list | head`) closes the pipe: that ends the command quietly, as for any
  // Unix tool, instead of an unhandled EPIPE with a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  const { argv, options } = markLiterals(hideBin(process.argv));
  const json = options.includes('--json');
  // yargs hands middleware the parser too, whose options are the running command's (its types omit both).
  type Parser = { getOptions(): Parameters<typeof checkParsed>[1] };
  const guard = (parsed: Record<string, unknown>, parser: Parser): void => checkParsed(parsed, parser.getOptions(), options);
  let y: Argv = yargs(argv);
  valueOptions(y, options);
  y = y
    .scriptName(spec.name)
    .usage(`${spec.usage}\n\nUsage: $0 <command> [options]`)
    .options({
      json: { type: 'boolean', describe: 'Print one JSON document on stdout (errors as {"error":{"code",...}})', global: true },
      ...spec.options,
    })
    // Values stay strings as written (bd reads numbers itself: 0012 is an id, not 12), and `--title.x` is an
    // unknown option, not an object in place of the title. An option's value may start with '-' (option-values.ts).
    .parserConfiguration({ 'camel-case-expansion': false, 'dot-notation': false, 'parse-numbers': false, 'parse-positional-numbers': false, ...VALUES_EAT_DASHES })
    .middleware(guard as unknown as MiddlewareFunction)
    .strict()
    .demandCommand(1, `give a command; ${spec.name} --help lists them`)
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilogue(spec.epilogue)
    .fail((msg, err) => {
      // Throwing stops yargs before any handler runs: a command with a bad flag must do nothing. yargs' own
      // complaints (a YError, such as "Not enough arguments following: due") are usage errors too.
      if (err && err.name !== 'YError') throw err;
      throw usageError(unmarkMessage(msg ?? err?.message ?? 'invalid usage'));
    });
  for (const register of spec.commands) y = register(y, run);
  try {
    await y.parseAsync();
  } catch (err) {
    process.exitCode = reportError(err, json);
    if (!json && (err as { code?: string }).code === 'usage') process.stderr.write(`Run ${spec.name} --help for usage.\n`);
  }
}
