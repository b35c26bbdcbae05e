// A rig for the refinery's guarantee tests: a bare remote whose hook records every value its main takes, a
// town with the rig added from it, a gate script committed in the repository that the test controls (it fails
// on a file holding BREAK, and runs the test's hook first), and merge requests filed the way gt done files
// them: a polecat's branch pushed to the remote and a merge-request bead with metadata.merge_request and mq.
import { afterEach } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BeadStore, closeBead, createBead, listBeads, updateBead, type Bead } from '@gastown/beads';
import { readTown, rigMergeRequests, rigPaths, townStore, type MergeRequest, type MergeRequestMeta, type MqMeta, type Town } from '../../packages/gastown/src/index.js';
import { gt, gtJson } from './helpers.js';

export const RIG = 'alpha';

/** git with a throwaway identity; its output, trimmed. */
export function sh(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export interface TestRig {
  base: string;
  remote: string;
  town: string;
  /** Where the test talks to the gate: `runs` (a line per gate run), `hook` (run first; its failure fails the gate). */
  ctl: string;
  /** A clone of the remote the polecats' branches are made in. */
  work: string;
  store: () => BeadStore;
  townOf: () => Town;
  cleanup: () => void;
}

const GATE = (ctl: string): string =>
  [
    '#!/bin/sh',
    '# the rig\'s test suite, as far as the refinery knows: the test steers it through its control directory',
    `echo "$(git rev-parse HEAD^{tree})" >> ${ctl}/runs`,
    `if [ -x ${ctl}/hook ]; then ${ctl}/hook || exit $?; fi`,
    'bad=$(grep -l BREAK *.txt 2>/dev/null)',
    'if [ -n "$bad" ]; then echo "FAIL: BREAK found in $bad"; exit 1; fi',
    'echo "all tests passed"',
    '',
  ].join('\n');

export interface RigOptions {
  /** The committed .gastown/settings.json (default: one gate, ./test.sh). null: no settings file at all. */
  settings?: Record<string, unknown> | null;
}

/** makeRig for one test file: every rig made is cleaned up after each test. */
export function testRigs(): (options?: RigOptions) => TestRig {
  const made: TestRig[] = [];
  afterEach(() => made.splice(0).forEach((r) => r.cleanup()));
  return (options) => {
    const r = makeRig(options);
    made.push(r);
    return r;
  };
}

/** A bare remote with main, a town, and the rig added from the remote. */
export function makeRig(options: RigOptions = {}): TestRig {
  const base = mkdtempSync(join(tmpdir(), 'gt-refinery-'));
  const ctl = join(base, 'ctl');
  mkdirSync(ctl);
  const seed = join(base, 'seed');
  sh(base, 'init', '-q', '-b', 'main', seed);
  writeFileSync(join(seed, 'README'), 'a sample\n');
  writeFileSync(join(seed, 'lines.txt'), Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
  writeFileSync(join(seed, 'test.sh'), GATE(ctl));
  chmodSync(join(seed, 'test.sh'), 0o755);
  const settings = options.settings === undefined ? { gates: [{ name: 'test', run: './test.sh' }] } : options.settings;
  if (settings) {
    mkdirSync(join(seed, '.gastown'));
    writeFileSync(join(seed, '.gastown', 'settings.json'), JSON.stringify(settings, null, 2) + '\n');
  }
  sh(seed, 'add', '-A');
  sh(seed, 'commit', '-qm', 'start');
  const remote = join(base, 'remote.git');
  sh(base, 'init', '-q', '--bare', '-b', 'main', remote);
  sh(seed, 'push', '-q', remote, 'main');
  // every value main takes from now on: in the reflog (written with the ref, so a push killed after it is
  // recorded too) and by a hook
  sh(remote, 'config', 'core.logAllRefUpdates', 'always');
  writeFileSync(join(remote, 'hooks', 'post-receive'), `#!/bin/sh\nwhile read old new ref; do [ "$ref" = refs/heads/main ] && echo "$new" >> ${ctl}/main-values; done\nexit 0\n`);
  chmodSync(join(remote, 'hooks', 'post-receive'), 0o755);
  const town = join(base, 'town');
  const install = gt(base, ['install', town]);
  if (install.code !== 0) throw new Error(`gt install: ${install.stderr}`);
  gtJson(town, ['rig', 'add', RIG, remote, '--prefix', 'al']);
  const work = join(base, 'work');
  sh(base, 'clone', '-q', remote, work);
  const rig: TestRig = {
    base,
    remote,
    town,
    ctl,
    work,
    // (the town may be moved: rig.town is where it is now)
    townOf: () => readTown(rig.town),
    store: () => BeadStore.open(rigPaths(rig.townOf(), RIG).store),
    cleanup: () => {
      gt(rig.town, ['down']);
      rmSync(base, { recursive: true, force: true });
    },
  };
  return rig;
}

/** Sets the gate's hook: a shell script run before the tests (its failure fails the gate). */
export function gateHook(rig: TestRig, script: string): void {
  writeFileSync(join(rig.ctl, 'hook'), `#!/bin/sh\n${script}\n`);
  chmodSync(join(rig.ctl, 'hook'), 0o755);
}

/** Trees the gate ran on, in order. */
export const gateRunsSeen = (rig: TestRig): string[] => (existsSync(join(rig.ctl, 'runs')) ? readFileSync(join(rig.ctl, 'runs'), 'utf8').split('\n').filter(Boolean) : []);

/** Every value main took since the start (the remote's reflog, and its hook's record), oldest first. */
export function mainValues(rig: TestRig): string[] {
  const hooked = existsSync(join(rig.ctl, 'main-values')) ? readFileSync(join(rig.ctl, 'main-values'), 'utf8').split('\n').filter(Boolean) : [];
  const logged = existsSync(join(rig.remote, 'logs', 'refs', 'heads', 'main')) ? sh(rig.remote, 'reflog', 'show', '--format=%H', 'refs/heads/main').split('\n').filter(Boolean).reverse() : [];
  return [...new Set([...logged, ...hooked])];
}

export const mainTip = (rig: TestRig): string => sh(rig.remote, 'rev-parse', 'refs/heads/main');

/** The subjects of main's first-parent history since the start, oldest first. */
export const mainSubjects = (rig: TestRig): string[] => sh(rig.remote, 'log', '--reverse', '--format=%s', 'main').split('\n').slice(1);

/** How many times a line was added across main's history (each merge request adds a line of its own). */
export function timesAdded(rig: TestRig, line: string): number {
  return sh(rig.remote, 'log', '-p', '--no-merges', '--format=', 'main').split('\n').filter((l) => l === `+${line}`).length;
}

export interface Filed {
  mr: string;
  source: string;
  branch: string;
  commit: string;
  worker: string;
}

export interface FileOptions {
  /** Files the polecat writes (path -> content). */
  files: Record<string, string>;
  priority?: number;
  /** Where the branch starts (default: the remote's main as it is now). */
  from?: string;
  /** The source bead (a rework's new submission is of the same bead). */
  source?: string;
  /** Reworks so far (gt done carries them from the merge requests it supersedes). */
  reworks?: number;
  /** As gt done --no-push files it: the branch is in the rig's clone only, and the merge request names no remote. */
  noPush?: boolean;
  /** The branch it is to land on (default main). */
  target?: string;
  /** The polecat has no place in the town (it was removed, or it is another town's). */
  gone?: boolean;
  /** When it was queued (default now). */
  queuedAt?: string;
}

function commitBranch(rig: TestRig, branch: string, files: Record<string, string>, from: string, message: string, push = true): string {
  sh(rig.work, 'fetch', '-q', 'origin');
  sh(rig.work, 'checkout', '-q', '-B', branch, from);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(rig.work, path)), { recursive: true });
    writeFileSync(join(rig.work, path), content);
  }
  sh(rig.work, 'add', '-A');
  sh(rig.work, 'commit', '-qm', message);
  if (push) sh(rig.work, 'push', '-q', '-f', 'origin', branch);
  return sh(rig.work, 'rev-parse', 'HEAD');
}

/** A polecat's work: its branch pushed to the remote, its bead hooked, and the merge request gt done files. */
export function fileMergeRequest(rig: TestRig, name: string, options: FileOptions): Filed {
  const town = rig.townOf();
  const store = rig.store();
  const worker = `${RIG}/polecats/${name}`;
  const branch = `polecat/${name}`;
  // the polecat's place (its worktree, as far as mail is concerned): gone polecats are a test of their own
  if (!options.gone) mkdirSync(join(rigPaths(town, RIG).polecats, name), { recursive: true });
  const commit = commitBranch(rig, branch, options.files, options.from ?? 'origin/main', `${name}: its work`, !options.noPush);
  if (options.noPush) sh(rig.work, 'push', '-q', '-f', rigPaths(town, RIG).clone, `${branch}:${branch}`);
  const priority = options.priority ?? 2;
  const source = options.source ?? createBead(store, 'mayor', { title: `task ${name}`, issue_type: 'task', priority, status: 'in_progress', assignee: worker }).id;
  const remote = sh(rigPaths(town, RIG).clone, 'remote', 'get-url', 'origin');
  const meta: MergeRequestMeta = { branch, target: options.target ?? 'main', source_bead: source, worker, commit, ...(options.noPush ? {} : { remote }) };
  const mq: MqMeta = { state: 'queued', queued_at: options.queuedAt ?? store.nowIso(), retries: 0, reworks: options.reworks ?? 0, attempts: [] };
  const mr = createBead(store, worker, { title: `Merge ${branch}: task ${name}`, issue_type: 'merge-request', priority, metadata: { merge_request: meta, mq }, deps: [{ type: 'related', id: source }] });
  return { mr: mr.id, source, branch, commit, worker };
}

/**
 * What gt done does for a rework: the branch redone on the latest main, a new merge request for the same bead,
 * and the waiting ones superseded, their reworks carried.
 */
export function refileMergeRequest(rig: TestRig, name: string, old: Filed, files: Record<string, string>): Filed {
  const store = rig.store();
  const prev = mr(rig, old.mr);
  const reworks = prev.mq.reworks + (prev.mq.state === 'rework' ? 1 : 0);
  const next = fileMergeRequest(rig, name, { files, source: old.source, reworks, priority: prev.bead.priority });
  updateBead(store, old.worker, old.mr, { metadata: { ...(prev.bead.metadata as Record<string, unknown>), mq: { ...prev.mq, state: 'superseded', superseded_by: next.mr, reason: `superseded by ${next.mr}` } } });
  closeBead(store, old.worker, old.mr, `superseded by ${next.mr}`);
  return next;
}

export const mr = (rig: TestRig, id: string): MergeRequest => rigMergeRequests(rig.store(), { all: true }).find((m) => m.bead.id === id)!;
export const bead = (rig: TestRig, id: string): Bead => rig.store().get(id);
export const allMrs = (rig: TestRig): MergeRequest[] => rigMergeRequests(rig.store(), { all: true });

/** Mail to an address (subject and body), oldest first. */
export function mailTo(rig: TestRig, address: string): { subject: string; body: string }[] {
  return listBeads(townStore(rig.townOf()), { issue_type: ['message'], assignee: address, all: true, limit: 0 })
    .sort((a, b) => a.created_at.localeCompare(b.created_at))
    .map((b) => ({ subject: b.title, body: b.description ?? '' }));
}

/**
 * Main was never broken: every value main took has, for its exact tree, a passing run of every gate recorded
 * on some merge request. Returns the values checked.
 */
export function expectMainNeverBroken(rig: TestRig, gates: string[], except: string[] = []): string[] {
  const passed = new Map<string, Set<string>>();
  for (const m of allMrs(rig)) for (const a of m.mq.attempts) for (const r of a.runs) if (r.passed) passed.set(r.tree, new Set([...(passed.get(r.tree) ?? []), r.gate]));
  const values = mainValues(rig).filter((v) => !except.includes(v));
  const broken = values.filter((v) => {
    const tree = sh(rig.remote, 'rev-parse', `${v}^{tree}`);
    return !gates.every((g) => passed.get(tree)?.has(g));
  });
  if (broken.length) throw new Error(`main took ${broken.length} value(s) with no passing gate run recorded for their tree: ${broken.join(', ')}`);
  return values;
}
