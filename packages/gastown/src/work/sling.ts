// gt sling: hands a bead to a new polecat. It picks a name from the pool, makes the polecat's worktree and
// branch, runs the rig's setup commands in it, hooks the bead to it, pours the work molecule under the bead, and starts the polecat's session.
// A bead the witness released is continued instead (released.ts): its molecule kept, the worktree started from
// the branch its work was pushed to. A step that fails undoes the steps before it, so nothing is left half-made;
// what a sling killed half-way leaves, the next one removes before it takes a name (leftovers.ts).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BeadStore, BeadsError, hookBead, hookRefusal, removeLabels, updateBead, withLock, type Bead } from '@gastown/beads';
import { findMolecule, keyedId, pourMolecule, stepCount, type CatalogOptions } from '@gastown/molecules';
import { agentEnv, agentFor, forgetConversation, requireRig, resolveRuntime, startAgent } from '../agents/index.js';
import type { Agent, Tools, Town } from '../model.js';
import { addWorktree, branchExists, remoteBranchExists, removeWorktree } from '../git-cli.js';
import { rigPaths, rigSettings } from '../town/index.js';
import { HOOK_MOLECULE_KEY, HOOK_RUNTIME_KEY } from './hook.js';
import { claimName, retireReleased, sweepLeftovers } from './leftovers.js';
import { runSetup, type SetupRun } from './setup-hook.js';
import { RELEASED_LABEL, RELEASE_KEY, continueRelease, pendingRelease, planRelease, undoHandover, type Handover } from './released.js';

export const POLECAT_NAMES = ['nux', 'slit', 'furiosa', 'toast', 'capable', 'dag', 'rictus', 'ace', 'morsov', 'keeper', 'cheedo', 'angharad', 'dementus', 'valkyrie', 'max', 'scrotus'];
export const DEFAULT_WORK_MOLECULE = 'polecat-work';

export interface SlingOptions {
  molecule?: string;
  /** For a released bead: start over (a new molecule, a worktree from the target) instead of continuing it. */
  fresh?: boolean;
  runtime?: string;
  actor: string;
  tools: Tools;
}

export interface SlingResult {
  bead: string;
  rig: string;
  polecat: string;
  address: string;
  session: string;
  worktree: string;
  branch: string;
  molecule: { name: string; id: string; steps: number };
  runtime: string;
  /** The rig's setup commands, run in the worktree before the session started. */
  setup: SetupRun[];
  /** Polecats left behind that this sling removed first (leftovers.ts), when there were any. */
  swept?: string[];
  /**
   * For a bead the witness had released: continued (its molecule kept, the worktree started from `start`, the
   * branch its work was pushed to; null when it had no commits), or started fresh, with why.
   */
  release?: {
    how: 'continued' | 'fresh';
    released_at: string;
    from: string;
    start: string | null;
    steps_closed?: number;
    why?: string;
    /** What became of the polecat it was released from: removed (worktree and branch), or kept and why. */
    retired?: { removed: boolean; reason?: string };
  };
}

/** The molecule a bead asks for: `metadata.molecule`, or a `molecule:<name>` label. */
function beadMolecule(bead: Bead): string | undefined {
  const meta = (bead.metadata as { molecule?: unknown } | undefined)?.molecule;
  if (typeof meta === 'string') return meta;
  return bead.labels?.find((l) => l.startsWith('molecule:'))?.slice('molecule:'.length);
}

/**
 * Whether a polecat name is free in a rig: no worktree, local branch or (as of the last fetch) remote branch has
 * it (gt done pushes polecat/<name> to the rig's origin, where another town's polecat may have left one), and no
 * git is making its branch (a ref lock: a sling killed under the lock leaves its git running, or its lock file).
 */
function nameFree(town: Town, rig: string, name: string): boolean {
  const clone = rigPaths(town, rig).clone;
  return (
    !existsSync(agentFor(town, 'polecat', rig, name).cwd) &&
    !existsSync(join(clone, '.git', 'refs', 'heads', 'polecat', `${name}.lock`)) &&
    !branchExists(clone, `polecat/${name}`) &&
    !remoteBranchExists(clone, `polecat/${name}`)
  );
}

function pickName(town: Town, rig: string, skip: Set<string>): string {
  for (let round = 1; ; round++) {
    const name = POLECAT_NAMES.map((n) => (round === 1 ? n : `${n}${round}`)).find((n) => !skip.has(n) && nameFree(town, rig, n));
    if (name) return name;
  }
}

/**
 * Takes a free name by making its worktree and branch (under the sling lock). A name taken meanwhile from
 * outside the lock (the git of a sling killed while it held the lock, still making its branch) is passed
 * over for the next; any other failure is thrown.
 */
function takeName(town: Town, rig: string, take: (name: string) => void): string {
  const skip = new Set<string>();
  for (let attempt = 1; ; attempt++) {
    const name = pickName(town, rig, skip);
    try {
      take(name);
      return name;
    } catch (err) {
      if (attempt >= 5 || nameFree(town, rig, name)) throw err;
      skip.add(name);
    }
  }
}

export function slingBead(town: Town, beadId: string, rig: string, options: SlingOptions): SlingResult {
  requireRig(town, rig);
  const paths = rigPaths(town, rig);
  const store = BeadStore.open(paths.store);
  let bead: Bead;
  try {
    bead = store.get(beadId);
  } catch (err) {
    if ((err as BeadsError).code === 'not_found') throw new BeadsError('not_found', `no bead ${beadId} in rig ${rig}`, { id: beadId, rig });
    throw err;
  }
  // decided before anything is made: a release whose work cannot be found refuses the sling
  const plan = planRelease(store, bead, paths.clone, { fresh: options.fresh, molecule: options.molecule });
  const continuation = plan && 'continuation' in plan ? plan.continuation : null;
  const moleculeName = continuation?.molecule.molecule ?? options.molecule ?? beadMolecule(bead) ?? DEFAULT_WORK_MOLECULE;
  const runtime = resolveRuntime(town, 'polecat', options.tools, options.runtime);
  const { setup } = rigSettings(town, rig); // a broken settings file refuses the sling before anything is made
  // A name is taken by making its worktree and branch: choosing and taking happen under the rig's sling lock, so
  // that slings at the same time choose different names.
  const locks = join(town.root, '.gt', 'locks');
  mkdirSync(locks, { recursive: true });
  let unclaim = (): void => {};
  const { name, agent, branch, swept } = withLock(
    join(locks, `sling-${rig}.lock`),
    () => {
      // Under the lock, where no sling takes a name or makes a worktree: the polecats left behind (by a sling
      // killed half-way, a release continued) go first, and their names are free again.
      const swept = sweepBeforeSling(town, rig, store);
      const name = takeName(town, rig, (n) => {
        const polecat = agentFor(town, 'polecat', rig, n);
        // Checked again under the store's lock by hookBead; asked first so that a refused sling makes no worktree.
        const refusal = hookRefusal(bead, polecat.address);
        if (refusal) throw refusal;
        // claimed before the worktree is made: until this sling ends, no sweep takes it for a leftover
        const dropClaim = claimName(town, rig, n);
        try {
          addWorktree(paths.clone, polecat.cwd, `polecat/${n}`, continuation?.start?.commit);
        } catch (err) {
          dropClaim();
          throw err;
        }
        unclaim = dropClaim;
      });
      return { name, agent: agentFor(town, 'polecat', rig, name), branch: `polecat/${name}`, swept };
    },
    { timeoutMs: 120_000, what: `choosing a polecat name in rig ${rig}` },
  );
  let hooked = false;
  let handover: Handover = [];
  try {
    // Outside the sling lock (an install may take minutes) and before the hook: a failing command leaves the
    // store as it was, and the worktree and branch are removed below.
    const setupRuns = runSetup(agent.cwd, setup, agentEnv(town, agent, runtime, options.tools));
    // The hook records the molecule (its id follows from the pour's key) and the runtime: whoever asks what the
    // polecat is doing finds the molecule without a scan, and gt up resumes the polecat as it was slung.
    let molecule: SlingResult['molecule'];
    if (continuation) {
      hooked = true; // (set first: a refused hook writes nothing, and the undo below puts back what it read)
      handover = continueRelease(store, options.actor, continuation, bead.id, agent.address, runtime.name);
      molecule = { name: continuation.molecule.molecule, id: continuation.molecule.id, steps: continuation.molecule.total };
    } else {
      const key = `sling:${bead.id}:${name}`;
      const record = pendingRelease(bead);
      const setAside = record && plan && 'fresh' in plan ? { [RELEASE_KEY]: { ...record, taken: { at: store.nowIso(), by: agent.address, how: 'fresh', why: plan.fresh } } } : {};
      hookBead(store, options.actor, bead.id, agent.address, { [HOOK_MOLECULE_KEY]: keyedId(store.idPrefix, moleculeName, key), [HOOK_RUNTIME_KEY]: runtime.name, ...setAside });
      hooked = true;
      const catalog: CatalogOptions = { rigRoot: paths.clone, townRoot: town.root };
      const poured = pourMolecule(store, options.actor, moleculeName, {
        catalog,
        vars: moleculeVars(catalog, moleculeName, bead),
        key,
        parent: bead.id,
        assignee: agent.address,
      });
      molecule = { name: moleculeName, id: poured.molecule.id, steps: stepCount(poured.steps) };
    }
    forgetConversation(town, agent); // a polecat of the same name before this one had its own
    startAgent(town, agent, runtime, options.tools);
    dropReleasedLabel(store, options.actor, bead.id);
    const record = pendingRelease(bead);
    // the release is used: the polecat it came from has nothing more to do (its work is where this one started)
    const retired = record && plan ? retireReleased(town, rig, store, record.from, record.worktree) : undefined;
    return {
      bead: bead.id,
      rig,
      polecat: name,
      address: agent.address,
      session: agent.session,
      worktree: agent.cwd,
      branch,
      molecule,
      runtime: runtime.name,
      setup: setupRuns,
      ...(swept.length ? { swept } : {}),
      ...(record && plan
        ? {
            release: continuation
              ? { how: 'continued' as const, released_at: record.at, from: record.from, start: continuation.record.branch, steps_closed: continuation.molecule.done, retired }
              : { how: 'fresh' as const, released_at: record.at, from: record.from, start: null, why: 'fresh' in plan ? plan.fresh : undefined, retired },
          }
        : {}),
    };
  } catch (err) {
    if (hooked) {
      const now = store.get(bead.id);
      // put back only what this sling wrote: a refused hook wrote nothing
      if (now.status === 'hooked' && now.assignee === agent.address) updateBead(store, options.actor, bead.id, { status: bead.status, assignee: bead.assignee ?? '', metadata: bead.metadata ?? null });
      undoHandover(store, options.actor, handover);
    }
    removeWorktree(paths.clone, agent.cwd, branch);
    throw err;
  } finally {
    unclaim();
  }
}

/** The addresses of the leftovers removed; none when the sweep itself fails (the sling does not depend on it). */
function sweepBeforeSling(town: Town, rig: string, store: BeadStore): string[] {
  try {
    return sweepLeftovers(town, rig, store).removed.map((e) => e.address);
  } catch {
    return []; // (asked again by the next sling)
  }
}

/** A person (or dispatch, once the label was removed) slung it: the hold on dispatch is lifted. */
function dropReleasedLabel(store: BeadStore, actor: string, id: string): void {
  try {
    if (store.get(id).labels?.includes(RELEASED_LABEL)) removeLabels(store, actor, id, [RELEASED_LABEL]);
  } catch {
    /* the sling stands; the label only holds the bead back from dispatch, and bd label remove takes it off */
  }
}

/** A molecule that declares a `bead` variable (polecat-work does) is given the bead it works on. */
function moleculeVars(catalog: CatalogOptions, name: string, bead: Bead): Record<string, string> | undefined {
  const entry = findMolecule(name, catalog);
  return entry?.molecule?.variables.some((v) => v.name === 'bead') ? { bead: bead.id } : undefined;
}
