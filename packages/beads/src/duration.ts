// Durations as people write them (30s, 10m, 2h, 7d) for leases, timeouts and ages.
import { BeadsError } from './errors.js';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
// Far beyond any lease or timeout; past it a time computed from the duration leaves the range Date can show.
const MAX_MS = 36_525 * UNIT_MS.d;

/** Milliseconds in a duration such as 30s, 10m, 2h or 7d; `what` names the value in the error. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new BeadsError('invalid_input', `invalid ${what} ${JSON.stringify(text)}: use a duration such as 30s, 10m, 2h or 7d`);
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  if (!(ms <= MAX_MS)) throw new BeadsError('invalid_input', `invalid ${what} ${JSON.stringify(text)}: too long (at most 100 years)`);
  return ms;
}
