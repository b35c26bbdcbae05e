import { describe, expect, it } from '@jest/globals';
import { daemonStaleAfter, decideDaemon, type DaemonLook } from './supervise.js';

const now = Date.parse('2026-01-01T12:00:00Z');
const ago = (ms: number): string => new Date(now - ms).toISOString();
const record = { pid: 4242, nonce: 'n1', started_at: ago(3_600_000) };
const beat = (ageMs: number, over: Partial<DaemonLook['heartbeat'] & object> = {}) => ({ ...record, tick: 9, at: ago(ageMs), interval_ms: 10_000, last: '0 action(s)', ...over });
const look = (over: Partial<DaemonLook>): DaemonLook => ({ up: { since: ago(7_200_000), by: 'overseer' }, record, running: true, heartbeat: beat(5_000), self: false, ...over });
const env = {};

describe('decideDaemon', () => {
  it('leaves a running daemon with a fresh heartbeat alone, and does nothing when the town is not marked up', () => {
    expect(decideDaemon(look({}), now, env)).toBeNull();
    expect(decideDaemon(look({ up: null, running: false, record: null }), now, env)).toBeNull();
  });

  it('starts a daemon not running, saying how old its heartbeat is, and keeps its interval', () => {
    expect(decideDaemon(look({ running: false, heartbeat: beat(95_000) }), now, env)).toEqual({
      action: 'start',
      reason: 'daemon not running: heartbeat 95 s old (its pidfile names pid 4242, which is not it)',
      interval_ms: 10_000,
    });
    expect(decideDaemon(look({ running: false, record: null, heartbeat: null }), now, env)).toEqual({ action: 'start', reason: 'daemon not running: no heartbeat (no pidfile)', interval_ms: 10_000 });
  });

  it('restarts a daemon alive but silent for longer than the stale limit (15 min at least)', () => {
    expect(daemonStaleAfter(10_000, env)).toBe(900_000);
    expect(daemonStaleAfter(600_000, env)).toBe(6_000_000);
    expect(daemonStaleAfter(10_000, { GT_DAEMON_STALE_MS: '1500' })).toBe(1500);
    expect(decideDaemon(look({ heartbeat: beat(899_000) }), now, env)).toBeNull();
    expect(decideDaemon(look({ heartbeat: beat(1_000_000) }), now, env)).toEqual({
      action: 'restart',
      reason: 'daemon hung: pid 4242 is alive but its heartbeat is 1000 s old (stale after 900 s, interval 10 s)',
      interval_ms: 10_000,
    });
  });

  it('judges a daemon by its own heartbeat only: one just started, with an old one of its predecessor, is fine', () => {
    const fresh = { ...record, pid: 5151, nonce: 'n2', started_at: ago(2_000) };
    expect(decideDaemon(look({ record: fresh, heartbeat: beat(3_600_000) }), now, env)).toBeNull();
  });

  it('never acts from inside the daemon itself (its tick runs the witness patrol)', () => {
    expect(decideDaemon(look({ self: true, heartbeat: beat(3_600_000) }), now, env)).toBeNull();
  });
});
