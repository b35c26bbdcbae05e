// tmux.ts against a real tmux on private sockets: a session whose program exits at once keeps its pane (dead,
// not gone), and a server that is gone, or ending as it is asked, means no sessions rather than an error.
import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleepSync } from '@gastown/beads';
import { capturePane, listSessions, pressEnter, startSession, stopServer, typeText, type SessionInfo } from './tmux.js';

const sockets: string[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) stopServer(s);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const socket = (tag: string): string => {
  const s = `gt-tmux-test-${tag}-${process.pid}-${Date.now()}`;
  sockets.push(s);
  return s;
};

function waitFor<T>(what: string, get: () => T | undefined, ms = 30_000): T {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    sleepSync(20);
  }
}

describe('startSession', () => {
  it("a session whose command exits at once is seen dead, not gone, as the server's first session and as a later one", () => {
    const s = socket('exit');
    const cwd = tmpdir();
    // the first session of its server: a program gone before a second tmux call would take the server with it
    startSession(s, { name: 'first', cwd, env: {}, command: 'exit 3' });
    const first = waitFor('the first pane to be dead', () => listSessions(s).find((x) => x.name === 'first' && x.dead));
    expect(first).toMatchObject({ name: 'first', dead: true });
    startSession(s, { name: 'second', cwd, env: {}, command: 'true' });
    waitFor('the second pane to be dead', () => listSessions(s).find((x) => x.name === 'second' && x.dead));
    expect(listSessions(s).map((x: SessionInfo) => [x.name, x.dead]).sort()).toEqual([
      ['first', true],
      ['second', true],
    ]);
  });

  it('ten at once, each exiting at once, on fresh servers: every one is kept dead', () => {
    for (let i = 0; i < 10; i++) {
      const s = socket(`many${i}`);
      startSession(s, { name: 'quick', cwd: tmpdir(), env: {}, command: 'exit 0' });
      expect(waitFor(`pane ${i} to be dead`, () => listSessions(s).find((x) => x.dead))).toMatchObject({ name: 'quick', dead: true });
    }
  });
});

describe("arguments ending in ';'", () => {
  it("reach the session as given: the command, an environment value, and typed text; the session's options are set", () => {
    const s = socket('semi');
    const dir = mkdtempSync(join(tmpdir(), 'gt-tmux-semi-'));
    dirs.push(dir);
    // tmux read a trailing ';' as the end of its command: `find ... \;` ran as `find ... ;` (find: missing argument)
    const command = `printf '[%s]\\n' "$GT_TEST_SEMI"; read line; echo "got $line"; find . -maxdepth 0 -exec echo found {} \\;`;
    startSession(s, { name: 'semi', cwd: dir, env: { GT_TEST_SEMI: 'a;' }, command });
    const option = (scope: string, name: string): string => execFileSync('tmux', ['-L', s, 'show-options', scope, '-v', '-t', '=semi:', name], { encoding: 'utf8' }).trim();
    expect([option('-w', 'remain-on-exit'), option('-s', 'history-limit')]).toEqual(['on', '20000']);
    waitFor('the value to be printed', () => (capturePane(s, 'semi').includes(']') ? true : undefined));
    typeText(s, 'semi', 'x;');
    pressEnter(s, 'semi');
    waitFor('the pane to be dead', () => listSessions(s).find((x) => x.dead));
    expect(capturePane(s, 'semi').split('\n').filter((l) => l && !l.startsWith('Pane is dead'))).toEqual(['[a;]', 'x;', 'got x;', 'found .']);
  });
});

describe('listSessions', () => {
  it('a socket no server listens on has no sessions', () => {
    expect(listSessions(socket('none'))).toEqual([]);
  });

  it('a server ending as it is asked ("server exited unexpectedly", "no current target") has no sessions; another tmux error still throws', () => {
    const bin = mkdtempSync(join(tmpdir(), 'gt-tmux-stand-in-'));
    dirs.push(bin);
    const path = process.env.PATH;
    const standIn = (message: string): void => {
      writeFileSync(join(bin, 'tmux'), `#!/bin/sh\necho '${message}' >&2\nexit 1\n`);
      chmodSync(join(bin, 'tmux'), 0o755);
    };
    process.env.PATH = `${bin}:${path}`;
    try {
      standIn('server exited unexpectedly');
      expect(listSessions('any')).toEqual([]);
      standIn('error connecting to /tmp/tmux-0/any (Connection refused)');
      expect(listSessions('any')).toEqual([]);
      standIn('no server running on /tmp/tmux-0/any');
      expect(listSessions('any')).toEqual([]);
      standIn('no current target');
      expect(listSessions('any')).toEqual([]);
      standIn('protocol version mismatch');
      expect(() => listSessions('any')).toThrow(/tmux list-panes: protocol version mismatch/);
    } finally {
      process.env.PATH = path;
    }
  });
});
