// @gastown/dashboard: gt dashboard. runDashboard shows the town live in the terminal (Ink), or prints one
// plain snapshot when stdout is not a terminal or --once is given. The data (snapshot), the UI state
// (reducer) and the keymap are exported for tests and benchmarks.
import { attachSession, requireTown, townSocket, parseAgent, type Tools, type Town } from '@gastown/gastown';
import { TownReader, type SnapshotOptions } from './data/snapshot.js';
import type { FeedSource } from './data/feed-types.js';
import { plainSnapshot } from './plain.js';
import { initialState, type UiState } from './state.js';
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
  const snapOptions: SnapshotOptions = { ...(options.rig !== undefined ? { rig: options.rig } : {}), ...(options.feed ? { feed: options.feed } : {}) };
  const reader = new TownReader(town, snapOptions);
  const stdout = options.stdout ?? process.stdout;
  const stdin = options.stdin ?? process.stdin;
  if (options.once || !stdout.isTTY || !stdin.isTTY) {
    stdout.write(plainSnapshot(reader.snapshot(), { width: Math.max(80, stdout.columns || 100) }));
    return 0;
  }
  const [{ render }, { createElement }, { App }, { ThemeContext, themeFromEnv }] = await Promise.all([import('ink'), import('react'), import('./app.js'), import('./theme.js')]);
  const source = new LiveSource(reader, options.tools ? { tools: options.tools } : {});
  let state: UiState = initialState(reader.snapshot(), { readonly: Boolean(options.readonly) });
  for (;;) {
    let attach: string | null = null;
    const app = createElement(App, {
      source,
      initial: { ...state, pending: [], quit: false },
      onAttach: (address: string, s: UiState) => {
        attach = address;
        state = s;
      },
      onExit: (s: UiState) => {
        state = s;
      },
    });
    const ink = render(createElement(ThemeContext.Provider, { value: themeFromEnv(options.env ?? process.env) }, app), { stdout, stdin, exitOnCtrlC: false, patchConsole: false });
    await ink.waitUntilExit();
    ink.cleanup();
    if (attach === null) return 0;
    // the screen is left; tmux has the terminal until the user detaches; then the dashboard comes back as it was
    try {
      attachSession(townSocket(town), parseAgent(town, attach).session);
      state = { ...state, message: `back from ${attach}` };
    } catch (err) {
      state = { ...state, message: `attach failed: ${(err as Error).message}` };
    }
  }
}
