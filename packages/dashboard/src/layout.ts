// How the screen is shared: a header (2 lines), the panes, a footer (1 line). Problems, when there are any,
// always shows its first rows at the top; the focused pane gets the most rows; the others a few each, more as
// the terminal grows; no pane gets more rows than it has, and what it leaves goes to the others. From 160
// columns the panes stand in two columns (agents and work; the queue, mail and activity) under the problems.
// Below 80x24 there is no layout, only a notice.
import { PANES, type PaneId } from './rows.js';

export const MIN_COLUMNS = 80;
export const MIN_ROWS = 24;
export const WIDE_COLUMNS = 160;
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
  /** The panes below the problems, column by column (one column under 160 columns), and each column's width. */
  columns: PaneId[][];
  columnWidth: number;
}

/** Shares `rows` lines among a column's panes (a title line each). */
function share(panes: PaneId[], rows: number, focused: PaneId, counts: Record<PaneId, number>, h: Partial<Record<PaneId, number>>): void {
  let left = rows - panes.length;
  const want = (p: PaneId): number => Math.max(1, counts[p]); // an empty pane says so on one line
  const give = (p: PaneId, n: number): void => {
    const add = Math.max(0, Math.min(n, left, want(p) - (h[p] ?? 0)));
    h[p] = (h[p] ?? 0) + add;
    left -= add;
  };
  for (const p of panes) h[p] = 0;
  const mine = panes.includes(focused);
  if (mine) give(focused, MIN_FOCUSED);
  const others = panes.filter((p) => p !== focused);
  const per = others.length ? Math.min(mine ? MAX_OTHER : left, Math.floor(left / (others.length + (mine ? 1 : 0)))) : 0;
  for (const p of others) give(p, per);
  if (mine) give(focused, left);
  // what the focused pane did not need, round by round to the others
  for (let more = true; more && left > 0; ) {
    more = false;
    for (const p of others) {
      const before = left;
      give(p, 1);
      more ||= left < before;
    }
  }
}

export function layout(columns: number, rows: number, focused: PaneId, counts: Record<PaneId, number>): Layout {
  if (columns < MIN_COLUMNS || rows < MIN_ROWS) return { tooSmall: true, heights: {}, body: 0, columns: [], columnWidth: 0 };
  // the last line stays free: output as tall as the terminal makes Ink clear and redraw the whole screen
  const body = rows - 1 - HEADER - FOOTER;
  const width = columns - 1;
  const problems = counts.problems > 0 || focused === 'problems';
  const h: Partial<Record<PaneId, number>> = {};
  const rest = PANES.filter((p) => p !== 'problems');
  if (columns < WIDE_COLUMNS) {
    // one column; the problems at the top of it, 3 rows unless focused
    let left = body;
    if (problems && focused !== 'problems') {
      h.problems = Math.min(counts.problems, 3);
      left -= 1 + h.problems;
    }
    share(focused === 'problems' ? ['problems', ...rest] : rest, left, focused, counts, h);
    return { tooSmall: false, heights: h, body, columns: [rest], columnWidth: width };
  }
  let left = body;
  if (problems) {
    h.problems = Math.max(1, Math.min(counts.problems, focused === 'problems' ? Math.floor(body / 2) : 3));
    left -= 1 + h.problems;
  }
  const cols: PaneId[][] = [['agents', 'work'], ['queue', 'mail', 'activity']];
  for (const col of cols) share(col, left, focused, counts, h);
  return { tooSmall: false, heights: h, body, columns: cols, columnWidth: Math.floor((width - 1) / 2) };
}
