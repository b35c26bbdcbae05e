import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { KEYMAP, bindingsFor, dispatchKey, helpSections, keymapTable } from './keymap.js';
import type { Mode } from './state.js';

const MODES: Mode[] = ['normal', 'detail', 'filter', 'prompt', 'confirm', 'help'];

describe('the keymap', () => {
  it("is docs/dashboard.md's key table (regenerate it with: node packages/dashboard/scripts/keymap-doc.mjs)", () => {
    const doc = readFileSync(new URL('../../../docs/dashboard.md', import.meta.url), 'utf8');
    const table = /<!-- keymap -->\n([\s\S]*?)\n<!-- \/keymap -->/.exec(doc)?.[1];
    expect(table).toBe(keymapTable());
  });

  it('gives each key one meaning per mode', () => {
    for (const mode of MODES) {
      const keys = bindingsFor(mode).flatMap((b) => b.keys);
      expect({ mode, dupes: keys.filter((k, i) => keys.indexOf(k) !== i) }).toEqual({ mode, dupes: [] });
    }
  });

  it('the help lists every binding of the views; read-only leaves out the actions', () => {
    const all = helpSections().flatMap((s) => s.rows.map((r) => r.description));
    for (const b of KEYMAP.filter((x) => !x.modes.includes('help') || x.modes.length > 1)) expect(all).toContain(b.description);
    const ro = helpSections(true).flatMap((s) => s.rows.map((r) => r.description));
    expect(ro.some((d) => d.startsWith('sling'))).toBe(false);
    expect(dispatchKey('normal', 's', {}, { readonly: true })).toBeNull();
    expect(dispatchKey('normal', 's', {})).toEqual({ type: 'action', kind: 'sling' });
  });

  it('types text in the filter and the prompt, without control characters', () => {
    expect(dispatchKey('filter', 'ab\u0007c', {})).toEqual({ type: 'filter.type', text: 'abc' });
    expect(dispatchKey('prompt', 'q', {})).toEqual({ type: 'prompt.type', text: 'q' });
    expect(dispatchKey('normal', 'z', {})).toBeNull();
  });
});
