// Corrections in the core: the four-eyes ladder, refusal by refusal; clearDay with a
// day's approved corrections, worked by hand; and properties: corrections conserve
// money, and without them clearDay is what it was.
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import {
  accountBalances,
  assertBalanced,
  clearDay,
  type DayClearing,
  type DayClearingInput,
  type PurchaseGroupInput,
} from '../../src/core/clearing';
import {
  COUNTER_ACCOUNTS,
  type AdjustmentInput,
  type CorrectionFacts,
  type CorrectionsInput,
  type Operator,
  type RecordFacts,
  type ReleaseInput,
  adjustmentRefusal,
  compareCorrectionIds,
  decisionRefusal,
  effectiveDay,
  isCorrectionId,
  releaseRefusal,
} from '../../src/core/corrections';
import { feeFen } from '../../src/core/fees';
import type { SettlementInstruction, StatementLine } from '../../src/core/types';
import { parseParticipants } from '../../src/core/config';
import { exampleRegistry, readExampleJson } from './example-config';

const registry = exampleRegistry();
const none = { count: 0, gross_fen: 0 };

const OPERATORS: Operator[] = [
  { name: 'Li Wei', may: ['propose'] },
  { name: 'Zhang Min', may: ['propose', 'approve'] },
  { name: 'Wang Fang', may: ['approve'] },
  { name: 'Zhao Lei', may: [] },
];

describe('operators in the participants file', () => {
  const withOperators = (operators: unknown) => ({ ...(readExampleJson('participants.json') as object), operators });
  it('are optional (none when absent) and kept as written', () => {
    const none = parseParticipants(readExampleJson('participants.json'));
    assert.ok(none.ok);
    assert.deepEqual(none.value.operators, []);
    const r = parseParticipants(withOperators(OPERATORS));
    assert.ok(r.ok);
    assert.deepEqual(r.value.operators, OPERATORS);
  });
  it('a bad entry is refused with its path', () => {
    const cases: [unknown, string, string][] = [
      [{}, 'operators', 'not an array'],
      [[{ may: ['propose'] }], 'operators[0].name', 'missing'],
      [[{ name: 7, may: [] }], 'operators[0].name', 'not a string'],
      [[{ name: ' Li Wei', may: [] }], 'operators[0].name', 'begins or ends with a space'],
      [[{ name: '', may: [] }], 'operators[0].name', 'empty'],
      [[{ name: 'Li Wei' }], 'operators[0].may', 'missing'],
      [[{ name: 'Li Wei', may: 'propose' }], 'operators[0].may', 'not an array'],
      [[{ name: 'Li Wei', may: ['propose', 'sign'] }], 'operators[0].may[1]', 'not propose or approve'],
      [[{ name: 'Li Wei', may: ['approve', 'approve'] }], 'operators[0].may[1]', 'approve given twice'],
      [
        [
          { name: 'Li Wei', may: [] },
          { name: 'Li Wei', may: ['approve'] },
        ],
        'operators[1].name',
        'duplicate operator name Li Wei (also at operators[0].name)',
      ],
      [['Li Wei'], 'operators[0]', 'not an object'],
    ];
    for (const [operators, path, message] of cases) {
      assert.deepEqual(parseParticipants(withOperators(operators)), { ok: false, path, message }, JSON.stringify(operators));
    }
  });
});

describe('correction ids and the effective day', () => {
  it('ids are C1, C2, ... ordered by number', () => {
    for (const id of ['C1', 'C9', 'C10', 'C123']) assert.ok(isCorrectionId(id), id);
    for (const id of ['C0', 'C01', 'c1', 'C', '1', 'C1 ', 'C-1', 'C99999999999999999999']) assert.ok(!isCorrectionId(id), id);
    assert.deepEqual(['C10', 'C2', 'C1', 'C9'].sort(compareCorrectionIds), ['C1', 'C2', 'C9', 'C10']);
  });

  it('the first day not yet closed: the open day, else the day after the last closed, else the next batch', () => {
    assert.equal(effectiveDay('20260101', '20251231'), '20260101');
    assert.equal(effectiveDay('20260101', null), '20260101');
    assert.equal(effectiveDay(null, '20251231'), '20260101');
    assert.equal(effectiveDay(null, '20240228'), '20240229');
    assert.equal(effectiveDay(null, null), null);
    assert.throws(() => effectiveDay('20251230', '20251231'));
  });
});

describe('four eyes: every refusal, in its order', () => {
  const suspended: RecordFacts = {
    ref: 'TXN_UPLOAD_41010101_41010000_20251230_0001.pb#3',
    source: 'TXN_UPLOAD',
    status: 'SUSPENDED',
    acquirer_id: '41010101',
    merchant_id: '410101010000001',
    amount_fen: 150,
  };
  const openItem = { closed_date: null, closed_by: null, claimed_by: null };
  const adjust = { by: 'Li Wei', participant_id: '41010101', account: 'expense:adjustments', item_id: null };

  it('an adjustment', () => {
    const cases: [string, Parameters<typeof adjustmentRefusal>[2], Parameters<typeof adjustmentRefusal>[3], string | undefined][] = [
      ['a good one', adjust, undefined, undefined],
      ['to an agent, settling an open item', { ...adjust, participant_id: '41010201', item_id: 'bank:X' }, openItem, undefined],
      ['to the national centre', { ...adjust, participant_id: '00000001' }, undefined, undefined],
      ['by an operator not listed', { ...adjust, by: 'Nobody' }, undefined, 'OPERATOR_NOT_LISTED'],
      ['names are exact', { ...adjust, by: 'li wei' }, undefined, 'OPERATOR_NOT_LISTED'],
      ['by an operator who may only approve', { ...adjust, by: 'Wang Fang' }, undefined, 'OPERATOR_MAY_NOT'],
      ['by an operator with no right', { ...adjust, by: 'Zhao Lei' }, undefined, 'OPERATOR_MAY_NOT'],
      ['to an unknown participant', { ...adjust, participant_id: '41019999' }, undefined, 'PARTICIPANT_UNKNOWN'],
      ['to the centre itself', { ...adjust, participant_id: '41010000' }, undefined, 'PARTICIPANT_UNKNOWN'],
      ['to the bank', { ...adjust, participant_id: '10000001' }, undefined, 'PARTICIPANT_UNKNOWN'],
      ['against an account that is no counter account', { ...adjust, account: 'bank:settlement' }, undefined, 'ACCOUNT_UNKNOWN'],
      ['against a participant account', { ...adjust, account: 'payable:acquirer:41010102' }, undefined, 'ACCOUNT_UNKNOWN'],
      ['naming an unknown item', { ...adjust, item_id: 'bank:Y' }, undefined, 'ITEM_UNKNOWN'],
      [
        'naming a closed item',
        { ...adjust, item_id: 'bank:Y' },
        { closed_date: '20260101', closed_by: 'data', claimed_by: null },
        'ITEM_CLOSED',
      ],
      ['naming an item another correction settles', { ...adjust, item_id: 'bank:Y' }, { ...openItem, claimed_by: 'C2' }, 'ITEM_CLAIMED'],
      // Precedence: who asks comes first, then the money's destination, then the item.
      ['unknown operator and participant', { ...adjust, by: 'Nobody', participant_id: '1' }, undefined, 'OPERATOR_NOT_LISTED'],
      ['unknown participant and account', { ...adjust, participant_id: '1', account: 'x' }, undefined, 'PARTICIPANT_UNKNOWN'],
    ];
    for (const [name, p, item, code] of cases) {
      assert.equal(adjustmentRefusal(OPERATORS, registry, p, item)?.code, code, name);
    }
    assert.equal(
      adjustmentRefusal(OPERATORS, registry, { ...adjust, by: 'Wang Fang' }, undefined)?.message,
      'operator Wang Fang may not propose corrections (may: approve)',
    );
  });

  it('a release', () => {
    const p = { by: 'Li Wei', record_ref: suspended.ref, item_id: null };
    const cases: [string, Parameters<typeof releaseRefusal>, string | undefined][] = [
      ['a good one', [OPERATORS, registry, p, suspended, undefined, undefined], undefined],
      ['by an operator not listed', [OPERATORS, registry, { ...p, by: 'Nobody' }, suspended, undefined, undefined], 'OPERATOR_NOT_LISTED'],
      ['by one who may not propose', [OPERATORS, registry, { ...p, by: 'Wang Fang' }, suspended, undefined, undefined], 'OPERATOR_MAY_NOT'],
      ['of an unknown record', [OPERATORS, registry, p, undefined, undefined, undefined], 'RECORD_UNKNOWN'],
      [
        'of a record already being released',
        [OPERATORS, registry, p, suspended, { id: 'C3', status: 'approved' }, undefined],
        'RECORD_RELEASE_PENDING',
      ],
      [
        'of an ACCEPTED record',
        [OPERATORS, registry, p, { ...suspended, status: 'ACCEPTED' }, undefined, undefined],
        'RECORD_NOT_SUSPENDED',
      ],
      [
        'of a REJECTED record',
        [OPERATORS, registry, p, { ...suspended, status: 'REJECTED' }, undefined, undefined],
        'RECORD_NOT_SUSPENDED',
      ],
      [
        'of our card’s record that the national centre brought',
        [OPERATORS, registry, p, { ...suspended, source: 'INTEROP_IN', acquirer_id: '11000101' }, undefined, undefined],
        'RECORD_NOT_FROM_ACQUIRER',
      ],
      [
        'of a record whose acquirer left the file',
        [OPERATORS, registry, p, { ...suspended, acquirer_id: '41019999' }, undefined, undefined],
        'PARTICIPANT_UNKNOWN',
      ],
      ['naming an unknown item', [OPERATORS, registry, { ...p, item_id: 'x' }, suspended, undefined, undefined], 'ITEM_UNKNOWN'],
    ];
    for (const [name, args, code] of cases) assert.equal(releaseRefusal(...args)?.code, code, name);
    assert.equal(
      releaseRefusal(OPERATORS, registry, p, { ...suspended, status: 'ACCEPTED' }, undefined, undefined)?.message,
      `record ${suspended.ref} is ACCEPTED, not SUSPENDED`,
    );
  });

  it('a decision', () => {
    const proposed: CorrectionFacts = {
      id: 'C7',
      kind: 'adjustment',
      status: 'proposed',
      participant_id: '41010101',
      proposed_by: 'Zhang Min',
      decided_by: null,
      decided_at: null,
    };
    const release: CorrectionFacts = { ...proposed, kind: 'release' };
    const approve = { decision: 'approve' as const, id: 'C7', by: 'Wang Fang' };
    const reject = { ...approve, decision: 'reject' as const };
    const cases: [string, Parameters<typeof decisionRefusal>, string | undefined][] = [
      ['an approval by another', [OPERATORS, registry, approve, proposed, undefined], undefined],
      ['a rejection by another', [OPERATORS, registry, reject, proposed, undefined], undefined],
      [
        'a rejection by the proposer, who may approve',
        [OPERATORS, registry, { ...reject, by: 'Zhang Min' }, proposed, undefined],
        undefined,
      ],
      ['by an operator not listed', [OPERATORS, registry, { ...approve, by: 'Nobody' }, proposed, undefined], 'OPERATOR_NOT_LISTED'],
      [
        'an approval by one who may only propose',
        [OPERATORS, registry, { ...approve, by: 'Li Wei' }, proposed, undefined],
        'OPERATOR_MAY_NOT',
      ],
      [
        'a rejection by one who may only propose',
        [OPERATORS, registry, { ...reject, by: 'Li Wei' }, proposed, undefined],
        'OPERATOR_MAY_NOT',
      ],
      ['of an unknown correction', [OPERATORS, registry, approve, undefined, undefined], 'CORRECTION_UNKNOWN'],
      [
        'of an approved one',
        [
          OPERATORS,
          registry,
          approve,
          { ...proposed, status: 'approved', decided_by: 'Wang Fang', decided_at: '20260101090000' },
          undefined,
        ],
        'ALREADY_DECIDED',
      ],
      [
        'a rejection of a rejected one',
        [
          OPERATORS,
          registry,
          reject,
          { ...proposed, status: 'rejected', decided_by: 'Wang Fang', decided_at: '20260101090000' },
          undefined,
        ],
        'ALREADY_DECIDED',
      ],
      [
        'of a posted one',
        [OPERATORS, registry, approve, { ...proposed, status: 'posted', decided_by: 'Wang Fang', decided_at: '20260101090000' }, undefined],
        'ALREADY_DECIDED',
      ],
      ['an approval by the proposer', [OPERATORS, registry, { ...approve, by: 'Zhang Min' }, proposed, undefined], 'OWN_PROPOSAL'],
      [
        'an adjustment whose participant left the file',
        [OPERATORS, registry, approve, { ...proposed, participant_id: '41019999' }, undefined],
        'PARTICIPANT_UNKNOWN',
      ],
      ['a release whose record is SUSPENDED still', [OPERATORS, registry, approve, release, suspended], undefined],
      // The item it settles may have been settled since it was proposed: by later data,
      // an operator, or another correction approved first.
      [
        'an adjustment whose item is still open',
        [OPERATORS, registry, approve, { ...proposed, item_id: 'bank:X' }, undefined, openItem],
        undefined,
      ],
      [
        'an adjustment whose item closed since',
        [
          OPERATORS,
          registry,
          approve,
          { ...proposed, item_id: 'bank:X' },
          undefined,
          { ...openItem, closed_date: '20260102', closed_by: 'data' },
        ],
        'ITEM_CLOSED',
      ],
      [
        'an adjustment whose item another correction settles',
        [OPERATORS, registry, approve, { ...proposed, item_id: 'bank:X' }, undefined, { ...openItem, claimed_by: 'C3' }],
        'ITEM_CLAIMED',
      ],
      [
        'a rejection of one whose item closed since',
        [
          OPERATORS,
          registry,
          reject,
          { ...proposed, item_id: 'bank:X' },
          undefined,
          { ...openItem, closed_date: '20260102', closed_by: 'data' },
        ],
        undefined,
      ],
      [
        'a release whose record is no longer SUSPENDED',
        [OPERATORS, registry, approve, release, { ...suspended, status: 'ACCEPTED' }],
        'RECORD_NOT_SUSPENDED',
      ],
    ];
    for (const [name, args, code] of cases) assert.equal(decisionRefusal(...args)?.code, code, name);
    assert.equal(
      decisionRefusal(OPERATORS, registry, { ...approve, by: 'Zhang Min' }, proposed, undefined)?.message,
      'C7 was proposed by Zhang Min: another operator must approve it',
    );
  });
});

// ---------------------------------------------------------------------------------
// A day with corrections, worked by hand.

function balancesObject(d: DayClearing): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [account, b] of accountBalances(d.entries)) if (b !== 0n) out[account] = Number(b);
  return out;
}

describe('clearDay with corrections: a day worked by hand', () => {
  const D = '20260105';
  const centre = '41010000';
  // C3 was rejected: it is not among the day's approved corrections, and nothing of it appears.
  const corrections: CorrectionsInput = {
    adjustments: [
      { id: 'C10', participant_id: '41010102', account: 'expense:adjustments', amount_fen: 500 }, // the centre's own error
      { id: 'C1', participant_id: '41010201', account: 'income:fees', amount_fen: -300 }, // commission paid twice: the agent owes it back
      { id: 'C9', participant_id: '41010102', account: 'suspense:blacklist', amount_fen: 100 },
      { id: 'C2', participant_id: '00000001', account: 'float:cards', amount_fen: 250 }, // our card's record never cleared
    ],
    releases: [{ id: 'C4', participant_id: '41010101', merchant_id: '410101010000001', amount_fen: 150 }],
  };
  const input: DayClearingInput = {
    date: D,
    registry,
    purchases: [{ participant_id: '41010101', merchant_id: '410101010000001', count: 1, local_gross_fen: 1150, remote_gross_fen: 0 }],
    loads: [{ participant_id: '41010201', merchant_id: '410120100000001', count: 1, gross_fen: 10000 }],
    interop_in: { count: 1, gross_fen: 1000 },
    interop_out: none,
    suspended: { count: 1, gross_fen: 700 },
    corrections,
  };
  const day = clearDay(input);
  const line = (l: Omit<StatementLine, 'fee_fen' | 'fee_rate' | 'count' | 'merchant_id'> & Partial<StatementLine>): StatementLine => ({
    merchant_id: '',
    count: 1,
    fee_fen: 0,
    fee_rate: '0',
    ...l,
  });

  it('statement lines: the release in its group (fee on the group gross), one category-5 line per adjustment, C9 before C10', () => {
    assert.deepEqual(day.lines, [
      { participant_id: '00000001', merchant_id: '', category: 3, count: 1, gross_fen: 1000, fee_fen: 0, net_fen: 1000, fee_rate: '0' },
      line({ participant_id: '00000001', category: 5, gross_fen: 250, net_fen: 250, ref: 'C2' }),
      // 1150 + 150 = 1300 at 0.30% = 3.9 -> 4 fen (apart they would be 3 + 0).
      {
        participant_id: '41010101',
        merchant_id: '410101010000001',
        category: 1,
        count: 2,
        gross_fen: 1300,
        fee_fen: 4,
        net_fen: 1296,
        fee_rate: '0.0030',
      },
      // An acquirer whose only lines are adjustments.
      line({ participant_id: '41010102', category: 5, gross_fen: 100, net_fen: 100, ref: 'C9' }),
      line({ participant_id: '41010102', category: 5, gross_fen: 500, net_fen: 500, ref: 'C10' }),
      {
        participant_id: '41010201',
        merchant_id: '410120100000001',
        category: 2,
        count: 1,
        gross_fen: 10000,
        fee_fen: 20,
        net_fen: -9980,
        fee_rate: '0.0020',
      },
      line({ participant_id: '41010201', category: 5, gross_fen: -300, net_fen: -300, ref: 'C1' }),
    ]);
    assert.equal(feeFen(1150, '0.0030') + feeFen(150, '0.0030'), 3, 'the group fee differs from the sum of per-record fees');
  });

  it('nets and settlement instructions include the adjustments', () => {
    assert.deepEqual([...day.nets.entries()].sort(), [
      ['00000001', 1250],
      ['41010101', 1296],
      ['41010102', 600],
      ['41010201', -10280],
    ]);
    const want: SettlementInstruction[] = [
      { instruction_id: `${D}-00000001`, payer_id: centre, payee_id: '00000001', amount_fen: 1250, business_date: D },
      { instruction_id: `${D}-41010101`, payer_id: centre, payee_id: '41010101', amount_fen: 1296, business_date: D },
      { instruction_id: `${D}-41010102`, payer_id: centre, payee_id: '41010102', amount_fen: 600, business_date: D },
      { instruction_id: `${D}-41010201`, payer_id: '41010201', payee_id: centre, amount_fen: 10280, business_date: D },
    ];
    assert.deepEqual(day.instructions, want);
    assert.deepEqual(day.totals, { cleared_count: 4, cleared_gross_fen: 12300, pay_out_fen: 3146, collect_fen: 10280 });
    // The statement nets are the instructions, participant by participant.
    for (const i of day.instructions) {
      const p = i.payer_id === centre ? i.payee_id : i.payer_id;
      const net = day.lines.filter((l) => l.participant_id === p).reduce((s, l) => s + l.net_fen, 0);
      assert.equal(net, i.payer_id === centre ? i.amount_fen : -i.amount_fen, p);
    }
  });

  it('journal entries: the release from suspense, each adjustment its own entry, settlements last', () => {
    const dr = (account: string, fen: number) => ({ account, debit_fen: fen, credit_fen: 0 });
    const cr = (account: string, fen: number) => ({ account, debit_fen: 0, credit_fen: fen });
    assert.deepEqual(
      day.entries.map((e) => [e.id, e.postings]),
      [
        [`${D}/clear/00000001`, [dr('float:cards', 1000), cr('payable:national', 1000)]],
        [
          `${D}/clear/41010101`,
          [dr('float:cards', 1150), cr('payable:acquirer:41010101', 1150), dr('payable:acquirer:41010101', 4), cr('income:fees', 4)],
        ],
        [
          `${D}/clear/41010201`,
          [
            dr('receivable:agent:41010201', 10000),
            cr('float:cards', 10000),
            dr('expense:agent-commission', 20),
            cr('receivable:agent:41010201', 20),
          ],
        ],
        [`${D}/suspense`, [dr('float:cards', 700), cr('suspense:blacklist', 700)]],
        [`${D}/release/C4`, [dr('suspense:blacklist', 150), cr('payable:acquirer:41010101', 150)]],
        [`${D}/adjust/C1`, [dr('receivable:agent:41010201', 300), cr('income:fees', 300)]],
        [`${D}/adjust/C2`, [dr('float:cards', 250), cr('payable:national', 250)]],
        [`${D}/adjust/C9`, [dr('suspense:blacklist', 100), cr('payable:acquirer:41010102', 100)]],
        [`${D}/adjust/C10`, [dr('expense:adjustments', 500), cr('payable:acquirer:41010102', 500)]],
        [`${D}/settle/00000001`, [dr('payable:national', 1250), cr('settlement:in-transit', 1250)]],
        [`${D}/settle/41010101`, [dr('payable:acquirer:41010101', 1296), cr('settlement:in-transit', 1296)]],
        [`${D}/settle/41010102`, [dr('payable:acquirer:41010102', 600), cr('settlement:in-transit', 600)]],
        [`${D}/settle/41010201`, [dr('settlement:in-transit', 10280), cr('receivable:agent:41010201', 10280)]],
      ],
    );
    for (const e of day.entries) assertBalanced(e);
    assert.deepEqual(day.posted, [
      { correction_id: 'C1', entry_id: `${D}/adjust/C1` },
      { correction_id: 'C2', entry_id: `${D}/adjust/C2` },
      { correction_id: 'C4', entry_id: `${D}/release/C4` },
      { correction_id: 'C9', entry_id: `${D}/adjust/C9` },
      { correction_id: 'C10', entry_id: `${D}/adjust/C10` },
    ]);
  });

  it('balances: trial balance zero, every payable and receivable emptied by the instructions', () => {
    assert.deepEqual(balancesObject(day), {
      'float:cards': 1000 + 1150 - 10000 + 700 + 250,
      'income:fees': -4 - 300,
      'expense:agent-commission': 20,
      'expense:adjustments': 500,
      'suspense:blacklist': -700 + 150 + 100,
      'settlement:in-transit': -1250 - 1296 - 600 + 10280,
    });
    assert.equal(
      Object.values(balancesObject(day)).reduce((a, b) => a + b, 0),
      0,
    );
  });

  it('an adjustment can turn a participant around: an acquirer that owes, an agent that is owed', () => {
    const d = clearDay({
      ...input,
      corrections: {
        adjustments: [
          { id: 'C1', participant_id: '41010101', account: 'float:cards', amount_fen: -5000 },
          { id: 'C2', participant_id: '41010201', account: 'expense:adjustments', amount_fen: 20000 },
          { id: 'C3', participant_id: '00000001', account: 'income:fees', amount_fen: -1600 },
        ],
        releases: [],
      },
    });
    assert.deepEqual(
      d.instructions.map((i) => [i.instruction_id, i.payer_id, i.payee_id, i.amount_fen]),
      [
        [`${D}-00000001`, '00000001', centre, 600],
        [`${D}-41010101`, '41010101', centre, 5000 - (1150 - 3)],
        [`${D}-41010201`, centre, '41010201', 20000 - 9980],
      ],
    );
    const settle = d.entries.find((e) => e.id === `${D}/settle/00000001`)!;
    assert.deepEqual(settle.postings, [
      { account: 'payable:national', debit_fen: 0, credit_fen: 600 },
      { account: 'settlement:in-transit', debit_fen: 600, credit_fen: 0 },
    ]);
  });

  it('a release alone makes its group and its acquirer’s statement', () => {
    const d = clearDay({
      date: D,
      registry,
      purchases: [],
      loads: [],
      interop_in: none,
      interop_out: none,
      suspended: none,
      corrections: {
        adjustments: [],
        releases: [{ id: 'C5', participant_id: '41010103', merchant_id: '410103010000002', amount_fen: 1090 }],
      },
    });
    assert.deepEqual(d.lines, [
      {
        participant_id: '41010103',
        merchant_id: '410103010000002',
        category: 1,
        count: 1,
        gross_fen: 1090,
        fee_fen: 5,
        net_fen: 1085,
        fee_rate: '0.0045',
      },
    ]);
    // Out of suspense, not the float: the card's value left the float when the record was suspended.
    assert.deepEqual(balancesObject(d), { 'suspense:blacklist': 1090, 'income:fees': -5, 'settlement:in-transit': -1085 });
    assert.deepEqual(d.posted, [{ correction_id: 'C5', entry_id: `${D}/release/C5` }]);
  });

  it('refuses corrections the store could not have approved', () => {
    const base = { date: D, registry, purchases: [], loads: [], interop_in: none, interop_out: none, suspended: none };
    const adj = (a: Partial<AdjustmentInput>) => ({
      adjustments: [{ id: 'C1', participant_id: '41010101', account: 'income:fees', amount_fen: 1, ...a }],
      releases: [],
    });
    const rel = (r: Partial<ReleaseInput>) => ({
      adjustments: [],
      releases: [{ id: 'C1', participant_id: '41010101', merchant_id: '410101010000001', amount_fen: 1, ...r }],
    });
    assert.throws(() => clearDay({ ...base, corrections: adj({ id: 'X1' }) }), /not a correction id/);
    assert.throws(() => clearDay({ ...base, corrections: adj({ amount_fen: 0 }) }), /non-zero/);
    assert.throws(() => clearDay({ ...base, corrections: adj({ amount_fen: 1.5 }) }), /non-zero/);
    assert.throws(() => clearDay({ ...base, corrections: adj({ account: 'bank:settlement' }) }), /not a counter account/);
    assert.throws(() => clearDay({ ...base, corrections: adj({ participant_id: '41010000' }) }), /cannot be adjusted/);
    assert.throws(
      () => clearDay({ ...base, corrections: rel({ participant_id: '41010201', merchant_id: '410120100000001' }) }),
      /not an acquirer/,
    );
    assert.throws(() => clearDay({ ...base, corrections: rel({ merchant_id: '4101020100LINE1' }) }), /not its merchant/);
    assert.throws(() => clearDay({ ...base, corrections: rel({ amount_fen: -1 }) }), /> 0/);
    assert.throws(
      () => clearDay({ ...base, corrections: { adjustments: adj({}).adjustments, releases: rel({}).releases } }),
      /C1 given twice/,
    );
  });
});

// ---------------------------------------------------------------------------------
// Properties.

const acquirerMerchants = registry.participants.acquirers.flatMap((a) => a.merchants.map((m) => [a.id, m.id] as const));
const agentMerchants = registry.participants.agents.flatMap((a) => a.merchants.map((m) => [a.id, m.id] as const));
const adjustable = [
  ...registry.participants.acquirers.map((a) => a.id),
  ...registry.participants.agents.map((a) => a.id),
  registry.national_id,
];

const arbCountGross = fc
  .tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 1_000_000 }))
  .map(([count, extra]) => ({ count, gross_fen: count === 0 ? 0 : count + extra }));

const arbBaseDay: fc.Arbitrary<DayClearingInput> = fc
  .record({
    purchases: fc.array(
      fc.tuple(
        fc.constantFrom(...acquirerMerchants),
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 0, max: 500_000 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 100_000 }),
      ),
      { maxLength: 8 },
    ),
    loads: fc.array(fc.tuple(fc.constantFrom(...agentMerchants), arbCountGross), { maxLength: 5 }),
    interop_in: arbCountGross,
    suspended: arbCountGross,
  })
  .map(({ purchases, loads, interop_in, suspended }) => {
    const p: PurchaseGroupInput[] = purchases.map(([[participant_id, merchant_id], lc, le, rc, re]) => ({
      participant_id,
      merchant_id,
      count: lc + rc,
      local_gross_fen: lc === 0 ? 0 : lc + le,
      remote_gross_fen: rc === 0 ? 0 : rc + re,
    }));
    return {
      date: '20260105',
      registry,
      purchases: p,
      loads: loads.map(([[participant_id, merchant_id], cg]) => ({ participant_id, merchant_id, ...cg })),
      interop_in,
      interop_out: { count: purchases.reduce((s, g) => s + g[3], 0), gross_fen: p.reduce((s, g) => s + g.remote_gross_fen, 0) },
      suspended,
    };
  });

const arbCorrections: fc.Arbitrary<CorrectionsInput> = fc
  .record({
    adjustments: fc.array(
      fc.tuple(
        fc.constantFrom(...adjustable),
        fc.constantFrom(...COUNTER_ACCOUNTS),
        fc.integer({ min: -2_000_000, max: 2_000_000 }).filter((n) => n !== 0),
      ),
      { maxLength: 8 },
    ),
    releases: fc.array(fc.tuple(fc.constantFrom(...acquirerMerchants), fc.integer({ min: 1, max: 100_000 })), { maxLength: 6 }),
  })
  .chain(({ adjustments, releases }) =>
    fc
      .uniqueArray(fc.integer({ min: 1, max: 10_000 }), {
        minLength: adjustments.length + releases.length,
        maxLength: adjustments.length + releases.length,
      })
      .map((numbers) => ({
        adjustments: adjustments.map(([participant_id, account, amount_fen], i) => ({
          id: `C${numbers[i]}`,
          participant_id,
          account,
          amount_fen,
        })),
        releases: releases.map(([[participant_id, merchant_id], amount_fen], i) => ({
          id: `C${numbers[adjustments.length + i]}`,
          participant_id,
          merchant_id,
          amount_fen,
        })),
      })),
  );

function snapshot(d: DayClearing): unknown {
  return { ...d, nets: [...d.nets.entries()] };
}

describe('clearDay with corrections: properties', () => {
  it('corrections conserve money: every entry balances, the books close, nets equal instructions, each counter account moves by its adjustments', () => {
    fc.assert(
      fc.property(arbBaseDay, arbCorrections, (base, corrections) => {
        const day = clearDay({ ...base, corrections });
        for (const e of day.entries) assertBalanced(e);
        const b = accountBalances(day.entries);
        let trial = 0n;
        for (const [account, balance] of b) {
          trial += balance;
          if (/^(payable|receivable):/.test(account)) assert.equal(balance, 0n, account);
        }
        assert.equal(trial, 0n);
        // Statement nets are the instructions, participant by participant.
        const byParticipant = new Map<string, number>();
        for (const l of day.lines) byParticipant.set(l.participant_id, (byParticipant.get(l.participant_id) ?? 0) + l.net_fen);
        assert.deepEqual([...byParticipant.entries()].sort(), [...day.nets.entries()].sort());
        for (const [p, net] of day.nets) {
          const i = day.instructions.find((x) => x.instruction_id === `20260105-${p}`);
          if (net === 0) assert.equal(i, undefined);
          else
            assert.deepEqual(
              [i!.payer_id, i!.payee_id, i!.amount_fen],
              net > 0 ? [registry.centre_id, p, net] : [p, registry.centre_id, -net],
            );
        }
        const nets = [...day.nets.values()].reduce((s, n) => s + n, 0);
        assert.equal(nets, day.totals.pay_out_fen - day.totals.collect_fen);
        assert.equal(b.get('settlement:in-transit') ?? 0n, BigInt(-nets));
        // Each counter account moves by what the day's own records move plus its adjustments.
        const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
        const adj = (account: string) => sum(corrections.adjustments.filter((a) => a.account === account).map((a) => a.amount_fen));
        const fees = (c: number) => sum(day.lines.filter((l) => l.category === c).map((l) => l.fee_fen));
        const local = sum(base.purchases.map((g) => g.local_gross_fen));
        const loads = sum(base.loads.map((g) => g.gross_fen));
        const released = sum(corrections.releases.map((r) => r.amount_fen));
        assert.equal(
          b.get('float:cards') ?? 0n,
          BigInt(local + base.interop_in.gross_fen + base.suspended.gross_fen - loads + adj('float:cards')),
        );
        assert.equal(b.get('suspense:blacklist') ?? 0n, BigInt(-base.suspended.gross_fen + released + adj('suspense:blacklist')));
        assert.equal(b.get('income:fees') ?? 0n, BigInt(-fees(1) + adj('income:fees')));
        assert.equal(b.get('expense:adjustments') ?? 0n, BigInt(adj('expense:adjustments')));
        // One category-5 line per adjustment, and every correction posted once.
        assert.deepEqual(
          day.lines
            .filter((l) => l.category === 5)
            .map((l) => l.ref)
            .sort(),
          corrections.adjustments.map((a) => a.id).sort(),
        );
        assert.deepEqual(
          day.posted.map((p) => p.correction_id),
          [...corrections.adjustments, ...corrections.releases].map((c) => c.id).sort(compareCorrectionIds),
        );
        assert.equal(new Set(day.entries.map((e) => e.id)).size, day.entries.length);
      }),
      { numRuns: 300 },
    );
  });

  it('a released record clears as an accepted purchase would, except that it is paid out of suspense', () => {
    fc.assert(
      fc.property(arbBaseDay, arbCorrections, (base, corrections) => {
        const released = clearDay({ ...base, corrections: { adjustments: [], releases: corrections.releases } });
        const asPurchases = clearDay({
          ...base,
          purchases: [
            ...base.purchases,
            ...corrections.releases.map((r) => ({
              participant_id: r.participant_id,
              merchant_id: r.merchant_id,
              count: 1,
              local_gross_fen: r.amount_fen,
              remote_gross_fen: 0,
            })),
          ],
        });
        assert.deepEqual(released.lines, asPurchases.lines);
        assert.deepEqual(released.instructions, asPurchases.instructions);
        assert.deepEqual(released.totals, asPurchases.totals);
      }),
      { numRuns: 200 },
    );
  });

  it('without corrections clearDay is what it was, and the order corrections come in does not matter', () => {
    fc.assert(
      fc.property(arbBaseDay, arbCorrections, (base, corrections) => {
        assert.deepEqual(snapshot(clearDay({ ...base, corrections: { adjustments: [], releases: [] } })), snapshot(clearDay(base)));
        const forward = snapshot(clearDay({ ...base, corrections }));
        const backward = snapshot(
          clearDay({
            ...base,
            corrections: { adjustments: [...corrections.adjustments].reverse(), releases: [...corrections.releases].reverse() },
          }),
        );
        assert.deepEqual(backward, forward);
      }),
      { numRuns: 200 },
    );
  });
});
