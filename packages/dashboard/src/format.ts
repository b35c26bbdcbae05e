// How a row reads: its glyph, its colour (a name the theme maps, or none) and its text cut to a width. Shared
// by the Ink panes and the plain snapshot (--once), so both say the same thing.
import type { Health } from './data/types.js';
import type { Row } from './rows.js';

export interface Line {
  glyph: string;
  color?: string;
  text: string;
}

/** Cut to width with an ellipsis, or padded to it. */
/** A column of a row: fitted to one less than its width and a space, so a text as wide as the column never runs into the next. */
export const col = (text: string, width: number): string => `${fit(text, width - 1)} `;

export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  const chars = [...text.replace(/[\u0000-\u001f\u007f]/g, ' ')];
  if (chars.length > width) return chars.slice(0, Math.max(0, width - 1)).join('') + '…';
  return chars.join('') + ' '.repeat(width - chars.length);
}

/** 45s, 3m, 2h, 4d. */
export function age(seconds: number | null): string {
  if (seconds === null) return '-';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Steps closed of all, as a bar: [■■□□] 2/4. */
export function progressBar(done: number | null, total: number | null, cells = 4): string {
  if (done === null || total === null || total === 0) return '';
  const full = Math.round((done / total) * cells);
  return `[${'■'.repeat(full)}${'□'.repeat(cells - full)}] ${done}/${total}`;
}

export const HEALTH: Record<Health, { glyph: string; color: string }> = {
  working: { glyph: '●', color: 'green' },
  idle: { glyph: '○', color: 'gray' },
  stalled: { glyph: '◐', color: 'yellow' },
  dead: { glyph: '✗', color: 'red' },
};

const WORK: Record<string, { glyph: string; color: string }> = {
  in_progress: { glyph: '◆', color: 'blue' },
  ready: { glyph: '◇', color: 'green' },
  blocked: { glyph: '■', color: 'red' },
};

const MQ: Record<string, { glyph: string; color?: string }> = {
  queued: { glyph: '·' },
  testing: { glyph: '⟳', color: 'yellow' },
  landing: { glyph: '↑', color: 'green' },
  pr: { glyph: '⇡', color: 'cyan' },
  rework: { glyph: '↺', color: 'red' },
};

const FEED_COLOR: Record<string, string> = { gate_failed: 'red', rework: 'red', rejected: 'red', released: 'yellow', restarted: 'yellow', merged: 'green', closed: 'green' };

const time = (iso: string): string => (iso.length >= 19 ? iso.slice(11, 19) : iso);

/** A row as one line of `width` characters after its glyph and a space. */
export function formatRow(row: Row, width: number, now = Date.now()): Line {
  const w = Math.max(10, width - 2);
  switch (row.pane) {
    case 'problems': {
      const p = row.item;
      return { glyph: '!', color: 'red', text: fit(`${fit(p.kind, 11)}${fit(p.subject, 26)} ${p.detail}`, w) };
    }
    case 'agents': {
      const a = row.item;
      const bar = progressBar(a.done, a.total);
      const fixed = `${fit(a.id, 23)} ${fit(a.health, 8)}${fit(a.hooked ?? '-', 13)}${fit(bar, 12)}`;
      const tail = ` idle ${fit(age(a.idle_s), 4)}`;
      return { ...HEALTH[a.health], text: fit(`${fixed}${fit(a.step ?? '', Math.max(0, w - fixed.length - tail.length))}${tail}`, w) };
    }
    case 'work': {
      const b = row.item;
      const who = b.status === 'blocked' ? `blocked by ${b.blocked_by.join(', ')}` : (b.assignee ?? '');
      return { ...WORK[b.status]!, text: fit(`${fit(b.id, 14)}${fit(b.rig, 10)}P${b.priority} ${fit(b.status.replace('_', ' '), 12)}${fit(b.title, Math.max(10, Math.floor((w - 40) * 0.6)))} ${who}`, w) };
    }
    case 'queue': {
      const m = row.item;
      const pos = m.position === null ? '-' : m.position === 0 ? '*' : String(m.position);
      const gate = m.last_gate ? `${m.last_gate.gate} ${m.last_gate.passed ? 'passed' : `failed (${m.last_gate.exit_code ?? 'timeout'})`}` : 'no gate yet';
      return { ...(MQ[m.state] ?? { glyph: '·' }), text: fit(`${fit(pos, 3)}${fit(m.state, 9)}${fit(m.id, 14)}${fit(m.source_bead, 14)}${fit(age(m.age_ms / 1000), 5)}${fit(gate, 22)}${m.waiting ?? m.title}`, w) };
    }
    case 'mail': {
      const m = row.item;
      return { glyph: m.read ? ' ' : '✉', ...(m.read ? {} : { color: 'yellow' }), text: fit(`${fit(m.id, 14)}${fit(m.from, 22)}${fit(age((now - Date.parse(m.sent_at)) / 1000), 5)}${m.subject}`, w) };
    }
    case 'activity': {
      const e = row.item;
      return { glyph: '•', ...(FEED_COLOR[e.kind] ? { color: FEED_COLOR[e.kind] } : {}), text: fit(`${time(e.at)} ${col(e.kind, 12)}${col(e.store, 8)}${col(e.actor, 18)}${e.text}`, w) }; // the feed's text names the bead
    }
  }
}
