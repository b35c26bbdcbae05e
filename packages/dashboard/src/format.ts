// How a row reads: its glyph, its colour (a name the theme maps, or none) and its text cut to a width. Shared
// by the Ink panes and the plain snapshot (--once), so both say the same thing.
import stringWidth from 'string-width';
import type { Health } from './data/types.js';
import type { Row } from './rows.js';

export interface Line {
  glyph: string;
  color?: string;
  text: string;
}

/** A column of a row: fitted to one less than its width and a space, so a text as wide as the column never runs into the next. */
export const col = (text: string, width: number): string => `${fit(text, width - 1)} `;

// Text from a store may hold anything (another clone's segment, brought by a pull, is plain JSON Lines): a C1
// control (U+009B is CSI, U+009D OSC to a terminal) could set the window title or write the clipboard, a bidi
// override turn a row around. Line breaks and tabs read as spaces; every other control is shown escaped, as
// bd and gt feed show it.
const BREAKS = /[\t\n\r]/g;
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const escapeOne = (c: string): string => {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** Text made safe for one line of a terminal: line breaks and tabs as spaces, every other control escaped. */
export const inert = (text: string): string => text.replace(BREAKS, ' ').replace(CONTROLS, escapeOne);

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const segmenter = new Intl.Segmenter();

/**
 * Cut to `width` terminal cells with an ellipsis, or padded to it. Cells, not characters: a CJK character or an
 * emoji takes two, a combining mark none (string-width, as Ink measures), so a row never runs past its column
 * and wraps the screen out of shape.
 */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  const safe = inert(text);
  if (PRINTABLE_ASCII.test(safe)) return safe.length > width ? safe.slice(0, width - 1) + '…' : safe + ' '.repeat(width - safe.length);
  const cells = stringWidth(safe);
  if (cells <= width) return safe + ' '.repeat(width - cells);
  let out = '';
  let used = 0;
  for (const { segment } of segmenter.segment(safe)) {
    const w = stringWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return out + '…' + ' '.repeat(width - 1 - used);
}

// What a terminal program wrote (a pane's capture, a gate's output) may colour itself: its escape sequences
// (CSI, OSC, and a lone ESC with one character) are dropped, so what is left reads as text.
const SEQUENCES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;
export const withoutSequences = (text: string): string => text.replace(SEQUENCES, '');

/**
 * A text as lines of at most `width` cells, broken at the last space that fits (else where the width runs out),
 * so a long line is read whole, not cut. A blank line stays one.
 */
export function wrap(text: string, width: number): string[] {
  const safe = inert(text).trimEnd();
  if (width <= 0) return [];
  if (PRINTABLE_ASCII.test(safe) && safe.length <= width) return [safe];
  const out: string[] = [];
  let line = '';
  let used = 0;
  let lastSpace = -1; // the index in `line` after its last space
  for (const { segment } of segmenter.segment(safe)) {
    const w = stringWidth(segment);
    if (used + w > width && line) {
      if (lastSpace > 0 && segment !== ' ') {
        out.push(line.slice(0, lastSpace).trimEnd());
        line = line.slice(lastSpace);
      } else {
        out.push(line.trimEnd());
        line = '';
      }
      used = stringWidth(line);
      lastSpace = -1;
      if (segment === ' ' && !line) continue;
    }
    line += segment;
    used += w;
    if (segment === ' ') lastSpace = line.length;
  }
  out.push(line.trimEnd());
  return out;
}

/** The end of a text in at most `width` cells, '…' before it when cut: what is being typed stays in sight. */
export function fitEnd(text: string, width: number): string {
  if (width <= 0) return '';
  const safe = inert(text);
  if (stringWidth(safe) <= width) return safe;
  const parts = [...segmenter.segment(safe)].map((x) => x.segment);
  let out = '';
  let used = 0;
  for (let i = parts.length - 1; i >= 0; i--) {
    const w = stringWidth(parts[i]!);
    if (used + w > width - 1) break;
    out = parts[i]! + out;
    used += w;
  }
  return '…' + out;
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
