// Draws the dashboard with Ink until the user quits, attaching to an agent's session and coming back as often
// as asked. Kept apart from index.ts so that --once and the data layer never load React.
//
// The screen is the terminal's alternate screen, as a full-screen program's is (less, vim, htop): what the
// terminal showed before comes back when the dashboard quits, and no frame is left in the scrollback. It is
// left while tmux has the terminal (tmux keeps a screen of its own) and entered again on detach.
import { render } from 'ink';
import { attachSession, parseAgent, townSessions, townSocket, type Town } from '@gastown/gastown';
import { App } from './app.js';
import type { DashboardSource } from './source.js';
import type { UiState } from './state.js';
import { ThemeContext, type Theme } from './theme.js';

const ENTER = '\x1b[?1049h\x1b[H\x1b[2J';
const LEAVE = '\x1b[?25h\x1b[?1049l';

/** Enters the alternate screen; the function returned leaves it (once), as does the process's exit or a hang-up or terminate signal meanwhile. */
function alternateScreen(stdout: NodeJS.WriteStream): () => void {
  let inside = true;
  stdout.write(ENTER);
  const leave = (): void => {
    if (!inside) return;
    inside = false;
    process.off('exit', leave);
    for (const [signal] of SIGNALS) process.off(signal, onSignal);
    stdout.write(LEAVE);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    leave();
    process.exit(128 + (SIGNALS.get(signal) ?? 1));
  };
  process.on('exit', leave);
  for (const [signal] of SIGNALS) process.on(signal, onSignal);
  return leave;
}
// (^C in the screen is a key, not a signal: the terminal is raw; a SIGINT comes from kill or a supervisor)
const SIGNALS = new Map<NodeJS.Signals, number>([
  ['SIGHUP', 1],
  ['SIGINT', 2],
  ['SIGQUIT', 3],
  ['SIGTERM', 15],
]);

/** How to come back from tmux: inside the user's own tmux, C-b d would detach theirs; C-b C-b sends C-b on to the agent's. */
export const detachKeys = (env: NodeJS.ProcessEnv = process.env): string => (env.TMUX ? 'C-b C-b d (inside your tmux: C-b d would detach your own session)' : 'C-b d');

export async function runScreen(town: Town, source: DashboardSource, first: UiState, io: { stdout: NodeJS.WriteStream; stdin: NodeJS.ReadStream; theme: Theme }): Promise<number> {
  let state = first;
  for (;;) {
    let attach: string | null = null;
    const leave = alternateScreen(io.stdout);
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
    try {
      await ink.waitUntilExit();
    } finally {
      ink.cleanup();
      leave();
    }
    if (attach === null) return 0;
    // the screen is left; tmux has the terminal until the user detaches; then the dashboard comes back as it was
    try {
      const session = parseAgent(town, attach).session;
      if (!townSessions(town).has(session)) {
        state = { ...state, message: `attach failed: ${attach} has no session (not running)` };
        continue;
      }
      io.stdout.write(`gt dashboard: attaching to ${attach}; detach with ${detachKeys()} to come back\n`);
      const code = attachSession(townSocket(town), session);
      state = { ...state, message: code === 0 ? `back from ${attach}` : `attach failed: tmux exited ${code} (the session may have ended)` };
    } catch (err) {
      state = { ...state, message: `attach failed: ${(err as Error).message}` };
    }
  }
}
