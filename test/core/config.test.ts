// The participants file and the keys file: the example parses, and each kind of fault
// is refused with the path of the bad field.
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { parseKeys, parseParticipants } from '../../src/core/config';
import { buildRegistry, isTerminalActiveOn, isTerminalActiveOnDay } from '../../src/core/registry';
import { compactDateDayNumber } from '../../src/core/calendar';
import { readExampleJson } from './example-config';

// biome-ignore lint/suspicious/noExplicitAny: the tests edit arbitrary paths of the parsed JSON
type Json = any;

function example(): Json {
  return structuredClone(readExampleJson('participants.json'));
}

describe('parseParticipants: the example', () => {
  const r = parseParticipants(example());
  it('parses', () => assert.ok(r.ok, r.ok ? '' : `${r.path}: ${r.message}`));
  if (!r.ok) return;
  const p = r.value;

  it('keeps rates as written and merchant overrides apart', () => {
    const bus = p.acquirers.find((a) => a.id === '41010101')!;
    assert.equal(bus.rate, '0.0030');
    assert.equal(bus.role, 'acquirer');
    assert.equal(bus.kind, 'transit');
    assert.equal(bus.merchants.find((m) => m.id === '410101010000001')!.rate, undefined);
    assert.equal(bus.merchants.find((m) => m.id === '410101010000002')!.rate, '0.0025');
    const outlets = p.agents.find((a) => a.id === '41010202')!;
    assert.equal(outlets.role, 'agent');
    assert.equal(outlets.kind, 'agent');
    assert.equal(outlets.rate, '0.0030');
    assert.equal(outlets.merchants.find((m) => m.id === '41012020000SVC4')!.rate, '0.0015');
    assert.equal(p.national.interop_fee_rate, '0.0030');
    assert.deepEqual(p.limits, {
      max_card_balance_fen: 100000,
      max_purchase_fen: 100000,
      overdraft_limit_fen: 800,
      late_window_days: 30,
      blacklist_grace_hours: 24,
    });
  });

  it('builds a registry with the effective rates and terminal dates', () => {
    const reg = buildRegistry(p);
    assert.equal(reg.centre_id, '41010000');
    assert.equal(reg.centreId, '41010000');
    assert.equal(reg.national_id, '00000001');
    assert.equal(reg.bank_id, '10000001');
    assert.equal(reg.merchantRate('41010101', '410101010000001'), '0.0030');
    assert.equal(reg.merchantRate('41010101', '410101010000002'), '0.0025');
    assert.equal(reg.merchantRate('41010112', '410111200000CAN'), '0');
    assert.equal(reg.merchantRate('41010111', '4101111000HHC01'), '0.004375');
    assert.equal(reg.merchantRate('41010202', '41012020000SVC4'), '0.0015');
    assert.equal(reg.merchantRate('41010102', '410101010000001'), undefined, 'a merchant of another participant');
    assert.ok(reg.isLocalIssuer('41010001'));
    assert.ok(!reg.isLocalIssuer('31010001'));
    const t = reg.terminal('0B2B282B9C01')!;
    assert.deepEqual(t, {
      terminal_id: '0B2B282B9C01',
      participant_id: '41010101',
      role: 'acquirer',
      merchant_id: '410101010000001',
      active_from: '20200101',
      active_to: '20251222',
      active_from_day: compactDateDayNumber('20200101'),
      active_to_day: compactDateDayNumber('20251222'),
    });
    assert.ok(isTerminalActiveOnDay(t, compactDateDayNumber('20251222')!));
    assert.ok(!isTerminalActiveOnDay(t, compactDateDayNumber('20251223')!));
    assert.equal(reg.terminal('0B7CE418072E')!.active_to_day, Infinity);
    assert.ok(isTerminalActiveOn(t, '20251222'));
    assert.ok(!isTerminalActiveOn(t, '20251223'));
    assert.ok(!isTerminalActiveOn(t, '20191231'));
    assert.equal(reg.terminal('7ED92AB410D9')!.role, 'agent');
    assert.equal(reg.terminal('0C3A188092B4')!.active_to, null);
    assert.equal(reg.participant('41010000'), undefined, 'the centre is not an acquirer or agent');
    assert.deepEqual(reg.participant_ids, ['41010101', '41010102', '41010103', '41010111', '41010112', '41010113', '41010201', '41010202']);
  });
});

interface Fault {
  name: string;
  change: (j: Json) => void;
  path: string;
  message: RegExp;
}

const faults: Fault[] = [
  {
    name: 'a rate written as a number',
    change: (j) => (j.acquirers[2].merchants[0].fee_rate = 0.003),
    path: 'acquirers[2].merchants[0].fee_rate',
    message: /^not a decimal$/,
  },
  {
    name: 'a rate that is not a number at all',
    change: (j) => (j.acquirers[0].fee_rate = 'three per mille'),
    path: 'acquirers[0].fee_rate',
    message: /^not a decimal$/,
  },
  {
    name: 'a rate with 7 decimals',
    change: (j) => (j.acquirers[0].fee_rate = '0.0030001'),
    path: 'acquirers[0].fee_rate',
    message: /more than 6 decimal places/,
  },
  { name: 'a rate of 1', change: (j) => (j.acquirers[0].fee_rate = '1'), path: 'acquirers[0].fee_rate', message: /not below 1/ },
  { name: 'a rate of 1.5', change: (j) => (j.acquirers[0].fee_rate = '1.5'), path: 'acquirers[0].fee_rate', message: /not below 1/ },
  {
    name: 'a negative rate',
    change: (j) => (j.agents[0].commission_rate = '-0.001'),
    path: 'agents[0].commission_rate',
    message: /negative/,
  },
  {
    name: 'a rate without its leading zero',
    change: (j) => (j.agents[0].commission_rate = '.002'),
    path: 'agents[0].commission_rate',
    message: /not a decimal/,
  },
  {
    name: 'a rate with a leading zero too many',
    change: (j) => (j.agents[0].commission_rate = '00.002'),
    path: 'agents[0].commission_rate',
    message: /not a decimal/,
  },
  {
    name: "an agent merchant's own rate malformed",
    change: (j) => (j.agents[1].merchants[3].commission_rate = '0,0015'),
    path: 'agents[1].merchants[3].commission_rate',
    message: /not a decimal/,
  },
  {
    name: "an acquirer merchant carrying an agent's rate key",
    change: (j) => (j.acquirers[0].merchants[0].commission_rate = '0.001'),
    path: 'acquirers[0].merchants[0].commission_rate',
    message: /not allowed/,
  },
  {
    name: "an agent carrying an acquirer's rate key",
    change: (j) => (j.agents[0].fee_rate = '0.001'),
    path: 'agents[0].fee_rate',
    message: /not allowed/,
  },
  {
    name: 'the interop fee rate missing',
    change: (j) => delete j.national.interop_fee_rate,
    path: 'national.interop_fee_rate',
    message: /missing/,
  },
  { name: 'an acquirer id of 7 digits', change: (j) => (j.acquirers[1].id = '4101010'), path: 'acquirers[1].id', message: /not 8 digits/ },
  { name: 'the centre id with a letter', change: (j) => (j.centre.id = '4101000X'), path: 'centre.id', message: /not 8 digits/ },
  {
    name: 'a merchant id in lower case',
    change: (j) => (j.acquirers[1].merchants[0].id = '4101020100line1'),
    path: 'acquirers[1].merchants[0].id',
    message: /15 characters/,
  },
  {
    name: 'a terminal id in lower case',
    change: (j) => (j.acquirers[0].terminals[2].id = '0bc464c324c9'),
    path: 'acquirers[0].terminals[2].id',
    message: /12 upper-case hex/,
  },
  {
    name: 'a terminal id of 13 digits',
    change: (j) => (j.agents[0].terminals[0].id = '7EACABC69D4B0'),
    path: 'agents[0].terminals[0].id',
    message: /12 upper-case hex/,
  },
  {
    name: 'active_from that does not exist',
    change: (j) => (j.acquirers[0].terminals[0].active_from = '2025-02-29'),
    path: 'acquirers[0].terminals[0].active_from',
    message: /real date/,
  },
  {
    name: 'active_from in another form',
    change: (j) => (j.acquirers[0].terminals[0].active_from = '20200101'),
    path: 'acquirers[0].terminals[0].active_from',
    message: /real date/,
  },
  {
    name: 'active_to before active_from',
    change: (j) => (j.acquirers[0].terminals[4].active_to = '2019-12-31'),
    path: 'acquirers[0].terminals[4].active_to',
    message: /before active_from/,
  },
  {
    name: 'active_to missing (null is the way to say still active)',
    change: (j) => delete j.acquirers[0].terminals[0].active_to,
    path: 'acquirers[0].terminals[0].active_to',
    message: /missing/,
  },
  {
    name: 'kind neither transit nor merchant',
    change: (j) => (j.acquirers[3].kind = 'bus'),
    path: 'acquirers[3].kind',
    message: /transit or merchant/,
  },
  {
    name: 'a negative limit',
    change: (j) => (j.limits.overdraft_limit_fen = -1),
    path: 'limits.overdraft_limit_fen',
    message: /non-negative integer/,
  },
  {
    name: 'a fractional limit',
    change: (j) => (j.limits.late_window_days = 1.5),
    path: 'limits.late_window_days',
    message: /non-negative integer/,
  },
  {
    name: 'a limit written as text',
    change: (j) => (j.limits.max_purchase_fen = '100000'),
    path: 'limits.max_purchase_fen',
    message: /non-negative integer/,
  },
  {
    name: 'a limit missing',
    change: (j) => delete j.limits.blacklist_grace_hours,
    path: 'limits.blacklist_grace_hours',
    message: /missing/,
  },
  {
    name: 'an agent with the id of an acquirer',
    change: (j) => (j.agents[1].id = '41010101'),
    path: 'agents[1].id',
    message: /duplicate participant id 41010101 \(also at acquirers\[0\]\.id\)/,
  },
  {
    name: 'an acquirer with the id of the bank',
    change: (j) => (j.acquirers[0].id = '10000001'),
    path: 'acquirers[0].id',
    message: /duplicate participant id/,
  },
  {
    name: 'a merchant id used by two participants',
    change: (j) => (j.acquirers[1].merchants[0].id = '410101010000001'),
    path: 'acquirers[1].merchants[0].id',
    message: /duplicate merchant id/,
  },
  {
    name: 'a terminal id used twice',
    change: (j) => (j.agents[1].terminals[0].id = '0B7CE418072E'),
    path: 'agents[1].terminals[0].id',
    message: /duplicate terminal id/,
  },
  {
    name: "a terminal of another participant's merchant",
    change: (j) => (j.acquirers[0].terminals[0].merchant_id = '4101020100LINE1'),
    path: 'acquirers[0].terminals[0].merchant_id',
    message: /not a merchant of 41010101/,
  },
  {
    name: 'an issuer listed twice',
    change: (j) => j.issuers.push({ id: '41010001', name: 'again' }),
    path: 'issuers[1].id',
    message: /duplicate issuer id/,
  },
  { name: 'the centre missing', change: (j) => delete j.centre, path: 'centre', message: /missing/ },
  { name: 'acquirers not an array', change: (j) => (j.acquirers = {}), path: 'acquirers', message: /not an array/ },
  { name: 'a name that is not text', change: (j) => (j.bank.name = 7), path: 'bank.name', message: /not a string/ },
];

describe('parseParticipants: faults', () => {
  for (const f of faults) {
    it(f.name, () => {
      const j = example();
      f.change(j);
      const r = parseParticipants(j);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.path, f.path, `${r.path}: ${r.message}`);
      assert.match(r.message, f.message);
    });
  }

  it('accepts a 6-decimal rate and a zero rate', () => {
    const j = example();
    j.acquirers[0].fee_rate = '0.123456';
    j.acquirers[0].merchants[0].fee_rate = '0';
    assert.ok(parseParticipants(j).ok);
  });

  it('refuses a document that is not an object', () => {
    for (const doc of [[], null, 'x', 3]) {
      const r = parseParticipants(doc);
      assert.ok(!r.ok && r.message === 'not an object', JSON.stringify(r));
    }
  });

  it('reports the first fault in document order', () => {
    const j = example();
    j.acquirers[1].id = 'x';
    j.agents[0].id = 'y';
    const r = parseParticipants(j);
    assert.ok(!r.ok && r.path === 'acquirers[1].id');
  });
});

describe('parseKeys', () => {
  const KEY = '2291D8CDC310411E7EC27378A661C935';

  it('parses the example, for its issuers', () => {
    const r = parseKeys(readExampleJson('keys.json'), ['41010001']);
    assert.ok(r.ok);
    assert.equal(r.value.tac_master_keys.get('41010001')!.toString('hex').toUpperCase(), KEY);
  });

  it('refuses a short key without printing it', () => {
    const short = KEY.slice(0, 30);
    const r = parseKeys({ issuers: { '41010001': { tac_master_key: short } } });
    assert.ok(!r.ok);
    assert.equal(r.path, 'issuers.41010001.tac_master_key');
    assert.equal(r.message, 'not 32 hex digits');
    assert.ok(!JSON.stringify(r).includes(short.slice(0, 8)));
  });

  it('refuses a key that is not hex', () => {
    const r = parseKeys({ issuers: { '41010001': { tac_master_key: `${KEY.slice(0, 31)}G` } } });
    assert.ok(!r.ok && r.path === 'issuers.41010001.tac_master_key');
  });

  it('refuses a local issuer without a key', () => {
    const r = parseKeys({ issuers: { '41010001': { tac_master_key: KEY } } }, ['41010001', '41010002']);
    assert.ok(!r.ok && r.path === 'issuers.41010002' && /missing/.test(r.message));
  });

  it('refuses a key for an issuer that is not local', () => {
    const r = parseKeys({ issuers: { '41010001': { tac_master_key: KEY }, '31010001': { tac_master_key: KEY } } }, ['41010001']);
    assert.ok(!r.ok && r.path === 'issuers.31010001' && /not a local issuer/.test(r.message));
  });

  it('refuses an issuer id that is not 8 digits, and a missing issuers object', () => {
    const a = parseKeys({ issuers: { '4101': { tac_master_key: KEY } } });
    assert.ok(!a.ok && a.path === 'issuers.4101');
    const b = parseKeys({});
    assert.ok(!b.ok && b.path === 'issuers' && b.message === 'missing');
  });
});
