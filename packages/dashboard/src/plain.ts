// The plain snapshot (--once, or stdout not a terminal): the same header, panes and rows as the screen, as
// text without colour, each pane cut at `limit` rows with a count of the rest.
import type { Snapshot } from './data/types.js';
import { fit, formatRow } from './format.js';
import { PANES, PANE_TITLES, paneRows } from './rows.js';
import { headerLines, paneSummary } from './summary.js';

export interface PlainOptions {
  width?: number;
  /** Rows per pane (0: all). */
  limit?: number;
  filter?: string;
  now?: number;
}

export function plainSnapshot(s: Snapshot, options: PlainOptions = {}): string {
  const width = Math.max(60, options.width ?? 100);
  const limit = options.limit ?? 50;
  const now = options.now ?? Date.parse(s.taken_at);
  const out = headerLines(s).map((l) => fit(l, width).trimEnd());
  if (options.filter) out.push(`filter: ${options.filter}`);
  for (const pane of PANES) {
    const rows = paneRows(s, pane, options.filter ?? '');
    if (pane === 'problems' && !rows.length) continue; // problems come first, when there are any
    out.push('', `${PANES.indexOf(pane) + 1} ${PANE_TITLES[pane]}  ${paneSummary(s, pane)}`);
    if (!rows.length) out.push('  (none)');
    const shown = limit > 0 ? rows.slice(0, limit) : rows;
    for (const row of shown) {
      const line = formatRow(row, width - 2, now);
      out.push(`  ${line.glyph} ${line.text}`.trimEnd());
    }
    if (shown.length < rows.length) out.push(`  … and ${rows.length - shown.length} more`);
  }
  return out.join('\n') + '\n';
}
