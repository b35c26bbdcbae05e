// gt rig settings: the effective settings with their sources, town overrides set and unset, and refusals that
// exit with their code and write nothing.
import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git, gt, gtJson } from './helpers.js';

const bases: string[] = [];
afterEach(() => bases.splice(0).forEach((b) => rmSync(b, { recursive: true, force: true })));

/** A town with rig alpha, whose repository commits .gastown/settings.json with batch 4 and one gate. */
function newTown(): string {
  const base = mkdtempSync(join(tmpdir(), 'gt-rig-settings-'));
  bases.push(base);
  const src = join(base, 'alpha-src');
  git(base, 'init', '-q', src);
  mkdirSync(join(src, '.gastown'));
  writeFileSync(join(src, '.gastown', 'settings.json'), JSON.stringify({ batch: 4, gates: ['npm test'] }));
  git(src, 'add', '-A');
  git(src, 'commit', '-qm', 'start');
  const town = join(base, 'town');
  gt(base, ['install', town]);
  gtJson(town, ['rig', 'add', 'alpha', src]);
  return town;
}

interface Row {
  key: string;
  value: unknown;
  source: string;
}
const sources = (rows: Row[]): Record<string, [unknown, string]> => Object.fromEntries(rows.map((r) => [r.key, [r.value, r.source]]));

describe('gt rig settings', () => {
  it('shows every setting with its source, sets and unsets a town override', () => {
    const town = newTown();
    const shown = gt(town, ['rig', 'settings', 'alpha']);
    expect(shown.code).toBe(0);
    expect(shown.stdout.split('\n').filter(Boolean).map((l) => l.split(/\s{2,}|\s(?=\S+$)/).map((x) => x.trim()))).toEqual([
      ['gates', '["npm test"]', 'repository'],
      ['merge', '"rebase"', 'default'],
      ['batch', '4', 'repository'],
      ['max_wait', '"1h"', 'default'],
      ['max_reworks', '3', 'default'],
      ['gate_timeout', '"10m"', 'default'],
      ['dispatch', '"mayor"', 'default'],
      ['max_polecats', '4', 'default'],
      ['setup', '[]', 'default'],
      ['stall_after', '"15m"', 'default'],
      ['spawn_grace', '"60s"', 'default'],
      ['max_restarts', '3', 'default'],
    ]);
    expect(gtJson<Row>(town, ['rig', 'settings', 'alpha', 'batch'])).toMatchObject({ key: 'batch', value: 4, source: 'repository' });

    // a bare word is a string; JSON is JSON
    expect(gtJson<Row>(town, ['rig', 'settings', 'alpha', 'merge', 'squash'])).toMatchObject({ key: 'merge', value: 'squash', source: 'town' });
    const set = gt(town, ['rig', 'settings', 'alpha', 'gates', '["npm test", {"name": "lint", "run": "npm run lint", "timeout": "30s"}]']);
    expect([set.code, set.stdout]).toEqual([0, `${'gates'.padEnd(13)} ${JSON.stringify(['npm test', { name: 'lint', run: 'npm run lint', timeout: '30s' }]).padEnd(30)} town\n`]);
    expect(JSON.parse(readFileSync(join(town, 'settings', 'alpha.json'), 'utf8'))).toEqual({ merge: 'squash', gates: ['npm test', { name: 'lint', run: 'npm run lint', timeout: '30s' }] });
    expect(sources(gtJson<Row[]>(town, ['rig', 'settings', 'alpha']))).toMatchObject({ merge: ['squash', 'town'], batch: [4, 'repository'] });

    expect(gtJson<Row>(town, ['rig', 'settings', 'alpha', 'gates', '--unset'])).toMatchObject({ key: 'gates', value: ['npm test'], source: 'repository' });
    expect(JSON.parse(readFileSync(join(town, 'settings', 'alpha.json'), 'utf8'))).toEqual({ merge: 'squash' });
  });

  it('refuses bad input with its exit code and one line naming what is wrong, and writes nothing', () => {
    const town = newTown();
    const file = join(town, 'settings', 'alpha.json');
    const cases: [string[], number, string][] = [
      [['alpha', 'batch', '0'], 4, 'gt: invalid batch in the value given: 0 is not a whole number from 1 to 64\n'],
      [['alpha', 'max_wait', 'soon'], 4, 'gt: invalid max_wait in the value given: "soon": use a duration such as 30s, 10m, 2h or 7d\n'],
      [['alpha', 'gates', 'npm test'], 4, `gt: "npm test" is neither JSON nor a bare word; quote a string with spaces as JSON ('"npm test"')\n`],
      [['alpha', 'gates', '[{"run": "make", "cwd": "x"}]'], 4, 'gt: invalid gates in the value given: gates[0] has unknown key(s) cwd (known: name, run, timeout)\n'],
      [['alpha', 'batches', '2'], 4, 'gt: unknown setting "batches" (known: gates, merge, batch, max_wait, max_reworks, gate_timeout, dispatch, max_polecats, setup, stall_after, spawn_grace, max_restarts)\n'],
      [['alpha', 'constructor', '2'], 4, 'gt: unknown setting "constructor" (known: gates, merge, batch, max_wait, max_reworks, gate_timeout, dispatch, max_polecats, setup, stall_after, spawn_grace, max_restarts)\n'],
      [['beta', 'batch', '2'], 3, 'gt: no rig beta in this town (gt rig list)\n'],
      [['beta'], 3, 'gt: no rig beta in this town (gt rig list)\n'],
      [['alpha', 'batch', '2', '--unset'], 2, 'gt: --unset takes a KEY and no VALUE\n'],
      [['alpha', 'batches'], 2, 'gt: unknown setting "batches" (known: gates, merge, batch, max_wait, max_reworks, gate_timeout, dispatch, max_polecats, setup, stall_after, spawn_grace, max_restarts)\n'],
    ];
    for (const [args, code, stderr] of cases) {
      const r = gt(town, ['rig', 'settings', ...args]);
      expect({ args, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ args, code, stdout: '', stderr });
      expect(existsSync(file)).toBe(false);
    }
    const json = gt(town, ['rig', 'settings', 'alpha', 'batch', '0', '--json']);
    expect([json.code, JSON.parse(json.stdout)]).toEqual([4, { error: { code: 'invalid_input', message: 'invalid batch in the value given: 0 is not a whole number from 1 to 64', key: 'batch' } }]);

    // a bad committed file is named when the settings are read
    writeFileSync(join(town, 'alpha', 'main', '.gastown', 'settings.json'), '{"batch": 4, "merge": "fast"}');
    const broken = gt(town, ['rig', 'settings', 'alpha']);
    expect([broken.code, broken.stderr]).toEqual([4, `gt: invalid merge in alpha's .gastown/settings.json: "fast" is not one of rebase, merge, squash, pr\n`]);
  });
});
