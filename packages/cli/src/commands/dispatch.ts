// gt dispatch (the kernel: docs/kernel.md).
import type { Argv } from 'yargs';
import type { Run } from '../run.js';

export function registerDispatchCommands(y: Argv, _run: Run): Argv {
  return y;
}
