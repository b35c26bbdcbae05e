#!/usr/bin/env node
// bd: the bead store's command line. Parses arguments and prints; the work is in @gastown/beads.
import { registerBeadCommands } from './commands/beads.js';
import { registerQueryCommands } from './commands/queries.js';
import { registerRelationCommands } from './commands/relations.js';
import { registerStoreCommands } from './commands/store.js';
import { registerMoleculeCommands } from './commands/molecules.js';
import { runProgram } from './program.js';

await runProgram({
  name: 'bd',
  usage: 'bd: beads, the work items of Gas Town, in an append-only log inside your git repository.',
  options: {
    dir: { type: 'string', describe: 'The store: a .beads directory or the directory holding it (default: BEADS_DIR, else found upward)', global: true },
    actor: { type: 'string', describe: 'Who is acting (default: BD_ACTOR, else git user.name)', global: true },
    rig: { type: 'string', describe: 'Inside a town: use this rig\'s store (ids are routed to their rig by prefix anyway)', global: true },
  },
  epilogue:
    'Exit codes: 0 ok, 1 internal error, 2 usage, 3 not found or ambiguous id, 4 invalid input, 5 conflict (already claimed, already closed), 6 corrupt log, 7 store locked, 8 no store, 9 a gate failed, 10 sync failed (no remote, refused, conflicts outside the store), 11 a tool is missing, 12 the file system failed (read-only, full, permissions).\nDocs: docs/bd.md (commands), docs/beads.md (the store)',
  commands: [registerStoreCommands, registerBeadCommands, registerQueryCommands, registerRelationCommands, registerMoleculeCommands],
});
