// The built-in scripted agent: a deterministic runtime that needs no LLM. As a polecat it primes itself,
// takes the ready steps of its hooked molecule one at a time, runs the shell code blocks of each step (the
// step's own body, and the hooked bead's blocks tagged `step=<id>`) in its worktree, commits, closes the step (so
// gates run), and finishes with gt done. As a refinery it runs the merge queue's engine (until the
// queue is empty) whenever it is nudged or mailed, and on a short interval. A polecat sent REWORK for the
// bead on its hook redoes its work on the new target: its branch reset to the target, the molecule's step
// blocks run again in step order, committed, and gt done again (which supersedes the old merge request); the
// REWORK mail is acknowledged only once handled (kept while its merge request is not yet sent back, and tried
// again when the rework failed). Every role reads and acknowledges its mail, and acts again whenever a line
// arrives on its input (a nudge). As a witness it runs the witness patrol of its rig (kernel/witness.ts) on each
// nudge and on an interval, logging what it found and did. The refinery and the mayor look at the daemon on
// each of their ticks and start it again when the town is marked up and it is dead (gt daemon ensure).
import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { BeadStore, BeadsError, addComment, listBeads, readyBeads, updateBead, type Bead } from '@gastown/beads';
import { closeStep, runShell, type StepStatus } from '@gastown/molecules';
import type { Agent, Tools, Town } from '../model.js';
import { finishWork, ackMail, inbox, readMail, primeAgent, hookedWork, mqOf, mrMeta, type HookedWork } from '../work/index.js';
import { commitAll, fetchRemote, resetHard } from '../git-cli.js';
import { refineryRun } from '../refinery/index.js';
import { superviseDaemon, witnessPatrol } from '../kernel/index.js';

/** How often a scripted refinery looks at its queue unprompted (GT_REFINERY_INTERVAL_MS, default 2 s). */
export function refineryIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.GT_REFINERY_INTERVAL_MS;
  const ms = raw === undefined || raw === '' ? NaN : Number(raw);
  return Number.isFinite(ms) && ms > 0 ? ms : 2000;
}

/** How soon a scripted polecat tries again a rework that failed (GT_REWORK_RETRY_MS, default 2 s). */
export function reworkRetryMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.GT_REWORK_RETRY_MS;
  const ms = raw === undefined || raw === '' ? NaN : Number(raw);
  return Number.isFinite(ms) && ms > 0 ? ms : 2000;
}

/** Tries of a rework that fails (git or the store erring) before the polecat stops trying on its own. */
export const REWORK_TRIES = 5;

/** What a REWORK mail asks, as the polecat finds it: done, nothing to do (acknowledged), or not yet (kept). */
export type ReworkOutcome = 'done' | 'skipped' | 'failed' | 'waiting';

/** How to tell the hooked bead's merge request waiting for rework. */
type ReworkCheck = { kind: 'skip'; why: string } | { kind: 'wait'; why: string } | { kind: 'go'; work: HookedWork; meta: NonNullable<ReturnType<typeof mrMeta>> };

/** How often a scripted witness patrols its rig unprompted (GT_WITNESS_INTERVAL_MS, default 30 s). */
export function witnessIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.GT_WITNESS_INTERVAL_MS;
  const ms = raw === undefined || raw === '' ? NaN : Number(raw);
  return Number.isFinite(ms) && ms > 0 ? ms : 30_000;
}

/** How often a scripted mayor looks at the daemon unprompted (GT_MAYOR_INTERVAL_MS, default: as the witness patrols). */
export function mayorIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.GT_MAYOR_INTERVAL_MS;
  const ms = raw === undefined || raw === '' ? NaN : Number(raw);
  return Number.isFinite(ms) && ms > 0 ? ms : witnessIntervalMs(env);
}

/** The gt and bd this process runs (the scripted agent is `node gt.mjs scripted-agent`), for the sessions it starts. */
function ownTools(): Tools {
  const gt = realpathSync(process.argv[1]!);
  return { node: process.execPath, gt, bd: join(dirname(gt), 'bd.mjs') };
}

export interface CodeBlock {
  info: string;
  code: string;
}

/** Fenced code blocks whose language is sh, bash or shell (with any further words, such as step=implement). */
export function shellBlocks(text: string | undefined): CodeBlock[] {
  const out: CodeBlock[] = [];
  const re = /^(`{3,}|~{3,})[ \t]*([^\n]*)\n([\s\S]*?)^\1[ \t]*$/gm;
  for (let m = re.exec(text ?? ''); m; m = re.exec(text ?? '')) {
    const info = m[2]!.trim();
    if (/^(sh|bash|shell)\b/.test(info)) out.push({ info, code: m[3]! });
  }
  return out;
}

function stepName(step: Bead): string {
  return String((step.metadata as { step?: unknown } | undefined)?.step ?? step.title);
}

/** The blocks a step runs: its own, then the hooked bead's tagged with the step's id (full path or last part). */
export function blocksFor(step: Bead, hooked: Bead): CodeBlock[] {
  const name = stepName(step);
  const short = name.split('/').pop();
  const tagged = shellBlocks(hooked.description).filter((b) => b.info.split(/\s+/).some((w) => w === `step=${name}` || w === `step=${short}`));
  return [...shellBlocks(step.description), ...tagged];
}

/** A molecule's steps in the order they are done: each step's children before the step that holds them. */
function stepsInOrder(work: HookedWork): StepStatus[] {
  const flat = (steps: StepStatus[]): StepStatus[] => steps.flatMap((s) => [...flat(s.children), s]);
  return flat(work.molecule?.steps ?? []);
}

/**
 * Runs a code block until its shell exits. What it starts in the background keeps running (as it would in an
 * agent's shell; gt down ends it), and does not hold the step up.
 */
function runBlock(code: string, cwd: string): { code: number; output: string } {
  const r = runShell(['bash', '-e', '-o', 'pipefail', '-c', code], { cwd, timeoutMs: 10 * 60_000, keepBackground: true });
  return { code: r.exitCode ?? 1, output: r.output };
}

export class ScriptedAgent {
  private readonly store: BeadStore;
  /** The refinery's engine is running (rounds are synchronous; this keeps it so if they ever are not). */
  private refining = false;
  /** The last error the engine raised, so that one repeated every interval is logged once. */
  private lastRefineryError = '';
  /** The last error the patrol raised, logged once while it repeats. */
  private lastPatrolError = '';
  /** Messages shown in the pane and still in the inbox (a REWORK mail kept for later is shown once). */
  private readonly shown = new Set<string>();
  /** REWORK mail kept unacknowledged, by message id: why (the last reason logged), and failed tries. */
  private readonly reworkPending = new Map<string, { why: string; failures: number }>();
  /** A line arrived (a nudge): a rework that failed REWORK_TRIES times is tried once more. */
  private nudged = false;
  constructor(
    private readonly town: Town,
    private readonly agent: Agent,
    private readonly log: (line: string) => void,
    private readonly tools?: Tools,
  ) {
    this.store = BeadStore.open(agent.store);
  }

  /**
   * As the refinery or the mayor: the look at the daemon every agent makes after its turn (a Claude Code agent's
   * Stop hook runs gt daemon ensure; the witness's patrol makes it too), so that a daemon killed while the
   * witnesses were down comes back. True when it started one. Never throws.
   */
  ensureDaemon(): boolean {
    if (this.agent.role !== 'refinery' && this.agent.role !== 'mayor') return false;
    return Boolean(superviseDaemon(this.town, { tools: this.tools ?? ownTools(), actor: this.agent.address, log: this.log })?.done);
  }

  /**
   * As the witness: one patrol of its rig (each finding is logged with what was seen and what was done); true
   * when it found something. Its errors are logged (once while they repeat), never thrown.
   */
  patrol(): boolean {
    if (this.agent.role !== 'witness' || !this.agent.rig) return false;
    try {
      const r = witnessPatrol(this.town, this.agent.rig, { tools: this.tools ?? ownTools(), actor: this.agent.address, log: this.log });
      this.lastPatrolError = '';
      return r.findings.length > 0;
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.lastPatrolError) this.log(`[error] witness patrol: ${message}`);
      this.lastPatrolError = message;
      return false;
    }
  }

  /**
   * Reads, shows and acknowledges each unacknowledged message (a handoff note included). A polecat acts on
   * REWORK before acknowledging it, and acknowledges it only once it is handled: redone, or nothing to redo
   * (its merge request merged, superseded, rejected, not of its hook). One whose merge request is not (yet)
   * waiting for rework, or whose rework failed (git or the store erring), stays in the inbox: the next nudge,
   * or a restart, looks at it again, and a failed one is tried again on its own (REWORK_TRIES times, every
   * GT_REWORK_RETRY_MS). MERGED is only shown (gt polecat gc cleans up). Returns how many messages it showed
   * or acknowledged (one kept and looked at again, with nothing new, does not count).
   */
  handleMail(): number {
    let acted = 0;
    const messages = inbox(this.town, this.agent.address);
    // kept mail acknowledged meanwhile (by hand, or by a restarted me) is not waited on any more
    for (const id of this.reworkPending.keys()) if (!messages.some((m) => m.id === id)) this.reworkPending.delete(id);
    for (const m of messages) {
      const read = readMail(this.town, this.agent.address, m.id);
      if (!this.shown.has(m.id)) {
        this.log(`[mail] ${read.id} from ${read.from}: ${read.subject}${read.body ? ` | ${read.body.split('\n')[0]}` : ''}`);
        this.shown.add(m.id);
        acted++;
      }
      const rework = this.agent.role === 'polecat' ? /^REWORK (\S+):/.exec(read.subject)?.[1] : undefined;
      if (rework && this.reworkMail(m.id, rework) === 'waiting') continue;
      this.reworkPending.delete(m.id);
      ackMail(this.town, this.agent.address, m.id);
      this.shown.delete(m.id);
      acted++;
    }
    return acted;
  }

  /** Acts on one REWORK mail: 'waiting' keeps it unacknowledged. Each reason to wait is logged once. */
  private reworkMail(mailId: string, mrId: string): ReworkOutcome {
    const before = this.reworkPending.get(mailId);
    if (before && before.failures >= REWORK_TRIES && !this.nudged) return 'waiting';
    let outcome: ReworkOutcome;
    try {
      outcome = this.rework(mrId, before?.why);
    } catch (err) {
      const failures = (before?.failures ?? 0) + 1;
      const why = (err as Error).message.replace(/\s*\n\s*/g, ' ').trim();
      this.log(`[rework] ${mrId}: ${why}; ${failures < REWORK_TRIES ? `trying again in ${reworkRetryMs()} ms` : `tried ${failures} times: trying again on the next nudge or restart`} (the mail stays in my inbox)`);
      this.reworkPending.set(mailId, { why, failures });
      return 'waiting';
    }
    if (outcome === 'waiting') this.reworkPending.set(mailId, { why: this.lastWait, failures: 0 });
    return outcome;
  }

  /** Whether a failed rework is to be tried again on its own. */
  private retryDue(): boolean {
    return [...this.reworkPending.values()].some((p) => p.failures > 0 && p.failures < REWORK_TRIES);
  }

  /** Why the last rework() waited. */
  private lastWait = '';

  /**
   * Redoes the hooked bead's work on the merge request's latest target, deterministically: the branch is reset
   * to origin/<target>, every step's blocks run again in step order (each step committed as the first time),
   * and gt done files the new commit. Only for a merge request of its hooked bead waiting for rework: one still
   * queued or being tested is 'waiting' (its REWORK mail may be read before the refinery's state is), one
   * closed or not of its hook 'skipped'. `quiet` is a reason to wait already logged.
   */
  rework(mrId: string, quiet?: string): ReworkOutcome {
    const check = this.reworkCheck(mrId);
    if (check.kind === 'skip') {
      this.log(`[rework] ${mrId}: nothing to redo: ${check.why}`);
      return 'skipped';
    }
    if (check.kind === 'wait') {
      if (check.why !== quiet) this.log(`[rework] ${mrId}: not yet: ${check.why} (the mail stays in my inbox)`);
      this.lastWait = check.why;
      return 'waiting';
    }
    const { work, meta } = check;
    this.log(`[rework] ${mrId}: redoing ${work.bead.id} on the latest ${meta.target}`);
    fetchRemote(this.agent.cwd, 'origin');
    resetHard(this.agent.cwd, `refs/remotes/origin/${meta.target}`);
    for (const step of stepsInOrder(work)) {
      const bead = this.store.get(step.id);
      if (!this.runBlocks(bead, work.bead)) return 'failed';
      if (commitAll(this.agent.cwd, `${stepName(bead)} (${work.bead.id}): ${work.bead.title}`)) this.log(`[commit] ${stepName(bead)}`);
    }
    const done = finishWork(this.town, this.agent);
    this.log(`[done] filed merge request ${done.merge_request} for ${done.branch} (${done.commit.slice(0, 12)}) on ${meta.target}${done.superseded.length ? `; it supersedes ${done.superseded.join(', ')}` : ''}`);
    return 'done';
  }

  private reworkCheck(mrId: string): ReworkCheck {
    const work = hookedWork(this.agent, this.store);
    let mr: Bead;
    try {
      mr = this.store.get(mrId);
    } catch (err) {
      if (err instanceof BeadsError && err.code === 'not_found') return { kind: 'skip', why: 'no such merge request' };
      throw err;
    }
    const meta = mrMeta(mr);
    if (!meta || meta.worker !== this.agent.address || meta.source_bead !== work?.bead.id) return { kind: 'skip', why: `it is not a merge request of the bead on my hook (${work?.bead.id ?? 'nothing'})` };
    const state = mqOf(mr).state;
    // not sent back (yet, or any more): the refinery has it, and mails again when it sends it back
    if (mr.status !== 'closed' && (state === 'queued' || state === 'testing' || state === 'landing' || state === 'pr')) return { kind: 'wait', why: `it is ${state}, not waiting for rework` };
    if (state !== 'rework') return { kind: 'skip', why: `it is ${state}, not waiting for rework` };
    if (!work.molecule) return { kind: 'skip', why: `${work.bead.id} has no molecule to redo` };
    return { kind: 'go', work, meta };
  }

  /** Runs a step's blocks in the worktree; false (with a comment on the step) when one fails. */
  private runBlocks(step: Bead, hooked: Bead): boolean {
    const name = stepName(step);
    for (const block of blocksFor(step, hooked)) {
      const r = runBlock(block.code, this.agent.cwd);
      if (r.code !== 0) {
        const tail = r.output.trim().split('\n').slice(-20).join('\n');
        addComment(this.store, this.agent.address, step.id, `scripted agent: a code block failed (exit ${r.code}):\n${tail}`);
        this.log(`[step] ${name}: a code block failed (exit ${r.code}); ${tail.split('\n').pop() ?? ''}`);
        return false;
      }
    }
    return true;
  }

  /** Works the hooked molecule until it is done or a step cannot be done; true when it finished (gt done ran). */
  work(): boolean {
    if (this.agent.role !== 'polecat') return false;
    for (;;) {
      const work = hookedWork(this.agent, this.store);
      if (!work?.molecule) {
        this.log(work ? `[work] ${work.bead.id} has no molecule; nothing to do` : '[work] nothing on my hook');
        return false;
      }
      const mine = listBeads(this.store, { parent: work.molecule.id, status: ['in_progress'], assignee: this.agent.address, limit: 0 });
      const ready = readyBeads(this.store, { parent: work.molecule.id, limit: 0 });
      const step = [...mine, ...ready].find((b) => b.issue_type !== 'molecule');
      if (!step) {
        if (work.molecule.done < work.molecule.total) {
          this.log(`[work] ${work.molecule.id}: no step is ready (${work.molecule.done}/${work.molecule.total} closed); waiting`);
          return false;
        }
        const done = finishWork(this.town, this.agent);
        this.log(`[done] ${done.existing ? 'merge request already filed' : 'filed merge request'} ${done.merge_request} for ${done.branch} (${done.commit.slice(0, 12)})`);
        return true;
      }
      if (!this.doStep(step, work.bead)) return false;
    }
  }

  /**
   * As the refinery: runs the engine until the queue is empty; true when it did something. Its errors are
   * logged (once while they repeat), never thrown: the next nudge or interval tries again.
   */
  refine(): boolean {
    if (this.agent.role !== 'refinery' || !this.agent.rig || this.refining) return false;
    this.refining = true;
    try {
      const r = refineryRun(this.town, this.agent.rig, { once: true, actor: this.agent.address, log: this.log });
      this.lastRefineryError = '';
      return r.events.length > 0;
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.lastRefineryError) this.log(`[error] refinery: ${message}`);
      this.lastRefineryError = message;
      return false;
    } finally {
      this.refining = false;
    }
  }

  private doStep(step: Bead, hooked: Bead): boolean {
    const name = stepName(step);
    if (step.status !== 'in_progress') updateBead(this.store, this.agent.address, step.id, {}, { claim: true });
    this.log(`[step] ${name} (${step.id})`);
    if (!this.runBlocks(step, hooked)) {
      this.log(`[step] ${name}: the step stays open`);
      return false;
    }
    // committed before the step is closed: killed between the two, a successor finds the step open and runs
    // it again (its blocks write the same files, so nothing new to commit); closed first, the step's work would
    // sit uncommitted in the worktree, and land, if at all, in the next step's commit
    if (commitAll(this.agent.cwd, `${name} (${hooked.id}): ${hooked.title}`)) this.log(`[commit] ${name}`);
    try {
      closeStep(this.store, this.agent.address, step.id, { cwd: this.agent.cwd, reason: 'done by the scripted agent' });
    } catch (err) {
      if (err instanceof BeadsError && err.code === 'gate_failed') {
        this.log(`[step] ${name}: ${err.message}`);
        return false;
      }
      throw err;
    }
    return true;
  }

  /** Primes, handles mail, works; then does so again for every line on its input until the input ends. */
  async run(input: NodeJS.ReadableStream = process.stdin): Promise<void> {
    const prime = primeAgent(this.town, this.agent);
    this.log(`[prime] ${prime.agent} (${prime.role}); hooked: ${prime.hooked?.bead.id ?? 'nothing'}; unread mail: ${prime.mail.length}${prime.handoff ? `; handoff: ${prime.handoff.body}` : ''}`);
    const cycle = (): void => {
      try {
        this.handleMail();
        // a rework owed is done from its mail, not by filing the same commit again (which would requeue it)
        if (!this.reworkPending.size) this.work();
        this.refine();
        this.patrol();
        this.ensureDaemon();
      } catch (err) {
        this.log(`[error] ${(err as Error).message}`);
      }
      this.log('[idle] waiting for a nudge');
    };
    cycle();
    // The refinery also looks on its own: a merge request may be queued without mail (gt mq retry by a
    // person), and its mail is read in step with its work. Only what it did is logged.
    const tick = (): void => {
      try {
        const mail = this.handleMail();
        const daemon = this.ensureDaemon();
        if (this.refine() || this.patrol() || mail || daemon) this.log('[idle] waiting for a nudge');
      } catch (err) {
        this.log(`[error] ${(err as Error).message}`);
      }
    };
    // A polecat whose rework failed (git or the store erring) tries it again on its own, a few times.
    let retry: NodeJS.Timeout | undefined;
    const retryLater = (): void => {
      if (retry || !this.retryDue()) return;
      retry = setTimeout(() => {
        retry = undefined;
        tick();
        retryLater();
      }, reworkRetryMs());
    };
    retryLater();
    const interval = this.agent.role === 'refinery' ? refineryIntervalMs() : this.agent.role === 'witness' ? witnessIntervalMs() : this.agent.role === 'mayor' ? mayorIntervalMs() : 0;
    const timer = interval ? setInterval(tick, interval) : undefined;
    try {
      const lines = createInterface({ input });
      for await (const line of lines) {
        this.log(`[nudge] ${line}`);
        this.nudged = true;
        cycle();
        this.nudged = false;
        retryLater();
      }
    } finally {
      if (timer) clearInterval(timer);
      if (retry) clearTimeout(retry);
    }
  }
}
