#!/usr/bin/env node
// The `gt` command. It lives outside dist/ so that npm can link it (npm install -g . from a clone) before the
// prepare step has built the bundle it loads, and says so when that bundle is missing.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/gt.mjs', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write('gt: not built yet: run npm install (or npm run build) in the Gas Town clone first\n');
  process.exit(1);
}
await import(bundle.href);
