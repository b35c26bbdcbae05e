// What operations mean as events, fed by hand: a claim counts only when the fold would let it take effect.
import { describe, expect, it } from '@jest/globals';
import type { Op } from '@gastown/beads';
import { StoreEvents } from './events.js';

let n = 0;
const op = (kind: string, actor: string, ts: string, extra: Partial<Op> = {}): Op => ({ op_id: `op${String(++n).padStart(14, '0')}`, bead: 'al-aaaa', kind, actor, ts, lc: n, ...extra });
const at = (s: number): string => new Date(Date.parse('2026-03-01T10:00:00Z') + s * 1000).toISOString();

describe('StoreEvents', () => {
  it('a claim is an event only when it takes effect: not over a live lease, not a holder claiming again; over a lapsed one it is', () => {
    const events = new StoreEvents('alpha', 'alpha', () => undefined);
    const feed = (o: Op): string[] => events.apply(o).map((e) => `${e.kind} ${e.text}`);
    expect(feed(op('create', 'mayor', at(0), { fields: { title: 'a' } }))).toEqual(["created al-aaaa 'a'"]);
    expect(feed(op('claim', 'bob', at(1), { lease_ms: 10_000 }))).toEqual(["claimed al-aaaa 'a' claimed by bob"]);
    expect(feed(op('claim', 'carol', at(5)))).toEqual([]); // lost: bob's lease runs until 11 s
    expect(feed(op('heartbeat', 'bob', at(8), { lease_ms: 10_000 }))).toEqual([]); // now until 18 s
    expect(feed(op('claim', 'dave', at(15)))).toEqual([]);
    expect(feed(op('claim', 'dave', at(20), { takeover_from: 'bob' }))).toEqual(["claimed al-aaaa 'a' claimed by dave (its lease had lapsed)"]);
    expect(feed(op('claim', 'dave', at(21)))).toEqual([]); // his already
    expect(feed(op('release', 'dave', at(22)))).toEqual(["released al-aaaa 'a' released from dave"]);
    expect(feed(op('release', 'dave', at(23)))).toEqual([]); // nobody held it
    expect(feed(op('set', 'mayor', at(24), { fields: { status: 'hooked', assignee: 'alpha/polecats/nux' } }))).toEqual(["claimed al-aaaa 'a' hooked to alpha/polecats/nux"]);
    expect(feed(op('claim', 'alpha/polecats/nux', at(25)))).toEqual([]); // its polecat claiming its hooked bead
    expect(feed(op('close', 'alpha/refinery', at(26), { reason: 'merged in abc\nmore' }))).toEqual(["closed al-aaaa 'a': merged in abc"]);
    expect(feed(op('claim', 'erin', at(27)))).toEqual([]);
  });

  it('an operation on a bead whose create it has not seen says nothing', () => {
    const events = new StoreEvents('alpha', 'alpha', () => undefined);
    expect(events.apply(op('close', 'x', at(0)))).toEqual([]);
  });

  it('an operation whose stamp is no real date (2026-13-45T99:99:99Z, which the log lets through) is an event, and a lease from it throws nothing', () => {
    const events = new StoreEvents('alpha', 'alpha', () => undefined);
    const bad = '2026-13-45T99:99:99Z';
    const feed = (o: Op): string[] => events.apply(o).map((e) => `${e.at} ${e.kind} ${e.text}`);
    expect(feed(op('create', 'mayor', bad, { fields: { title: 'a' } }))).toEqual([`${bad} created al-aaaa 'a'`]);
    expect(feed(op('claim', 'bob', bad, { lease_ms: 60_000 }))).toEqual([`${bad} claimed al-aaaa 'a' claimed by bob`]); // was: RangeError: Invalid time value
    expect(feed(op('heartbeat', 'bob', bad, { lease_ms: 1e300 }))).toEqual([]); // a lease past what a Date holds: none
    expect(feed(op('release', 'bob', at(0)))).toEqual([`${at(0)} released al-aaaa 'a' released from bob`]);
  });

  it('counts in its text agree with their number: 1 step, 2 steps; after 1 rework, 2 reworks; after 1 restart, 2 restarts', () => {
    const events = new StoreEvents('alpha', 'alpha', () => undefined);
    const text = (o: Op): string[] => events.apply(o).map((e) => e.text);
    const steps = (k: number) => Array.from({ length: k }, (_, i) => ({ path: `s${i}`, id: `al-s${i}` }));
    for (const k of [1, 2]) {
      expect(text(op('create', 'mayor', at(k), { bead: `al-mol${k}`, fields: { title: 'm', issue_type: 'molecule', metadata: { molecule: 'edit', steps: steps(k) } } }))).toEqual([`al-mol${k} 'm' (molecule edit, ${k} step${k === 1 ? '' : 's'})`]);
      const mr = { merge_request: { branch: 'polecat/nux', worker: 'alpha/polecats/nux' }, mq: { state: 'queued', reworks: k, attempts: [] } };
      expect(text(op('create', 'alpha/polecats/nux', at(k), { bead: `al-mr${k}`, fields: { title: 'Merge polecat/nux: x', issue_type: 'merge-request', metadata: mr } }))).toEqual([`al-mr${k} polecat/nux by alpha/polecats/nux: 'x' (after ${k} rework${k === 1 ? '' : 's'})`]);
      const bead = `al-work${k}`;
      text(op('create', 'mayor', at(k), { bead, fields: { title: 'w' } }));
      text(op('metadata', 'alpha/witness', at(k), { bead, metadata: { witness: { restarts: k, last_restart_at: at(k) } } }));
      expect(text(op('metadata', 'alpha/witness', at(k + 1), { bead, metadata: { witness: { restarts: 0, released_at: at(k + 1) } } }))).toEqual([`${bead} 'w' released after ${k} restart${k === 1 ? '' : 's'}`]);
    }
  });
});

