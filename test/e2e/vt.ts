// A program in a real pseudo-terminal (node-pty) read through a real terminal emulator (xterm.js, headless):
// the tests see the screen as a person would, cursor moves and all, not the escape codes that drew it.
import xterm from '@xterm/headless';
import { spawn, type IPty } from 'node-pty';
import { waitFor } from './helpers.js';

export interface VtOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  cols?: number;
  rows?: number;
}

export class Vt {
  readonly term: InstanceType<typeof xterm.Terminal>;
  readonly pty: IPty;
  /** Everything the program wrote, as written. */
  raw = '';
  /** Its exit code, once it has exited. */
  code: number | undefined;
  private pending = 0;

  constructor(file: string, args: string[], options: VtOptions) {
    const cols = options.cols ?? 100;
    const rows = options.rows ?? 30;
    // Ink draws only its last frame when CI is set, and tmux refuses to nest inside a TMUX it sees: neither is passed on
    const { CI: _ci, TMUX: _tmux, ...env } = options.env;
    this.term = new xterm.Terminal({ cols, rows, allowProposedApi: true, scrollback: 1000 });
    this.pty = spawn(file, args, { cwd: options.cwd, cols, rows, name: 'xterm-256color', env: { ...env, TERM: 'xterm-256color' } as Record<string, string> });
    this.pty.onData((d) => {
      this.raw += d;
      this.pending++;
      this.term.write(d, () => this.pending--);
    });
    this.pty.onExit(({ exitCode }) => (this.code = exitCode));
  }

  /** The visible screen's lines, trailing blanks trimmed. */
  screen(): string[] {
    const b = this.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < this.term.rows; i++) lines.push(b.getLine(b.viewportY + i)?.translateToString(true) ?? '');
    return lines;
  }

  text(): string {
    return this.screen().join('\n');
  }

  /** Which screen the terminal shows: the normal one, or the alternate one full-screen programs draw on. */
  buffer(): 'normal' | 'alternate' {
    return this.term.buffer.active.type;
  }

  /** Whether the program's last word on the cursor was to show it. */
  cursorShown(): boolean {
    const hide = this.raw.lastIndexOf('\x1b[?25l');
    return hide < 0 || this.raw.lastIndexOf('\x1b[?25h') > hide;
  }

  write(keys: string): void {
    this.pty.write(keys);
  }

  /** Waits until the emulator has taken in everything written so far and `check` holds of the screen; on timeout the error shows the screen. */
  async until(check: (text: string) => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    await waitFor(() => this.pending === 0 && check(this.text()), what, timeoutMs).catch((e: Error) => {
      throw new Error(`${e.message}\nthe screen (${this.buffer()}):\n${this.text()}`);
    });
  }

  async exited(timeoutMs = 30_000): Promise<number> {
    await this.until(() => this.code !== undefined, 'the program to exit', timeoutMs);
    return this.code!;
  }

  kill(): void {
    if (this.code === undefined) this.pty.kill('SIGKILL');
    this.term.dispose();
  }
}
