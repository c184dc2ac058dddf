// HeldKeyIndex against a model of two Maps keyed by the key's text.
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { HeldKeyIndex } from '../../bench/held-key-index';
import type { Transaction } from '../../src/core/types';

// Small domains, so that keys meet often and tables fill and grow.
const arbRecord: fc.Arbitrary<Transaction> = fc
  .record({
    issuer_id: fc.constantFrom('41010001', '41010002'),
    card_no: fc.constantFrom('41010001000000000001', '41010001000000000002', '41010002000000000001'),
    card_seq: fc.integer({ min: 1, max: 40 }),
    acquirer_id: fc.constantFrom('41010101', '41010102'),
    terminal_id: fc.constantFrom('0B7CE418072E', '0C5143E6C3F3', 'ABCDEF012345'),
    terminal_seq: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom(65536, 0xffffffff)),
    amount_fen: fc.integer({ min: 1, max: 1000 }),
  })
  .map((k) => ({
    ...k,
    card_type: 1,
    txn_type: 6,
    balance_before_fen: 0,
    balance_after_fen: -k.amount_fen,
    merchant_id: '410101010000001',
    occurred_at: '20251230120000',
    tac: '00000000',
    batch_no: '',
    line_id: '',
    station_id: '',
  }));

const cardKey = (i: string, c: string, s: number) => `${i}|${c}|${s}`;
const terminalKey = (a: string, t: string, s: number) => `${a}|${t}|${s}`;

describe('HeldKeyIndex', () => {
  it('answers as two Maps would, through growth', () => {
    fc.assert(
      fc.property(fc.array(arbRecord, { maxLength: 3000 }), fc.array(arbRecord, { maxLength: 200 }), (added, asked) => {
        const index = new HeldKeyIndex([], 1);
        const byCard = new Map<string, Transaction>();
        const byTerminal = new Map<string, Transaction>();
        for (const r of added) {
          index.add(r);
          byCard.set(cardKey(r.issuer_id, r.card_no, r.card_seq), r);
          byTerminal.set(terminalKey(r.acquirer_id, r.terminal_id, r.terminal_seq), r);
        }
        assert.equal(index.size, added.length);
        for (const q of [...asked, ...added.slice(0, 200)]) {
          assert.equal(index.byCardKey(q.issuer_id, q.card_no, q.card_seq), byCard.get(cardKey(q.issuer_id, q.card_no, q.card_seq)));
          assert.equal(
            index.byTerminalKey(q.acquirer_id, q.terminal_id, q.terminal_seq),
            byTerminal.get(terminalKey(q.acquirer_id, q.terminal_id, q.terminal_seq)),
          );
        }
      }),
      { numRuns: 100 },
    );
  });

  it('starts from the held records of history', () => {
    const r = fc.sample(arbRecord, { numRuns: 1, seed: 1 })[0];
    const index = new HeldKeyIndex([r]);
    assert.equal(index.byCardKey(r.issuer_id, r.card_no, r.card_seq), r);
    assert.equal(index.byTerminalKey(r.acquirer_id, r.terminal_id, r.terminal_seq), r);
    assert.equal(index.byCardKey(r.issuer_id, r.card_no, r.card_seq + 1), undefined);
    assert.equal(index.byTerminalKey('41019999', r.terminal_id, r.terminal_seq), undefined);
  });
});
