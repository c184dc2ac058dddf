// clearDay: the worked example's statements, instructions and balances, and properties
// of the books on random days.
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  GENESIS_HASH,
  accountBalances,
  assertBalanced,
  bankConfirmationEntry,
  canonicalEntry,
  chainHash,
  clearDay,
  type DayClearing,
  type DayClearingInput,
  type JournalEntry,
  type LoadGroupInput,
  type PurchaseGroupInput,
} from '../../src/core/clearing';
import { feeFen } from '../../src/core/fees';
import type { SettlementInstruction, StatementLine } from '../../src/core/types';
import { exampleRegistry, readExampleJson } from './example-config';

const registry = exampleRegistry();

interface ExpectedNight {
  balances: Record<string, number>;
  summary: {
    records: { suspended: number };
    cleared: { count: number; gross_fen: number };
    settlement: { instructions: number; pay_out_fen: number; collect_fen: number };
  };
  outbox: { type: string; records: unknown[] }[];
}

function expectedNight(date: string): { night: ExpectedNight; lines: StatementLine[]; instructions: SettlementInstruction[] } {
  const night = readExampleJson(`expected/${date}.json`) as ExpectedNight;
  const lines = night.outbox.filter((f) => f.type === 'CLEARING_STATEMENT').flatMap((f) => f.records as StatementLine[]);
  const instructions = night.outbox.filter((f) => f.type === 'SETTLEMENT').flatMap((f) => f.records as SettlementInstruction[]);
  return { night, lines, instructions };
}

/**
 * The clearing input that the example's statement lines were made from. The remote
 * part of the purchases (category 4's gross) is spread over the purchase groups in
 * order: which acquirer it belongs to does not change any line or balance checked.
 */
function inputFromLines(date: string, lines: StatementLine[], suspended: { count: number; gross_fen: number }): DayClearingInput {
  const cat4 = lines.find((l) => l.category === 4);
  let remote_left = cat4?.gross_fen ?? 0;
  const purchases: PurchaseGroupInput[] = [];
  const loads: LoadGroupInput[] = [];
  for (const l of lines) {
    if (l.category === 1) {
      const remote = Math.min(remote_left, l.gross_fen - l.count); // leave each record at least 1 fen local
      remote_left -= remote;
      purchases.push({
        participant_id: l.participant_id,
        merchant_id: l.merchant_id,
        count: l.count,
        local_gross_fen: l.gross_fen - remote,
        remote_gross_fen: remote,
      });
    } else if (l.category === 2) {
      loads.push({ participant_id: l.participant_id, merchant_id: l.merchant_id, count: l.count, gross_fen: l.gross_fen });
    }
  }
  assert.equal(remote_left, 0);
  const cat3 = lines.find((l) => l.category === 3);
  return {
    date,
    registry,
    purchases,
    loads,
    interop_in: cat3 ? { count: cat3.count, gross_fen: cat3.gross_fen } : { count: 0, gross_fen: 0 },
    interop_out: cat4 ? { count: cat4.count, gross_fen: cat4.gross_fen } : { count: 0, gross_fen: 0 },
    suspended,
  };
}

function balancesObject(entries: JournalEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [account, b] of accountBalances(entries)) if (b !== 0n) out[account] = Number(b);
  return out;
}

describe('the worked example', () => {
  const n1 = expectedNight('20251230');
  const n2 = expectedNight('20251231');
  // Suspended gross of each night: what suspense:blacklist moved (balances are cumulative).
  const day1 = clearDay(inputFromLines('20251230', n1.lines, { count: 5, gross_fen: 6600 }));
  const day2 = clearDay(inputFromLines('20251231', n2.lines, { count: 6, gross_fen: 25998 - 6600 }));

  for (const [date, day, expected] of [
    ['20251230', day1, n1],
    ['20251231', day2, n2],
  ] as const) {
    it(`${date}: statement lines, in file order`, () => {
      // The expected outbox lists one statement per participant in participant order,
      // each sorted by (category, merchant_id): the same order as DayClearing.lines.
      assert.deepEqual(day.lines, expected.lines);
    });
    it(`${date}: nets and settlement instructions`, () => {
      assert.deepEqual(day.instructions, expected.instructions);
      for (const i of day.instructions) {
        const id = i.instruction_id.slice(9);
        assert.equal(Math.abs(day.nets.get(id)!), i.amount_fen);
      }
      assert.equal(day.totals.pay_out_fen, expected.night.summary.settlement.pay_out_fen);
      assert.equal(day.totals.collect_fen, expected.night.summary.settlement.collect_fen);
    });
  }

  it('20251230: cleared count and gross of the summary', () => {
    assert.equal(day1.totals.cleared_count, n1.night.summary.cleared.count);
    assert.equal(day1.totals.cleared_gross_fen, n1.night.summary.cleared.gross_fen);
  });

  it('20251230: the ledger balances after night 1', () => {
    assert.deepEqual(balancesObject(day1.entries), n1.night.balances);
  });

  it('20251231: the ledger balances after night 2, the bank aside', () => {
    // Night 2 also posts the bank's confirmations of night 1's instructions, which move
    // money between settlement:in-transit and bank:settlement only.
    const got = balancesObject([...day1.entries, ...day2.entries]);
    const want = { ...n2.night.balances };
    const bank_side = (want['bank:settlement'] ?? 0) + (want['settlement:in-transit'] ?? 0);
    delete want['bank:settlement'];
    delete want['settlement:in-transit'];
    const got_in_transit = got['settlement:in-transit'];
    delete got['settlement:in-transit'];
    assert.deepEqual(got, want);
    assert.equal(got_in_transit, bank_side);
  });

  it('uses the chart of accounts and deterministic ids', () => {
    const ids = day2.entries.map((e) => e.id);
    assert.deepEqual(ids.filter((id) => id.includes('/clear/')).slice(0, 2), ['20251231/clear/00000001', '20251231/clear/41010101']);
    assert.ok(ids.includes('20251231/suspense'));
    assert.ok(ids.includes('20251231/settle/00000001'));
    assert.equal(new Set(ids).size, ids.length);
    const national = day2.entries.find((e) => e.id === '20251231/settle/00000001')!;
    assert.deepEqual(national.postings, [
      { account: 'payable:national', debit_fen: 11350, credit_fen: 0 },
      { account: 'receivable:national', debit_fen: 0, credit_fen: 49120 - 147 },
      { account: 'settlement:in-transit', debit_fen: 37623, credit_fen: 0 },
    ]);
  });
});

// ---------------------------------------------------------------------------------
// Properties on random days.

const acquirerMerchants = registry.participants.acquirers.flatMap((a) => a.merchants.map((m) => [a.id, m.id] as const));
const agentMerchants = registry.participants.agents.flatMap((a) => a.merchants.map((m) => [a.id, m.id] as const));

const arbCountGross = fc
  .tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 5_000_000 }))
  .map(([count, extra]) => ({ count, gross_fen: count === 0 ? 0 : count + extra }));

const arbDay: fc.Arbitrary<DayClearingInput> = fc
  .record({
    purchases: fc.array(
      fc.tuple(
        fc.constantFrom(...acquirerMerchants),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 3_000_000 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 1_000_000 }),
      ),
      { maxLength: 25 },
    ),
    loads: fc.array(fc.tuple(fc.constantFrom(...agentMerchants), arbCountGross), { maxLength: 12 }),
    interop_in: arbCountGross,
    suspended: arbCountGross,
  })
  .map(({ purchases, loads, interop_in, suspended }) => {
    const p: PurchaseGroupInput[] = purchases.map(
      ([[participant_id, merchant_id], local_count, local_extra, remote_count, remote_extra]) => ({
        participant_id,
        merchant_id,
        count: local_count + remote_count,
        local_gross_fen: local_count === 0 ? 0 : local_count + local_extra,
        remote_gross_fen: remote_count === 0 ? 0 : remote_count + remote_extra,
      }),
    );
    const remote = p.reduce((s, g) => s + g.remote_gross_fen, 0);
    const remote_count = purchases.reduce((s, g) => s + g[3], 0);
    return {
      date: '20251230',
      registry,
      purchases: p,
      loads: loads.map(([[participant_id, merchant_id], cg]) => ({ participant_id, merchant_id, ...cg })),
      interop_in,
      interop_out: { count: remote_count, gross_fen: remote },
      suspended,
    };
  });

function snapshot(d: DayClearing): unknown {
  return { ...d, nets: [...d.nets.entries()] };
}

describe('clearDay: properties', () => {
  it('every entry balances, the trial balance is zero, payables and receivables are emptied', () => {
    fc.assert(
      fc.property(arbDay, (input) => {
        const day = clearDay(input);
        for (const e of day.entries) assertBalanced(e);
        const balances = accountBalances(day.entries);
        let trial = 0n;
        for (const [account, b] of balances) {
          trial += b;
          if (/^(payable|receivable):/.test(account)) assert.equal(b, 0n, account);
        }
        assert.equal(trial, 0n);
      }),
      { numRuns: 400 },
    );
  });

  it('nets and fees add up to the gross flows, and the ledger says the same', () => {
    fc.assert(
      fc.property(arbDay, (input) => {
        const day = clearDay(input);
        const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
        const purchases_gross = sum(input.purchases.map((g) => g.local_gross_fen + g.remote_gross_fen));
        const local_gross = sum(input.purchases.map((g) => g.local_gross_fen));
        const loads_gross = sum(input.loads.map((g) => g.gross_fen));
        const fees = (c: number) => sum(day.lines.filter((l) => l.category === c).map((l) => l.fee_fen));
        const nets = sum([...day.nets.values()]);
        // Acquirers get purchases less fees, agents owe loads less commission, the
        // national centre gets interop in and owes interop out less its fee.
        assert.equal(
          nets,
          purchases_gross - fees(1) - (loads_gross - fees(2)) + input.interop_in.gross_fen - (input.interop_out.gross_fen - fees(4)),
        );
        assert.equal(nets, day.totals.pay_out_fen - day.totals.collect_fen);
        assert.equal(sum(day.lines.map((l) => l.net_fen)), nets);
        // Each line's fee is the rounded product on its own gross.
        for (const l of day.lines) assert.equal(l.fee_fen, l.category === 3 ? 0 : feeFen(l.gross_fen, l.fee_rate));
        const b = accountBalances(day.entries);
        assert.equal(b.get('income:fees') ?? 0n, -BigInt(fees(1)));
        assert.equal(b.get('expense:agent-commission') ?? 0n, BigInt(fees(2)));
        assert.equal(b.get('expense:interop-fees') ?? 0n, BigInt(fees(4)));
        assert.equal(
          b.get('float:cards') ?? 0n,
          BigInt(local_gross + input.interop_in.gross_fen + input.suspended.gross_fen - loads_gross),
        );
        assert.equal(b.get('settlement:in-transit') ?? 0n, BigInt(day.totals.collect_fen - day.totals.pay_out_fen));
        // Lines only for groups with records; instructions only for non-zero nets.
        for (const l of day.lines) assert.ok(l.count > 0);
        assert.equal(day.instructions.length, [...day.nets.values()].filter((n) => n !== 0).length);
        const ids = day.instructions.map((i) => i.instruction_id);
        assert.deepEqual(ids, [...ids].sort());
      }),
      { numRuns: 400 },
    );
  });

  it('does not depend on the order of the groups, nor on how a group is split', () => {
    fc.assert(
      fc.property(arbDay, fc.integer(), (input, seed) => {
        const base = snapshot(clearDay(input));
        // A deterministic shuffle from the seed.
        const shuffle = <T>(xs: T[]): T[] => {
          const out = [...xs];
          let s = seed >>> 0;
          for (let i = out.length - 1; i > 0; i--) {
            s = (Math.imul(s, 1103515245) + 12345) >>> 0;
            const j = s % (i + 1);
            [out[i], out[j]] = [out[j], out[i]];
          }
          return out;
        };
        assert.deepEqual(snapshot(clearDay({ ...input, purchases: shuffle(input.purchases), loads: shuffle(input.loads) })), base);
        // The same records handed in as two groups (one of them empty) clear the same.
        const split = input.purchases.flatMap((g) => [g, { ...g, count: 0, local_gross_fen: 0, remote_gross_fen: 0 }]);
        const splitLoads = input.loads.flatMap((g) =>
          g.count >= 2
            ? [
                { ...g, count: 1, gross_fen: 1 },
                { ...g, count: g.count - 1, gross_fen: g.gross_fen - 1 },
              ]
            : [g],
        );
        assert.deepEqual(snapshot(clearDay({ ...input, purchases: shuffle(split), loads: shuffle(splitLoads) })), base);
      }),
      { numRuns: 200 },
    );
  });

  it('after the bank confirms every instruction, settlement:in-transit is zero', () => {
    fc.assert(
      fc.property(arbDay, (input) => {
        const day = clearDay(input);
        const confirmations = day.instructions.map((i, n) => bankConfirmationEntry(i, '20251231', `B${n}`));
        const b = accountBalances([...day.entries, ...confirmations]);
        assert.equal(b.get('settlement:in-transit') ?? 0n, 0n);
        assert.equal(b.get('bank:settlement') ?? 0n, BigInt(day.totals.collect_fen - day.totals.pay_out_fen));
      }),
      { numRuns: 200 },
    );
  });

  it('an empty day has no lines, instructions or entries', () => {
    const none = { count: 0, gross_fen: 0 };
    const day = clearDay({ date: '20251230', registry, purchases: [], loads: [], interop_in: none, interop_out: none, suspended: none });
    assert.deepEqual(day.lines, []);
    assert.deepEqual(day.instructions, []);
    assert.deepEqual(day.entries, []);
  });

  it('posts the national entry at net zero too', () => {
    // interop in 997 = interop out 1000 less its fee 3 (0.30%).
    const day = clearDay({
      date: '20251230',
      registry,
      purchases: [{ participant_id: '41010101', merchant_id: '410101010000001', count: 1, local_gross_fen: 0, remote_gross_fen: 1000 }],
      loads: [],
      interop_in: { count: 1, gross_fen: 997 },
      interop_out: { count: 1, gross_fen: 1000 },
      suspended: { count: 0, gross_fen: 0 },
    });
    assert.equal(day.nets.get('00000001'), 0);
    assert.ok(!day.instructions.some((i) => i.instruction_id === '20251230-00000001'));
    const settle = day.entries.find((e) => e.id === '20251230/settle/00000001')!;
    assert.deepEqual(settle.postings, [
      { account: 'payable:national', debit_fen: 997, credit_fen: 0 },
      { account: 'receivable:national', debit_fen: 0, credit_fen: 997 },
    ]);
  });

  it('refuses input that cannot come from real records', () => {
    const none = { count: 0, gross_fen: 0 };
    const base = { date: '20251230', registry, purchases: [], loads: [], interop_in: none, interop_out: none, suspended: none };
    assert.throws(
      () =>
        clearDay({
          ...base,
          purchases: [{ participant_id: '41010201', merchant_id: '410120100000001', count: 1, local_gross_fen: 5, remote_gross_fen: 0 }],
        }),
      /not an acquirer/,
    );
    assert.throws(
      () => clearDay({ ...base, loads: [{ participant_id: '41010201', merchant_id: '410101010000001', count: 1, gross_fen: 5 }] }),
      /not its merchant/,
    );
    assert.throws(() => clearDay({ ...base, interop_in: { count: 2, gross_fen: 1 } }), /impossible/);
    assert.throws(() => clearDay({ ...base, interop_out: { count: 1, gross_fen: 5 } }), /remote purchases/);
    assert.throws(() => clearDay({ ...base, date: '2025-12-30' }));
  });
});

describe('bank confirmations', () => {
  it('a payment by the centre: Dr settlement:in-transit, Cr bank:settlement', () => {
    const e = bankConfirmationEntry(
      { instruction_id: '20251230-41010101', payer_id: '41010000', payee_id: '41010101', amount_fen: 9024, business_date: '20251230' },
      '20251231',
      'B0000001',
    );
    assert.equal(e.id, '20251231/bank/20251230-41010101');
    assert.deepEqual(e.postings, [
      { account: 'settlement:in-transit', debit_fen: 9024, credit_fen: 0 },
      { account: 'bank:settlement', debit_fen: 0, credit_fen: 9024 },
    ]);
  });

  it('a collection by the centre: Dr bank:settlement, Cr settlement:in-transit', () => {
    const e = bankConfirmationEntry(
      { instruction_id: '20251230-41010201', payer_id: '41010201', payee_id: '41010000', amount_fen: 142398, business_date: '20251230' },
      '20251231',
      'B0000002',
    );
    assert.deepEqual(e.postings, [
      { account: 'bank:settlement', debit_fen: 142398, credit_fen: 0 },
      { account: 'settlement:in-transit', debit_fen: 0, credit_fen: 142398 },
    ]);
  });

  it('refuses an instruction that does not name its participant', () => {
    assert.throws(() =>
      bankConfirmationEntry(
        { instruction_id: '20251230-41010201', payer_id: '41010000', payee_id: '41010101', amount_fen: 1, business_date: '20251230' },
        '20251231',
        'x',
      ),
    );
  });
});

describe('journal entries', () => {
  const entry: JournalEntry = {
    id: '20251230/clear/41010101',
    business_date: '20251230',
    kind: 'clearing',
    memo: 'purchases',
    postings: [
      { account: 'float:cards', debit_fen: 100, credit_fen: 0 },
      { account: 'payable:acquirer:41010101', debit_fen: 0, credit_fen: 100 },
    ],
  };

  it('assertBalanced refuses what is not a balanced entry of the chart', () => {
    assertBalanced(entry);
    const bad = (change: (e: JournalEntry) => void) => {
      const e = structuredClone(entry);
      change(e);
      assert.throws(() => assertBalanced(e));
    };
    bad((e) => (e.postings[0].debit_fen = 101));
    bad((e) => (e.postings[0].credit_fen = 100));
    bad((e) => (e.postings[0].account = 'cash'));
    bad((e) => (e.postings[1].account = 'payable:acquirer:4101'));
    bad((e) => (e.postings = [e.postings[0]]));
    bad((e) => {
      e.postings[0].debit_fen = 0.5;
      e.postings[1].credit_fen = 0.5;
    });
    bad((e) => {
      e.postings[0].debit_fen = -100;
      e.postings[1].credit_fen = -100;
    });
  });

  it('canonicalEntry is stable and covers every field', () => {
    assert.equal(canonicalEntry(entry), canonicalEntry(structuredClone(entry)));
    assert.equal(
      canonicalEntry(entry),
      '["20251230/clear/41010101","20251230","clearing","purchases",[["float:cards",100,0],["payable:acquirer:41010101",0,100]]]',
    );
    const reordered = { postings: entry.postings, memo: entry.memo, kind: entry.kind, business_date: entry.business_date, id: entry.id };
    assert.equal(canonicalEntry(reordered), canonicalEntry(entry));
    for (const change of [
      (e: JournalEntry) => (e.memo = 'x'),
      (e: JournalEntry) => (e.postings[0].debit_fen = 99),
      (e: JournalEntry) => (e.kind = 'k'),
    ]) {
      const e = structuredClone(entry);
      change(e);
      assert.notEqual(canonicalEntry(e), canonicalEntry(entry));
    }
  });

  it('chainHash is SHA-256(previous hash bytes || canonical content)', () => {
    const want = createHash('sha256').update(Buffer.alloc(32)).update(canonicalEntry(entry)).digest('hex');
    const h1 = chainHash(GENESIS_HASH, entry);
    assert.equal(h1, want);
    const h2 = chainHash(h1, entry);
    assert.notEqual(h2, h1);
    assert.throws(() => chainHash('abc', entry));
  });
});
