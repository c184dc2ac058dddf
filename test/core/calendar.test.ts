// Calendar arithmetic against JavaScript's own Date in UTC, and the edges of real dates.
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import {
  addDays,
  civilOfDayNumber,
  compactDateDayNumber,
  dayNumber,
  isCompactDate,
  isCompactTimestamp,
  isIsoDate,
  timestampSeconds,
} from '../../src/core/calendar';

const pad = (n: number, w: number) => String(n).padStart(w, '0');

describe('calendar', () => {
  it('dayNumber agrees with Date.UTC and civilOfDayNumber inverts it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }), (y, m, d) => {
        const date = new Date(0);
        date.setUTCFullYear(y, m - 1, d);
        const real = date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
        const compact = pad(y, 4) + pad(m, 2) + pad(d, 2);
        assert.equal(isCompactDate(compact), real, compact);
        if (!real) return;
        assert.equal(dayNumber(y, m, d), Math.round(date.getTime() / 86400000));
        assert.deepEqual(civilOfDayNumber(dayNumber(y, m, d)), { year: y, month: m, day: d });
      }),
      { numRuns: 5000 },
    );
  });

  it('knows leap years', () => {
    assert.ok(isCompactDate('20240229'));
    assert.ok(isCompactDate('20000229'));
    assert.ok(!isCompactDate('20250229'));
    assert.ok(!isCompactDate('19000229'));
    assert.ok(!isCompactDate('21000229'));
    assert.ok(!isCompactDate('00000101'), 'there is no year 0000');
  });

  it('checks timestamps field by field', () => {
    assert.equal(timestampSeconds('19700101000000'), 0);
    assert.equal(timestampSeconds('19700102000001'), 86401);
    assert.ok(isCompactTimestamp('20251231235959'));
    for (const bad of [
      '20251231240000',
      '20251231236000',
      '20251231235960',
      '2025123123595',
      '202512312359590',
      '2025123123595a',
      '20251301000000',
      '20251200000000',
      '+0251231235959',
    ]) {
      assert.ok(!isCompactTimestamp(bad), bad);
    }
  });

  it('reads YYYY-MM-DD and adds days across months and years', () => {
    assert.ok(isIsoDate('2024-02-29'));
    assert.ok(!isIsoDate('2025-02-29'));
    assert.ok(!isIsoDate('2025/01/01'));
    assert.ok(!isIsoDate('20250101'));
    assert.equal(addDays('20251230', 3), '20260102');
    assert.equal(addDays('20240301', -1), '20240229');
    assert.equal(addDays('20250301', -1), '20250228');
    assert.equal(compactDateDayNumber('2025123'), undefined);
  });
});
