import { describe, expect, it } from '@jest/globals';
import { stampTime } from './stamp.js';

describe('stampTime', () => {
  it('is Date.parse for a real date', () => {
    for (const at of ['2026-12-03T11:42:52.123Z', '2026-12-03T11:42:52Z', '2026-12-03T12:42+01:00', '2026-12-03', '2026-12-03T11:42:52']) expect(stampTime(at)).toBe(Date.parse(at));
  });

  it("carries over an impossible date the log's schema lets through (Date.parse: NaN), so it orders where its stamp puts it", () => {
    expect(Date.parse('2026-13-45T99:99:99Z')).toBeNaN();
    // month 13 is January 2027; its 45th day is 14 February; 99:99:99 is four days, 4 h 40 min 39 s on
    expect(new Date(stampTime('2026-13-45T99:99:99Z')).toISOString()).toBe('2027-02-18T04:40:39.000Z');
    expect(new Date(stampTime('2026-02-30T00:00:00.5+02:00')).toISOString()).toBe('2026-03-01T22:00:00.500Z');
    expect(new Date(stampTime('2026-00-00')).toISOString()).toBe('2025-11-30T00:00:00.000Z');
    expect(stampTime('2026-13-01T25:00')).toBe(new Date(2026, 12, 1, 25, 0).getTime()); // no zone with a time: local, as Date.parse reads it
  });

  it('is NaN only for what is not a stamp at all', () => {
    expect(stampTime('yesterday')).toBeNaN();
    expect(stampTime('')).toBeNaN();
  });
});
