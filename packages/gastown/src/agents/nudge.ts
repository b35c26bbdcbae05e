// Delivering a line of text into an agent's session as if typed, and making sure it was submitted. Senders to
// one session take turns (a lock per session), so two nudges never interleave; the text is sent literally,
// then Enter, and Enter is pressed again while the text still sits on the cursor's line.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BeadsError, sleepSync, withLock } from '@gastown/beads';
import { townSocket } from './agents.js';
import type { Agent, Town } from '../model.js';
import { requireSession } from './sessions.js';
import { cursorLine, pressEnter, typeText } from './tmux.js';

export interface NudgeResult {
  agent: string;
  /** How many times Enter was pressed before the text left the input line. */
  attempts: number;
}

function waitUntil(check: () => boolean, ms: number): boolean {
  const deadline = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > deadline) return false;
    sleepSync(10);
  }
}

export function nudgeAgent(town: Town, agent: Agent, text: string, options: { retries?: number } = {}): NudgeResult {
  const line = text.replace(/[\r\n]+/g, ' ').trim();
  if (!line) throw new BeadsError('invalid_input', 'nothing to send: the text is empty');
  const socket = townSocket(town);
  const session = requireSession(town, agent);
  if (session.dead) throw new BeadsError('conflict', `${agent.address}'s runtime has exited; restart it (gt up) before nudging`, { agent: agent.address });
  const locks = join(town.root, '.gt', 'locks');
  mkdirSync(locks, { recursive: true });
  // What identifies the text on the cursor's line (a long text wraps; its end is on the cursor's line).
  const mark = line.slice(-Math.min(line.length, 24));
  return withLock(join(locks, `nudge-${agent.session}.lock`), () => {
    typeText(socket, agent.session, line);
    waitUntil(() => cursorLine(socket, agent.session).includes(mark), 3000);
    const retries = options.retries ?? 5;
    for (let attempt = 1; attempt <= retries; attempt++) {
      pressEnter(socket, agent.session);
      if (waitUntil(() => !cursorLine(socket, agent.session).includes(mark), 1500)) return { agent: agent.address, attempts: attempt };
    }
    throw new BeadsError('conflict', `the text sent to ${agent.address} was typed but not submitted after ${retries} presses of Enter; the session may be busy (gt peek ${agent.address})`, { agent: agent.address });
  }, { timeoutMs: 120_000, what: `the nudges to ${agent.session}` });
}
