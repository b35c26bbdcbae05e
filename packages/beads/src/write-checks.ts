// What every writer checks and derives before it appends: times that exist, a live bead to change, the
// target of an operation, and the key-by-key change of a bead's metadata. Shared by the mutations
// (mutations.ts) and the transactions of upper layers (transaction.ts), so both refuse the same input alike.
import { BeadsError } from './errors.js';
import { assertIsoTime } from './dates.js';
import type { BeadState } from './fold.js';
import type { Bead } from './types.js';

/** The schema checks a time's shape; this, that the day and time exist (2026-02-31 does not). */
export function assertTimes(fields: { defer_until?: unknown; due_at?: unknown }): void {
  for (const key of ['defer_until', 'due_at'] as const) {
    const value = fields[key];
    if (typeof value === 'string' && value !== '') assertIsoTime(value, key);
  }
}

export function rejectDeleted(state: BeadState): void {
  if (state.bead.status === 'tombstone') throw new BeadsError('not_found', `${state.bead.id} was deleted`, { id: state.bead.id });
}

/** Where an operation on this bead goes: its id as the log knows it, and its create (origin). */
export function target(state: BeadState): { bead: string; origin: string } {
  return { bead: state.logId, origin: state.origin };
}

/**
 * The keys to change (null: remove) to turn a bead's metadata into `wanted`. Only these go into the log, so
 * a clone that changed other keys meanwhile keeps them when the logs merge.
 */
export function metadataChanges(bead: Bead, wanted: Record<string, unknown>): Record<string, unknown> {
  const current = (bead.metadata as Record<string, unknown> | undefined) ?? {};
  // keys are defined, not assigned: a key named __proto__ is a key (the fold keeps it as one), not a prototype
  const changes: Record<string, unknown> = {};
  const put = (key: string, value: unknown): void => void Object.defineProperty(changes, key, { value, enumerable: true, writable: true, configurable: true });
  for (const key of Object.keys(current)) if (!Object.hasOwn(wanted, key) || wanted[key] === null) put(key, null);
  for (const [key, value] of Object.entries(wanted)) if (value !== null && JSON.stringify(value) !== JSON.stringify(Object.hasOwn(current, key) ? current[key] : undefined)) put(key, value);
  return changes;
}
