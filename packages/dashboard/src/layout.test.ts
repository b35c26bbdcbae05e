import { describe, expect, it } from '@jest/globals';
import { layout } from './layout.js';
import { PANES, type PaneId } from './rows.js';

const counts = (c: Partial<Record<PaneId, number>>): Record<PaneId, number> => ({ ...(Object.fromEntries(PANES.map((p) => [p, 0])) as Record<PaneId, number>), ...c });
const used = (l: ReturnType<typeof layout>, panes: PaneId[]): number => panes.reduce((n, p) => n + (l.heights[p] !== undefined ? 1 + l.heights[p]! : 0), 0);

describe('the layout', () => {
  const many = counts({ problems: 5, agents: 50, work: 100_000, queue: 30, mail: 12, activity: 500 });

  it('fits 80x24: problems first with 3 rows, the focused pane the most, every pane its title', () => {
    const l = layout(80, 24, 'work', many);
    expect(l.tooSmall).toBe(false);
    expect(l.columns).toEqual([['agents', 'work', 'queue', 'mail', 'activity']]);
    expect(l.heights.problems).toBe(3);
    expect(used(l, PANES.slice())).toBeLessThanOrEqual(l.body);
    expect(l.body).toBe(20); // 24 less the header, the footer and the line left free
    for (const p of ['agents', 'queue', 'mail', 'activity'] as const) expect(l.heights.work!).toBeGreaterThan(l.heights[p]!);
  });

  it('grows with the terminal: more rows for every pane, and two columns from 160', () => {
    const small = layout(80, 24, 'agents', many);
    const tall = layout(100, 60, 'agents', many);
    for (const p of PANES) expect(tall.heights[p]!).toBeGreaterThanOrEqual(small.heights[p]!);
    expect(tall.heights.work!).toBeGreaterThan(small.heights.work!);
    const wide = layout(170, 40, 'mail', many);
    expect(wide.columns).toEqual([['agents', 'work'], ['queue', 'mail', 'activity']]);
    expect(wide.columnWidth).toBe(84);
    for (const col of wide.columns) expect(1 + wide.heights.problems! + used(wide, col)).toBeLessThanOrEqual(wide.body);
  });

  it('gives no pane more rows than it has, and leaves out Problems when there are none', () => {
    const l = layout(80, 40, 'agents', counts({ agents: 2, work: 100, mail: 1 }));
    expect(l.heights.problems).toBeUndefined();
    expect(l.heights.agents).toBe(2);
    expect(l.heights.queue).toBe(1); // "(none)"
    expect(used(l, PANES.slice())).toBe(l.body); // the rest went to work
  });

  it('is only a notice below 80x24', () => {
    expect(layout(79, 24, 'agents', many).tooSmall).toBe(true);
    expect(layout(80, 23, 'agents', many).tooSmall).toBe(true);
  });
});
