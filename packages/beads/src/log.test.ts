import { afterEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forEachLine, logLimits } from './log.js';

const defaults = { ...logLimits };
afterEach(() => {
  Object.assign(logLimits, defaults);
});

describe('forEachLine', () => {
  it('gives every complete line from any offset, whatever the read size, and a final unterminated one only when it is complete', () => {
    const dir = mkdtempSync(join(tmpdir(), 'log-lines-'));
    try {
      const line = fc.string({ unit: fc.constantFrom('a', 'b', 'é', '😀', ' ', '{'), maxLength: 40 });
      // stands in for "parses and validates": a final line is complete when it ends with '{'
      const complete = (t: string): boolean => t.endsWith('{');
      fc.assert(
        fc.property(fc.array(line, { maxLength: 30 }), fc.option(line.filter((l) => l.length > 0), { nil: undefined }), fc.integer({ min: 1, max: 64 }), fc.nat(), (lines, last, chunk, skip) => {
          logLimits.chunk = chunk;
          const terminated = lines.map((l) => `${l}\n`).join('');
          const text = terminated + (last ?? '');
          const path = join(dir, 'ops.jsonl');
          writeFileSync(path, text);
          // start at a line boundary, as callers do
          const first = Math.min(skip, lines.length);
          const from = Buffer.byteLength(lines.slice(0, first).map((l) => `${l}\n`).join(''));
          const seen: [string, number][] = [];
          const r = forEachLine(path, from, (t, n) => seen.push([t, n]), complete);
          const kept = last !== undefined && complete(last);
          const expected = [...lines.slice(first), ...(kept ? [last] : [])];
          expect(seen).toEqual(expected.map((l, i) => [l, i + 1]));
          const end = Buffer.byteLength(terminated);
          expect(r).toEqual({
            end: kept ? Buffer.byteLength(text) : end,
            lines: expected.length,
            mtime: expect.any(Number),
            ...(last !== undefined && !kept ? { torn: { offset: end, bytes: Buffer.byteLength(last) } } : {}),
          });
          if (!kept) return;
          // a writer ends the kept line with a newline and appends: reading on from past it skips that newline
          appendFileSync(path, '\nnext\n');
          const after: string[] = [];
          expect(forEachLine(path, r.end, (t) => after.push(t), complete)).toEqual({ end: Buffer.byteLength(text) + 6, lines: 1, mtime: expect.any(Number) });
          expect(after).toEqual(['next']);
        }),
        { numRuns: 300 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
