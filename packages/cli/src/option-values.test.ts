import { describe, expect, it } from '@jest/globals';
import yargs from 'yargs';
import { checkDashedValues, requireValues, VALUES_EAT_DASHES } from './option-values.js';

function parse(args: string[]): Record<string, unknown> {
  const y = yargs(args);
  requireValues(y);
  return y
    .parserConfiguration(VALUES_EAT_DASHES)
    .options({ since: { type: 'string' }, reason: { alias: 'r', type: 'string' }, label: { type: 'string', array: true }, follow: { type: 'boolean' } })
    .command('show [id]', 'x', (c) => c.positional('id', { type: 'string' }).option('title', { type: 'string' }))
    .help(false)
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    })
    .parseSync() as Record<string, unknown>;
}

describe('requireValues', () => {
  it('lets a string option take the next argument whatever it starts with, in a command builder too', () => {
    expect(parse(['--since', '-1h'])).toMatchObject({ since: '-1h' });
    expect(parse(['-r', '-h', '--follow'])).toMatchObject({ reason: '-h', follow: true });
    expect(parse(['show', 'a', '--title', '-hello'])).toMatchObject({ id: 'a', title: '-hello' });
    expect(parse(['--since', '--follow'])).toMatchObject({ since: '--follow' });
    expect(parse(['--since='])).toMatchObject({ since: '' });
    expect(() => parse(['--since'])).toThrow('Not enough arguments following: since');
  });

  it('leaves positionals, lists and flags as they were', () => {
    expect(parse(['show', '-x'])).toMatchObject({ x: true });
    expect(parse(['--label', 'a', 'b', '--follow'])).toMatchObject({ label: ['a', 'b'], follow: true });
    expect(parse(['--follow', 'show', 'a'])).toMatchObject({ follow: true, id: 'a' });
  });
});

describe('checkDashedValues', () => {
  const declared = { narg: { since: NaN, reason: NaN, label: NaN }, array: ['label'], alias: { reason: ['r'] } };
  it('refuses a value written apart that reads as an option, naming the option by its long name', () => {
    expect(() => checkDashedValues(declared, ['feed', '--since', '-x'])).toThrow('Not enough arguments following: since (-x reads as an option; write --since=-x to give it as the value)');
    expect(() => checkDashedValues(declared, ['-r', '--json'])).toThrow(/^Not enough arguments following: reason$/);
  });

  it('takes a negative duration or number, a lone -, words with a space, and a value given with =; a list is left to yargs', () => {
    expect(() => checkDashedValues(declared, ['--since', '-1h', '--reason', '-', '--since=-x', '-r', '-5', '--reason', 'x', '--label', '-x'])).not.toThrow();
    expect(() => checkDashedValues(declared, ['--reason', 'a', '--since', '1h'])).not.toThrow();
    expect(() => checkDashedValues(declared, ['--reason', '- first\n- second', '-r', '-x and more', '--reason', '-.5'])).not.toThrow();
    expect(() => checkDashedValues(declared, ['--reason', '--'])).toThrow(/^Not enough arguments following: reason$/);
  });
});
