// The card-float walk (src/core/card-float.ts), by example and against a model that
// walks records as objects.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { RUN_WIDTH, walkCard, type CardFloatFinding } from '../../src/core/card-float';
import { LONG_RUN } from '../../src/core/missing-runs';

/** Runs from [id, seq, before, after] tuples. */
const runs = (...records: [number, number, number, number][]): number[] => records.flat();
const brief = (f: CardFloatFinding) => `${f.category} ${f.range_lo}-${f.range_hi} ${f.amount_fen}`;

describe('walkCard', () => {
  test('an unbroken card finds nothing; its movement is last after minus first before', () => {
    const w = walkCard(runs([11, 2, 900, 800], [10, 1, 1000, 900], [12, 3, 800, 500]));
    assert.deepEqual(w.findings, []);
    assert.deepEqual(
      [w.first_id, w.first_seq, w.first_before_fen, w.last_id, w.last_seq, w.last_after_fen, w.movement_fen],
      [10, 1, 1000, 12, 3, 500, -500],
    );
  });

  test('a missing counter is a SEQ_GAP carrying the jump; a changed balance without one is a BALANCE_BREAK', () => {
    const w = walkCard(runs([1, 1, 1000, 900], [2, 4, 700, 600], [3, 5, 650, 550]));
    assert.deepEqual(w.findings.map(brief), ['SEQ_GAP 2-2 -200', 'SEQ_GAP 3-3 0', 'BALANCE_BREAK 4-5 50']);
    assert.deepEqual(w.findings[0]!.before, { card_seq: 1, balance_after_fen: 900, record_id: 1 });
    assert.deepEqual(w.findings[0]!.after, { card_seq: 4, balance_before_fen: 700, record_id: 2 });
  });

  test(`a run of more than ${LONG_RUN} missing counters is one item`, () => {
    const w = walkCard(runs([1, 1, 100, 90], [2, LONG_RUN + 3, 90, 80]));
    assert.deepEqual(w.findings.map(brief), [`SEQ_GAP 2-${LONG_RUN + 2} 0`]);
    const exactly = walkCard(runs([1, 1, 100, 90], [2, LONG_RUN + 2, 90, 80]));
    assert.equal(exactly.findings.length, LONG_RUN);
  });

  test("a card's first record before the runs counts for the movement", () => {
    const w = walkCard(runs([50, 7, 0, 300], [51, 8, 300, 200]), { id: 3, seq: 1, before: 1000 });
    assert.deepEqual([w.first_id, w.first_seq, w.first_before_fen, w.movement_fen], [3, 1, 1000, -800]);
  });

  test('property: the same findings as a walk over record objects', () => {
    const record = fc.record({
      seq: fc.integer({ min: 1, max: 60 }),
      before: fc.integer({ min: 0, max: 5 }),
      spend: fc.integer({ min: 0, max: 2 }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(record, { minLength: 1, maxLength: 40, selector: (r) => r.seq }), (recs) => {
        const flat = recs.flatMap((r, i) => [100 + i, r.seq, r.before, r.before - r.spend]);
        assert.equal(flat.length, recs.length * RUN_WIDTH);
        const sorted = recs.map((r, i) => ({ id: 100 + i, ...r })).sort((a, b) => a.seq - b.seq);
        const want: string[] = [];
        for (let k = 1; k < sorted.length; k++) {
          const a = sorted[k - 1]!;
          const b = sorted[k]!;
          const jump = b.before - (a.before - a.spend);
          if (b.seq > a.seq + 1) for (let s = a.seq + 1; s < b.seq; s++) want.push(`SEQ_GAP ${s}-${s} ${s === a.seq + 1 ? jump : 0}`);
          else if (jump !== 0) want.push(`BALANCE_BREAK ${a.seq}-${b.seq} ${jump}`);
        }
        const w = walkCard(flat);
        assert.deepEqual(w.findings.map(brief), want);
        const last = sorted[sorted.length - 1]!;
        assert.equal(w.movement_fen, last.before - last.spend - sorted[0]!.before);
      }),
      { numRuns: 200 },
    );
  });
});
