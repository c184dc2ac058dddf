// Calendar arithmetic on the compact forms the exchange files use (YYYYMMDD and
// YYYYMMDDhhmmss, Beijing time, no daylight saving) and on the YYYY-MM-DD form of the
// participants file. Dates are proleptic Gregorian; a date "exists" when its month has
// that day (leap years included). Written with charCodeAt rather than regular
// expressions or Date because validation calls it once per record, millions a night.

const CODE_0 = 48;

/** The digit at s[i], or -1 when s[i] is not 0-9. */
function digitAt(s: string, i: number): number {
  const d = s.charCodeAt(i) - CODE_0;
  return d >= 0 && d <= 9 ? d : -1;
}

/** The number written by the n digits of s from i, or -1 when one is not a digit. */
function digitsAt(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const d = digitAt(s, i + k);
    if (d < 0) return -1;
    v = v * 10 + d;
  }
  return v;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  if (month === 2 && isLeapYear(year)) return 29;
  return DAYS_IN_MONTH[month - 1];
}

/** Years 0001..9999: the four digits of the formats; year 0000 does not exist. */
export function isRealDate(year: number, month: number, day: number): boolean {
  return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** Days since 1970-01-01 (negative before). Howard Hinnant's days_from_civil. */
export function dayNumber(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The civil date of a day number (inverse of dayNumber): Hinnant's civil_from_days. */
export function civilOfDayNumber(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** YYYYMMDD naming a day that exists. */
export function isCompactDate(s: string): boolean {
  return compactDateDayNumber(s) !== undefined;
}

/** The day number of a YYYYMMDD date, or undefined when it is not a real date. */
export function compactDateDayNumber(s: string): number | undefined {
  if (typeof s !== 'string' || s.length !== 8) return undefined;
  return dayNumberAt(s, 0);
}

/**
 * The day number of the YYYYMMDD written at s[i..i+7], or undefined when it is not a
 * real date. Reads characters in place: no substring per call.
 */
export function dayNumberAt(s: string, i: number): number | undefined {
  const year = digitsAt(s, i, 4);
  const month = digitsAt(s, i + 4, 2);
  const day = digitsAt(s, i + 6, 2);
  if (year < 0 || month < 0 || day < 0 || !isRealDate(year, month, day)) return undefined;
  return dayNumber(year, month, day);
}

/** YYYYMMDDhhmmss naming a moment that exists: real date, hh < 24, mm < 60, ss < 60. */
export function isCompactTimestamp(s: string): boolean {
  return timestampSeconds(s) !== undefined;
}

/**
 * Seconds since 1970-01-01 00:00:00 of the same clock (Beijing time: the files carry no
 * zone, so only differences between two such values mean anything), or undefined when
 * the text is not a real moment. Math.floor(seconds / 86400) is its day number.
 */
export function timestampSeconds(s: string): number | undefined {
  if (typeof s !== 'string' || s.length !== 14) return undefined;
  const days = dayNumberAt(s, 0);
  if (days === undefined) return undefined;
  const hh = digitsAt(s, 8, 2);
  const mm = digitsAt(s, 10, 2);
  const ss = digitsAt(s, 12, 2);
  if (hh < 0 || mm < 0 || ss < 0 || hh > 23 || mm > 59 || ss > 59) return undefined;
  return days * 86400 + hh * 3600 + mm * 60 + ss;
}

/** YYYY-MM-DD (the participants file's form) naming a day that exists. */
export function isIsoDate(s: string): boolean {
  if (s.length !== 10 || s[4] !== '-' || s[7] !== '-') return false;
  return isCompactDate(s.slice(0, 4) + s.slice(5, 7) + s.slice(8, 10));
}

/** YYYY-MM-DD -> YYYYMMDD; the caller has checked the form. */
export function isoToCompactDate(s: string): string {
  return s.slice(0, 4) + s.slice(5, 7) + s.slice(8, 10);
}

/** YYYYMMDD -> YYYY-MM-DD; the caller has checked the form. */
export function compactToIsoDate(s: string): string {
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
}

/** The YYYYMMDD date n days after (n < 0: before) a real YYYYMMDD date. */
export function addDays(date: string, n: number): string {
  const days = compactDateDayNumber(date);
  if (days === undefined) throw new Error(`addDays: not a real date: ${date}`);
  const c = civilOfDayNumber(days + n);
  return String(c.year).padStart(4, '0') + String(c.month).padStart(2, '0') + String(c.day).padStart(2, '0');
}
