// Dates as the command line writes them (YYYY-MM-DD) and as the store keeps them (YYYYMMDD).
import { isIsoDate, isoToCompactDate } from '../src/core/calendar';

export function compactDate(iso: string): string | null {
  return isIsoDate(iso) ? isoToCompactDate(iso) : null;
}

/** The clock, read once per batch: YYYYMMDDhhmmss in Beijing time (UTC+08:00, no DST). */
export function beijingNow(): string {
  const t = new Date(Date.now() + 8 * 3600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${t.getUTCFullYear()}${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())}${p(t.getUTCHours())}${p(t.getUTCMinutes())}${p(t.getUTCSeconds())}`;
}
