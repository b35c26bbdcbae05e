// Writes the keymap (src/keymap.ts, built to dist/) into docs/dashboard.md between <!-- keymap --> and
// <!-- /keymap -->; keymap.test.ts fails when the two differ. Run after npm run build.
import { readFileSync, writeFileSync } from 'node:fs';
import { keymapTable } from '../dist/keymap.js';

const file = new URL('../../../docs/dashboard.md', import.meta.url);
const doc = readFileSync(file, 'utf8');
const next = doc.replace(/<!-- keymap -->[\s\S]*?<!-- \/keymap -->/, `<!-- keymap -->\n${keymapTable()}\n<!-- /keymap -->`);
if (next === doc && !doc.includes('<!-- keymap -->')) throw new Error('docs/dashboard.md has no <!-- keymap --> section');
writeFileSync(file, next);
