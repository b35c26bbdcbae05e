// Pours engineer-in-box over and over, printing each molecule's id once poured, until killed.
// Usage: pourer.mjs <rigRoot>
import { join } from 'node:path';
import { BeadStore } from '../../../packages/beads/dist/index.js';
import { pourMolecule } from '../../../packages/molecules/dist/index.js';

const [root] = process.argv.slice(2);
const store = BeadStore.open(join(root, '.beads'));
for (;;) {
  const { molecule } = pourMolecule(store, 'pourer', 'engineer-in-box', { catalog: { rigRoot: root } });
  process.stdout.write(`${molecule.id}\n`);
}
