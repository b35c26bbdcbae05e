import { describe, expect, it } from '@jest/globals';
import type { Town } from '../model.js';
import { resolveRuntime } from './runtime.js';

const town = (commands?: Record<string, string>): Town => ({
  root: '/nowhere',
  config: { name: 't', format: 1, created_at: '2026-01-01T00:00:00.000Z', ...(commands ? { runtimes: { commands } } : {}) },
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
});
