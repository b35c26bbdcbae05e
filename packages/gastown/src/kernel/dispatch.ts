// Dispatch: ready work starts by itself. Per rig, `dispatch: auto` slings ready work beads in ready order
// while fewer than max_polecats polecats are working; `mayor` mails the mayor once per newly ready bead;
// `off` does nothing. Every input is in the store (ready order, assignee, labels, metadata.dispatch) or on
// disk (the polecats), so a round killed at any line is finished by the next; a per-rig lock keeps two
// rounds from filling the same free places.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { BeadStore, BeadsError, addComment, readyBeads, updateBead, withLock, type Bead } from '@gastown/beads';
import { requireRig, requireTmux } from '../agents/index.js';
import type { Tools, Town } from '../model.js';
import { rigPaths, rigSettings, type DispatchMode } from '../town/index.js';
import { RELEASED_LABEL, polecatRows, releasedReason, sendMail, slingBead } from '../work/index.js';
import { rigHold } from './services.js';

/** The types dispatch slings: work a polecat does. An epic is not: its children are. */
export const DISPATCH_TYPES = ['task', 'bug', 'feature', 'chore'];
export const NO_DISPATCH_LABEL = 'no-dispatch';
/** Failures of the bead's own sling (its setup, a hook taken meanwhile); any other (no tmux, a lock held) is the town's. */
const BEAD_FAILURES = new Set(['gate_failed', 'already_claimed', 'conflict', 'not_found', 'invalid_input']);
/** A bead whose sling failed (its setup, say) is not tried again before this. */
export const DISPATCH_RETRY_MS = 10 * 60_000;

export interface DispatchOptions {
  tools: Tools;
  actor?: string;
  dryRun?: boolean;
  log?: (line: string) => void;
  /** The polecats' runtime (else as gt sling chooses: GT_RUNTIME, town.json, claude). */
  runtime?: string;
  /** Now, for the retry delay (tests). */
  now?: number;
}

export interface DispatchResult {
  rig: string;
  mode: DispatchMode;
  dry_run: boolean;
  /** max_polecats, and how many polecats were working when the round began. */
  capacity: number;
  working: number;
  /** Slung this round (in a dry run, what would be: no polecat is chosen, so polecat is ''). */
  slung: { bead: string; polecat: string; title: string; reason: string }[];
  /** Beads the mayor was told of this round (in a dry run, would be). */
  notified: string[];
  failed: { bead: string; error: string; code: string }[];
  /** Ready beads passed over, each with why. */
  skipped: { bead: string; reason: string }[];
  /** gt down RIG holds the rig: nothing is slung (or told) until gt up. */
  held?: { since: string; by: string };
}

/** What dispatch has recorded on a bead (metadata.dispatch). */
export interface DispatchMeta {
  /** When the mayor was told it is ready. */
  told?: string;
  failed_at?: string;
  error?: string;
}

export const dispatchMeta = (bead: Bead): DispatchMeta => ((bead.metadata as { dispatch?: DispatchMeta } | undefined)?.dispatch ?? {}) as DispatchMeta;

/** A step of a poured molecule (pour metadata names its molecule and step), which its polecat works through. */
const isStep = (bead: Bead): boolean => {
  const m = bead.metadata as { molecule?: unknown; step?: unknown } | undefined;
  return typeof m?.molecule === 'string' && typeof m?.step === 'string';
};

/** Why a ready bead is not for dispatch, or null when it is. */
function passOver(bead: Bead, now: number, rig: string): string | null {
  if (!DISPATCH_TYPES.includes(bead.issue_type)) return `a${bead.issue_type === 'epic' ? 'n' : ''} ${bead.issue_type}, not work a polecat is slung (${DISPATCH_TYPES.join(', ')})`;
  if (bead.status !== 'open') return `${bead.status} (its claim lapsed: the sweep releases it)`;
  if (bead.assignee) return `assigned to ${bead.assignee}`;
  if (bead.labels?.includes(NO_DISPATCH_LABEL)) return `labelled ${NO_DISPATCH_LABEL}`;
  // the witness gave up on it after max_restarts: slung again at once, a bead that always crashes would cycle for ever
  if (bead.labels?.includes(RELEASED_LABEL)) return releasedReason(bead, rig);
  const failed = dispatchMeta(bead).failed_at;
  if (failed && Date.parse(failed) + DISPATCH_RETRY_MS > now) return `its sling failed at ${failed}; tried again from ${new Date(Date.parse(failed) + DISPATCH_RETRY_MS).toISOString()}`;
  return null;
}

/** The rig's ready beads for dispatch, in ready order (priority, then oldest), and those passed over. */
export function dispatchCandidates(store: BeadStore, now: number, rig: string): { beads: Bead[]; skipped: DispatchResult['skipped'] } {
  const beads: Bead[] = [];
  const skipped: DispatchResult['skipped'] = [];
  for (const bead of readyBeads(store, { limit: 0 })) {
    if (isStep(bead)) continue; // its molecule's polecat works it: not worth a line each
    const reason = passOver(bead, now, rig);
    if (reason) skipped.push({ bead: bead.id, reason });
    else beads.push(bead);
  }
  return { beads, skipped };
}

const describe = (b: Bead): string => `${b.id}  P${b.priority}  ${b.issue_type}  ${b.title}`;

/** One round for a rig: sling (auto), tell the mayor (mayor), or nothing (off). */
export function dispatchRound(town: Town, rig: string, options: DispatchOptions): DispatchResult {
  requireRig(town, rig);
  const settings = rigSettings(town, rig);
  const result: DispatchResult = { rig, mode: settings.dispatch, dry_run: Boolean(options.dryRun), capacity: settings.max_polecats, working: 0, slung: [], notified: [], failed: [], skipped: [] };
  if (settings.dispatch === 'off') return result;
  const held = rigHold(town, rig);
  if (held) return { ...result, held };
  const round = (): DispatchResult => (settings.dispatch === 'auto' ? slingReady(town, rig, options, result) : tellMayor(town, rig, options, result));
  if (options.dryRun) return round(); // changes nothing: it need not wait for a round that does
  const locks = join(town.root, '.gt', 'locks');
  mkdirSync(locks, { recursive: true });
  // held while slinging: a second round waits, then counts the polecats the first started
  return withLock(join(locks, `dispatch-${rig}.lock`), round, { timeoutMs: 15 * 60_000, what: `dispatch in rig ${rig}` });
}

function slingReady(town: Town, rig: string, options: DispatchOptions, result: DispatchResult): DispatchResult {
  const log = options.log ?? (() => {});
  const actor = options.actor ?? 'dispatch';
  const now = options.now ?? Date.now();
  result.working = polecatRows(town, rig).filter((p) => p.state === 'working' || p.state === 'rework').length;
  const store = BeadStore.open(rigPaths(town, rig).store);
  const { beads, skipped } = dispatchCandidates(store, now, rig);
  result.skipped.push(...skipped);
  let working = result.working;
  let stopped: string | undefined;
  // without tmux no sling could start its polecat: refused once here, not recorded as every bead's failure
  if (!options.dryRun && beads.length && working < result.capacity) requireTmux();
  for (const bead of beads) {
    if (stopped) {
      result.skipped.push({ bead: bead.id, reason: stopped });
      continue;
    }
    if (working >= result.capacity) {
      result.skipped.push({ bead: bead.id, reason: `no free polecat (${working} of max_polecats ${result.capacity} working)` });
      continue;
    }
    const reason = `ready (P${bead.priority}), ${working} of max_polecats ${result.capacity} polecats working`;
    if (options.dryRun) {
      result.slung.push({ bead: bead.id, polecat: '', title: bead.title, reason });
      working++;
      continue;
    }
    try {
      const r = slingBead(town, bead.id, rig, { actor, tools: options.tools, runtime: options.runtime });
      result.slung.push({ bead: bead.id, polecat: r.polecat, title: bead.title, reason });
      log(`dispatch ${rig}: slung ${bead.id} to ${r.address}: ${reason}`);
      working++;
    } catch (err) {
      const code = err instanceof BeadsError ? err.code : 'internal';
      const error = (err as Error).message;
      result.failed.push({ bead: bead.id, error, code });
      log(`dispatch ${rig}: sling of ${bead.id} failed (${code}), not tried again for ${DISPATCH_RETRY_MS / 60_000} min: ${error}`);
      recordFailure(store, actor, bead.id, error);
      // what would fail every sling alike is not each bead's to carry: the rest wait for the next round
      if (!BEAD_FAILURES.has(code)) stopped = `not tried: the sling of ${bead.id} before it failed (${code})`;
    }
  }
  return result;
}

/** The failure on the bead (so the next rounds pass it over for a while) and, whole, as a comment a person sees in bd show. */
function recordFailure(store: BeadStore, actor: string, id: string, error: string): void {
  try {
    const bead = store.get(id);
    const failed_at = new Date().toISOString();
    const short = error.length > 1000 ? `${error.slice(0, 1000)}...` : error;
    updateBead(store, actor, id, { metadata: { ...(bead.metadata ?? {}), dispatch: { ...dispatchMeta(bead), failed_at, error: short } } });
    addComment(store, actor, id, `Dispatch could not sling this bead (tried again after ${DISPATCH_RETRY_MS / 60_000} min): ${error}`);
  } catch {
    /* the result reports it; without the record the next round tries again */
  }
}

function tellMayor(town: Town, rig: string, options: DispatchOptions, result: DispatchResult): DispatchResult {
  const log = options.log ?? (() => {});
  const actor = options.actor ?? 'dispatch';
  const store = BeadStore.open(rigPaths(town, rig).store);
  const { beads, skipped } = dispatchCandidates(store, options.now ?? Date.now(), rig);
  result.skipped.push(...skipped);
  const fresh: Bead[] = [];
  for (const bead of beads) {
    const told = dispatchMeta(bead).told;
    if (told) result.skipped.push({ bead: bead.id, reason: `the mayor was told at ${told}` });
    else fresh.push(bead);
  }
  if (!fresh.length) return result;
  result.notified = fresh.map((b) => b.id);
  if (options.dryRun) return result;
  const body = [`Newly ready work in rig ${rig} (ready order), not yet slung:`, '', ...fresh.map(describe), '', `Sling one with gt sling <bead> ${rig}; set dispatch to auto (gt rig settings ${rig} dispatch auto) to have it slung by itself.`].join('\n');
  const mail = sendMail(town, actor, 'mayor', `Ready work in ${rig}: ${fresh.length} bead(s)`, body);
  // Told after the mail is stored: a round killed between the two tells again, never not at all.
  const at = new Date().toISOString();
  store.transaction(actor, (tx) => {
    for (const b of fresh) {
      const bead = tx.get(b.id);
      tx.set(b.id, { metadata: { ...(bead.metadata ?? {}), dispatch: { ...dispatchMeta(bead), told: at } } });
    }
  });
  log(`dispatch ${rig}: told the mayor of ${fresh.length} newly ready bead(s) in ${mail.id}: ${result.notified.join(', ')}`);
  return result;
}
