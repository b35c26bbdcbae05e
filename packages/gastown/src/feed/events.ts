// The feed's events, derived from one store's operations in the fold's order. An operation names only what it
// changes (a merge request's new queue state, not the one before), so each store keeps a small summary of the
// beads it has seen (type, title, step, queue state, witness and service restarts), built while reading, and an
// event is the difference an operation makes to it. Steps being poured, heartbeats, labels and mail being read
// are not events: the feed is what a person watching the town wants to see.
import type { Op } from '@gastown/beads';
import { stampTime } from './stamp.js';

export type FeedKind =
  | 'created'
  | 'poured'
  | 'claimed'
  | 'step_closed'
  | 'gate_failed'
  | 'mr_filed'
  | 'merged'
  | 'rework'
  | 'rejected'
  | 'restarted'
  | 'released'
  | 'mail'
  | 'closed';

export const FEED_KINDS: readonly FeedKind[] = ['created', 'poured', 'claimed', 'step_closed', 'gate_failed', 'mr_filed', 'merged', 'rework', 'rejected', 'restarted', 'released', 'mail', 'closed'];

export interface FeedEvent {
  /** The operation's wall-clock time (ISO 8601). */
  at: string;
  kind: FeedKind;
  /** `hq` for the town's store, else the rig's name. */
  store: string;
  /** The rig it concerns: its store's, or for the town's store the rig of the agent it names (mail, a service). */
  rig?: string;
  bead: string;
  actor: string;
  /** A short summary for people. */
  text: string;
  op_id: string;
}

interface Seen {
  type: string;
  title: string;
  /** A poured molecule's step (metadata.step): its name. */
  step?: string;
  status: string;
  assignee: string;
  /** When the holder's claim lapses unless renewed. */
  lease?: string;
  /** A merge request's branch and worker, its queue state and last attempt's outcome (`<n>:<outcome>`). */
  branch?: string;
  worker?: string;
  mq?: string;
  outcome?: string;
  /** A hooked bead's witness record: when it was last restarted and released, and its restarts. */
  restartedAt?: string;
  releasedAt?: string;
  restarts?: number;
  /** A service bead's name and its last restart. */
  service?: string;
  serviceRig?: string;
  serviceRestart?: string;
}

type Meta = Record<string, unknown>;
const obj = (v: unknown): Meta | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Meta) : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
/** One line, not too long: reasons and gate details can be paragraphs. */
const short = (s: string, max = 120): string => {
  const line = s.split('\n')[0]!.trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

/**
 * When a claim's or heartbeat's lease runs out: none without a lease, or past what a Date can hold (an impossible
 * stamp or a huge lease_ms from another clone's segment threw Invalid time value from toISOString).
 */
function leaseUntil(op: Op): string | undefined {
  if (typeof op.lease_ms !== 'number' || !(op.lease_ms > 0)) return undefined;
  const end = stampTime(op.ts) + op.lease_ms;
  return Number.isFinite(end) && Math.abs(end) <= 8.64e15 ? new Date(end).toISOString() : undefined;
}

/** What a store's operations mean as events; `rigOf` names the rig an agent's address belongs to, if any. */
export class StoreEvents {
  private readonly beads = new Map<string, Seen>();

  constructor(
    readonly store: string,
    readonly rig: string | undefined,
    private readonly rigOf: (address: string) => string | undefined,
  ) {}

  /** The events one operation makes, updating what is known of its bead. Ops must come in the fold's order. */
  apply(op: Op): FeedEvent[] {
    const out: FeedEvent[] = [];
    const emit = (kind: FeedKind, body: string, rig = this.rig): void => {
      out.push({ at: op.ts, kind, store: this.store, ...(rig ? { rig } : {}), bead: op.bead, actor: op.actor, text: body, op_id: op.op_id });
    };
    if (op.kind === 'create') {
      this.created(op, emit);
      return out;
    }
    const b = this.beads.get(op.bead);
    if (!b) return out; // its create is in a file not read yet, or it came apart (a merge): nothing to say of it
    const name = `${op.bead} '${b.title}'`;
    const plain = !b.step && b.type !== 'merge-request' && b.type !== 'message' && b.type !== 'service';
    switch (op.kind) {
      case 'set': {
        const f = op.fields ?? {};
        if (text(f.title)) b.title = f.title as string;
        if (text(f.issue_type)) b.type = f.issue_type as string;
        const before = { status: b.status, assignee: b.assignee };
        if (text(f.status)) b.status = f.status as string;
        if ('assignee' in f) b.assignee = text(f.assignee) ?? '';
        if (plain && (b.status === 'hooked' || b.status === 'in_progress') && b.assignee && (b.status !== before.status || b.assignee !== before.assignee)) {
          emit('claimed', `${name} ${b.status === 'hooked' ? 'hooked to' : 'claimed by'} ${b.assignee}`);
        }
        if ('metadata' in f) this.metadata(b, op.bead, obj(f.metadata) ?? {}, true, emit);
        break;
      }
      case 'metadata':
        this.metadata(b, op.bead, obj(op.metadata) ?? {}, false, emit);
        break;
      case 'claim': {
        // as the fold has it: a claim takes effect on a bead nobody holds, or whose holder's lease ran out
        const lapsed = b.status === 'in_progress' && b.lease !== undefined && Date.parse(b.lease) <= stampTime(op.ts);
        const claimable = b.assignee ? lapsed : ['open', 'blocked', 'deferred'].includes(b.status);
        if (!claimable && b.assignee !== op.actor) break;
        const lease = leaseUntil(op);
        [b.lease, b.assignee] = [lease, op.actor];
        if (b.status === 'open' || b.status === 'in_progress') b.status = 'in_progress';
        if (plain && claimable) emit('claimed', `${name} claimed by ${op.actor}${lapsed ? ' (its lease had lapsed)' : ''}`);
        break;
      }
      case 'heartbeat':
        if (b.assignee === op.actor && b.status === 'in_progress' && typeof op.lease_ms === 'number' && op.lease_ms > 0) b.lease = leaseUntil(op);
        break;
      case 'release':
        if (plain && b.assignee) emit('released', `${name} released from ${b.assignee}`);
        b.assignee = '';
        b.lease = undefined;
        if (b.status === 'in_progress' || b.status === 'hooked') b.status = 'open';
        break;
      case 'close': {
        [b.status, b.lease] = ['closed', undefined];
        const why = op.reason ? `: ${short(op.reason)}` : '';
        if (b.step) emit('step_closed', `${op.bead} step ${b.step}${why}`);
        else if (b.type !== 'merge-request' && b.type !== 'message') emit('closed', `${b.type === 'service' ? `service ${b.service ?? b.title}` : name}${why}`, b.type === 'service' ? b.serviceRig : this.rig);
        break;
      }
      case 'reopen':
        b.status = 'open';
        break;
      case 'gate': {
        if (op.passed === false && !op.forced) {
          const exit = op.timed_out ? 'timed out' : `exited ${String(op.exit_code ?? 'none')}`;
          emit('gate_failed', `${op.bead}${b.step ? ` step ${b.step}` : ''}: gate ${short(String(op.command ?? '?'), 60)} ${exit}`);
        }
        break;
      }
    }
    return out;
  }

  private created(op: Op, emit: (kind: FeedKind, body: string, rig?: string) => void): void {
    const f = op.fields ?? {};
    const meta = obj(f.metadata) ?? {};
    const b: Seen = { type: text(f.issue_type) ?? 'task', title: text(f.title) ?? '', status: text(f.status) ?? 'open', assignee: text(f.assignee) ?? '' };
    if (typeof meta.step === 'string' && typeof meta.molecule === 'string') b.step = meta.step;
    this.beads.set(op.bead, b);
    this.metadata(b, op.bead, meta, true, () => {}); // what it starts with is no change
    const name = `${op.bead} '${b.title}'`;
    if (b.step) return;
    if (b.type === 'message') {
      const mail = obj(meta.mail);
      const from = text(mail?.from) ?? op.actor;
      const to = text(mail?.to) ?? b.assignee;
      emit('mail', `${from} -> ${to}: ${b.title}`, this.rig ?? this.rigOf(to) ?? this.rigOf(from));
    } else if (b.type === 'merge-request') {
      const mq = obj(meta.mq);
      const reworks = Number(mq?.reworks) || 0;
      emit('mr_filed', `${op.bead} ${b.branch ?? ''} by ${b.worker ?? op.actor}: '${sourceTitle(b.title)}'${reworks ? ` (after ${reworks} rework${reworks === 1 ? '' : 's'})` : ''}`);
    } else if (b.type === 'molecule') {
      const steps = Array.isArray(meta.steps) ? meta.steps.length : 0;
      emit('poured', `${name} (molecule ${text(meta.molecule) ?? '?'}, ${steps} step${steps === 1 ? '' : 's'})`);
    } else if (b.type === 'service') {
      emit('created', `service ${b.service ?? b.title}`, b.serviceRig);
    } else {
      emit('created', `${name}${b.type !== 'task' ? ` (${b.type})` : ''}${b.assignee ? ` for ${b.assignee}` : ''}`);
    }
  }

  /**
   * Metadata keys the feed follows, from an operation that changes them (`whole`: a `set` of the whole
   * metadata, or a create, where a key absent is removed).
   */
  private metadata(b: Seen, id: string, m: Meta, whole: boolean, emit: (kind: FeedKind, body: string, rig?: string) => void): void {
    const name = `${id} '${b.title}'`;
    const has = (k: string): boolean => whole || k in m;
    const request = obj(m.merge_request);
    if (request) [b.branch, b.worker] = [text(request.branch), text(request.worker)];
    const service = obj(m.service);
    if (service) [b.service, b.serviceRig] = [text(service.name), text(service.rig) ?? (text(service.address) ? this.rigOf(service.address as string) : undefined)];
    if (has('mq') && b.type === 'merge-request') this.queue(b, id, obj(m.mq), emit);
    if (has('witness')) {
      const w = obj(m.witness);
      const restartedAt = text(w?.last_restart_at);
      const releasedAt = text(w?.released_at);
      const last = obj(w?.last);
      const why = text(last?.kind) ? ` (${last!.kind as string})` : '';
      if (restartedAt && restartedAt !== b.restartedAt) emit('restarted', `${name} restart ${Number(w?.restarts) || 1}${why}`);
      if (releasedAt && releasedAt !== b.releasedAt) emit('released', `${name} released after ${b.restarts ?? 0} restart${b.restarts === 1 ? '' : 's'}${why}`);
      [b.restartedAt, b.releasedAt, b.restarts] = [restartedAt, releasedAt, Number(w?.restarts) || 0];
    }
    if (has('service_state')) {
      const restarts = obj(m.service_state)?.restarts;
      const lastRestart = Array.isArray(restarts) ? text(restarts.at(-1)) : undefined;
      if (lastRestart && lastRestart !== b.serviceRestart) emit('restarted', `service ${b.service ?? b.title} (restart ${Array.isArray(restarts) ? restarts.length : 1} in its window)`, b.serviceRig);
      b.serviceRestart = lastRestart;
    }
  }

  /** A merge request's new queue state: what changed since the one before. */
  private queue(b: Seen, id: string, mq: Meta | undefined, emit: (kind: FeedKind, body: string) => void): void {
    const state = text(mq?.state);
    const attempts = Array.isArray(mq?.attempts) ? (mq!.attempts as unknown[]) : [];
    const last = obj(attempts.at(-1));
    const outcome = last && text(last.outcome) ? `${String(last.n ?? attempts.length)}:${last.outcome as string}` : undefined;
    const mr = `${id} ${b.branch ?? sourceTitle(b.title)}`;
    if (outcome && outcome !== b.outcome && (last!.outcome === 'gate_failed' || last!.outcome === 'gate_timeout')) {
      emit('gate_failed', `${mr}: ${short(text(last!.detail) ?? String(last!.outcome))}`);
    }
    if (state && state !== b.mq) {
      const reason = text(mq?.reason);
      if (state === 'merged') {
        const batch = Array.isArray(last?.batch) ? (last!.batch as unknown[]).length + 1 : 1;
        const commit = text(mq?.merged_commit);
        emit('merged', `${mr} '${sourceTitle(b.title)}'${commit ? ` in ${commit.slice(0, 12)}` : ''}${batch > 1 ? ` (batch of ${batch})` : ''}`);
      } else if (state === 'rework') emit('rework', `${mr} back to ${b.worker ?? '?'}${reason ? `: ${short(reason)}` : ''}`);
      else if (state === 'rejected') emit('rejected', `${mr}${reason ? `: ${short(reason)}` : ''}`);
    }
    [b.mq, b.outcome] = [state, outcome];
  }
}

/** A merge request's title is `Merge <branch>: <the source bead's title>`. */
const sourceTitle = (title: string): string => title.replace(/^Merge \S+: /, '');
