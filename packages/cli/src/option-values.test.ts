import { describe, expect, it } from '@jest/globals';
import yargs from 'yargs';
import { checkDashedValues, valueOptions, VALUES_EAT_DASHES } from './option-values.js';

function parse(args: string[], help = false): Record<string, unknown> {
  const y = yargs(args);
  valueOptions(y, args);
  return y
    .parserConfiguration(VALUES_EAT_DASHES)
    .options({ since: { type: 'string' }, reason: { alias: 'r', type: 'string' }, label: { type: 'string', array: true }, follow: { type: 'boolean' } })
    .command('show [id]', 'x', (c) => c.positional('id', { type: 'string' }).option('title', { type: 'string' }))
    .help(help)
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    })
    .parseSync() as Record<string, unknown>;
}

describe('valueOptions', () => {
  it('lets a string option take the next argument whatever it starts with, in a command builder too', () => {
    expect(parse(['--since', '-1h'])).toMatchObject({ since: '-1h' });
    expect(parse(['-r', '- a list', '--follow'])).toMatchObject({ reason: '- a list', follow: true });
    expect(parse(['show', 'a', '--title', '-hello world'])).toMatchObject({ id: 'a', title: '-hello world' });
    expect(parse(['--since='])).toMatchObject({ since: '' });
    expect(() => parse(['--since'])).toThrow('Not enough arguments following: since');
    // one that reads as an option is refused, never read as flags (-h: the help)
    expect(() => parse(['show', 'a', '--title', '-h'], true)).toThrow('Not enough arguments following: title (-h reads as an option');
    expect(() => parse(['--since', '--follow'])).toThrow(/^Not enough arguments following: since$/);
  });

  it('refuses a list option followed by an option-like word, before the help a -h among its letters asks for', () => {
    expect(() => parse(['--label', '-hello'], true)).toThrow('Not enough arguments following: label (-hello reads as an option; write --label=-hello to give it as the value)');
    expect(() => parse(['show', 'a', '--label', '-x'])).toThrow('Not enough arguments following: label (-x reads');
    expect(parse(['--label=-x', '--label', '-1'])).toMatchObject({ label: ['-x', '-1'] });
  });

  it('leaves positionals, lists and flags as they were', () => {
    expect(parse(['show', '-x'])).toMatchObject({ x: true });
    expect(parse(['--label', 'a', 'b', '--follow'])).toMatchObject({ label: ['a', 'b'], follow: true });
    expect(parse(['--follow', 'show', 'a'])).toMatchObject({ follow: true, id: 'a' });
  });
});

describe('checkDashedValues', () => {
  const declared = { string: ['since', 'reason', 'r', 'label', 'id'], narg: { since: NaN, reason: NaN }, array: ['label'], alias: { reason: ['r'] } };
  it('refuses a value written apart that reads as an option, naming the option by its long name', () => {
    expect(() => checkDashedValues(declared, ['feed', '--since', '-x'])).toThrow('Not enough arguments following: since (-x reads as an option; write --since=-x to give it as the value)');
    expect(() => checkDashedValues(declared, ['-r', '--json'])).toThrow(/^Not enough arguments following: reason$/);
  });

  it('takes a negative duration or number, a lone -, words with a space, and a value given with =; a positional is no option', () => {
    expect(() => checkDashedValues(declared, ['--since', '-1h', '--reason', '-', '--since=-x', '-r', '-5', '--reason', 'x', '--label', '-1', '--label=-x', '--id', '-x'])).not.toThrow();
    expect(() => checkDashedValues(declared, ['--label', '-x'])).toThrow('Not enough arguments following: label (-x reads');
    expect(() => checkDashedValues({ ...declared, string: ['status', 's'], array: ['status', 's'], alias: { status: ['s'] } }, ['-s', '-h'])).toThrow('following: status (-h reads as an option; write --status=-h');
    expect(() => checkDashedValues(declared, ['--reason', 'a', '--since', '1h'])).not.toThrow();
    expect(() => checkDashedValues(declared, ['--reason', '- first\n- second', '-r', '-x and more', '--reason', '-.5'])).not.toThrow();
    expect(() => checkDashedValues(declared, ['--reason', '--'])).toThrow(/^Not enough arguments following: reason$/);
  });
});
