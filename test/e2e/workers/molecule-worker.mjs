// A worker process for the crash scenarios: takes the ready steps of one molecule one by one (claim with a
// lease, close), printing what it does, until the molecule is closed. With --stall-on STEP it claims that
// step and then hangs, to be killed. Usage: molecule-worker.mjs <beadsDir> <moleculeId> <actor> <leaseMs> [--stall-on STEP]
import { BeadStore, BeadsError, readyBeads, sleepSync, updateBead } from '../../../packages/beads/dist/index.js';
import { closeStep } from '../../../packages/molecules/dist/index.js';

const [dir, molecule, actor, leaseMs, flag, stallOn] = process.argv.slice(2);
const stall = flag === '--stall-on' ? stallOn : undefined;
const store = BeadStore.open(dir);
const say = (line) => process.stdout.write(`${line}\n`);
const deadline = Date.now() + 120_000;

while (Date.now() < deadline) {
  if (store.get(molecule).status === 'closed') {
    say('molecule closed');
    process.exit(0);
  }
  const ready = readyBeads(store, { parent: molecule, limit: 0 });
  let worked = false;
  for (const step of ready) {
    try {
      updateBead(store, actor, step.id, {}, { claim: true, leaseMs: Number(leaseMs) });
    } catch (err) {
      if (err instanceof BeadsError && (err.code === 'already_claimed' || err.code === 'conflict')) continue;
      throw err;
    }
    say(`claimed ${step.title}`);
    if (step.title === stall) {
      say('stalling');
      for (;;) sleepSync(1000);
    }
    closeStep(store, actor, step.id);
    say(`closed ${step.title}`);
    worked = true;
    break;
  }
  if (!worked) sleepSync(25);
}
say('gave up');
process.exit(1);
