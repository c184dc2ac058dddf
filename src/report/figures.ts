// Numbers and dates as people read them in the day's report: amounts in yuan with
// two decimals (the unit goes in the column header, not in every cell), counts with
// thousands separators, dates YYYY-MM-DD, moments YYYY-MM-DD hh:mm:ss.
import { strict as assert } from 'node:assert';
import { thousands } from '../core/yuan';

export { yuan } from '../core/yuan';

/** A count with thousands separators: 1234567 -> "1,234,567". */
export function count(n: number): string {
  assert(Number.isSafeInteger(n), `a count must be a safe integer, got ${n}`);
  return n < 0 ? `-${thousands(-n)}` : thousands(n);
}

/** A share as a percentage with one decimal: 0.1234 -> "12.3%"; an empty whole -> "–". */
export function percent(part: number, whole: number): string {
  if (whole === 0) return '–';
  return `${((part / whole) * 100).toFixed(1)}%`;
}

/** YYYYMMDD or YYYY-MM-DD -> YYYY-MM-DD; anything else is shown as it came. */
export function isoDate(date: string): string {
  if (/^\d{8}$/.test(date)) return `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`;
  return date;
}

/** YYYYMMDDhhmmss -> YYYY-MM-DD hh:mm:ss; anything else is shown as it came. */
export function isoMoment(stamp: string): string {
  if (!/^\d{14}$/.test(stamp)) return stamp;
  return `${isoDate(stamp.slice(0, 8))} ${stamp.slice(8, 10)}:${stamp.slice(10, 12)}:${stamp.slice(12, 14)}`;
}
