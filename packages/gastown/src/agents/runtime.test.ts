import { describe, expect, it } from '@jest/globals';
import type { Town } from '../model.js';
import { PRIME_PROMPT, resolveRuntime, resumeRuntime, shellQuote } from './runtime.js';

const town = (commands?: Record<string, unknown>): Town => ({
  root: '/nowhere',
  config: { name: 't', format: 1, created_at: '2026-01-01T00:00:00.000Z', ...(commands ? { runtimes: { commands: commands as Record<string, string> } } : {}) },
  rigs: [],
});
const tools = { node: process.execPath, gt: '/gt.mjs', bd: '/bd.mjs' };

describe('resolveRuntime', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])('refuses %s, which every object has, as an unknown runtime', (name) => {
    for (const t of [town(), town(JSON.parse('{"mine": "bash"}') as Record<string, string>)]) {
      let error: { code?: string; message?: string } = {};
      try {
        resolveRuntime(t, 'polecat', tools, name);
      } catch (err) {
        error = err as typeof error;
      }
      expect(error.code).toBe('invalid_input');
      expect(error.message).toMatch(new RegExp(`^unknown runtime "${name}": runtimes are scripted, claude`));
    }
  });

  it('still finds a configured runtime and the built-in ones', () => {
    expect(resolveRuntime(town({ mine: 'sh -c true' }), 'polecat', tools, 'mine')).toEqual({ name: 'mine', command: 'sh -c true', claude: false });
    expect(resolveRuntime(town(), 'polecat', tools, 'scripted').name).toBe('scripted');
  });

  it('a runtime declared {run, resume} resumes a conversation with its arguments; a bare command line cannot', () => {
    const resumable = resolveRuntime(town({ mine: { run: 'sh -c true', resume: '--continue {id}' } }), 'polecat', tools, 'mine');
    expect(resumable).toMatchObject({ name: 'mine', command: 'sh -c true', resume: '--continue {id}' });
    expect(resumeRuntime(resumable, "it's-1")).toMatchObject({ command: `sh -c true --continue ${shellQuote("it's-1")}`, resumes: "it's-1" });
    const plain = resolveRuntime(town({ mine: 'sh -c true' }), 'polecat', tools, 'mine');
    expect(resumeRuntime(plain, 'x')).toBe(plain);
  });

  it("the built-in claude resumes with --resume <id> before its first prompt", () => {
    const PATH = process.env.PATH;
    process.env.PATH = `${process.cwd()}/test/e2e/stand-ins:${PATH}`;
    try {
      const claude = resolveRuntime(town(), 'polecat', tools, 'claude');
      expect(resumeRuntime(claude, 'abc').command).toBe(`claude --dangerously-skip-permissions --resume abc ${shellQuote(PRIME_PROMPT)}`);
    } finally {
      process.env.PATH = PATH;
    }
  });

  it.each([[{ run: '' }], [{ resume: '--resume {id}' }], [{ run: 'x', resume: '--resume' }], [['x']], [''], [7]])('refuses the runtime entry %j naming it', (entry) => {
    expect(() => resolveRuntime(town({ mine: entry }), 'polecat', tools, 'mine')).toThrow(/runtimes\.commands\.mine in town\.json/);
  });
});
