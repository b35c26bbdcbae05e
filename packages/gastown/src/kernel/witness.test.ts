// The witness's decisions as pure functions: each detection, the ladder (nudge once per instance, restart,
// release at max_restarts), spawn grace, and the pane observations. The patrol in tmux: test/e2e/witness.test.ts.
import { describe, expect, it } from '@jest/globals';
import type { Bead } from '@gastown/beads';
import type { RigSettings } from '../town/index.js';
import { decide, inSpawnGrace, type PolecatLook } from './witness-detect.js';
import { observePane } from './witness-panes.js';
import { rescueStamp } from './rescue.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const settings = { stall_after_ms: 60_000, spawn_grace_ms: 10_000, max_restarts: 2 } as RigSettings;
const bead = (witness?: Record<string, unknown>): Bead => ({ id: 'al-1', title: 't', status: 'hooked', priority: 2, issue_type: 'task', assignee: 'alpha/polecats/nux', created_at: '2026-01-01T10:00:00Z', updated_at: '2026-01-01T10:00:00Z', ...(witness ? { metadata: { witness } } : {}) });
const running = { instance: '$1@100/42', dead: false, created: 100 };

function look(over: Partial<PolecatLook> = {}): PolecatLook {
  return {
    address: 'alpha/polecats/nux',
    session: running,
    bead: bead(),
    steps: { done: 1, total: 3 },
    last_op_ms: NOW - 120_000,
    started_ms: NOW - 3_600_000,
    pane: { instance: running.instance, hash: 'abc', since: NOW - 120_000 },
    state: 'working',
    mr_state: null,
    closed_bead: null,
    ...over,
  };
}

describe('decide', () => {
  it('a gone session or a dead runtime is restarted, and released once max_restarts restarts were made on the bead', () => {
    expect(decide(look({ session: null }), settings, NOW)).toMatchObject({ kind: 'session_gone', action: 'restart' });
    expect(decide(look({ session: { ...running, dead: true } }), settings, NOW)).toMatchObject({ kind: 'runtime_dead', action: 'restart' });
    expect(decide(look({ session: null, bead: bead({ restarts: 1 }) }), settings, NOW)).toMatchObject({ action: 'restart' });
    expect(decide(look({ session: null, bead: bead({ restarts: 2 }) }), settings, NOW)).toMatchObject({ kind: 'session_gone', action: 'release' });
  });

  it('a stall needs both: no operation and an unchanged pane (of this instance) for stall_after; nudged once per instance, then restarted', () => {
    expect(decide(look(), settings, NOW)).toMatchObject({ kind: 'stalled', action: 'nudge' });
    expect(decide(look({ last_op_ms: NOW - 30_000 }), settings, NOW)).toBeNull();
    expect(decide(look({ pane: { instance: running.instance, hash: 'abc', since: NOW - 30_000 } }), settings, NOW)).toBeNull();
    expect(decide(look({ pane: { instance: 'another', hash: 'abc', since: NOW - 120_000 } }), settings, NOW)).toBeNull();
    expect(decide(look({ pane: null }), settings, NOW)).toBeNull();
    expect(decide(look({ bead: bead({ restarts: 0, nudged_instance: running.instance }) }), settings, NOW)).toMatchObject({ kind: 'stalled', action: 'restart' });
    expect(decide(look({ bead: bead({ restarts: 0, nudged_instance: 'an earlier one' }) }), settings, NOW)).toMatchObject({ action: 'nudge' });
    expect(decide(look({ bead: bead({ restarts: 2, nudged_instance: running.instance }) }), settings, NOW)).toMatchObject({ action: 'release' });
  });

  it('every step closed and nothing filed is stuck in gt done (after spawn_grace from the last operation), but not while in the queue or in rework', () => {
    const closed = { steps: { done: 3, total: 3 } };
    expect(decide(look({ ...closed, last_op_ms: NOW - 20_000 }), settings, NOW)).toMatchObject({ kind: 'stuck_in_done', action: 'nudge' });
    expect(decide(look({ ...closed, last_op_ms: NOW - 5_000 }), settings, NOW)).toBeNull();
    expect(decide(look({ ...closed, state: 'in_queue', mr_state: 'testing' }), settings, NOW)).toBeNull();
    expect(decide(look({ ...closed, state: 'rework', mr_state: 'rework' }), settings, NOW)).toMatchObject({ kind: 'stalled' });
    expect(decide(look({ state: 'in_queue' }), settings, NOW)).toBeNull();
    // nor is one whose session is gone or dead: its work waits in the queue, and is never released from there
    expect(decide(look({ state: 'in_queue', session: null, bead: bead({ restarts: 5 }) }), settings, NOW)).toBeNull();
    expect(decide(look({ state: 'in_queue', session: { ...running, dead: true } }), settings, NOW)).toBeNull();
    expect(decide(look({ state: 'rework', session: null }), settings, NOW)).toMatchObject({ kind: 'session_gone', action: 'restart' });
  });

  it('with nothing hooked: a merged polecat is collected, a rejected or closed bead\'s session stopped, and one with no session left alone', () => {
    const idle = { bead: null, steps: null, last_op_ms: null, pane: null };
    expect(decide(look({ ...idle, state: 'merged' }), settings, NOW)).toMatchObject({ kind: 'idle_after_merged', action: 'collect' });
    expect(decide(look({ ...idle, state: 'rejected' }), settings, NOW)).toMatchObject({ kind: 'closed_bead_session', action: 'stop' });
    expect(decide(look({ ...idle, state: 'idle', closed_bead: { ...bead(), status: 'closed', close_reason: 'by hand' } }), settings, NOW)).toMatchObject({ kind: 'closed_bead_session', action: 'stop' });
    expect(decide(look({ ...idle, state: 'idle' }), settings, NOW)).toBeNull();
    expect(decide(look({ ...idle, state: 'merged', session: null }), settings, NOW)).toBeNull();
    // a closed bead never makes a restart (#4698): with no session, nothing at all
    expect(decide(look({ ...idle, state: 'idle', session: null, closed_bead: { ...bead(), status: 'closed' } }), settings, NOW)).toBeNull();
  });

  it('spawn grace counts from the latest start: session, restart or worktree', () => {
    expect(inSpawnGrace(look({ started_ms: NOW - 5_000 }), settings, NOW)).toBe(true);
    expect(inSpawnGrace(look({ started_ms: NOW - 10_000 }), settings, NOW)).toBe(false);
  });
});

describe('observePane', () => {
  it('keeps since while the same instance shows the same content; a change or another instance starts afresh', () => {
    const first = observePane(undefined, 'i1', 'screen', 1000);
    expect(first.since).toBe(1000);
    expect(observePane(first, 'i1', 'screen', 5000)).toEqual(first);
    expect(observePane(first, 'i1', 'screen changed', 5000).since).toBe(5000);
    expect(observePane(first, 'i2', 'screen', 5000).since).toBe(5000);
  });
});

describe('rescueStamp', () => {
  it('is yyyymmddThhmmss in UTC', () => {
    expect(rescueStamp(Date.parse('2026-03-04T05:06:07.890Z'))).toBe('20260304T050607');
  });
});
