// The day-order rules of clearing-rules.md, "The business day", as a table: which
// batch may run, which is a rerun, and which is refused and why, in the spec's order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dayOrder, type DaysAround } from '../../src/core/day-order';

const NONE: DaysAround = { status: null, later_closed: null, earlier_open: null, later_open: null, last_closed: null };
/** 02:00 in Beijing on 2026-01-08: the night's batch of the 7th runs now. */
const NOW = '20260108020000';

const cases: { what: string; D: string; now?: string; days: Partial<DaysAround>; want: string }[] = [
  { what: 'the first batch of a new store, for yesterday', D: '20260107', days: {}, want: 'run' },
  { what: 'the first batch of a new store, for any day long ago', D: '20200101', days: {}, want: 'run' },
  { what: 'the first batch of a new store, for today (D has begun)', D: '20260108', days: {}, want: 'run' },
  { what: 'D has begun a second ago', D: '20260108', now: '20260108000000', days: {}, want: 'run' },
  { what: 'D begins in a second', D: '20260108', now: '20260107235959', days: {}, want: 'NOT_BEGUN' },
  { what: 'the day after yesterday when yesterday is closed', D: '20260108', days: { last_closed: '20260107' }, want: 'run' },
  { what: 'a year ahead (a typo): not begun', D: '20270107', days: { last_closed: '20260106' }, want: 'NOT_BEGUN' },
  { what: 'a day ahead: not begun', D: '20260109', days: { last_closed: '20260108' }, want: 'NOT_BEGUN' },
  {
    what: 'not begun comes before every other refusal',
    D: '20260109',
    days: { earlier_open: '20260101', last_closed: '20260101' },
    want: 'NOT_BEGUN',
  },
  {
    what: 'the next day after an interrupted one',
    D: '20260108',
    days: { earlier_open: '20260107', last_closed: '20260106' },
    want: 'EARLIER_OPEN',
  },
  { what: 'the interrupted day itself', D: '20260107', days: { status: 'OPEN', last_closed: '20260106' }, want: 'run' },
  {
    what: 'a day never run, before a closed one',
    D: '20260105',
    days: { later_closed: '20260107', last_closed: '20260107' },
    want: 'LATER_CLOSED',
  },
  {
    what: 'a later closed day comes before an earlier open one',
    D: '20260105',
    days: { later_closed: '20260107', earlier_open: '20260101', last_closed: '20260107' },
    want: 'LATER_CLOSED',
  },
  { what: 'a day skipped', D: '20260108', days: { last_closed: '20260106' }, want: 'SKIPPED' },
  // A new store whose first batch (for the 6th) was interrupted: the 5th run now would
  // close with its records inside the 6th's span, and the 6th would clear them again.
  {
    what: 'an earlier day while a later one is interrupted (new store)',
    D: '20260105',
    days: { later_open: '20260106' },
    want: 'LATER_OPEN',
  },
  {
    what: 'an earlier day while a later one is interrupted',
    D: '20260105',
    days: { later_open: '20260106', last_closed: '20260104' },
    want: 'LATER_OPEN',
  },
  { what: 'the last closed day: a rerun', D: '20260107', days: { status: 'CLOSED', last_closed: '20260107' }, want: 'rerun' },
  {
    what: 'a closed day before later closed days: a rerun, at any time',
    D: '20260101',
    days: { status: 'CLOSED', later_closed: '20260107', last_closed: '20260107' },
    want: 'rerun',
  },
  {
    what: 'a closed day while a later one is interrupted: a rerun',
    D: '20260106',
    days: { status: 'CLOSED', last_closed: '20260106' },
    want: 'rerun',
  },
  {
    what: 'a closed day the clock says has not begun (the clock was wrong since): a rerun',
    D: '20260109',
    days: { status: 'CLOSED', last_closed: '20260109' },
    want: 'rerun',
  },
];

for (const c of cases) {
  test(`day order: ${c.what}`, () => {
    const got = dayOrder(c.D, c.now ?? NOW, { ...NONE, ...c.days });
    assert.equal(got.ok ? (got.rerun ? 'rerun' : 'run') : got.reason, c.want, got.ok ? '' : got.message);
  });
}

test('each refusal says why in one line, naming the days', () => {
  const says = (D: string, days: Partial<DaysAround>, now = NOW) => {
    const got = dayOrder(D, now, { ...NONE, ...days });
    assert.equal(got.ok, false);
    return got.ok ? '' : got.message;
  };
  assert.equal(says('20270107', {}), 'day 20270107 has not begun yet: it is 2026-01-08 02:00 in Beijing');
  assert.equal(says('20260105', { later_closed: '20260107' }), 'day 20260105 is before 20260107, which is closed: days run in order');
  assert.equal(says('20260108', { earlier_open: '20260107' }), 'day 20260107 was interrupted: rerun it before 20260108');
  assert.equal(says('20260108', { last_closed: '20260105' }), 'day 20260106 was never run: run it before 20260108 (no day is skipped)');
});

test('a bad date or clock is a bug of the caller, not a refusal', () => {
  assert.throws(() => dayOrder('2026-01-08', NOW, NONE), /YYYYMMDD/);
  assert.throws(() => dayOrder('20260108', '2026010802', NONE), /YYYYMMDDhhmmss/);
});
