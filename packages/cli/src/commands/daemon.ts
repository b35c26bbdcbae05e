// gt daemon (the kernel: docs/kernel.md).
import type { Argv } from 'yargs';
import type { Run } from '../run.js';

export function registerDaemonCommands(y: Argv, _run: Run): Argv {
  return y;
}
