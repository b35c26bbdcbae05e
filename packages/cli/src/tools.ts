// Where this installation's gt and bd are, so that agents' sessions can run the same ones.
import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Tools } from '@gastown/gastown';

export function cliTools(): Tools {
  const gt = realpathSync(process.argv[1]!);
  return { node: process.execPath, gt, bd: join(dirname(gt), 'bd.mjs') };
}
