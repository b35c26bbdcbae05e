// How the screen is shared: a header (2 lines), the panes, a footer (1 line). Problems, when there are any,
// always shows its first rows at the top; the focused pane gets the most rows; the others a few each, more as
// the terminal grows; no pane gets more rows than it has, and what it leaves goes to the others. Below 80x24
// there is no layout, only a notice.
import { PANES, type PaneId } from './rows.js';

export const MIN_COLUMNS = 80;
export const MIN_ROWS = 24;
const HEADER = 2;
const FOOTER = 1;
const MIN_FOCUSED = 8;
const MAX_OTHER = 8;

export interface Layout {
  tooSmall: boolean;
  /** Body rows of each pane shown (its title line not counted); absent: not shown. */
  heights: Partial<Record<PaneId, number>>;
  /** Rows below the header and above the footer (for a detail view or the help). */
  body: number;
}

export function layout(columns: number, rows: number, focused: PaneId, counts: Record<PaneId, number>): Layout {
  if (columns < MIN_COLUMNS || rows < MIN_ROWS) return { tooSmall: true, heights: {}, body: 0 };
  // the last line stays free: output as tall as the terminal makes Ink clear and redraw the whole screen
  const body = rows - 1 - HEADER - FOOTER;
  const shown = PANES.filter((p) => p !== 'problems' || counts.problems > 0 || focused === 'problems');
  let left = body - shown.length; // one title line each
  const want = (p: PaneId): number => Math.max(1, counts[p]); // an empty pane says so on one line
  const h: Partial<Record<PaneId, number>> = {};
  const give = (p: PaneId, n: number): void => {
    const add = Math.max(0, Math.min(n, left, want(p) - (h[p] ?? 0)));
    h[p] = (h[p] ?? 0) + add;
    left -= add;
  };
  for (const p of shown) h[p] = 0;
  if (focused !== 'problems' && shown.includes('problems')) give('problems', 3);
  give(focused, MIN_FOCUSED);
  const others = shown.filter((p) => p !== focused && p !== 'problems');
  const per = others.length ? Math.min(MAX_OTHER, Math.floor(left / (others.length + 1))) : 0;
  for (const p of others) give(p, per);
  give(focused, left);
  // what the focused pane did not need, round by round to the others
  for (let more = true; more && left > 0; ) {
    more = false;
    for (const p of [...others, 'problems' as const].filter((x) => shown.includes(x) && x !== focused)) {
      const before = left;
      give(p, 1);
      more ||= left < before;
    }
  }
  return { tooSmall: false, heights: h, body };
}
