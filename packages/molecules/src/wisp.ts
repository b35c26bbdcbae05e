// Wisps: ephemeral molecules poured into the store's wisp store (.beads/wisps/, gitignored, never synced).
// Squashing one leaves a single permanent digest bead in the real store; burning one discards it; wisps left
// untouched longer than the store's `wisp_max_age` are garbage-collected.
import { BeadsError, createBead, listBeads, parseDuration, type Bead, type BeadStore } from '@gastown/beads';
import { moleculeStatus, type StepStatus } from './status.js';

export const DEFAULT_WISP_MAX_AGE = '7d';

/** Every bead id of a poured wisp molecule: the molecule and all its steps. */
function wispBeadIds(wisps: BeadStore, id: string): { molecule: Bead; ids: Set<string> } {
  const molecule = wisps.get(id);
  const steps = (molecule.metadata as { steps?: { id: string }[] } | undefined)?.steps;
  if (molecule.issue_type !== 'molecule' || !steps) throw new BeadsError('invalid_input', `${molecule.id} is not a poured wisp molecule`, { id: molecule.id });
  return { molecule, ids: new Set([molecule.id, ...steps.map((s) => s.id)]) };
}

/** Removes a wisp molecule and its steps from the wisp store. Returns how many operations went. */
export function burnWisp(wisps: BeadStore, id: string): { id: string; beads: number; operations: number } {
  const { molecule, ids } = wispBeadIds(wisps, id);
  const operations = wisps.removeBeads(ids);
  return { id: molecule.id, beads: ids.size, operations };
}

function digestLines(steps: StepStatus[], indent = ''): string[] {
  return steps.flatMap((s) => [`${indent}- ${s.title}: ${s.status}${s.assignee ? ` by ${s.assignee}` : ''}${s.took_ms !== undefined ? ` in ${Math.round(s.took_ms / 1000)} s` : ''}`, ...digestLines(s.children, indent + '  ')]);
}

/** Replaces a wisp with one permanent, closed digest bead in the real store, then burns the wisp. */
export function squashWisp(store: BeadStore, wisps: BeadStore, actor: string, id: string, summary?: string): { digest: Bead; burned: number } {
  const status = moleculeStatus(wisps, id);
  const description = [summary?.trim() || `Squashed wisp ${status.id} (${status.molecule}): ${status.done}/${status.total} steps done.`, '', ...digestLines(status.steps)].join('\n');
  const digest = createBead(store, actor, {
    title: `Digest: ${status.title}`,
    description,
    status: 'closed',
    labels: ['digest'],
    metadata: { digest_of: status.id, molecule: status.molecule, done: status.done, total: status.total },
  });
  const { beads } = burnWisp(wisps, id);
  return { digest, burned: beads };
}

/** Burns every top-level wisp molecule whose beads were all last touched more than `maxAge` ago. */
export function gcWisps(wisps: BeadStore, maxAge: string, now = Date.now()): string[] {
  const cutoff = now - parseDuration(maxAge, 'wisp_max_age');
  const all = listBeads(wisps, { all: true, limit: 0 });
  const lastTouched = new Map(all.map((b) => [b.id, Date.parse(b.updated_at)]));
  const burned: string[] = [];
  for (const m of all) {
    if (m.issue_type !== 'molecule' || m.dependencies?.some((d) => d.type === 'parent-child' && lastTouched.has(d.depends_on_id))) continue;
    const steps = (m.metadata as { steps?: { id: string }[] } | undefined)?.steps ?? [];
    const latest = Math.max(lastTouched.get(m.id)!, ...steps.map((s) => lastTouched.get(s.id) ?? 0));
    if (latest < cutoff) {
      burnWisp(wisps, m.id);
      burned.push(m.id);
    }
  }
  return burned;
}
