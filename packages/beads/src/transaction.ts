// Transactions: how an upper layer (molecules, the refinery) writes to the store without building operation
// lines. Its steps (create, set, link, close, record) are decided under the store's lock against current state
// and checked as the mutations check them (the schema, control characters, deleted beads, cycles); the first
// that fails aborts the whole transaction, and nothing is written. What the steps decided is appended as one
// locked write (BeadStore.write), so another writer's operations never land between them.
//
// Reads through the transaction (state, get, resolve) see the store as the steps so far leave it: a bead it
// created can be named, linked to, changed and recorded on by the later steps.
import { BeadsError } from './errors.js';
import { applyOp, type BeadState } from './fold.js';
import { refuseCycle } from './graph.js';
import { newBeadId, newOpId } from './ids.js';
import { resolveTarget, type CreateInput, type DependencyOptions, type UpdateInput } from './mutations.js';
import { LC_BOUND, resolveIdIn, type BeadStore, type OpDraft } from './store.js';
import { assertNoControl, assertValid } from './validate.js';
import { assertTimes, metadataChanges, rejectDeleted, target } from './write-checks.js';
import type { CacheReader } from './cache.js';
import type { Bead, Op, RecordKind } from './types.js';

/** Keys of an operation that a record's payload may not carry: the store stamps them, or the fold reads them. */
const RESERVED = new Set(['op_id', 'bead', 'origin', 'kind', 'actor', 'ts', 'lc', 'fields', 'label', 'depends_on_id', 'dep_type', 'text', 'metadata', 'lease_ms', 'takeover_from']);

// The checks of a step's own input, which need no state: the one-step mutations (createBead, addDependency,
// closeBead) make them before taking the lock too, so bad input is refused first, as it always was.

/** A create's input without its undefined keys, checked as bd create checks it. */
export function checkedCreateInput(input: CreateInput): CreateInput {
  const clean = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as CreateInput;
  assertValid('validateCreateInput', clean, 'bd create');
  assertTimes(clean);
  return clean;
}

export function assertLinkInput(type: string, to: string): void {
  if (!to.trim()) throw new BeadsError('invalid_input', 'an empty id was given');
  assertValid('validateCreateInput', { title: 'x', deps: [{ type, id: to }] }, 'dependency');
}

export function assertReason(reason: string | undefined): void {
  if (reason) assertNoControl(reason, 'reason', 'text');
}

export class Transaction {
  private readonly drafts: OpDraft[] = [];
  /** Beads the steps so far have touched, as they leave them (beads created here among them). */
  private readonly touched = new Map<string, BeadState>();
  private readonly createdHere = new Set<string>();
  /** Ids newId gave that no create has taken yet. */
  private readonly reserved = new Set<string>();
  /** Dependencies on reserved ids, target to the bead that depends on it: each must be created by the end. */
  private readonly awaited = new Map<string, string>();
  private readonly ts: string;

  constructor(
    private readonly store: BeadStore,
    /** The store as the transaction began, caught up under the lock. */
    readonly view: CacheReader,
    private readonly actor: string,
  ) {
    this.ts = store.nowIso();
  }

  /** The operations decided so far (the store appends them). */
  get ops(): readonly OpDraft[] {
    return this.drafts;
  }

  /** A bead's state by full id, as the steps so far leave it. */
  state(id: string): BeadState | undefined {
    return this.touched.get(id) ?? this.view.state(id);
  }

  /** A full id or any unique prefix, as BeadStore.resolveId takes it; a bead created here by its full id. Deleted beads resolve too. */
  resolve(input: string): string {
    const wanted = input.trim();
    return this.touched.has(wanted) ? wanted : resolveIdIn(this.view, this.store.idPrefix, wanted);
  }

  /** The bead with this id or unique prefix, as the steps so far leave it. */
  get(input: string): Bead {
    return this.state(this.resolve(input))!.bead;
  }

  /** A live bead to change (not deleted). */
  private live(input: string): BeadState {
    const state = this.state(this.resolve(input))!;
    rejectDeleted(state);
    return state;
  }

  /** A dependency's target: a bead created here, else what bd create or bd dep add accepts (a live bead, another rig's by full id). */
  private targetId(input: string, foreign: DependencyOptions['foreign'], from: string): string {
    const wanted = input.trim();
    if (this.reserved.has(wanted)) {
      if (!this.awaited.has(wanted)) this.awaited.set(wanted, from);
      return wanted;
    }
    const mine = this.touched.get(wanted);
    if (mine) {
      rejectDeleted(mine);
      return wanted;
    }
    return resolveTarget(this.store, this.view, wanted, foreign);
  }

  /**
   * Adds an operation on bead `id`: checked against the op schema as the store will stamp it, and folded into
   * the transaction's view. An operation on a bead created here carries no origin (its create's op id is
   * stamped with the write), which the fold reads as that create.
   */
  private push(id: string, draft: OpDraft): void {
    const op = { op_id: newOpId(), bead: draft.bead, kind: draft.kind, actor: this.actor, ts: this.ts, lc: Math.min(this.view.meta.maxLc + this.drafts.length + 1, LC_BOUND), ...draft } as Op;
    assertValid('validateOp', op, 'operation'); // a clock past the bound is the store's to name (BeadStore.write)
    const before = this.touched.get(id) ?? this.view.state(id);
    const state = applyOp(before && structuredClone(before), op, id);
    if (state) this.touched.set(id, state);
    this.drafts.push(draft);
  }

  /** Where an operation on this bead goes (see push). */
  private on(state: BeadState): { bead: string; origin?: string } {
    return this.createdHere.has(state.bead.id) ? { bead: state.logId } : target(state);
  }

  /**
   * Creates a bead (the input bd create takes: `parent` and `deps` become its dependencies, on beads here or
   * created earlier in the transaction); returns its id. An explicit `id` that exists is a conflict.
   */
  create(input: CreateInput, options: DependencyOptions = {}): string {
    const clean = checkedCreateInput(input);
    if (clean.id && !this.reserved.has(clean.id) && (this.view.hasId(clean.id) || this.touched.has(clean.id))) throw new BeadsError('conflict', `a bead with id ${clean.id} already exists`, { id: clean.id });
    const id = clean.id ?? this.freshId();
    const deps: { depends_on_id: string; type: string }[] = [];
    if (clean.parent) deps.push({ depends_on_id: this.targetId(clean.parent, undefined, id), type: 'parent-child' });
    for (const d of clean.deps ?? []) deps.push({ depends_on_id: this.targetId(d.id, options.foreign, id), type: d.type });
    for (const d of deps) refuseCycle(this, id, d.depends_on_id, d.type);
    const { parent: _p, deps: _d, id: _i, ...fields } = clean;
    const opFields: Record<string, unknown> = { ...fields };
    if (deps.length) opFields.dependencies = deps;
    this.push(id, { bead: id, kind: 'create', fields: opFields });
    this.createdHere.add(id);
    this.reserved.delete(id);
    this.awaited.delete(id);
    return id;
  }

  /**
   * A fresh id for a bead this transaction will create (give it as `id` to create): beads created earlier can
   * depend on it before its create, as a molecule's steps name the steps they need, wherever those come.
   */
  newId(): string {
    const id = this.freshId();
    this.reserved.add(id);
    return id;
  }

  private freshId(): string {
    for (let i = 0; i < 20; i++) {
      const id = newBeadId(this.store.idPrefix);
      if (!this.view.hasId(id) && !this.touched.has(id) && !this.reserved.has(id)) return id;
    }
    throw new BeadsError('internal', 'could not generate a fresh id');
  }

  /** Refuses to end with a dependency on an id newId gave that no create took. */
  finish(): void {
    for (const [to, from] of this.awaited) throw new BeadsError('invalid_input', `${from} depends on ${to}, which the transaction reserved but never created; nothing is written`, { id: from, depends_on_id: to });
  }

  /**
   * Sets fields of a live bead (the input bd update takes; null clears one). `metadata` is the bead's whole new
   * metadata: only the keys that differ are written, key by key, so a clone that set others keeps them.
   */
  set(input: string, fields: UpdateInput): void {
    const clean = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    assertValid('validateUpdateInput', clean, 'bd update');
    assertTimes(clean);
    const state = this.live(input);
    const { metadata, ...rest } = clean;
    if (Object.keys(rest).length) this.push(state.bead.id, { ...this.on(state), kind: 'set', fields: rest });
    if (metadata === undefined) return;
    const changes = metadataChanges(this.state(state.bead.id)!.bead, (metadata as Record<string, unknown> | null) ?? {});
    if (Object.keys(changes).length) this.push(state.bead.id, { ...this.on(state), kind: 'metadata', metadata: changes });
  }

  /**
   * Makes live bead `from` depend on `to` (`type` one of the known dependency types), as bd dep add does: a
   * dependency on itself or one that closes a cycle is refused; one already there is left as it is.
   */
  link(fromInput: string, type: string, toInput: string, options: DependencyOptions = {}): void {
    assertLinkInput(type, toInput);
    const from = this.live(fromInput);
    const to = this.targetId(toInput, options.foreign, from.bead.id);
    if (to === from.bead.id) throw new BeadsError('invalid_input', `${from.bead.id} cannot depend on itself`);
    if (from.bead.dependencies?.some((d) => d.depends_on_id === to && d.type === type)) return;
    refuseCycle(this, from.bead.id, to, type);
    this.push(from.bead.id, { ...this.on(from), kind: 'dep_add', depends_on_id: to, dep_type: type });
  }

  /** Adds a label to a live bead (as bd label add); one it has already is left as it is. */
  addLabel(input: string, label: string): void {
    assertValid('validateCreateInput', { title: 'x', labels: [label] }, 'label');
    const state = this.live(input);
    if (this.state(state.bead.id)!.bead.labels?.includes(label)) return;
    this.push(state.bead.id, { ...this.on(state), kind: 'label_add', label });
  }

  /** Closes a live bead that is not closed, with an optional reason (text: newlines allowed, no other control characters). */
  close(input: string, reason?: string): void {
    assertReason(reason);
    const state = this.live(input);
    if (state.bead.status === 'closed') throw new BeadsError('conflict', `${state.bead.id} is already closed`, { id: state.bead.id });
    this.push(state.bead.id, { ...this.on(state), kind: 'close', ...(reason ? { reason } : {}) });
  }

  /** Reopens a closed bead, with an optional reason (as bd reopen). */
  reopen(input: string, reason?: string): void {
    if (reason) assertNoControl(reason, 'reason', 'text');
    const state = this.live(input);
    if (state.bead.status !== 'closed') throw new BeadsError('conflict', `${state.bead.id} is not closed (it is ${state.bead.status})`, { id: state.bead.id });
    this.push(state.bead.id, { ...this.on(state), kind: 'reopen', ...(reason ? { reason } : {}) });
  }

  /**
   * Appends a record of `kind` (one of RECORD_KINDS, its payload as the schema's `record` says) to a bead's
   * history. The fold passes over it; history shows it. A deleted bead takes records too: its history is kept.
   */
  record(input: string, kind: RecordKind, payload: Record<string, unknown>): void {
    assertValid('validateRecordInput', { kind, payload }, 'record');
    const reserved = Object.keys(payload).find((k) => RESERVED.has(k));
    if (reserved !== undefined) throw new BeadsError('invalid_input', `a ${kind} record's payload cannot set ${reserved}: the store writes it`, { kind, key: reserved });
    const state = this.state(this.resolve(input))!;
    this.push(state.bead.id, { ...this.on(state), kind, ...payload });
  }
}

export interface TransactionOptions {
  /** Decide against the current state and check every step, but write nothing (the lock is not taken). */
  dryRun?: boolean;
}

/**
 * Runs `decide` as one transaction of `actor` (see Transaction) and appends what it decided in one locked
 * write; returns what `decide` returned. `decide` only decides: when the cache fails under it, it runs again.
 */
export function runTransaction<T>(store: BeadStore, actor: string, decide: (tx: Transaction) => T, options: TransactionOptions = {}): T {
  const decided = (view: CacheReader): { ops: OpDraft[]; result: T } => {
    const tx = new Transaction(store, view, actor);
    const result = decide(tx);
    tx.finish();
    return { ops: [...tx.ops], result };
  };
  if (options.dryRun) return store.read(decided).result;
  return store.write<T>(actor, decided).result as T;
}
