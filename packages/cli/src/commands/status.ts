// gt status (the kernel: docs/kernel.md).
import type { Argv } from 'yargs';
import type { Run } from '../run.js';

export function registerStatusCommands(y: Argv, _run: Run): Argv {
  return y;
}
