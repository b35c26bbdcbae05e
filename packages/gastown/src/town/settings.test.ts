import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Town } from '../model.js';
import { RIG_SETTINGS_FILE, SETTINGS, parseSettingValue, parseSettingsText, rigSettings, setTownSetting, settingRows, townSettingsPath } from './settings.js';

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));

/** A town directory with one rig, alpha, whose clone is an empty directory (settings read only files). */
function town(): Town {
  const root = mkdtempSync(join(tmpdir(), 'gastown-settings-'));
  roots.push(root);
  mkdirSync(join(root, 'alpha', 'main'), { recursive: true });
  return { root, config: { name: 'test', format: 1, created_at: '2026-01-01T00:00:00.000Z' }, rigs: [{ name: 'alpha', prefix: 'al', source: 'x', path: 'alpha', added_at: '2026-01-01T00:00:00.000Z' }] };
}

const repoFile = (t: Town): string => join(t.root, 'alpha', 'main', RIG_SETTINGS_FILE);
function write(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
}
const rowsOf = (t: Town): Record<string, [unknown, string]> => Object.fromEntries(settingRows(t, 'alpha').map((r) => [r.key, [r.value, r.source]]));
/** What a call throws: its code and message. */
function refusal(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    return { code: (err as { code: string }).code, message: (err as Error).message };
  }
  throw new Error('it did not throw');
}

describe('rig settings', () => {
  it('are the defaults when neither the repository nor the town says otherwise', () => {
    const t = town();
    expect(rowsOf(t)).toEqual({
      gates: [[], 'default'],
      merge: ['rebase', 'default'],
      batch: [1, 'default'],
      max_wait: ['1h', 'default'],
      max_reworks: [3, 'default'],
      gate_timeout: ['10m', 'default'],
      dispatch: ['mayor', 'default'],
      max_polecats: [4, 'default'],
      setup: [[], 'default'],
      stall_after: ['15m', 'default'],
      spawn_grace: ['60s', 'default'],
      max_restarts: [3, 'default'],
    });
    expect(settingRows(t, 'alpha').every((r) => r.describe === SETTINGS[r.key]!.describe && r.describe.length > 0)).toBe(true);
    expect(rigSettings(t, 'alpha')).toEqual({
      gates: [],
      merge: 'rebase',
      batch: 1,
      max_wait_ms: 3_600_000,
      max_reworks: 3,
      gate_timeout_ms: 600_000,
      dispatch: 'mayor',
      max_polecats: 4,
      setup: [],
      stall_after_ms: 900_000,
      spawn_grace_ms: 60_000,
      max_restarts: 3,
    });
  });

  it("take the repository's file over the defaults, and the town's over the repository's, key by key", () => {
    const t = town();
    write(repoFile(t), { gates: ['npm test', { name: 'lint', run: 'npm run lint', timeout: '30s' }], merge: 'squash', batch: 4 });
    expect(rowsOf(t)).toMatchObject({ gates: [['npm test', { name: 'lint', run: 'npm run lint', timeout: '30s' }], 'repository'], merge: ['squash', 'repository'], batch: [4, 'repository'], max_wait: ['1h', 'default'] });
    write(townSettingsPath(t, 'alpha'), { merge: 'merge', max_wait: '5m' });
    expect(rowsOf(t)).toMatchObject({ merge: ['merge', 'town'], max_wait: ['5m', 'town'], batch: [4, 'repository'], max_reworks: [3, 'default'] });
    expect(rigSettings(t, 'alpha')).toEqual({
      gates: [
        { name: 'npm test', run: 'npm test', timeout_ms: 600_000 },
        { name: 'lint', run: 'npm run lint', timeout_ms: 30_000 },
      ],
      merge: 'merge',
      batch: 4,
      max_wait_ms: 300_000,
      max_reworks: 3,
      gate_timeout_ms: 600_000,
      dispatch: 'mayor',
      max_polecats: 4,
      setup: [],
      stall_after_ms: 900_000,
      spawn_grace_ms: 60_000,
      max_restarts: 3,
    });
  });

  it("take the kernel's keys from the same files: dispatch, max_polecats, setup commands and the witness's thresholds", () => {
    const t = town();
    write(repoFile(t), { dispatch: 'auto', max_polecats: 2, setup: ['cp ../.env .env', { run: 'npm ci', timeout: '5m' }], stall_after: '2m' });
    write(townSettingsPath(t, 'alpha'), { spawn_grace: '5s', max_restarts: 1 });
    expect(rigSettings(t, 'alpha')).toMatchObject({
      dispatch: 'auto',
      max_polecats: 2,
      setup: [
        { run: 'cp ../.env .env', timeout_ms: 600_000 },
        { run: 'npm ci', timeout_ms: 300_000 },
      ],
      stall_after_ms: 120_000,
      spawn_grace_ms: 5_000,
      max_restarts: 1,
    });
  });

  it('read the committed text when given (null: no file at the target), not the working tree', () => {
    const t = town();
    write(repoFile(t), { batch: 4 });
    expect(rowsOf(t).batch).toEqual([4, 'repository']);
    expect(settingRows(t, 'alpha', { committed: '{"batch": 8, "gate_timeout": "2m"}' }).filter((r) => r.source === 'repository').map((r) => [r.key, r.value])).toEqual([
      ['batch', 8],
      ['gate_timeout', '2m'],
    ]);
    expect(rigSettings(t, 'alpha', { committed: null })).toMatchObject({ batch: 1, gate_timeout_ms: 600_000 });
    // the town's override still wins over what is committed
    write(townSettingsPath(t, 'alpha'), { batch: 2 });
    expect(rigSettings(t, 'alpha', { committed: '{"batch": 8}' }).batch).toBe(2);
    expect(refusal(() => settingRows(t, 'alpha', { committed: '{"batch": 0}' }))).toEqual({ code: 'invalid_input', message: "invalid batch in alpha's .gastown/settings.json: 0 is not a whole number from 1 to 64" });
  });

  const where = "alpha's .gastown/settings.json";
  it.each([
    ['an unknown key', { batches: 2 }, `unknown setting "batches" in ${where} (known: gates, merge, batch, max_wait, max_reworks, gate_timeout, dispatch, max_polecats, setup, stall_after, spawn_grace, max_restarts)`],
    ['a key every object has (constructor)', { constructor: 2 }, `unknown setting "constructor" in ${where} (known: gates, merge, batch, max_wait, max_reworks, gate_timeout, dispatch, max_polecats, setup, stall_after, spawn_grace, max_restarts)`],
    ['a key every object has (toString)', { toString: 'x' }, `unknown setting "toString" in ${where} (known: gates, merge, batch, max_wait, max_reworks, gate_timeout, dispatch, max_polecats, setup, stall_after, spawn_grace, max_restarts)`],
    ['a key every object has (__proto__)', '{"__proto__": 1}', `unknown setting "__proto__" in ${where} (known: gates, merge, batch, max_wait, max_reworks, gate_timeout, dispatch, max_polecats, setup, stall_after, spawn_grace, max_restarts)`],
    ['a duration too long', { max_wait: '99999999d' }, `invalid max_wait in ${where}: "99999999d": too long (at most 100 years)`],
    ['batch 0', { batch: 0 }, `invalid batch in ${where}: 0 is not a whole number from 1 to 64`],
    ['batch 1.5', { batch: 1.5 }, `invalid batch in ${where}: 1.5 is not a whole number from 1 to 64`],
    ['batch as a string', { batch: '4' }, `invalid batch in ${where}: "4" is not a whole number from 1 to 64`],
    ['max_reworks -1', { max_reworks: -1 }, `invalid max_reworks in ${where}: -1 is not a whole number from 0 to 100`],
    ['a bad duration', { max_wait: 'an hour' }, `invalid max_wait in ${where}: "an hour": use a duration such as 30s, 10m, 2h or 7d`],
    ['a duration as a number', { gate_timeout: 60 }, `invalid gate_timeout in ${where}: 60 is not a duration such as 30s, 10m or 1h`],
    ['an unknown dispatch mode', { dispatch: 'always' }, `invalid dispatch in ${where}: "always" is not one of auto, mayor, off`],
    ['max_polecats 0', { max_polecats: 0 }, `invalid max_polecats in ${where}: 0 is not a whole number from 1 to 64`],
    ['setup not a list', { setup: 'npm ci' }, `invalid setup in ${where}: give a list of commands, each a string or {"run", "timeout"}`],
    ['an empty setup command', { setup: [''] }, `invalid setup in ${where}: setup[0] is an empty command`],
    ['a setup object with an unknown key', { setup: [{ run: 'npm ci', name: 'x' }] }, `invalid setup in ${where}: setup[0] has unknown key(s) name (known: run, timeout)`],
    ['a bad stall_after', { stall_after: 15 }, `invalid stall_after in ${where}: 15 is not a duration such as 30s, 10m or 1h`],
    ['an unknown merge style', { merge: 'fast-forward' }, `invalid merge in ${where}: "fast-forward" is not one of rebase, merge, squash, pr`],
    ['gates not a list', { gates: 'npm test' }, `invalid gates in ${where}: give a list of commands, each a string or {"name", "run", "timeout"}`],
    ['an empty gate', { gates: ['  '] }, `invalid gates in ${where}: gates[0] is an empty command`],
    ['a gate that is a number', { gates: ['npm test', 7] }, `invalid gates in ${where}: gates[1] is neither a command nor {"name", "run", "timeout"}`],
    ['a gate object with an unknown key', { gates: [{ run: 'make', cwd: 'sub' }] }, `invalid gates in ${where}: gates[0] has unknown key(s) cwd (known: name, run, timeout)`],
    ['a gate object without run', { gates: [{ name: 'x' }] }, `invalid gates in ${where}: gates[0] needs "run", a command line`],
    ['a gate with an empty name', { gates: [{ name: '', run: 'make' }] }, `invalid gates in ${where}: gates[0].name must be a non-empty string`],
    ['a gate with a bad timeout', { gates: [{ run: 'make', timeout: '5 minutes' }] }, `invalid gates[0].timeout in ${where}: "5 minutes": use a duration such as 30s, 10m, 2h or 7d`],
    ['a file that is not JSON', '{"batch": 2,', `${where} is not valid JSON: `],
    ['a file that is a list', '[1]', `${where} must hold a JSON object of settings`],
  ])('refuse %s in the repository file, naming the key and the file', (_what, value, message) => {
    const t = town();
    write(repoFile(t), value);
    const r = refusal(() => settingRows(t, 'alpha'));
    expect(r.code).toBe('invalid_input');
    if (message.endsWith(': ')) expect(r.message.startsWith(message)).toBe(true);
    else expect(r.message).toBe(message);
  });

  it("refuse a bad value in the town's file, naming that file", () => {
    const t = town();
    write(townSettingsPath(t, 'alpha'), { batch: 0 });
    expect(refusal(() => settingRows(t, 'alpha'))).toEqual({ code: 'invalid_input', message: `invalid batch in ${townSettingsPath(t, 'alpha')}: 0 is not a whole number from 1 to 64` });
    expect(parseSettingsText('{}', 'x')).toEqual({});
  });

  it('refuse an unknown rig', () => {
    const t = town();
    expect(refusal(() => settingRows(t, 'beta'))).toEqual({ code: 'not_found', message: 'no rig beta in this town (gt rig list)' });
    expect(refusal(() => setTownSetting(t, 'beta', 'batch', 2))).toEqual({ code: 'not_found', message: 'no rig beta in this town (gt rig list)' });
    expect(existsSync(join(t.root, 'settings'))).toBe(false);
  });
});

describe('parseSettingValue', () => {
  it('reads JSON, else a bare word as a string, and refuses anything else', () => {
    expect(parseSettingValue('4')).toBe(4);
    expect(parseSettingValue('["npm test", {"run": "make"}]')).toEqual(['npm test', { run: 'make' }]);
    expect(parseSettingValue('"npm test"')).toBe('npm test');
    expect(parseSettingValue('true')).toBe(true);
    expect(parseSettingValue('squash')).toBe('squash');
    expect(parseSettingValue(' 10m ')).toBe('10m');
    expect(parseSettingValue('./gate.sh')).toBe('./gate.sh');
    for (const text of ['npm test', '', '[1,', 'a;b']) {
      expect(refusal(() => parseSettingValue(text))).toEqual({ code: 'invalid_input', message: `${JSON.stringify(text)} is neither JSON nor a bare word; quote a string with spaces as JSON ('"npm test"')` });
    }
  });
});

describe('setTownSetting', () => {
  it('writes a checked override, and removes it again (--unset)', () => {
    const t = town();
    write(repoFile(t), { batch: 4 });
    expect(setTownSetting(t, 'alpha', 'batch', 8)).toMatchObject({ key: 'batch', value: 8, source: 'town' });
    expect(setTownSetting(t, 'alpha', 'gates', ['npm test'])).toMatchObject({ key: 'gates', value: ['npm test'], source: 'town' });
    expect(JSON.parse(readFileSync(townSettingsPath(t, 'alpha'), 'utf8'))).toEqual({ batch: 8, gates: ['npm test'] });
    expect(setTownSetting(t, 'alpha', 'batch', undefined)).toMatchObject({ key: 'batch', value: 4, source: 'repository' });
    expect(JSON.parse(readFileSync(townSettingsPath(t, 'alpha'), 'utf8'))).toEqual({ gates: ['npm test'] });
    expect(setTownSetting(t, 'alpha', 'gates', undefined)).toMatchObject({ key: 'gates', value: [], source: 'default' });
  });

  it("writes nothing while the repository's file is broken, and says so", () => {
    const t = town();
    write(repoFile(t), '{"batch": ');
    expect(refusal(() => setTownSetting(t, 'alpha', 'batch', 2))).toMatchObject({ code: 'invalid_input', message: expect.stringContaining("alpha's .gastown/settings.json is not valid JSON") });
    expect(existsSync(join(t.root, 'settings'))).toBe(false);
  });

  it.each([
    ['batch', 0, 'invalid batch in the value given: 0 is not a whole number from 1 to 64'],
    ['max_wait', 'soon', 'invalid max_wait in the value given: "soon": use a duration such as 30s, 10m, 2h or 7d'],
    ['gates', 'npm test', 'invalid gates in the value given: give a list of commands, each a string or {"name", "run", "timeout"}'],
    ['gates', [{ run: 'make', env: {} }], 'invalid gates in the value given: gates[0] has unknown key(s) env (known: name, run, timeout)'],
    ['batches', 2, 'unknown setting "batches" (known: gates, merge, batch, max_wait, max_reworks, gate_timeout, dispatch, max_polecats, setup, stall_after, spawn_grace, max_restarts)'],
    ['constructor', 2, 'unknown setting "constructor" (known: gates, merge, batch, max_wait, max_reworks, gate_timeout, dispatch, max_polecats, setup, stall_after, spawn_grace, max_restarts)'],
    ['__proto__', undefined, 'unknown setting "__proto__" (known: gates, merge, batch, max_wait, max_reworks, gate_timeout, dispatch, max_polecats, setup, stall_after, spawn_grace, max_restarts)'],
  ])('writes nothing for %s %j', (key, value, message) => {
    const t = town();
    expect(refusal(() => setTownSetting(t, 'alpha', key, value))).toEqual({ code: 'invalid_input', message });
    expect(existsSync(join(t.root, 'settings'))).toBe(false);
    // nor over an existing override
    setTownSetting(t, 'alpha', 'batch', 2);
    const before = readFileSync(townSettingsPath(t, 'alpha'), 'utf8');
    refusal(() => setTownSetting(t, 'alpha', key, value));
    expect(readFileSync(townSettingsPath(t, 'alpha'), 'utf8')).toBe(before);
  });
});
