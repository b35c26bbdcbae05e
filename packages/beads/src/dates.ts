// Dates and times as the store takes them: ISO 8601 only (2026-12-01, 2026-12-01T09:00Z, with seconds,
// fractions and an offset), and only days and times that exist. JavaScript's Date reads 2026-02-31 as 3 March
// and 01/02/2026 as whatever the locale says; neither may reach the log.
import { BeadsError } from './errors.js';

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-](\d{2}):(\d{2}))?)?$/;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Why `text` is not an ISO 8601 date or time that exists, or null when it is one. */
export function isoTimeProblem(text: string): string | null {
  const m = ISO.exec(text);
  if (!m) return 'use an ISO 8601 date or time such as 2026-12-01 or 2026-12-01T09:00Z';
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12) return 'there is no such day (months are 01 to 12)';
  const days = daysIn(year, month);
  if (day < 1 || day > days) return `there is no such day (${MONTHS[month - 1]} ${year} has ${days} days)`;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || (m[6] !== undefined && Number(m[6]) > 59))) return 'there is no such time (hours 00-23, minutes and seconds 00-59)';
  if (m[8] !== undefined && (Number(m[8]) > 23 || Number(m[9]) > 59)) return 'there is no such time zone offset';
  return null;
}

/** Refuses a date or time that is not ISO 8601 or does not exist, naming `what` (a field or a flag). */
export function assertIsoTime(text: string, what: string): void {
  const problem = isoTimeProblem(text);
  if (problem) throw new BeadsError('invalid_input', `invalid ${what} ${JSON.stringify(text)}: ${problem}`);
}
