// The few words beside each pane's title and the header's counts.
import type { Snapshot } from './data/types.js';
import type { PaneId } from './rows.js';

export function paneSummary(s: Snapshot, pane: PaneId): string {
  const c = s.counts;
  switch (pane) {
    case 'problems':
      return s.problems.length ? `${s.problems.length}` : 'none';
    case 'agents':
      return `${c.working} working · ${c.idle} idle · ${c.stalled} stalled · ${c.dead} dead`;
    case 'work':
      return `${c.ready} ready · ${c.in_progress} in progress · ${c.blocked} blocked`;
    case 'queue':
      return `${c.queued} queued · ${s.queue.length - c.queued} waiting`;
    case 'mail':
      return `${c.unread} unread · ${s.mail.length} in the inbox`;
    case 'activity':
      return `${s.activity.length} event${s.activity.length === 1 ? '' : 's'}`;
  }
}

export function headerLines(s: Snapshot): [string, string] {
  const d = s.daemon;
  const daemon = d.running ? `daemon running (pid ${d.pid})` : 'daemon stopped';
  const c = s.counts;
  return [
    `Gas Town ${s.town} · rigs ${s.rigs.length ? s.rigs.join(', ') : 'none'} · ${daemon}`,
    `${c.working} working · ${c.stalled} stalled · ${c.dead} dead · ${c.ready} ready · ${c.queued} queued MRs · ${c.unread} unread mail`,
  ];
}
