import { describe, expect, it } from '@jest/globals';
import { checkParsed, markLiterals, unmark, unmarkMessage } from './literal-arguments.js';

const declared = { string: ['title', 'assignee', 'a'], boolean: ['claim', 'json'], alias: { assignee: ['a'] } };

describe('markLiterals', () => {
  it('marks a lone - and every dashed argument after --, drops the --, and keeps the options before it', () => {
    const { argv, options } = markLiterals(['close', 'a', '-', '--json', '--', 'b', '-x', '--reason', '-']);
    expect(argv.slice(0, 2)).toEqual(['close', 'a']);
    expect(argv).not.toContain('-');
    expect(argv).not.toContain('--');
    expect(argv.map(unmark)).toEqual(['close', 'a', '-', '--json', 'b', '-x', '--reason', '-']);
    expect(argv.filter((x) => x.startsWith('-'))).toEqual(['--json']);
    expect(options).toEqual(['close', 'a', '-', '--json']);
  });

  it('leaves other arguments alone, and yargs messages lose the marks', () => {
    expect(markLiterals(['show', '-1', '--title', 'x']).argv).toEqual(['show', '-1', '--title', 'x']);
    const [marked] = markLiterals(['-']).argv;
    expect(unmarkMessage(`Unknown argument: ${marked}`)).toBe('Unknown argument: -');
  });
});

describe('checkParsed', () => {
  it('unmarks the parsed values in place', () => {
    const [dash] = markLiterals(['-']).argv;
    const parsed: Record<string, unknown> = { ids: ['a', dash], reason: dash };
    checkParsed(parsed, declared, []);
    expect(parsed).toEqual({ ids: ['a', '-'], reason: '-' });
  });

  it('refuses a negated option that takes a value, named by its long name, and a flag given a value', () => {
    expect(() => checkParsed({ title: false }, declared, ['--no-title'])).toThrow('--no-title: --title takes a value');
    expect(() => checkParsed({ a: false, assignee: false }, declared, ['--no-a'])).toThrow('--no-assignee: --assignee takes a value');
    expect(() => checkParsed({ claim: false }, declared, ['--claim=maybe'])).toThrow('--claim takes no value');
    expect(() => checkParsed({ claim: false, json: true }, declared, ['--claim=false', '--json=true'])).not.toThrow();
  });
});
