// @gastown/dashboard: gt dashboard. runDashboard shows the town live in the terminal (Ink), or prints one
// plain snapshot when stdout is not a terminal or --once is given. The data (snapshot), the UI state
// (reducer) and the keymap are exported for tests and benchmarks.
import { requireTown, type Tools, type Town } from '@gastown/gastown';
import { TownReader, type SnapshotOptions } from './data/snapshot.js';
import { townFeed, type FeedSource } from './data/feed-types.js';
import { plainSnapshot } from './plain.js';
import { initialState } from './state.js';
import { themeFromEnv } from './theme.js';
import { LiveSource } from './live.js';

export * from './data/types.js';
export * from './data/feed-types.js';
export { snapshot, TownReader, rigWork, overseerMail, mailProblems, type SnapshotOptions } from './data/snapshot.js';
export { detailLines } from './data/detail.js';
export { plainSnapshot, type PlainOptions } from './plain.js';
export { reduce, initialState, rowsOf, selectedIndex, selectedRow, activeFilter, type UiState, type Msg, type Mode, type Effect } from './state.js';
export { KEYMAP, keymapTable, helpSections, dispatchKey, keyName, type Binding } from './keymap.js';
export { PANES, PANE_TITLES, paneRows, parseFilter, type PaneId, type Row } from './rows.js';
export { layout, MIN_COLUMNS, MIN_ROWS } from './layout.js';
export type { DashboardSource } from './source.js';
export { LiveSource } from './live.js';

export interface DashboardOptions {
  /** The town's directory (or one inside it). */
  cwd: string;
  once?: boolean;
  readonly?: boolean;
  rig?: string;
  feed?: FeedSource;
  tools?: Pick<Tools, 'node' | 'gt'>;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs the dashboard until the user quits; resolves to the exit code. Outside a town, or with an unknown
 * rig, throws gastown's error (the CLI prints it) before anything is drawn.
 */
export async function runDashboard(options: DashboardOptions): Promise<number> {
  const town: Town = requireTown(options.cwd);
  // the Activity pane: the town's feed unless one is given (a worker reading off this thread follows its own)
  const snapOptions: SnapshotOptions = { ...(options.rig !== undefined ? { rig: options.rig } : {}), feed: options.feed ?? townFeed(town, options.rig) };
  const reader = new TownReader(town, snapOptions);
  const stdout = options.stdout ?? process.stdout;
  const stdin = options.stdin ?? process.stdin;
  if (options.once || !stdout.isTTY || !stdin.isTTY) {
    stdout.write(plainSnapshot(reader.snapshot(), { width: Math.max(80, stdout.columns || 100) }));
    return 0;
  }
  const { runScreen } = await import('./screen.js');
  const source = new LiveSource(reader, { ...(options.tools ? { tools: options.tools } : {}), ...(options.feed ? { feed: options.feed } : {}), ...(options.rig !== undefined ? { rig: options.rig } : {}) });
  return runScreen(town, source, initialState(await source.first(), { readonly: Boolean(options.readonly) }), { stdout, stdin, theme: themeFromEnv(options.env ?? process.env) });
}
