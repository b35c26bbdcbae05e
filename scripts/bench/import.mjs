// Importing the 1,955-issue Beads sample (test/data/beads-export-sample.jsonl) into an empty store.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, bd, git, median, timeBd, within } from './run.mjs';

const SAMPLE = join(ROOT, 'test', 'data', 'beads-export-sample.jsonl');

export function benchImport(runs) {
  if (!existsSync(SAMPLE)) {
    console.log(`(no ${SAMPLE}: import benchmark skipped)`);
    return;
  }
  const times = [];
  for (let r = 0; r < runs; r++) {
    const repo = mkdtempSync(join(tmpdir(), 'bd-bench-import-'));
    git(repo, 'init', '-q');
    bd(repo, ['init', '--prefix', 'bd']);
    times.push(timeBd(repo, ['import', SAMPLE]));
    rmSync(repo, { recursive: true, force: true });
  }
  const ms = median(times);
  console.log(`import of the 1,955-issue sample: ${ms.toFixed(0)} ms (median of ${runs}), budget 2000 ms ${within(ms, 2000)}`);
}
