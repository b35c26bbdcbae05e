import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { isoTimeProblem } from './dates.js';
import { createBead, updateBead } from './mutations.js';
import { testRepos } from './test-helpers.js';

const { repo } = testRepos(afterEach);

describe('isoTimeProblem', () => {
  it('accepts ISO 8601 dates and times that exist', () => {
    for (const ok of ['2026-12-01', '2028-02-29', '2026-12-01T09:00', '2026-12-01T09:00Z', '2026-12-01T23:59:59.999+14:00', '2000-02-29']) expect({ ok, problem: isoTimeProblem(ok) }).toEqual({ ok, problem: null });
  });

  it('names what is wrong with the rest', () => {
    expect(isoTimeProblem('2026-02-31')).toBe('there is no such day (February 2026 has 28 days)');
    expect(isoTimeProblem('1900-02-29')).toBe('there is no such day (February 1900 has 28 days)');
    expect(isoTimeProblem('2026-00-10')).toMatch(/no such day/);
    expect(isoTimeProblem('2026-04-31')).toBe('there is no such day (April 2026 has 30 days)');
    expect(isoTimeProblem('2026-12-01T24:00Z')).toMatch(/no such time/);
    expect(isoTimeProblem('2026-12-01T10:60Z')).toMatch(/no such time/);
    expect(isoTimeProblem('2026-12-01T10:00+25:00')).toMatch(/no such time zone offset/);
    for (const bad of ['01/02/2026', '2026-1-5', 'March 3, 2026', '2026-12-01 09:00', '20261201', 'tomorrow']) expect(isoTimeProblem(bad)).toMatch(/use an ISO 8601 date/);
  });
});

describe('times given to the library', () => {
  it('are refused when the day does not exist, and nothing is written', () => {
    const { store } = repo();
    const bead = createBead(store, 'a', { title: 'x' });
    const before = readFileSync(store.logPath);
    expect(() => createBead(store, 'a', { title: 'y', due_at: '2026-02-31' })).toThrow(/invalid due_at "2026-02-31": there is no such day/);
    expect(() => updateBead(store, 'a', bead.id, { defer_until: '2026-13-01' })).toThrow(/invalid defer_until "2026-13-01"/);
    expect(readFileSync(store.logPath).equals(before)).toBe(true);
    expect(updateBead(store, 'a', bead.id, { due_at: '2028-02-29' }).due_at).toBe('2028-02-29');
  });
});
