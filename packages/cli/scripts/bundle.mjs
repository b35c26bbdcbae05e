// Bundles the CLI entry points (compiled by tsc into dist/) with esbuild. A CLI started many times a minute
// by agents pays module resolution and loading on every start: one file instead of ~80 halves that.
// Output: dist/bd.mjs and dist/gt.mjs (loaded by bin/), and dist/chunks/ for code they share or load on demand.
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entries = ['bd', 'gt'];
rmSync(join(root, 'dist', 'chunks'), { recursive: true, force: true });
await build({
  entryPoints: entries.map((name) => join(root, 'dist', `${name}.js`)),
  outdir: join(root, 'dist'),
  outExtension: { '.js': '.mjs' },
  // Code behind a dynamic import (bd sync's git) goes to a chunk loaded only when that command runs.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: !process.argv.includes('--no-minify'),
  sourcemap: 'linked',
  legalComments: 'none',
  // yargs and ajv's runtime still call require() for a few built-ins
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  alias: { assert: join(root, 'scripts', 'assert-shim.mjs') },
  logLevel: 'warning',
});
for (const name of entries) chmodSync(join(root, 'dist', `${name}.mjs`), 0o755);
