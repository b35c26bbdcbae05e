// An operation's time as the feed orders and filters by it. The log's schema checks a stamp's shape, not its
// calendar, so another clone's segment can bring `2026-13-45T99:99:99Z`, which Date.parse makes NaN (and a NaN
// compares false both ways: the event was dropped by every filter and sorted anywhere). Such a stamp is read
// field by field with the calendar's carries (month 13 is the next January), so the event stays, ordered where
// its stamp puts it.

const STAMP = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** Milliseconds since the epoch of an ISO 8601 stamp, an impossible date carried over; NaN only for what is not a stamp. */
export function stampTime(at: string): number {
  const parsed = Date.parse(at);
  if (!Number.isNaN(parsed)) return parsed;
  const m = STAMP.exec(at);
  if (!m) return NaN;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  const ms = m[7] ? Math.round(Number(m[7]) * 1000) : 0;
  const zone = m[8];
  // as Date.parse reads them: a date alone is UTC, a date and time without a zone is local time
  if (zone === undefined && m[4] !== undefined) return new Date(y, mo - 1, d, h, mi, s, ms).getTime();
  const offset = !zone || zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  return Date.UTC(y, mo - 1, d, h, mi, s, ms) - offset;
}
