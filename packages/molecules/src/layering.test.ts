import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Molecules write through store transactions and read history through the store's query: the log's line
// format (operation drafts, raw lines, rewriting the log by operation) is the store's business alone.
const RAW = /\b(OpDraft|forEachLogLine|parseOpLine|readOps|opsOfIds|rewriteLog|appendLines)\b|\bstore\.write\b|\.write<|\bkind: '/;

describe('packages/molecules', () => {
  it('never builds or scans raw operation lines', () => {
    const dir = fileURLToPath(new URL('.', import.meta.url));
    const offending = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .flatMap((f) => readFileSync(dir + f, 'utf8').split('\n').map((line, i) => ({ at: `${f}:${i + 1}`, line })))
      .filter(({ line }) => RAW.test(line))
      .map(({ at, line }) => `${at}: ${line.trim()}`);
    expect(offending).toEqual([]);
  });
});
