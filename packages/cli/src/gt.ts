#!/usr/bin/env node
// gt: runs the town. For now: install a town and manage its rigs; agents, sling and the dashboard come next.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { registerTownCommands } from './commands/town.js';
import { reportError, setProgramName, usageError } from './context.js';
import { run } from './run.js';

setProgramName('gt');
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const argv = hideBin(process.argv);
const json = argv.includes('--json');

let y: Argv = yargs(argv)
  .scriptName('gt')
  .usage('gt: Gas Town, a town of AI agents working on your repositories through beads.\n\nUsage: $0 <command> [options]')
  .options({ json: { type: 'boolean', describe: 'Print one JSON document on stdout (errors as {"error":{"code",...}})', global: true } })
  .parserConfiguration({ 'camel-case-expansion': false })
  .strict()
  .demandCommand(1, 'give a command; gt --help lists them')
  .recommendCommands()
  .help()
  .alias('h', 'help')
  .version(false)
  .wrap(Math.min(110, process.stdout.columns || 100))
  .epilogue('Exit codes as bd\'s (docs/bd.md). Docs: docs/towns.md')
  .fail((msg, err) => {
    throw err ?? usageError(msg ?? 'invalid usage');
  });

y = registerTownCommands(y, run);

try {
  await y.parseAsync();
} catch (err) {
  process.exitCode = reportError(err, json);
  if (!json && (err as { code?: string }).code === 'usage') process.stderr.write('Run gt --help for usage.\n');
}
