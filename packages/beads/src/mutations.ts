// What people and agents do to beads, as functions over a store: each checks its input against the schema,
// decides under the store lock against current state, and appends operations. They return data; printing is
// the CLI's business.
import { BeadsError } from './errors.js';
import { isClaimable, type BeadState } from './fold.js';
import { assertLinkInput, assertReason, checkedCreateInput, runTransaction } from './transaction.js';
import { assertNoControl, assertValid } from './validate.js';
import { assertTimes, metadataChanges, rejectDeleted, target } from './write-checks.js';
import type { CacheReader } from './cache.js';
import type { ForeignLookup } from './ready.js';
import { resolveIdIn, type BeadStore, type OpDraft } from './store.js';
import type { Bead } from './types.js';

export interface CreateInput {
  title: string;
  description?: string;
  design?: string;
  acceptance_criteria?: string;
  notes?: string;
  status?: string;
  priority?: number;
  issue_type?: string;
  assignee?: string;
  labels?: string[];
  parent?: string;
  deps?: { type: string; id: string }[];
  defer_until?: string;
  due_at?: string;
  external_ref?: string;
  metadata?: Record<string, unknown>;
  /** An explicit id (imports and tests); normally generated. */
  id?: string;
}

function resolveIn(store: BeadStore, view: CacheReader, input: string): BeadState {
  return view.state(resolveIdIn(view, store.idPrefix, input))!;
}

/** What a dependency may point at outside this store: beads of other rigs of the town, by full id. */
export interface DependencyOptions {
  foreign?: ForeignLookup;
}

/**
 * A live bead to point a dependency at (here, or in another store by full id): deleted ones are refused. Every
 * writer of an edge (bd create --parent, bd dep add, bd mol pour --parent) resolves its target through it.
 */
export function resolveTarget(store: BeadStore, view: CacheReader, input: string, foreign?: ForeignLookup): string {
  const wanted = input.trim();
  if (foreign && wanted.includes('-') && !wanted.startsWith(`${store.idPrefix}-`)) {
    const other = foreign(wanted);
    if (other) {
      if (other.status === 'tombstone') throw new BeadsError('not_found', `${wanted} was deleted`, { id: wanted });
      return wanted;
    }
  }
  const state = resolveIn(store, view, wanted);
  rejectDeleted(state);
  return state.bead.id;
}

export function createBead(store: BeadStore, actor: string, input: CreateInput, options: DependencyOptions = {}): Bead {
  const clean = checkedCreateInput(input);
  return store.get(runTransaction(store, actor, (tx) => tx.create(clean, options)));
}

/** Fields to set; null clears a field that may be absent (metadata among them). */
export type UpdateInput = Partial<Omit<CreateInput, 'labels' | 'parent' | 'deps' | 'id' | 'metadata'>> & { metadata?: Record<string, unknown> | null } & Record<string, unknown>;

export interface ClaimOptions {
  claim?: boolean;
  /** With a claim: it lapses after this long unless renewed by a heartbeat, and the bead is ready again. */
  leaseMs?: number;
}

export function updateBead(store: BeadStore, actor: string, idInput: string, fields: UpdateInput, options: ClaimOptions = {}): Bead {
  const clean = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  assertValid('validateUpdateInput', clean, 'bd update');
  assertTimes(clean);
  if (Object.keys(clean).length === 0 && !options.claim) throw new BeadsError('invalid_input', 'nothing to update: give at least one field, --status or --claim');
  if (options.claim) claimFieldsAgree(clean, actor);
  const { result } = store.write<string>(actor, (view) => {
    const state = resolveIn(store, view, idInput);
    rejectDeleted(state);
    const ops: OpDraft[] = [];
    if (options.claim) {
      const now = store.nowIso();
      const bead = state.bead;
      if (!isClaimable(bead, now) && bead.assignee !== actor) {
        if (bead.assignee) throw new BeadsError('already_claimed', `${bead.id} is already claimed by ${bead.assignee}${bead.lease_expires_at ? ` (lease until ${bead.lease_expires_at})` : ''}`, { id: bead.id, holder: bead.assignee });
        throw new BeadsError('conflict', `${bead.id} cannot be claimed: its status is ${bead.status}`, { id: bead.id, status: bead.status });
      }
      // A claim over a lapsed lease is a takeover: the history says from whom.
      const takeover = bead.assignee && bead.assignee !== actor ? { takeover_from: bead.assignee, lease_expired_at: bead.lease_expires_at } : {};
      ops.push({ ...target(state), kind: 'claim', ...(options.leaseMs ? { lease_ms: options.leaseMs } : {}), ...takeover, ts: now });
    }
    const { metadata, ...fields } = clean;
    if (Object.keys(fields).length) ops.push({ ...target(state), kind: 'set', fields });
    if (metadata !== undefined) ops.push(...metadataOps(state, metadataChanges(state.bead, (metadata as Record<string, unknown> | null) ?? {})));
    return { ops, result: state.bead.id };
  });
  return store.get(result!);
}

/**
 * A claim takes the bead for the actor, in progress. Fields that say otherwise would leave a claim nobody holds
 * (`--assignee ''`: in progress, unassigned, and no one can claim it) or one held by someone else: refused. An
 * assignee that is the actor says what the claim does, and is left to it.
 */
function claimFieldsAgree(fields: Record<string, unknown>, actor: string): void {
  if (fields.assignee !== undefined) {
    const assignee = fields.assignee === null ? '' : String(fields.assignee);
    if (assignee.trim() !== actor) {
      const why = assignee.trim() ? 'contradicts it' : 'would leave it unassigned';
      throw new BeadsError('invalid_input', `--claim takes the bead for ${actor}: --assignee ${JSON.stringify(assignee)} ${why} (leave --assignee out, or assign without --claim)`, { assignee });
    }
    delete fields.assignee;
  }
  if (fields.status !== undefined && fields.status !== 'in_progress') {
    throw new BeadsError('invalid_input', `--claim sets the status in_progress: --status ${JSON.stringify(fields.status)} contradicts it (leave --status out, or set it without --claim)`, { status: fields.status });
  }
}

function metadataOps(state: BeadState, changes: Record<string, unknown>): OpDraft[] {
  return Object.keys(changes).length ? [{ ...target(state), kind: 'metadata', metadata: changes }] : [];
}

/** Appends operations to an existing bead, in one write. */
function simpleOps(store: BeadStore, actor: string, idInput: string, make: (state: BeadState, view: CacheReader) => Omit<OpDraft, 'bead'>[]): Bead {
  const { result } = store.write<string>(actor, (view) => {
    const state = resolveIn(store, view, idInput);
    rejectDeleted(state);
    return { ops: make(state, view).map((draft) => ({ ...draft, ...target(state) }) as OpDraft), result: state.bead.id };
  });
  return store.get(result!);
}

/** Appends one simple operation to an existing bead. */
function simpleOp(store: BeadStore, actor: string, idInput: string, make: (state: BeadState, view: CacheReader) => Omit<OpDraft, 'bead'> | null): Bead {
  return simpleOps(store, actor, idInput, (state, view) => {
    const draft = make(state, view);
    return draft ? [draft] : [];
  });
}

export interface ManyOptions {
  /** Check everything the write would (ids, states) against the current view, and write nothing. */
  dryRun?: boolean;
}

/**
 * Appends one operation to each of several beads in one locked write: every id is resolved and checked first,
 * so one that fails writes nothing for any. An id given twice counts once. Returns the beads in order.
 */
function manyOps(store: BeadStore, actor: string, ids: string[], make: (state: BeadState) => Omit<OpDraft, 'bead'> | null, options: ManyOptions = {}): Bead[] {
  const build = (view: CacheReader): { ops: OpDraft[]; result: string[] } => {
    const seen: string[] = [];
    const ops: OpDraft[] = [];
    for (const input of ids) {
      const state = resolveIn(store, view, input);
      rejectDeleted(state);
      if (seen.includes(state.bead.id)) continue;
      seen.push(state.bead.id);
      const draft = make(state);
      if (draft) ops.push({ ...draft, ...target(state) } as OpDraft);
    }
    return { ops, result: seen };
  };
  if (options.dryRun) {
    const view = store.view();
    return build(view).result.map((id) => view.state(id)!.bead);
  }
  return store.write<string[]>(actor, build).result!.map((id) => store.get(id));
}

/** Why a bead cannot go on this agent's hook (hooked already, closed, or claimed by another), or null. */
export function hookRefusal(bead: Bead, agent: string): BeadsError | null {
  if (bead.status === 'hooked') return new BeadsError('already_claimed', `${bead.id} is already hooked by ${bead.assignee ?? 'someone'}`, { id: bead.id, holder: bead.assignee });
  if (bead.status === 'closed') return new BeadsError('conflict', `${bead.id} is closed; reopen it first`, { id: bead.id, status: bead.status });
  if (bead.assignee && bead.assignee !== agent && bead.status === 'in_progress') {
    return new BeadsError('already_claimed', `${bead.id} is already claimed by ${bead.assignee}`, { id: bead.id, holder: bead.assignee });
  }
  return null;
}

/**
 * Puts a bead on an agent's hook (status hooked, assignee the agent), as one compare-and-set under the store's
 * lock: a bead hookRefusal refuses is refused, naming its holder. `metadata` entries are merged into the bead's
 * in the same write, key by key (a `metadata` operation naming only those keys).
 */
export function hookBead(store: BeadStore, actor: string, idInput: string, agent: string, metadata?: Record<string, unknown>): Bead {
  const { result } = store.write<string>(actor, (view) => {
    const state = resolveIn(store, view, idInput);
    rejectDeleted(state);
    const refusal = hookRefusal(state.bead, agent);
    if (refusal) throw refusal;
    // only the given keys: a clone that set others meanwhile keeps them
    const keys = metadata ? Object.fromEntries(Object.entries(metadata).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(state.bead.metadata?.[k]))) : {};
    return { ops: [{ ...target(state), kind: 'set', fields: { status: 'hooked', assignee: agent } }, ...metadataOps(state, keys)], result: state.bead.id };
  });
  return store.get(result!);
}

export function closeBead(store: BeadStore, actor: string, id: string, reason?: string): Bead {
  assertReason(reason);
  return store.get(runTransaction(store, actor, (tx) => {
    tx.close(id, reason);
    return tx.resolve(id);
  }));
}

export function reopenBeads(store: BeadStore, actor: string, ids: string[], reason?: string, options: ManyOptions = {}): Bead[] {
  if (reason) assertNoControl(reason, 'reason', 'text');
  return manyOps(store, actor, ids, (s) => {
    if (s.bead.status !== 'closed') throw new BeadsError('conflict', `${s.bead.id} is not closed (status ${s.bead.status})`, { id: s.bead.id });
    return { kind: 'reopen', ...(reason ? { reason } : {}) };
  }, options);
}

export function reopenBead(store: BeadStore, actor: string, id: string, reason?: string): Bead {
  return reopenBeads(store, actor, [id], reason)[0]!;
}

export function deleteBeads(store: BeadStore, actor: string, ids: string[], reason?: string, options: ManyOptions = {}): Bead[] {
  if (reason) assertNoControl(reason, 'reason', 'text');
  return manyOps(store, actor, ids, () => ({ kind: 'delete', reason: reason ?? '' }), options);
}

export function deleteBead(store: BeadStore, actor: string, id: string, reason?: string): Bead {
  return deleteBeads(store, actor, [id], reason)[0]!;
}

export function claimBead(store: BeadStore, actor: string, id: string): Bead {
  return updateBead(store, actor, id, {}, { claim: true });
}

/** Renews the actor's lease on beads it holds, for another `leaseMs`; all or none. */
export function heartbeatBeads(store: BeadStore, actor: string, ids: string[], leaseMs: number, options: ManyOptions = {}): Bead[] {
  return manyOps(store, actor, ids, (s) => {
    if (s.bead.assignee !== actor || s.bead.status !== 'in_progress') {
      throw new BeadsError('conflict', `${s.bead.id} is not held by ${actor}${s.bead.assignee ? ` (held by ${s.bead.assignee})` : ''}`, { id: s.bead.id, holder: s.bead.assignee });
    }
    return { kind: 'heartbeat', lease_ms: leaseMs };
  }, options);
}

export function heartbeat(store: BeadStore, actor: string, id: string, leaseMs: number): Bead {
  return heartbeatBeads(store, actor, [id], leaseMs)[0]!;
}

export function releaseBead(store: BeadStore, actor: string, id: string): Bead {
  return simpleOp(store, actor, id, () => ({ kind: 'release' }));
}

/** Adds labels, all or none: every one is checked before anything is written; ones already there are skipped. */
export function addLabels(store: BeadStore, actor: string, id: string, labels: string[]): Bead {
  assertValid('validateCreateInput', { title: 'x', labels }, 'label');
  return simpleOps(store, actor, id, (s) => [...new Set(labels)].filter((label) => !s.bead.labels?.includes(label)).map((label) => ({ kind: 'label_add', label })));
}

export function addLabel(store: BeadStore, actor: string, id: string, label: string): Bead {
  return addLabels(store, actor, id, [label]);
}

/** Removes labels, all or none: a label the bead does not have is refused and nothing is removed. */
export function removeLabels(store: BeadStore, actor: string, id: string, labels: string[]): Bead {
  return simpleOps(store, actor, id, (s) => {
    const missing = labels.find((label) => !s.bead.labels?.includes(label));
    if (missing !== undefined) throw new BeadsError('not_found', `${s.bead.id} has no label ${missing}`, { id: s.bead.id, label: missing });
    return [...new Set(labels)].map((label) => ({ kind: 'label_remove', label }));
  });
}

export function removeLabel(store: BeadStore, actor: string, id: string, label: string): Bead {
  return removeLabels(store, actor, id, [label]);
}

function refuseEmptyId(input: string): void {
  if (!input.trim()) throw new BeadsError('invalid_input', 'an empty id was given');
}

export function addDependency(store: BeadStore, actor: string, id: string, dependsOn: string, type = 'blocks', options: DependencyOptions = {}): Bead {
  assertLinkInput(type, dependsOn);
  return store.get(runTransaction(store, actor, (tx) => {
    tx.link(id, type, dependsOn, options);
    return tx.resolve(id);
  }));
}

/**
 * Removes the dependency of `type` (blocks unless given, as for adding) of `id` on `dependsOn`. The other id is
 * resolved like every id: a full id the bead depends on (a bead of another store, or one that is gone), else an
 * id or unique prefix in this store, deleted beads included; an ambiguous prefix is refused.
 */
export function removeDependency(store: BeadStore, actor: string, id: string, dependsOn: string, type = 'blocks'): Bead {
  refuseEmptyId(dependsOn);
  const wanted = dependsOn.trim();
  const { result } = store.write<string>(actor, (view) => {
    const state = resolveIn(store, view, id);
    rejectDeleted(state); // the fold ignores operations on a deleted bead: the removal would report a change it never made
    const deps = state.bead.dependencies ?? [];
    const other = deps.some((d) => d.depends_on_id === wanted) ? wanted : resolveIdIn(view, store.idPrefix, wanted);
    if (!deps.some((d) => d.depends_on_id === other && d.type === type)) {
      const types = deps.filter((d) => d.depends_on_id === other).map((d) => d.type);
      const hint = types.length ? ` (it has ${types.join(', ')}: use -t ${types[0]})` : '';
      throw new BeadsError('not_found', `${state.bead.id} has no ${type} dependency on ${other}${hint}`, { id: state.bead.id, depends_on_id: other, type });
    }
    return { ops: [{ ...target(state), kind: 'dep_remove', depends_on_id: other, dep_type: type }], result: state.bead.id };
  });
  return store.get(result!);
}

export function addComment(store: BeadStore, actor: string, id: string, text: string): Bead {
  if (!text.trim()) throw new BeadsError('invalid_input', 'comment text must not be empty');
  assertNoControl(text, 'comment', 'text');
  return simpleOp(store, actor, id, () => ({ kind: 'comment', text }));
}
