// `npm start`: a short tour of the bead store in a temporary git repository. Runs the real bd binary, so what
// it prints is exactly what a person would see. Later issues grow this into the whole town.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bdPath = join(dirname(fileURLToPath(import.meta.url)), 'bd.mjs');
const repo = mkdtempSync(join(tmpdir(), 'gastown-demo-'));
const env = { ...process.env, BD_ACTOR: 'demo' };

function step(title: string): void {
  const bold = process.stdout.isTTY ? ['\x1b[1m', '\x1b[0m'] : ['', ''];
  process.stdout.write(`\n${bold[0]}== ${title}${bold[1]}\n`);
}

function bd(args: string[], show = true): string {
  if (show) process.stdout.write(`$ bd ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}\n`);
  const r = spawnSync(process.execPath, [bdPath, ...args], { cwd: repo, env, encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stderr || r.stdout);
    throw new Error(`bd ${args.join(' ')} failed with exit code ${r.status}`);
  }
  if (show && !args.includes('--json')) process.stdout.write(r.stdout);
  return r.stdout;
}

const idOf = (json: string): string => (JSON.parse(json) as { id: string }).id;

try {
  spawnSync('git', ['init', '-q', repo]);
  step(`A git repository with a bead store (${repo})`);
  bd(['init', '--prefix', 'demo']);

  step('Work with dependencies: design, then build and docs, then release');
  const design = idOf(bd(['create', 'Design the login flow', '-p', '1', '-t', 'feature', '--json']));
  process.stdout.write(`  design  = ${design}\n`);
  const build = idOf(bd(['create', 'Build the login flow', '--deps', `blocks:${design}`, '--json']));
  process.stdout.write(`  build   = ${build} (blocked by design)\n`);
  const docs = idOf(bd(['create', 'Document login', '-p', '3', '--deps', `blocks:${design}`, '--json']));
  process.stdout.write(`  docs    = ${docs} (blocked by design)\n`);
  const release = idOf(bd(['create', 'Release 1.0', '-t', 'chore', '--deps', `blocks:${build},blocks:${docs}`, '--json']));
  process.stdout.write(`  release = ${release} (blocked by build and docs)\n`);

  step('What is ready? Only the design');
  bd(['ready']);
  bd(['blocked']);

  step('An agent claims the design (atomically), finishes it and closes it');
  bd(['update', design, '--claim']);
  bd(['close', design, '--reason', 'design reviewed']);

  step('What became ready: build and docs, by priority');
  bd(['ready']);

  step('The whole dependency tree of the release');
  bd(['dep', 'tree', release]);

  step('Everything is an append-only log inside the repository');
  bd(['history', design]);
  bd(['doctor']);

  process.stdout.write(`\nNext: read README.md and docs/beads.md; try bd --help.\n`);
} finally {
  rmSync(repo, { recursive: true, force: true });
}
