import { afterEach, describe, expect, it } from '@jest/globals';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BeadsError } from '@gastown/beads';
import { testTowns } from './test-town.js';
import { findTown, readTown } from './town.js';

const { town: newTown } = testTowns(afterEach);

/** What readTown throws for the town whose `file` holds `text`: its code, exit code and message. */
function refusal(file: string, text: string): { code: string; exit: number; message: string } {
  const town = newTown({ alpha: 'al' });
  writeFileSync(join(town.root, file), text);
  try {
    readTown(town.root);
  } catch (err) {
    expect(err).toBeInstanceOf(BeadsError);
    const e = err as BeadsError;
    expect(e.message).toContain(join(town.root, file));
    expect(e.message).not.toContain('\n');
    return { code: e.code, exit: e.exitCode, message: e.message.slice(join(town.root, file).length + 2) };
  }
  throw new Error(`readTown accepted ${file} holding ${JSON.stringify(text)}`);
}

describe("readTown: the town's files checked", () => {
  it.each([
    ['town.json cut short', 'town.json', '{"name": "town", "form', /^it is not valid JSON \(.+\); a write was cut short\?/],
    ['town.json empty', 'town.json', '', /^it is empty; /],
    ['rigs.json cut short', 'rigs.json', '{"rigs": [', /^it is not valid JSON /],
    ['rigs.json empty', 'rigs.json', '\n', /^it is empty; /],
  ])('%s: corrupt_log (exit 6, as a corrupt store), naming the file', (_what, file, text, message) => {
    expect(refusal(file, text)).toEqual({ code: 'corrupt_log', exit: 6, message: expect.stringMatching(message) });
  });

  it.each([
    ['town.json an array', 'town.json', '[]', /^it must hold a JSON object .*, not an array; /],
    ['town.json null', 'town.json', 'null', /^it must hold a JSON object .*, not null; /],
    ['town.json without a name', 'town.json', '{"format": 1}', /^"name" must be the town's name \(a string\), not missing; /],
    ['town.json a name not a string', 'town.json', '{"name": 7}', /^"name" must be .*, not number 7; /],
    ['town.json runtimes not an object', 'town.json', '{"name": "t", "runtimes": "claude"}', /^"runtimes" must be an object, not string "claude"; /],
    ['rigs.json an array', 'rigs.json', '[]', /^it must hold a JSON object \(\{"rigs": \[...\]\}\), not an array; /],
    ['rigs.json with rigs not an array', 'rigs.json', '{"rigs": {"alpha": {}}}', /^"rigs" must be an array of rigs, not an object; /],
    ['rigs.json without rigs', 'rigs.json', '{}', /^"rigs" must be an array of rigs, not missing; /],
    ['rigs.json with a rig not an object', 'rigs.json', '{"rigs": ["alpha"]}', /^rigs\[0\] must be an object, not string "alpha"; /],
    ['rigs.json with a rig named as a path out of the town', 'rigs.json', '{"rigs": [{"name": "../../etc", "prefix": "al", "path": "x"}]}', /^rigs\[0\]\.name must be a rig's name .*, not string "\.\.\/\.\.\/etc"; /],
    ['rigs.json with a rig without a prefix', 'rigs.json', '{"rigs": [{"name": "alpha", "path": "alpha"}]}', /^rigs\[0\]\.prefix \(rig alpha\) must be an id prefix, not missing; /],
  ])('%s: invalid_input (exit 4, as a config.json of the wrong shape), naming the file', (_what, file, text, message) => {
    expect(refusal(file, text)).toEqual({ code: 'invalid_input', exit: 4, message: expect.stringMatching(message) });
  });

  it('reads a town as gt writes it, and one without rigs.json as a town without rigs', () => {
    const town = newTown({ alpha: 'al' });
    expect(readTown(town.root).rigs.map((r) => [r.name, r.prefix])).toEqual([['alpha', 'al']]);
    writeFileSync(join(town.root, 'town.json'), '\uFEFF' + JSON.stringify({ ...town.config, runtimes: { default: 'scripted' } })); // an editor's BOM
    expect(readTown(town.root).config.runtimes).toEqual({ default: 'scripted' });
    rmSync(join(town.root, 'rigs.json'));
    expect(readTown(town.root).rigs).toEqual([]);
  });

  it('findTown from a directory inside a town whose town.json is cut short refuses it (no walk past it)', () => {
    const town = newTown();
    writeFileSync(join(town.root, 'town.json'), '{');
    expect(() => findTown(join(town.root, 'molecules'))).toThrow(/town\.json: it is not valid JSON/);
  });
});
