// Terminal completeness (src/core/terminal-completeness.ts), by example.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { LONG_RUN } from '../../src/core/missing-runs';
import { terminalCompleteness } from '../../src/core/terminal-completeness';

describe('terminalCompleteness', () => {
  test('a new terminal: the numbers missing between its lowest and highest', () => {
    const t = terminalCompleteness([3, 4, 7, 9], undefined, []);
    assert.deepEqual(t.gaps, [
      [5, 5],
      [6, 6],
      [8, 8],
    ]);
    assert.deepEqual(t.fills, []);
    assert.deepEqual(t.span, { min_seq: 3, max_seq: 9 });
  });

  test('numbers past the old span, on either side, open what they skip', () => {
    const t = terminalCompleteness([1, 12], { min_seq: 4, max_seq: 10 }, []);
    assert.deepEqual(t.gaps, [
      [11, 11],
      [2, 2],
      [3, 3],
    ]);
    assert.deepEqual(t.span, { min_seq: 1, max_seq: 12 });
  });

  test(`a run of more than ${LONG_RUN} missing numbers is one item`, () => {
    assert.deepEqual(terminalCompleteness([1, LONG_RUN + 3], undefined, []).gaps, [[2, LONG_RUN + 2]]);
  });

  test('a late number inside the span closes its open item, and what is still missing of it opens again', () => {
    const gaps = [
      { id: 'long', range_lo: 11, range_hi: 11 + LONG_RUN },
      { id: 'single', range_lo: 5, range_hi: 5 },
    ];
    const t = terminalCompleteness([5, 20, 21, LONG_RUN + 11], { min_seq: 1, max_seq: 2 * LONG_RUN }, gaps);
    assert.deepEqual(t.gaps, []);
    assert.deepEqual(
      t.fills.map((f) => [f.id, f.seq, f.reopened.length, f.reopened[0], f.reopened.at(-1)]),
      [
        ['single', 5, 0, undefined, undefined],
        ['long', 20, 9 + (LONG_RUN - 11), [11, 11], [LONG_RUN + 10, LONG_RUN + 10]],
      ],
    );
    assert.deepEqual(t.span, { min_seq: 1, max_seq: 2 * LONG_RUN });
  });

  test('numbers must come sorted and distinct', () => {
    assert.throws(() => terminalCompleteness([2, 2], undefined, []), /sorted and distinct/);
    assert.throws(() => terminalCompleteness([], undefined, []), /no numbers/);
  });
});
