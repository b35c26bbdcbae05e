import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleepSync } from '@gastown/beads';
import { stopAgents, townSessions } from '../agents/index.js';
import { TOWN_FILE, type Town } from '../model.js';
import { testTowns } from '../town/test-town.js';
import { readTown, writeJsonAtomic } from '../town/index.js';
import { inbox } from '../work/index.js';
import { DEFAULT_BACKOFF, restartDecision, withRestart, type ServiceState } from './backoff.js';
import { addService, commandAgent, ensureServices, holdServices, resetService, serviceRows } from './services.js';

const { town: newTown } = testTowns(afterEach);
const tools = { node: process.execPath, gt: '/nowhere/gt.mjs', bd: '/nowhere/bd.mjs' };
const started: Town[] = [];
afterEach(() => started.splice(0).forEach((t) => stopAgents(t)));

/** A town whose agents' runtimes are long sleeps (a started agent stays running), with rig alpha. */
function sleepyTown(): Town {
  let town = newTown({ alpha: 'al' });
  const config = JSON.parse(readFileSync(join(town.root, TOWN_FILE), 'utf8'));
  config.runtimes = { default: 'sleeper', commands: { sleeper: 'sleep 600' } };
  writeJsonAtomic(join(town.root, TOWN_FILE), config);
  town = readTown(town.root);
  started.push(town);
  return town;
}

const S = 1000;
const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('restartDecision', () => {
  it('restarts at once, then waits 30 s doubling to 10 min, and calls 5 restarts within 15 min a crash loop', () => {
    const p = DEFAULT_BACKOFF;
    let state: ServiceState | undefined;
    expect(restartDecision(state, T0, p)).toEqual({ kind: 'restart' });
    const at: number[] = [];
    let now = T0;
    for (let i = 0; i < 5; i++) {
      const d = restartDecision(state, now, p);
      if (d.kind === 'wait') {
        expect(restartDecision(state, d.until - 1, p).kind).toBe('wait');
        now = d.until;
      }
      expect(restartDecision(state, now, p)).toEqual({ kind: 'restart' });
      at.push((now - T0) / S);
      state = withRestart(state, now, p);
    }
    expect(at).toEqual([0, 30, 90, 210, 450]); // waits of 30, 60, 120, 240 s
    // the sixth is due at 450 + 480 s: by then the first is 15.5 min old, yet the five came within 15 min
    expect(restartDecision(state, T0 + 930 * S, p)).toEqual({ kind: 'crash_loop' });
    expect(restartDecision(state, T0 + 460 * S, p).kind).toBe('crash_loop');
  });

  it('caps the wait at 10 min, and forgets restarts older than the window', () => {
    const p = { ...DEFAULT_BACKOFF, limit: 100 };
    let state: ServiceState | undefined;
    let now = T0;
    for (let i = 0; i < 8; i++) {
      const d = restartDecision(state, now, p);
      if (d.kind === 'wait') now = d.until;
      state = withRestart(state, now, p);
    }
    const d = restartDecision(state, now, p);
    expect(d.kind === 'wait' && (d.until - now) / S).toBe(600);
    // a service that ran for an hour since its last restart is restarted at once, and not called a loop; its
    // next wait starts again from 30 s
    expect(restartDecision(state, now + 3600 * S, DEFAULT_BACKOFF)).toEqual({ kind: 'restart' });
    const again = withRestart(state, now + 3600 * S, DEFAULT_BACKOFF);
    expect(again.restarts).toHaveLength(1);
    expect(restartDecision(again, now + 3600 * S, DEFAULT_BACKOFF)).toEqual({ kind: 'wait', until: now + 3630 * S });
  });
});

describe('ensureServices', () => {
  it('creates the standing services, starts each one not running, and leaves running ones alone', () => {
    const town = sleepyTown();
    const first = ensureServices(town, { tools, now: T0 });
    expect(first.actions.filter((a) => a.action === 'create').map((a) => a.service)).toEqual(['mayor', 'alpha/witness', 'alpha/refinery']);
    expect(first.actions.filter((a) => a.action === 'start').map((a) => a.service).sort()).toEqual(['alpha/refinery', 'alpha/witness', 'mayor']);
    expect([...townSessions(town).keys()].sort()).toEqual(['gt-town-alpha-refinery', 'gt-town-alpha-witness', 'gt-town-mayor']);
    expect(ensureServices(town, { tools, now: T0 + S }).actions).toEqual([]);
    expect(serviceRows(town, T0 + S).map((r) => [r.name, r.state, r.restarts])).toEqual([
      ['mayor', 'running', 1],
      ['alpha/witness', 'running', 1],
      ['alpha/refinery', 'running', 1],
    ]);
  });

  it('backs off a command service that keeps dying, then stops at a crash loop and mails the overseer once', () => {
    const town = sleepyTown();
    const row = addService(town, 'tester', { name: 'flappy', cmd: 'exit 1', rig: 'alpha' });
    expect(row).toMatchObject({ name: 'flappy', kind: 'command', rig: 'alpha', state: 'absent', session: 'gt-town-svc-flappy' });
    const session = commandAgent(town, row).session;
    const flappyActions = (now: number) => ensureServices(town, { tools, now }).actions.filter((a) => a.service === 'flappy');
    const waitDead = () => {
      const deadline = Date.now() + 30_000;
      while (!townSessions(town).get(session)?.dead) {
        if (Date.now() > deadline) throw new Error('flappy did not die');
        sleepSync(20);
      }
    };
    const state = (now: number) => serviceRows(town, now).find((r) => r.name === 'flappy')!;
    let now = T0;
    expect(flappyActions(now)).toMatchObject([{ action: 'start', reason: 'it has no session' }]);
    waitDead();
    for (const wait of [30, 60, 120, 240]) {
      expect(flappyActions(now + (wait - 1) * S)).toEqual([]); // still in backoff
      expect(state(now + (wait - 1) * S)).toMatchObject({ state: 'backoff', next_try_at: new Date(now + wait * S).toISOString() });
      now += wait * S;
      expect(flappyActions(now)).toMatchObject([{ action: 'restart', reason: expect.stringContaining('its runtime died') }]);
      waitDead();
    }
    // five restarts within 15 min, and down again: a crash loop at once
    now += S;
    expect(state(now)).toMatchObject({ state: 'crash_loop', restarts: 5 });
    expect(flappyActions(now)).toMatchObject([{ action: 'crash_loop', reason: expect.stringContaining('5 restarts within 15 min') }]);
    expect(state(now)).toMatchObject({ state: 'crash_loop' });
    const mails = () => inbox(town, 'overseer').filter((m) => m.subject === 'service flappy is in a crash loop');
    expect(mails()).toHaveLength(1);
    // no more restarts, and no second mail, however long it waits
    expect(flappyActions(now + 3600 * S)).toEqual([]);
    expect(mails()).toHaveLength(1);
    expect(townSessions(town).get(session)?.dead).toBe(true);
    // gt service reset clears it: started at once
    expect(resetService(town, 'tester', 'flappy').state).toBe('dead');
    expect(flappyActions(now + 3601 * S)).toMatchObject([{ action: 'restart' }]);
  });

  it('leaves held services alone (gt down RIG) until released (gt up)', () => {
    const town = sleepyTown();
    ensureServices(town, { tools, now: T0 });
    holdServices(town, 'tester', true, 'alpha');
    stopAgents(town);
    expect(ensureServices(town, { tools, now: T0 + 3600 * S }).actions.map((a) => a.service)).toEqual(['mayor']);
    expect(serviceRows(town, T0 + 3600 * S).map((r) => r.state)).toEqual(['running', 'held', 'held']);
    holdServices(town, 'tester', false);
    expect(ensureServices(town, { tools, now: T0 + 3601 * S }).actions.map((a) => a.service).sort()).toEqual(['alpha/refinery', 'alpha/witness']);
  });

  it('refuses bad service declarations with one clear error each, writing nothing', () => {
    const town = sleepyTown();
    addService(town, 'tester', { name: 'web', cmd: 'sleep 600' });
    const refusal = (input: Parameters<typeof addService>[2]) => {
      try {
        addService(town, 'tester', input);
      } catch (err) {
        return [(err as { code: string }).code, (err as Error).message];
      }
      return null;
    };
    expect(refusal({ name: 'web', cmd: 'x' })).toEqual(['conflict', expect.stringContaining('a service named web exists already')]);
    expect(refusal({ name: 'mayor', cmd: 'x' })).toEqual(['conflict', expect.stringContaining('mayor')]);
    expect(refusal({ name: 'Web2', cmd: 'x' })).toEqual(['invalid_input', expect.stringContaining('invalid service name "Web2"')]);
    expect(refusal({ name: 'a/b', cmd: 'x' })).toEqual(['invalid_input', expect.stringContaining('invalid service name')]);
    expect(refusal({ name: 'api', cmd: '   ' })).toEqual(['invalid_input', expect.stringContaining('needs a command')]);
    expect(refusal({ name: 'api', cmd: 'x', rig: 'nope' })).toEqual(['not_found', expect.stringContaining('no rig nope')]);
    expect(serviceRows(town).map((r) => r.name)).toEqual(['web']);
  });
});
