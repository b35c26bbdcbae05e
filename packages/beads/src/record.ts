// How a bead is serialised: a fixed order for the fields everyone knows, then unknown fields sorted, so that
// the same state always prints (and hashes) the same bytes.
import type { Bead } from './types.js';

const ORDER = [
  'id', 'title', 'description', 'design', 'acceptance_criteria', 'notes', 'status', 'priority', 'issue_type',
  'assignee', 'labels', 'dependencies', 'comments', 'created_at', 'created_by', 'updated_at', 'closed_at',
  'close_reason', 'lease_expires_at', 'defer_until', 'due_at', 'external_ref', 'metadata', 'deleted_at', 'deleted_by', 'delete_reason',
];
const KNOWN = new Set(ORDER);

export function canonicalBead(bead: Bead): Bead {
  const out: Record<string, unknown> = {};
  for (const key of ORDER) if (bead[key] !== undefined) out[key] = bead[key];
  // defined, not assigned: an unknown field named __proto__ stays a field (the fold keeps it as one)
  for (const key of Object.keys(bead).filter((k) => !KNOWN.has(k)).sort()) if (bead[key] !== undefined) Object.defineProperty(out, key, { value: bead[key], enumerable: true, writable: true, configurable: true });
  return out as Bead;
}

/** The parents of a bead (targets of its parent-child dependencies). */
export function parentsOf(bead: Bead): string[] {
  return (bead.dependencies ?? []).filter((d) => d.type === 'parent-child').map((d) => d.depends_on_id);
}
