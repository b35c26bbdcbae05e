// Draws the dashboard with Ink until the user quits, attaching to an agent's session and coming back as often
// as asked. Kept apart from index.ts so that --once and the data layer never load React.
import { render } from 'ink';
import { attachSession, parseAgent, townSocket, type Town } from '@gastown/gastown';
import { App } from './app.js';
import type { DashboardSource } from './source.js';
import type { UiState } from './state.js';
import { ThemeContext, type Theme } from './theme.js';

export async function runScreen(town: Town, source: DashboardSource, first: UiState, io: { stdout: NodeJS.WriteStream; stdin: NodeJS.ReadStream; theme: Theme }): Promise<number> {
  let state = first;
  for (;;) {
    let attach: string | null = null;
    const ink = render(
      <ThemeContext.Provider value={io.theme}>
        <App
          source={source}
          initial={{ ...state, pending: [], quit: false }}
          onAttach={(address, s) => {
            attach = address;
            state = s;
          }}
          onExit={(s) => {
            state = s;
          }}
        />
      </ThemeContext.Provider>,
      { stdout: io.stdout, stdin: io.stdin, exitOnCtrlC: false, patchConsole: false },
    );
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
