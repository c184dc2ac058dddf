// feeFen against an independent exact computation in bigint, the half-way cases, and
// every statement line of the worked example.
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { feeFen, isRate, rateProblem } from '../../src/core/fees';
import { readExampleJson } from './example-config';
import type { StatementLine } from '../../src/core/types';

/** round_half_up(gross x rate) with integers only: rate = digits / 10^decimals. */
function exactFee(gross_fen: number, rate: string): number {
  const [whole, fraction = ''] = rate.split('.');
  const numerator = BigInt(whole + fraction);
  const denominator = 10n ** BigInt(fraction.length);
  const product = BigInt(gross_fen) * numerator; // exact, in units of 1/denominator fen
  const fee = (2n * product + denominator) / (2n * denominator); // floor(x + 1/2): half up for x >= 0
  return Number(fee);
}

const arbRate = fc
  .tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 999999 }))
  .map(([decimals, n]) => (decimals === 0 ? '0' : `0.${String(n % 10 ** decimals).padStart(decimals, '0')}`));

describe('feeFen', () => {
  it('equals round_half_up of the exact product (bigint model)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 0, max: 10_000_000 }),
          fc.maxSafeInteger().map((n) => Math.abs(n)),
        ),
        arbRate,
        (gross, rate) => {
          assert.equal(feeFen(gross, rate), exactFee(gross, rate));
        },
      ),
      { numRuns: 20000 },
    );
  });

  it('rounds exactly half a fen up', () => {
    assert.equal(feeFen(1, '0.5'), 1); // 0.5
    assert.equal(feeFen(3, '0.5'), 2); // 1.5
    assert.equal(feeFen(5000, '0.0001'), 1); // 0.5
    assert.equal(feeFen(15, '0.1'), 2); // 1.5
    assert.equal(feeFen(2500, '0.0002'), 1); // 0.5
    assert.equal(feeFen(500000, '0.000001'), 1); // 0.5 at the finest rate
    assert.equal(feeFen(77547, '0.0055'), 427); // 426.5085: the example's corner shop
  });

  it('rounds just under half down and just over half up', () => {
    assert.equal(feeFen(4999, '0.0001'), 0); // 0.4999
    assert.equal(feeFen(5001, '0.0001'), 1); // 0.5001
    assert.equal(feeFen(166, '0.003'), 0); // 0.498
    assert.equal(feeFen(167, '0.003'), 1); // 0.501
  });

  it('rounds the group, not the records: 3 x 100 fen at 0.5% is 2 fen, not 3 x 1', () => {
    assert.equal(feeFen(300, '0.005'), 2); // 1.5 -> 2
    assert.equal(3 * feeFen(100, '0.005'), 3); // what per-record rounding would have charged
  });

  it('handles zero rates, zero gross and the largest gross exactly', () => {
    assert.equal(feeFen(123456, '0'), 0);
    assert.equal(feeFen(0, '0.999999'), 0);
    const big = Number.MAX_SAFE_INTEGER;
    assert.equal(feeFen(big, '0.999999'), exactFee(big, '0.999999'));
    assert.equal(feeFen(big, '0.000001'), exactFee(big, '0.000001'));
  });

  it('refuses inputs that are bugs', () => {
    assert.throws(() => feeFen(-1, '0.003'));
    assert.throws(() => feeFen(1.5, '0.003'));
    assert.throws(() => feeFen(Number.MAX_SAFE_INTEGER + 1, '0.003'));
    for (const rate of ['1', '0.0000001', '-0.1', '.5', '0.003 ', 'abc', '', '1e-3']) assert.throws(() => feeFen(100, rate), rate);
  });
});

describe('rates', () => {
  it('knows a rate when it sees one', () => {
    for (const ok of ['0', '0.0', '0.003', '0.0030', '0.004375', '0.999999']) assert.ok(isRate(ok), ok);
    for (const bad of ['1', '1.0', '0.1234567', '-0', '.1', '00.1', '0.', '', ' 0.1', 3, null]) assert.ok(!isRate(bad), String(bad));
    assert.equal(rateProblem(0.003), 'not a decimal');
  });
});

describe('the worked example: every statement line', () => {
  for (const night of ['20251230', '20251231']) {
    const expected = readExampleJson(`expected/${night}.json`) as { outbox: { type: string; records: StatementLine[] }[] };
    const lines = expected.outbox.filter((f) => f.type === 'CLEARING_STATEMENT').flatMap((f) => f.records);
    it(`${night}: fee and net of each line from its gross and rate (${lines.length} lines)`, () => {
      assert.ok(lines.length > 10);
      for (const l of lines) {
        const fee = l.category === 3 ? 0 : feeFen(l.gross_fen, l.fee_rate);
        assert.equal(fee, l.fee_fen, JSON.stringify(l));
        const net = l.category === 1 || l.category === 3 ? l.gross_fen - fee : -(l.gross_fen - fee);
        assert.equal(net, l.net_fen, JSON.stringify(l));
      }
    });
  }
});
