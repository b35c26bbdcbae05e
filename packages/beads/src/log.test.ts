import { afterEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forEachLine, logLimits } from './log.js';

const defaults = { ...logLimits };
afterEach(() => {
  Object.assign(logLimits, defaults);
});

describe('forEachLine', () => {
  it('gives every complete line from any offset, whatever the read size, and stops before a torn last line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'log-lines-'));
    try {
      const line = fc.string({ unit: fc.constantFrom('a', 'b', 'é', '😀', ' ', '{'), maxLength: 40 });
      fc.assert(
        fc.property(fc.array(line, { maxLength: 30 }), fc.option(line.filter((l) => l.length > 0), { nil: undefined }), fc.integer({ min: 1, max: 64 }), fc.nat(), (lines, torn, chunk, skip) => {
          logLimits.chunk = chunk;
          const text = lines.map((l) => `${l}\n`).join('') + (torn ?? '');
          const path = join(dir, 'ops.jsonl');
          writeFileSync(path, text);
          // start at a line boundary, as callers do
          const first = Math.min(skip, lines.length);
          const from = Buffer.byteLength(lines.slice(0, first).map((l) => `${l}\n`).join(''));
          const seen: [string, number][] = [];
          const r = forEachLine(path, from, (t, n) => seen.push([t, n]));
          expect(seen).toEqual(lines.slice(first).map((l, i) => [l, i + 1]));
          expect(r).toEqual({ end: Buffer.byteLength(lines.map((l) => `${l}\n`).join('')), lines: lines.length - first });
        }),
        { numRuns: 300 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
