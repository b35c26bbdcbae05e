import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBackup } from './beads-backup.js';
import { parseExport } from './interchange.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function folder(tables: Record<string, string[]>): string {
  const dir = mkdtempSync(join(tmpdir(), 'beads-backup-'));
  dirs.push(dir);
  for (const [table, lines] of Object.entries(tables)) writeFileSync(join(dir, `${table}.jsonl`), lines.join('\n') + '\n');
  return dir;
}

describe('reading a Beads backup folder', () => {
  it('reads the split dependency target columns of newer schemas as depends_on_id', () => {
    const dir = folder({
      issues: ['{"id":"bk-1","title":"One","created_at":"2026-03-01T00:00:00Z","updated_at":"2026-03-01T00:00:00Z"}'],
      dependencies: [
        '{"issue_id":"bk-1","depends_on_issue_id":"bk-2","depends_on_wisp_id":null,"depends_on_external":null,"type":"blocks","id":"0b6f"}',
        '{"issue_id":"bk-1","depends_on_issue_id":null,"depends_on_wisp_id":"bk-wisp-3","depends_on_external":null,"type":"related"}',
      ],
    });
    const { records } = readBackup(dir, 'b', 'importer', parseExport);
    expect(records[0]!.dependencies).toEqual([
      { depends_on_id: 'bk-2', type: 'blocks', id: '0b6f' },
      { depends_on_id: 'bk-wisp-3', type: 'related' },
    ]);
  });

  it('keeps every config row as a key, one named __proto__ included', () => {
    const dir = folder({ issues: [], config: ['{"key":"issue_prefix","value":"bk"}', '{"key":"__proto__","value":{"x":1}}'] });
    const { config } = readBackup(dir, 'b', 'importer', parseExport);
    expect(Object.keys(config)).toEqual(['issue_prefix', '__proto__']);
    expect(Object.getPrototypeOf(config)).toBe(Object.prototype);
  });
});
