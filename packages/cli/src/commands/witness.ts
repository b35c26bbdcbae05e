// gt witness (the kernel: docs/kernel.md).
import type { Argv } from 'yargs';
import type { Run } from '../run.js';

export function registerWitnessCommands(y: Argv, _run: Run): Argv {
  return y;
}
