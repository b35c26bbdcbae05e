// What agents do to a busy store, measured against `node -e ''` in the same runs: create then ready, close
// then ready (the read right after a write catches the cache up), then ready, show and list on the quiet
// store; and, on its own, the first ready after another process appended 1,000 operations.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildBusyStore, storeShape } from './busy-store.mjs';
import { BD, NODE_BASELINE, bd, measure, report, writtenLogFile } from './run.mjs';

export function benchAgents(size, { runs, keep }) {
  const repo = mkdtempSync(join(tmpdir(), `bd-bench-${size}-`));
  const { gen, logBytes, writeMs, layout } = buildBusyStore(repo, size);
  const t1 = performance.now();
  bd(repo, ['list', '-n', '1']); // the first command after a clone builds the cache from the log
  const buildMs = performance.now() - t1;
  console.log(`${size} beads (${(logBytes / 1e6).toFixed(0)} MB log, ${layout}; written in ${(writeMs / 1000).toFixed(1)} s; first command, the full cache build: ${(buildMs / 1000).toFixed(2)} s)`);
  console.log(`  ${storeShape(repo, size)}`);
  const someId = gen.ids[Math.floor(gen.ids.length / 3)];
  // One run: create, ready, close, ready, then reads of the store as it is left (quiet: the ready before caught up).
  const [base, create, readyAfterCreate, close, readyAfterClose, ready, show, list] = measure(
    [
      { argv: NODE_BASELINE },
      { argv: [BD, 'create', 'bench bead', '-p', '2', '--json'] },
      { argv: [BD, 'ready', '--json'] },
      { argv: () => [BD, 'close', gen.takeOpen(), '--json'] },
      { argv: [BD, 'ready', '--json'] },
      { argv: [BD, 'ready', '--json'] },
      { argv: [BD, 'show', someId, '--json'] },
      { argv: [BD, 'list', '--json'] },
    ],
    repo,
    runs,
  );
  report(size, "node -e ''", base, base);
  report(size, 'bd create', create, base, 2.5);
  report(size, 'bd ready --json right after a bd create', readyAfterCreate, base, 2.5);
  report(size, 'bd close (no budget of its own)', close, base);
  report(size, 'bd ready --json right after a bd close', readyAfterClose, base, 2.5);
  report(size, 'bd ready --json, quiet store', ready, base, 2.5);
  report(size, 'bd show ID --json', show, base, 2.5);
  report(size, 'bd list --json (50 of the open)', list, base, 2.5);
  // Another process appends 1,000 operations (half new beads, half edits of open ones) where this clone's
  // writes go, with no bd to catch the cache up; the next ready does. A bd create finds that file (the
  // segmented log may have moved on to a new segment) and a bd list catches that create up, both untimed.
  const [base2, afterAppend] = measure(
    [
      { argv: NODE_BASELINE },
      {
        argv: [BD, 'ready', '--json'],
        before: () => {
          const file = writtenLogFile(repo);
          bd(repo, ['list', '-n', '1']);
          appendFileSync(file, gen.foreign(1000).join('\n') + '\n');
        },
      },
    ],
    repo,
    runs,
  );
  report(size, "node -e '' (again)", base2, base2);
  report(size, 'first bd ready --json after 1,000 appended ops', afterAppend, base2, 4);
  if (keep) {
    writeFileSync(join(repo, 'foreign.jsonl'), gen.foreign(1000).join('\n') + '\n');
    console.log(`  kept ${repo} (foreign.jsonl: 1,000 more operations to append)`);
  } else rmSync(repo, { recursive: true, force: true });
  console.log('');
}
