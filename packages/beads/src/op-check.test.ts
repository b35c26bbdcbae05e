// The full build's op check in a worker thread (op-check.ts), run from the compiled package (a worker starts
// from a JavaScript file; `npm run build` writes it): with the worker, a fold gives what the fold checked line
// by line gives, on a clean log and on one holding a line the schema refuses and a line that is not JSON.
import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addLabels, closeBead, createBead } from './mutations.js';
import { testRepos } from './test-helpers.js';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const { repo } = testRepos(afterEach);

/** foldLog's result as JSON in a fresh process, the worker used (minBytes 0) or not (Infinity); and the worker's own verdict. */
function foldIn(dir: string, minBytes: number): { folded: unknown; workerSaysValid: boolean | null } {
  const script = `
    const { opCheckLimits, startOpCheck } = await import(${JSON.stringify(join(DIST, 'op-check.js'))});
    const { foldLog } = await import(${JSON.stringify(join(DIST, 'fold-stream.js'))});
    const { logFileNames } = await import(${JSON.stringify(join(DIST, 'log-files.js'))});
    const { statSync } = await import('node:fs');
    opCheckLimits.minBytes = ${minBytes === Infinity ? 'Infinity' : minBytes};
    const dir = ${JSON.stringify(dir)};
    const paths = logFileNames(dir).map((n) => dir + '/' + n);
    const check = startOpCheck(paths, 1);
    const workerSaysValid = check ? check.allValid(paths.map((p) => statSync(p).size)) : null;
    const f = foldLog(dir);
    process.stdout.write(JSON.stringify({ folded: { ...f, states: [...f.states] }, workerSaysValid }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
}

describe('the op check in a worker thread', () => {
  it('folds as the check in line does, and falls back to it when a line is at fault', () => {
    const { store } = repo();
    const a = createBead(store, 'tester', { title: 'one' });
    createBead(store, 'tester', { title: 'two' });
    addLabels(store, 'tester', a.id, ['x']);
    closeBead(store, 'tester', a.id);

    const clean = foldIn(store.dir, 0);
    expect(clean.workerSaysValid).toBe(true);
    expect(clean.folded).toEqual(foldIn(store.dir, Infinity).folded);

    appendFileSync(store.logPath, JSON.stringify({ op_id: 'x'.repeat(12), bead: a.id, kind: 'set', actor: 'tester', ts: '2026-01-01T00:00:00Z', lc: -1, fields: { title: 'never' } }) + '\n{"not json\n');
    const corrupt = foldIn(store.dir, 0);
    expect(corrupt.workerSaysValid).toBe(false);
    expect(corrupt.folded).toEqual(foldIn(store.dir, Infinity).folded);
    expect((corrupt.folded as { corrupt: unknown[] }).corrupt).toHaveLength(2);
  });
});
