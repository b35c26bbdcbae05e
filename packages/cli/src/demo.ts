// `npm start`: the town demo. A temporary town with a small sample rig (templates/demo/rig, a bare git
// repository with its own test command, committed as the rig's gate), three beads that each ask for the
// engineer-in-box molecule, slung to three scripted polecats in tmux. Two of the beads touch the same lines of
// the sample's index.mjs. It shows their progress until the scripted refinery has landed every merge request
// on main (one of them after a conflict and a rework), prints main's history and runs the sample's tests on
// a fresh clone of it, prints how to look inside, and removes everything (sessions, processes, files) unless
// --keep. Setup and the final views run the real gt, bd and git, so what it prints is what a person would see.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BeadStore, listBeads, type Bead as BeadsBead } from '@gastown/beads';
import { agentFor, hookedWork, mqOf, mrMeta, readTown, rigPaths, type Agent } from '@gastown/gastown';

const USAGE = `Usage: npm start [-- [--keep] [--dashboard]]

The Gas Town demo: a temporary town with a sample rig, three beads slung to three scripted polecats in
tmux (no LLM), followed until the refinery has landed their work on the rig's main: one of them conflicts
with another, is sent back for rework and lands after it. Ends with main's history and its tests.

Options:
  --dashboard  watch the work in gt dashboard (on a terminal); q leaves it and the demo goes on
  --keep       leave the town and its sessions running afterwards, to look inside with gt and bd
  --help       show this help
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

/**
 * The sample project as a bare git repository (the rig's remote, which the polecats push their branches to and
 * the refinery lands on), with one commit on main: the code, its tests, and its gate in .gastown/settings.json.
 */
function makeSampleRepo(templates: string, base: string, dir: string): void {
  const seed = join(base, 'seed');
  cpSync(join(templates, 'rig'), seed, { recursive: true });
  const who = ['-c', 'user.name=Gas Town demo', '-c', 'user.email=demo@gastown.invalid'];
  run(seed, 'git', ['init', '-q', '-b', 'main'], false);
  run(seed, 'git', ['add', '-A'], false);
  run(seed, 'git', [...who, 'commit', '-q', '-m', 'calc: add, with its tests and its gate (./test.sh)'], false);
  run(base, 'git', ['clone', '-q', '--bare', seed, dir], false);
  rmSync(seed, { recursive: true, force: true });
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
  /** The last step line shown, and every milestone of its merge requests shown (filed, REWORK, merged). */
  last: string;
  shown: Set<string>;
  merged?: string;
}

const elapsed = (start: number): string => `${((Date.now() - start) / 1000).toFixed(1).padStart(5)}s`;

/**
 * What has happened to a bead's merge requests, oldest first, as milestones that stay true once reached (so
 * none is missed between two looks): filed, each rework, landed; a rejection ends the demo.
 */
function milestones(mrs: BeadsBead[], s: Slung): { key: string; line: string }[] {
  const mine = mrs.filter((b) => mrMeta(b)?.source_bead === s.bead.id).sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
  const out: { key: string; line: string }[] = [];
  mine.forEach((mr, i) => {
    const meta = mrMeta(mr)!;
    const mq = mqOf(mr);
    out.push({ key: `filed ${mr.id}`, line: i === 0 ? `done: merge request ${mr.id} filed for ${meta.branch}` : `reworked on ${meta.target}: merge request ${mr.id} filed for ${meta.branch} (${meta.commit.slice(0, 12)}), superseding ${mine[i - 1]!.id}` });
    for (const a of mq.attempts) {
      if (a.outcome === 'conflict' || a.outcome === 'gate_failed' || a.outcome === 'gate_timeout') out.push({ key: `rework ${mr.id} ${a.n}`, line: `REWORK ${mr.id}: ${a.detail ?? a.outcome}` });
    }
    if (mq.state === 'merged') out.push({ key: `merged ${mr.id}`, line: `merged: ${mr.id} landed on ${meta.target} in ${(mq.merged_commit ?? '?').slice(0, 12)}` });
    if (mq.state === 'rejected') throw new DemoError(`the refinery rejected ${mr.id} (${s.bead.id}): ${mq.reason ?? 'no reason given'}`);
  });
  return out;
}

/** Prints each polecat's progress as it changes, until the refinery has landed every bead's work. */
async function follow(townRoot: string, slung: Slung[], start: number, emit: (line: string) => void = say): Promise<void> {
  const town = readTown(townRoot);
  const store = BeadStore.open(rigPaths(town, RIG).store);
  const show = (s: Slung, line: string): void => emit(`  [${elapsed(start)}] ${s.agent.name!.padEnd(8)} ${s.bead.id}  ${line}`);
  for (;;) {
    const mrs = listBeads(store, { issue_type: ['merge-request'], all: true, limit: 0 });
    for (const s of slung) {
      const reached = milestones(mrs, s);
      if (!reached.length) {
        const work = hookedWork(s.agent, store);
        const m = work?.molecule;
        const line = m ? `${String(work.step?.step ?? 'finishing').padEnd(10)} ${m.done}/${m.total} steps closed` : 'starting';
        if (line !== s.last) show(s, line);
        s.last = line;
      }
      for (const r of reached.filter((x) => !s.shown.has(x.key))) {
        show(s, r.line);
        s.shown.add(r.key);
        if (r.key.startsWith('merged ')) s.merged = r.key.slice('merged '.length);
      }
    }
    if (slung.every((s) => s.merged && store.get(s.bead.id).status === 'closed')) return;
    if (Date.now() - start > DEADLINE_MS) {
      const agents = [...slung.filter((s) => !s.merged).map((s) => s.agent.address), `${RIG}/refinery`];
      const screens = agents.map((a) => `--- ${a} ---\n${run(townRoot, 'gt', ['peek', a, '-n', '15'], false)}`);
      throw new DemoError(`not every bead's work landed on main within ${DEADLINE_MS / 1000} s; the screens of the polecats still at it and of the refinery:\n${screens.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The progress shown in gt dashboard: it runs in this terminal (a child with the terminal handed over) while
 * the progress is followed here quietly; when the person leaves it (q), what happened meanwhile is printed and
 * the plain progress goes on until every bead's work has landed.
 */
async function followInDashboard(town: string, slung: Slung[], start: number): Promise<void> {
  const seen: string[] = [];
  let live = false;
  const landed = follow(town, slung, start, (line) => (live ? say(line) : seen.push(line))).then(
    () => undefined,
    (err: unknown) => err,
  );
  say('  opening gt dashboard: the polecats in Agents, their merge requests in Merge queue; q leaves it');
  await new Promise((r) => setTimeout(r, 1500));
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [GT, 'dashboard'], { cwd: town, env, stdio: 'inherit' });
    child.on('error', () => resolve(1));
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0) throw new DemoError(`gt dashboard exited ${code}`, code);
  say('  (left the dashboard; what happened meanwhile:)');
  for (const line of seen.splice(0)) say(line);
  live = true;
  const failed = await landed;
  if (failed) throw failed;
}

/** The sample's own tests on a fresh clone of main: what landed works. */
function testMain(base: string, source: string): void {
  const dir = join(base, `${RIG}-main`);
  run(base, 'git', ['clone', '-q', source, dir], true, `git clone -q ${source} ${dir} && cd ${dir} && ./test.sh`);
  const r = spawnSync('./test.sh', [], { cwd: dir, env, encoding: 'utf8' });
  const summary = (r.stdout ?? '').split('\n').filter((l) => /^(✔|✖|ℹ (tests|pass|fail))/.test(l.trim()) || /^(ok|not ok) /.test(l) || /^# (tests|pass|fail) /.test(l));
  say((summary.length ? summary.join('\n') : (r.stdout ?? '').trimEnd()).replace(/^/gm, '  '));
  if (r.status !== 0) throw new DemoError(`the sample's tests failed on main (exit ${r.status}):\n${(r.stdout ?? '') + (r.stderr ?? '')}`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  const unknown = args.filter((a) => a !== '--keep' && a !== '--dashboard');
  if (unknown.length) throw new DemoError(`unknown argument ${quote(unknown[0]!)}\n\n${USAGE}`, 2);
  const keep = args.includes('--keep');
  const terminal = Boolean(process.stdout.isTTY && process.stdin.isTTY);
  const dashboard = args.includes('--dashboard') && terminal;
  if (args.includes('--dashboard') && !terminal) say('npm start: --dashboard needs a terminal (stdin and stdout a TTY); this is the plain demo\n');
  requireTools();
  const templates = demoTemplates();
  const start = Date.now();
  const base = mkdtempSync(join(tmpdir(), 'gastown-demo-'));
  const town = join(base, 'town');
  const source = join(base, `${RIG}.git`);
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
    say(bold(`== A town with one rig: ${RIG}, a sample project (a bare repository) whose gate is ./test.sh`));
    makeSampleRepo(templates, base, source);
    run(base, 'gt', ['install', town], true, `gt install ${town}`);
    run(town, 'gt', ['rig', 'add', RIG, source], true, `gt rig add ${RIG} ${source}`);
    up = true;
    run(town, 'gt', ['up', '--no-daemon'], true, 'GT_RUNTIME=scripted gt up --no-daemon   # the mayor, and the rig\'s witness and refinery (the demo drives each step itself)');

    say();
    say(bold('== Three beads, each asking for the engineer-in-box molecule (design, implement, test, submit)'));
    say('  divide and multiply both add their export at the end of index.mjs: whichever lands second conflicts');
    const beads = createBeads(templates, town);

    say();
    say(bold('== Slung to three scripted polecats: a worktree, a branch and a tmux session each'));
    const slung: Slung[] = beads.map((bead) => {
      const out = run(town, 'gt', ['sling', bead.id, RIG, '--runtime', 'scripted', '--json'], true);
      const r = JSON.parse(out) as { polecat: string; branch: string; molecule: { id: string; steps: number } };
      say(`  ${r.polecat} works ${bead.id} on ${r.branch} (molecule ${r.molecule.id}, ${r.molecule.steps} steps)`);
      return { bead, agent: agentFor(readTown(town), 'polecat', RIG, r.polecat), molecule: r.molecule.id, last: '', shown: new Set<string>() };
    });

    say();
    say(bold('== Progress: the polecats work, gt done files merge requests, the refinery gates and lands them'));
    if (dashboard) await followInDashboard(town, slung, start);
    else await follow(town, slung, start);

    say();
    say(bold('== The town now'));
    run(town, 'gt', ['agents']);
    run(town, 'gt', ['mq', 'list']);
    run(town, 'bd', ['list', '--rig', RIG, '-t', 'merge-request', '--all']);
    const reworked = slung.find((s) => [...s.shown].some((k) => k.startsWith('rework ')));
    const reworkedMr = reworked && [...reworked.shown].find((k) => k.startsWith('rework '))!.split(' ')[1]!;
    if (reworked && reworkedMr) {
      run(town, 'gt', ['mq', 'show', reworkedMr], true, `gt mq show ${reworkedMr}   # the one that conflicted`);
      run(town, 'gt', ['mq', 'show', reworked.merged!], true, `gt mq show ${reworked.merged}   # its rework, gated and landed`);
      run(town, 'gt', ['mail', 'inbox', '--to', reworked.agent.address, '--all']);
    }

    say();
    say(bold(`== ${RIG}'s main: every bead's commits, landed by the refinery, and its tests on it`));
    run(source, 'git', ['log', '--oneline', '--graph', 'main'], true, `git -C ${source} log --oneline --graph main`);
    testMain(base, source);
    finished = true;

    say();
    const first = slung[0]!.agent.address;
    if (!dashboard) {
      say(bold('== The same demo in the dashboard, live: npm start -- --dashboard'));
      say();
    }
    if (keep) {
      say(bold('== Look inside (the town keeps running)'));
      say(`  cd ${town} && export PATH="${join(town, '.gt', 'bin')}:$PATH"`);
    } else {
      say(bold('== To look inside, run npm start -- --keep, then'));
      say('  cd <the town it prints> && export PATH="<town>/.gt/bin:$PATH"');
    }
    const look: [string, string][] = [
      ['gt agents', 'every agent: session state, hooked bead, current step'],
      ['gt dashboard', 'the town live in the terminal (? lists its keys, q quits)'],
      [`gt attach ${first}`, "the polecat's terminal (detach with C-b d)"],
      [`gt peek ${RIG}/refinery -n 40`, "the refinery's log: what it gated and landed, without attaching"],
      ['gt mq list', 'the merge queue, in the order the refinery takes it (empty now)'],
      ['gt refinery status', 'what the queue holds, the gates, and the last merge'],
      ...(reworkedMr ? ([[`gt mq show ${reworkedMr}`, 'the merge request that conflicted: its attempt, and why it went back']] as [string, string][]) : []),
      [`gt mail inbox --to ${reworked?.agent.address ?? first} --all`, 'what the refinery told a polecat (REWORK, MERGED)'],
      [`bd list --rig ${RIG} --all`, 'every bead: the tasks, their molecules and steps, the merge requests'],
      [`bd mol status ${slung[0]!.molecule}`, "a molecule's checklist"],
      [`git -C ${keep ? source : `<base>/${RIG}.git`} log --oneline --graph main`, "the rig's main, with the work on it"],
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
