// Filters shared by list, ready, blocked and search: checked against the schema, then matched per bead.
import { assertValid } from './validate.js';
import type { Bead } from './types.js';

export interface BeadFilter {
  status?: string[];
  issue_type?: string[];
  assignee?: string;
  labels?: string[];
  priority?: number[];
  parent?: string;
  /** Include closed beads (list). */
  all?: boolean;
  /** 0 or absent: no limit. */
  limit?: number;
}

export function normalizeFilter(filter: BeadFilter): BeadFilter {
  const clean = Object.fromEntries(
    Object.entries(filter).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)),
  ) as BeadFilter;
  assertValid('validateFilterInput', clean, 'filter');
  return clean;
}

export function matchesFilter(bead: Bead, f: BeadFilter): boolean {
  if (f.status && !f.status.includes(bead.status)) return false;
  if (f.issue_type && !f.issue_type.includes(bead.issue_type)) return false;
  if (f.assignee !== undefined && (bead.assignee ?? '') !== f.assignee) return false;
  if (f.priority && !f.priority.includes(bead.priority)) return false;
  if (f.labels && !f.labels.every((l) => bead.labels?.includes(l))) return false;
  return true;
}
