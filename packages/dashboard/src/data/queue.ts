// A rig's merge queue as gt mq list shows it (gastown's queueRows: the same order, positions and reasons),
// read on the store the reader keeps open, with the blocked beads its work list already found. queueRows
// opens the store anew (reloading its cache) and asks for every blocked bead again: about 50 ms on each
// change at 100,000 beads. snapshot.test.ts checks the two agree.
import type { BeadStore } from '@gastown/beads';
import { queueOrder, rigMergeRequests, type MergeRequest } from '@gastown/gastown';
import type { MrItem } from './types.js';

/** The queue's rows: being processed (position 0), queued in order (1..), then waiting (null) on a blocked source, a pull request or rework. */
export function queueItems(store: BeadStore, rig: string, now: number, maxWaitMs: number, blocked: ReadonlySet<string>): MrItem[] {
  const all = rigMergeRequests(store);
  if (!all.length) return [];
  const active = all.filter((m) => m.mq.state === 'testing' || m.mq.state === 'landing');
  const queued = queueOrder(all.filter((m) => m.mq.state === 'queued'), now, maxWaitMs);
  const others = all.filter((m) => m.mq.state === 'pr' || m.mq.state === 'rework');
  let position = 0;
  const item = (m: MergeRequest, pos: number | null, waiting?: string): MrItem => {
    const last = m.mq.attempts.at(-1)?.runs.at(-1);
    return {
      id: m.bead.id,
      rig,
      position: pos,
      state: m.mq.state,
      title: m.bead.title,
      source_bead: m.meta.source_bead,
      worker: m.meta.worker,
      priority: m.bead.priority,
      age_ms: Math.max(0, now - Date.parse(m.mq.queued_at)),
      last_gate: last ? { gate: last.gate, passed: last.passed, exit_code: last.exit_code } : null,
      ...(waiting ? { waiting } : {}),
    };
  };
  return [
    ...active.map((m) => item(m, 0)),
    ...queued.filter((m) => !blocked.has(m.meta.source_bead)).map((m) => item(m, ++position)),
    ...queued.filter((m) => blocked.has(m.meta.source_bead)).map((m) => item(m, null, `its source bead ${m.meta.source_bead} is blocked`)),
    ...others.map((m) => item(m, null, m.mq.state === 'pr' ? `pull request ${m.mq.pr_url ?? ''} not merged yet` : `rework by ${m.meta.worker}: ${m.mq.reason ?? ''}`)),
  ];
}
