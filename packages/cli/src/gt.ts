#!/usr/bin/env node
// gt: runs the town: towns and rigs, sync, ready work, and the agents in tmux (up, down, sling, prime, done,
// nudge, handoff, mail), the merge queue (mq, refinery), and the kernel (daemon, services, witness, dispatch,
// status), the town's event stream (feed) and the dashboard.
import { registerAgentCommands } from './commands/agents.js';
import { registerDashboardCommands } from './commands/dashboard.js';
import { registerDaemonCommands } from './commands/daemon.js';
import { registerDispatchCommands } from './commands/dispatch.js';
import { registerFeedCommands } from './commands/feed.js';
import { registerStatusCommands } from './commands/status.js';
import { registerWitnessCommands } from './commands/witness.js';
import { registerPolecatCommands } from './commands/polecats.js';
import { registerRefineryCommands } from './commands/refinery.js';
import { registerTownCommands } from './commands/town.js';
import { registerWorkCommands } from './commands/work.js';
import { runProgram } from './program.js';

await runProgram({
  name: 'gt',
  usage: 'gt: Gas Town, a town of AI agents working on your repositories through beads.',
  options: {},
  epilogue: "Exit codes as bd's (docs/bd.md). Docs: docs/towns.md",
  commands: [registerTownCommands, registerAgentCommands, registerWorkCommands, registerPolecatCommands, registerRefineryCommands, registerDaemonCommands, registerWitnessCommands, registerDispatchCommands, registerStatusCommands, registerFeedCommands, registerDashboardCommands],
});
