// Which day a batch may run (clearing-rules.md, "The business day"): days run one
// after another, every calendar day. A batch for a day D that is not closed is
// refused, in this order, when D has not begun yet by the clock in Beijing, when a
// later day is closed, when an earlier day is still open (an interrupted run), when a
// later day is open (an interrupted run of a later day: ours, see below), or when the
// store has closed days and the day before D is not one of them. A closed
// day is never refused: running it again, at any time, writes its files again.
import { strict as assert } from 'node:assert';
import { addDays, isCompactDate, isCompactTimestamp } from './calendar';

/** What the store says about the days around D. Dates are YYYYMMDD. */
export interface DaysAround {
  /** D's own status; null when D never ran. */
  status: 'OPEN' | 'CLOSED' | null;
  /** The latest closed day after D, if any. */
  later_closed: string | null;
  /** The earliest open day before D, if any. */
  earlier_open: string | null;
  /** The earliest open day after D, if any (an interrupted run of a later day). */
  later_open: string | null;
  /** The latest closed day of all, if any. */
  last_closed: string | null;
}

export type DayOrder =
  | { ok: true; rerun: boolean }
  | { ok: false; reason: 'NOT_BEGUN' | 'LATER_CLOSED' | 'EARLIER_OPEN' | 'LATER_OPEN' | 'SKIPPED'; message: string };

/** Whether the batch for D may run now (`now`: YYYYMMDDhhmmss, Beijing time), and whether it is a rerun of a closed day. */
export function dayOrder(D: string, now: string, days: DaysAround): DayOrder {
  assert(isCompactDate(D), `dayOrder: D is YYYYMMDD, got ${D}`);
  assert(isCompactTimestamp(now), `dayOrder: now is YYYYMMDDhhmmss, got ${now}`);
  if (days.status === 'CLOSED') return { ok: true, rerun: true };
  const today = now.slice(0, 8);
  if (D > today) {
    const clock = `${now.slice(0, 4)}-${now.slice(4, 6)}-${now.slice(6, 8)} ${now.slice(8, 10)}:${now.slice(10, 12)}`;
    return { ok: false, reason: 'NOT_BEGUN', message: `day ${D} has not begun yet: it is ${clock} in Beijing` };
  }
  if (days.later_closed !== null) {
    return { ok: false, reason: 'LATER_CLOSED', message: `day ${D} is before ${days.later_closed}, which is closed: days run in order` };
  }
  if (days.earlier_open !== null) {
    return { ok: false, reason: 'EARLIER_OPEN', message: `day ${days.earlier_open} was interrupted: rerun it before ${D}` };
  }
  // Not in the spec's list, but implied by it: a later day's interrupted run has
  // imported files already, and the day's records are a span of ids, so an earlier day
  // closed in between would have its records inside the later day's span and cleared
  // twice. The interrupted day is finished first, like an earlier one.
  if (days.later_open !== null) {
    return { ok: false, reason: 'LATER_OPEN', message: `day ${days.later_open} was interrupted: rerun it (days run in order)` };
  }
  if (days.last_closed !== null && days.last_closed < addDays(D, -1)) {
    return {
      ok: false,
      reason: 'SKIPPED',
      message: `day ${addDays(days.last_closed, 1)} was never run: run it before ${D} (no day is skipped)`,
    };
  }
  return { ok: true, rerun: false };
}
