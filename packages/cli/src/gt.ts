#!/usr/bin/env node
// gt: runs the town. For now: install a town, manage its rigs, ready work and sync across them; agents, sling
// and the dashboard come next.
import { registerAgentCommands } from './commands/agents.js';
import { registerTownCommands } from './commands/town.js';
import { registerWorkCommands } from './commands/work.js';
import { runProgram } from './program.js';

await runProgram({
  name: 'gt',
  usage: 'gt: Gas Town, a town of AI agents working on your repositories through beads.',
  options: {},
  epilogue: "Exit codes as bd's (docs/bd.md). Docs: docs/towns.md",
  commands: [registerTownCommands, registerAgentCommands, registerWorkCommands],
});
