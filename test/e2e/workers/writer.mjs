// A writer process for concurrency and crash tests: creates beads through the built library and prints each
// id only after the store acknowledged it. Usage: writer.mjs <beadsDir> <count|forever> <actor>
import { BeadStore, createBead } from '../../../packages/beads/dist/index.js';

const [dir, count, actor] = process.argv.slice(2);
const store = BeadStore.open(dir);
const n = count === 'forever' ? Infinity : Number(count);
for (let i = 0; i < n; i++) {
  const bead = createBead(store, actor, { title: `${actor} bead ${i}`, description: 'x'.repeat(200 + (i % 7) * 100), labels: ['load'] });
  process.stdout.write(bead.id + '\n');
}
