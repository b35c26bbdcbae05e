#!/usr/bin/env node
// bd: the bead store's command line. Parses arguments and prints; the work is in @gastown/beads.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { registerBeadCommands } from './commands/beads.js';
import { registerQueryCommands } from './commands/queries.js';
import { registerRelationCommands } from './commands/relations.js';
import { registerStoreCommands } from './commands/store.js';
import { registerMoleculeCommands } from './commands/molecules.js';
import { reportError, usageError } from './context.js';
import { run } from './run.js';

// A reader that stops early (`bd list | head`) closes the pipe: that ends the command quietly, as for any
// Unix tool, instead of an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const argv = hideBin(process.argv);
const json = argv.includes('--json');

let y: Argv = yargs(argv)
  .scriptName('bd')
  .usage('bd: beads, the work items of Gas Town, in an append-only log inside your git repository.\n\nUsage: $0 <command> [options]')
  .options({
    json: { type: 'boolean', describe: 'Print one JSON document on stdout (errors as {"error":{"code",...}})', global: true },
    dir: { type: 'string', describe: 'The store: a .beads directory or the directory holding it (default: BEADS_DIR, else found upward)', global: true },
    actor: { type: 'string', describe: 'Who is acting (default: BD_ACTOR, else git user.name)', global: true },
    rig: { type: 'string', describe: 'Inside a town: use this rig\'s store (ids are routed to their rig by prefix anyway)', global: true },
  })
  .parserConfiguration({ 'camel-case-expansion': false })
  .strict()
  .demandCommand(1, 'give a command; bd --help lists them')
  .recommendCommands()
  .help()
  .alias('h', 'help')
  .version(false)
  .wrap(Math.min(110, process.stdout.columns || 100))
  .epilogue('Exit codes: 0 ok, 1 internal error, 2 usage, 3 not found or ambiguous id, 4 invalid input, 5 conflict (already claimed, already closed), 6 corrupt log, 7 store locked, 8 no store, 9 a gate failed, 10 sync failed (no remote, refused, conflicts outside the store).\nDocs: docs/bd.md (commands), docs/beads.md (the store)')
  .fail((msg, err) => {
    // Throwing stops yargs before any handler runs: a command with a bad flag must do nothing.
    throw err ?? usageError(msg ?? 'invalid usage');
  });

y = registerStoreCommands(y, run);
y = registerBeadCommands(y, run);
y = registerQueryCommands(y, run);
y = registerRelationCommands(y, run);
y = registerMoleculeCommands(y, run);

try {
  await y.parseAsync();
} catch (err) {
  process.exitCode = reportError(err, json);
  if (!json && (err as { code?: string }).code === 'usage') process.stderr.write('Run bd --help for usage.\n');
}
