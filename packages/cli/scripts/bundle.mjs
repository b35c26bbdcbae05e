// Bundles the CLI entry points (compiled by tsc into dist/) with esbuild. A CLI started many times a minute
// by agents pays module resolution and loading on every start: one file instead of ~80 halves that.
// Output: dist/bd.mjs and dist/gt.mjs (loaded by bin/), and dist/chunks/ for code they share or load on demand.
import { build } from 'esbuild';
import { chmodSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entries = ['bd', 'gt'];
// Written in place of the old bundle file by file, each renamed over its predecessor, and stale chunks removed
// last: a bd started meanwhile (a test running beside `npm install -g .`, whose prepare step builds) always
// finds every chunk its entry names. Chunk names hash their content, so an unchanged build names the same files.
const result = await build({
  write: false,
  // gt dashboard's reader thread (packages/dashboard/src/data/read-worker.ts) and a full cache build's op checker
  // (packages/beads/src/op-check.ts) are entries of their own: a worker starts from a file
  entryPoints: { ...Object.fromEntries(entries.map((name) => [name, join(root, 'dist', `${name}.js`)])), 'chunks/dashboard-worker': join(root, '..', 'dashboard', 'dist', 'data', 'worker.js'), 'chunks/validate-worker': join(root, '..', 'beads', 'dist', 'validate-worker.js') },
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
  // React's production build: its development build, picked at run time when NODE_ENV is unset, keeps every
  // render with a diff of its props (gt dashboard grew from 0.5 to 2.1 GB over 48 key presses at 100,000 rows,
  // and ran out of memory at 4 GB) and makes a key press slower by half
  define: { 'process.env.NODE_ENV': '"production"' },
  // Ink loads React's devtools only when DEV=true: never installed, never bundled
  external: ['react-devtools-core'],
  logLevel: 'warning',
});
const written = new Set();
// chunks first, then the entries that import them
for (const file of [...result.outputFiles].sort((a, b) => Number(b.path.includes('/chunks/')) - Number(a.path.includes('/chunks/')))) {
  mkdirSync(dirname(file.path), { recursive: true });
  const tmp = `${file.path}.tmp${process.pid}`;
  writeFileSync(tmp, file.contents);
  renameSync(tmp, file.path);
  written.add(relative(root, file.path));
}
for (const name of entries) chmodSync(join(root, 'dist', `${name}.mjs`), 0o755);
const chunks = join(root, 'dist', 'chunks');
for (const f of readdirSync(chunks)) if (!written.has(relative(root, join(chunks, f)))) rmSync(join(chunks, f), { force: true });
