// `npm start`: the town demo. A temporary town with a small sample rig (templates/demo/rig, a git repository
// with its own test command), three beads that each ask for the engineer-in-box molecule, slung to three
// scripted polecats in tmux. It shows their progress until every molecule is done and every merge request is
// filed, prints how to look inside, and removes everything (sessions, processes, files) unless --keep.
// Setup and the final views run the real gt and bd binaries, so what it prints is what a person would see.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BeadStore, listBeads } from '@gastown/beads';
import { agentFor, hookedWork, mrMeta, readTown, rigPaths, type Agent } from '@gastown/gastown';

const USAGE = `Usage: npm start [-- --keep]

The Gas Town demo: a temporary town with a sample rig, three beads slung to three scripted polecats in
tmux (no LLM), followed until every molecule is done and every merge request is filed.

Options:
  --keep   leave the town and its sessions running afterwards, to look inside with gt and bd
  --help   show this help
`;

const DEADLINE_MS = 110_000;
const RIG = 'calc';

const dist = dirname(fileURLToPath(import.meta.url));
const GT = join(dist, 'gt.mjs');
const BD = join(dist, 'bd.mjs');
const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const say = (s = ''): boolean => process.stdout.write(`${s}\n`);

class DemoError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** templates/demo, found by walking up from this module. */
function demoTemplates(): string {
  for (let dir = dist; ; dir = dirname(dir)) {
    const candidate = join(dir, 'templates', 'demo');
    if (existsSync(join(candidate, 'rig'))) return candidate;
    if (dirname(dir) === dir) throw new DemoError('templates/demo is missing from this installation');
  }
}

// The demo's commands run as the overseer (the human), whatever agent or town this shell belongs to.
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(GT_|BEADS_DIR$|BD_ACTOR$)/.test(k)));
Object.assign(env, { BD_ACTOR: 'overseer', GT_RUNTIME: 'scripted' });

const quote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a));

/** Runs a tool; `show` prints the command line and its output as a person would see them. */
function run(cwd: string, tool: 'gt' | 'bd' | 'git', args: string[], show = true, shown = `${tool} ${args.map(quote).join(' ')}`): string {
  if (show) say(`$ ${shown}`);
  const r = tool === 'git' ? spawnSync('git', args, { cwd, env, encoding: 'utf8' }) : spawnSync(process.execPath, [tool === 'gt' ? GT : BD, ...args], { cwd, env, encoding: 'utf8' });
  if (r.error) throw new DemoError(`${tool} could not run: ${r.error.message}`);
  if (r.status !== 0) throw new DemoError(`${shown} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`, r.status ?? 1);
  if (show && !args.includes('--json') && r.stdout.trim()) say(r.stdout.trimEnd().replace(/^/gm, '  '));
  return r.stdout;
}

function requireTools(): void {
  for (const [tool, hint] of [
    ['tmux', 'the demo runs its agents in tmux'],
    ['git', 'rigs are git repositories'],
  ] as const) {
    const r = spawnSync(tool, [tool === 'tmux' ? '-V' : '--version'], { encoding: 'utf8' });
    if (r.error) throw new DemoError(`${tool} is not installed or not on PATH (${hint}); install it (Debian: apt-get install ${tool}) and run npm start again`, 11);
  }
}

interface Bead {
  id: string;
  title: string;
}

/** The sample project as a git repository of its own, with one commit. */
function makeSampleRepo(templates: string, dir: string): void {
  cpSync(join(templates, 'rig'), dir, { recursive: true });
  const who = ['-c', 'user.name=Gas Town demo', '-c', 'user.email=demo@gastown.invalid'];
  run(dir, 'git', ['init', '-q', '-b', 'main'], false);
  run(dir, 'git', ['add', '-A'], false);
  run(dir, 'git', [...who, 'commit', '-q', '-m', 'calc: add, with its tests'], false);
}

function createBeads(templates: string, town: string): Bead[] {
  const dir = join(templates, 'beads');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      const title = /^#\s+(.+)$/m.exec(text)?.[1]?.trim() ?? file;
      const description = text.replace(/^#\s+.+\n+/m, '').trim();
      const shown = `bd create ${quote(title)} --rig ${RIG} -l molecule:engineer-in-box -d <the rest of templates/demo/beads/${file}>`;
      const out = run(town, 'bd', ['create', title, '--rig', RIG, '-l', 'molecule:engineer-in-box', '-d', description, '--json'], true, shown);
      const bead = JSON.parse(out) as Bead;
      say(`  created ${bead.id}`);
      return bead;
    });
}

interface Slung {
  bead: Bead;
  agent: Agent;
  molecule: string;
  last: string;
  mr?: string;
}

const elapsed = (start: number): string => `${((Date.now() - start) / 1000).toFixed(1).padStart(5)}s`;

/** Prints each polecat's progress as it changes, until all have filed their merge requests. */
async function follow(townRoot: string, slung: Slung[], start: number): Promise<void> {
  const town = readTown(townRoot);
  const store = BeadStore.open(rigPaths(town, RIG).store);
  for (;;) {
    const mrs = listBeads(store, { issue_type: ['merge-request'], all: true, limit: 0 });
    for (const s of slung) {
      const mr = mrs.find((b) => mrMeta(b)?.source_bead === s.bead.id);
      let line: string;
      if (mr) {
        s.mr = mr.id;
        line = `done: merge request ${mr.id} filed for ${mrMeta(mr)!.branch}`;
      } else {
        const work = hookedWork(s.agent, store);
        const m = work?.molecule;
        line = m ? `${String(work.step?.step ?? 'finishing').padEnd(10)} ${m.done}/${m.total} steps closed` : 'starting';
      }
      if (line !== s.last) {
        say(`  [${elapsed(start)}] ${s.agent.name!.padEnd(8)} ${s.bead.id}  ${line}`);
        s.last = line;
      }
    }
    if (slung.every((s) => s.mr)) return;
    if (Date.now() - start > DEADLINE_MS) {
      const screens = slung.filter((s) => !s.mr).map((s) => `--- ${s.agent.address} ---\n${run(townRoot, 'gt', ['peek', s.agent.address, '-n', '15'], false)}`);
      throw new DemoError(`not every merge request was filed within ${DEADLINE_MS / 1000} s; the unfinished polecats' screens:\n${screens.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  const unknown = args.filter((a) => a !== '--keep');
  if (unknown.length) throw new DemoError(`unknown argument ${quote(unknown[0]!)}\n\n${USAGE}`, 2);
  const keep = args.includes('--keep');
  requireTools();
  const templates = demoTemplates();
  const start = Date.now();
  const base = mkdtempSync(join(tmpdir(), 'gastown-demo-'));
  const town = join(base, 'town');
  const source = join(base, `${RIG}-src`);
  let up = false;
  const cleanup = (): void => {
    if (up) spawnSync(process.execPath, [GT, 'down'], { cwd: town, env, stdio: 'ignore' });
    rmSync(base, { recursive: true, force: true });
  };
  const interrupted = (): void => {
    say('\ninterrupted');
    if (!keep) cleanup();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  let finished = false;
  try {
    say(bold(`== A town with one rig: ${RIG}, a sample project whose test command is ./test.sh`));
    makeSampleRepo(templates, source);
    run(base, 'gt', ['install', town], true, `gt install ${town}`);
    run(town, 'gt', ['rig', 'add', RIG, source], true, `gt rig add ${RIG} ${source}`);
    up = true;
    run(town, 'gt', ['up'], true, 'GT_RUNTIME=scripted gt up   # the mayor, and the rig\'s witness and refinery');

    say();
    say(bold('== Three beads, each asking for the engineer-in-box molecule (design, implement, test, submit)'));
    const beads = createBeads(templates, town);

    say();
    say(bold('== Slung to three scripted polecats: a worktree, a branch and a tmux session each'));
    const slung: Slung[] = beads.map((bead) => {
      const out = run(town, 'gt', ['sling', bead.id, RIG, '--runtime', 'scripted', '--json'], true);
      const r = JSON.parse(out) as { polecat: string; branch: string; molecule: { id: string; steps: number } };
      say(`  ${r.polecat} works ${bead.id} on ${r.branch} (molecule ${r.molecule.id}, ${r.molecule.steps} steps)`);
      return { bead, agent: agentFor(readTown(town), 'polecat', RIG, r.polecat), molecule: r.molecule.id, last: '' };
    });

    say();
    say(bold('== Progress'));
    await follow(town, slung, start);

    say();
    say(bold('== The town now'));
    run(town, 'gt', ['agents']);
    run(town, 'gt', ['peek', slung[0]!.agent.address, '-n', '12']);
    run(town, 'bd', ['list', '--rig', RIG, '-t', 'merge-request']);
    run(source, 'git', ['branch', '--list', 'polecat/*'], true, `git -C ${source} branch --list 'polecat/*'   # pushed by gt done`);
    run(town, 'gt', ['mail', 'inbox', '--to', `${RIG}/refinery`, '--all']);
    finished = true;

    say();
    const first = slung[0]!.agent.address;
    if (keep) {
      say(bold('== Look inside (the town keeps running)'));
      say(`  cd ${town} && export PATH="${join(town, '.gt', 'bin')}:$PATH"`);
    } else {
      say(bold('== To look inside, run npm start -- --keep, then'));
      say('  cd <the town it prints> && export PATH="<town>/.gt/bin:$PATH"');
    }
    const look: [string, string][] = [
      ['gt agents', 'every agent: session state, hooked bead, current step'],
      [`gt attach ${first}`, "the polecat's terminal (detach with C-b d)"],
      [`gt peek ${RIG}/refinery`, 'the last lines of a session, without attaching'],
      [`bd list --rig ${RIG} --all`, 'every bead: the tasks, their molecules and steps, the merge requests'],
      [`bd mol status ${slung[0]!.molecule}`, "a molecule's checklist"],
      [`gt mail inbox --to ${RIG}/refinery --all`, 'what the polecats told the refinery'],
      ...(keep ? ([[`gt down && rm -rf ${base}`, 'when you are done']] as [string, string][]) : []),
    ];
    const width = Math.max(...look.map(([c]) => c.length));
    for (const [command, what] of look) say(`  ${command.padEnd(width)}   # ${what}`);
  } finally {
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
    if (!keep) cleanup();
    else if (!finished) process.stderr.write(`Kept ${town} to look at what went wrong; gt down && rm -rf ${base} when done.\n`);
  }
  say();
  say(keep ? `Kept ${town} (${elapsed(start).trim()}).` : `Stopped every session and removed ${base} (${elapsed(start).trim()}).`);
  say('Next: README.md, docs/agents.md and docs/towns.md; gt --help and bd --help.');
}

main().catch((err: unknown) => {
  const e = err instanceof DemoError ? err : new DemoError(String((err as Error)?.stack ?? err));
  process.stderr.write(`npm start: ${e.message}\n`);
  process.exitCode = e.exitCode;
});
