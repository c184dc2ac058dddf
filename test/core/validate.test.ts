// A table of examples for every reason code (clearing-rules.md, "Validating a record"),
// with the precedence between codes, INTEROP_IN files, remote cards, terminal dates and
// the blacklist's grace, ties and removals.
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import type { BlacklistEntry, Transaction } from '../../src/core/types';
import { TacKeyCache, computeTac } from '../../src/core/tac';
import {
  balanceBefore,
  isBlacklisted,
  isLoadOnBlacklistedCard,
  validateRecord,
  type FileContext,
  type HeldKeys,
  type RecordVerdict,
  type ValidationContext,
} from '../../src/core/validate';
import { exampleKeys, exampleParticipants } from './example-config';
import { buildRegistry } from '../../src/core/registry';

const participants = exampleParticipants();
const registry = buildRegistry(participants);
const keys = exampleKeys(participants);
const MK = keys.tac_master_keys.get('41010001')!;

const LOCAL_CARD = '41010001000000012345';
const REMOTE_ISSUER = '31010001';
const REMOTE_CARD = '31010001000000067890';

/** A record with a genuine TAC unless the overrides give one. */
function rec(overrides: Partial<Transaction> = {}): Transaction {
  const base: Transaction = {
    issuer_id: '41010001',
    card_no: LOCAL_CARD,
    card_type: 1,
    txn_type: 6,
    amount_fen: 200,
    balance_before_fen: 1000,
    balance_after_fen: 800,
    card_seq: 5,
    terminal_id: '0B7CE418072E', // acquirer 41010101, merchant 410101010000001
    terminal_seq: 100,
    acquirer_id: '41010101',
    merchant_id: '410101010000001',
    occurred_at: '20251230081500',
    tac: '',
    batch_no: '',
    line_id: '',
    station_id: '',
  };
  const r = { ...base, ...overrides };
  if (overrides.tac === undefined) {
    r.tac =
      /^[0-9]{14}$/.test(r.occurred_at) &&
      /^[0-9]{16,}$/.test(r.card_no) &&
      /^[0-9A-Fa-f]{12}$/.test(r.terminal_id) &&
      Number.isInteger(r.amount_fen) &&
      r.amount_fen >= 0 &&
      r.amount_fen <= 0xffffffff &&
      r.txn_type >= 0 &&
      r.txn_type < 256
        ? computeTac(MK, r)
        : '00000000';
  }
  return r;
}

/** A load at an agent's terminal (agent 41010201, merchant 410120100000001). */
function load(overrides: Partial<Transaction> = {}): Transaction {
  return rec({
    txn_type: 2,
    amount_fen: 5000,
    balance_before_fen: 1000,
    balance_after_fen: 6000,
    terminal_id: '7EACABC69D4B',
    acquirer_id: '41010201',
    merchant_id: '410120100000001',
    ...overrides,
  });
}

const UPLOAD_41010101: FileContext = { file_type: 'TXN_UPLOAD', sender_id: '41010101', business_date: '20251230' };
const UPLOAD_41010201: FileContext = { file_type: 'TXN_UPLOAD', sender_id: '41010201', business_date: '20251230' };
const INTEROP_IN: FileContext = { file_type: 'INTEROP_IN', sender_id: '00000001', business_date: '20251230' };

function heldOf(records: Transaction[]): HeldKeys {
  const byCard = new Map<string, Transaction>();
  const byTerminal = new Map<string, Transaction>();
  for (const r of records) {
    byCard.set(`${r.issuer_id}|${r.card_no}|${r.card_seq}`, r);
    byTerminal.set(`${r.acquirer_id}|${r.terminal_id}|${r.terminal_seq}`, r);
  }
  return {
    byCardKey: (i, c, s) => byCard.get(`${i}|${c}|${s}`),
    byTerminalKey: (a, t, s) => byTerminal.get(`${a}|${t}|${s}`),
  };
}

function ctxOf(held: Transaction[] = [], blacklist: BlacklistEntry[] = []): ValidationContext {
  return {
    registry,
    limits: participants.limits,
    tac: new TacKeyCache(keys),
    held: heldOf(held),
    blacklistOf: (issuer_id, card_no) => {
      const entries = blacklist.filter((e) => e.issuer_id === issuer_id && e.card_no === card_no);
      return entries.length > 0 ? entries : undefined;
    },
  };
}

function bl(action: 1 | 2, effective_at: string, card_no = LOCAL_CARD, issuer_id = '41010001'): BlacklistEntry {
  return { issuer_id, card_no, action, effective_at, reason: action === 1 ? 'LOST' : 'FOUND' };
}

interface Example {
  name: string;
  record: Transaction;
  file?: FileContext;
  held?: Transaction[];
  blacklist?: BlacklistEntry[];
  status: RecordVerdict['status'];
  reason: string;
  field?: string;
  /** E03/E09: the index in `held` of the record the verdict must name. */
  conflict?: number;
  blacklisted_load?: boolean;
}

const heldPurchase = rec({ card_seq: 9, terminal_seq: 900, occurred_at: '20251229101010' });

const examples: Example[] = [
  // Accepted and pending.
  { name: 'a valid local purchase is ACCEPTED', record: rec(), status: 'ACCEPTED', reason: '' },
  { name: 'a valid composite purchase (9) is ACCEPTED', record: rec({ txn_type: 9 }), status: 'ACCEPTED', reason: '' },
  { name: 'a valid load at an agent is ACCEPTED', record: load(), file: UPLOAD_41010201, status: 'ACCEPTED', reason: '' },
  {
    name: 'a remote card purchase is PENDING_INTEROP',
    record: rec({ issuer_id: REMOTE_ISSUER, card_no: REMOTE_CARD }),
    status: 'PENDING_INTEROP',
    reason: '',
  },
  {
    name: "a remote card's TAC is not checked here",
    record: rec({ issuer_id: REMOTE_ISSUER, card_no: REMOTE_CARD, tac: '00000000' }),
    status: 'PENDING_INTEROP',
    reason: '',
  },
  {
    name: 'an INTEROP_IN purchase on a local card is ACCEPTED',
    record: rec({ terminal_id: 'ABCDEF012345', acquirer_id: '11010101', merchant_id: '110101010000001' }),
    file: INTEROP_IN,
    status: 'ACCEPTED',
    reason: '',
  },
  {
    name: 'leap day 2024-02-29 is a real date (within a window that reaches it)',
    record: rec({ occurred_at: '20240229120000' }),
    file: { ...UPLOAD_41010101, business_date: '20240301' },
    status: 'ACCEPTED',
    reason: '',
  },
  { name: 'the last second of the day is real', record: rec({ occurred_at: '20251229235959' }), status: 'ACCEPTED', reason: '' },

  // E01 MALFORMED, one field at a time, in the spec's order.
  { name: 'E01 issuer_id of 7 digits', record: rec({ issuer_id: '4101000' }), status: 'REJECTED', reason: 'E01', field: 'issuer_id' },
  { name: 'E01 issuer_id with a letter', record: rec({ issuer_id: '4101000A' }), status: 'REJECTED', reason: 'E01', field: 'issuer_id' },
  {
    name: 'E01 card_no of 19 digits',
    record: rec({ card_no: '4101000100000001234' }),
    status: 'REJECTED',
    reason: 'E01',
    field: 'card_no',
  },
  {
    name: 'E01 card_no with a space',
    record: rec({ card_no: '4101000100000001234 ' }),
    status: 'REJECTED',
    reason: 'E01',
    field: 'card_no',
  },
  {
    name: 'E01 amount_fen = 0',
    record: rec({ amount_fen: 0, balance_after_fen: 1000 }),
    status: 'REJECTED',
    reason: 'E01',
    field: 'amount_fen',
  },
  { name: 'E01 amount_fen not an integer', record: rec({ amount_fen: 1.5 }), status: 'REJECTED', reason: 'E01', field: 'amount_fen' },
  { name: 'E01 amount_fen beyond uint32', record: rec({ amount_fen: 2 ** 32 }), status: 'REJECTED', reason: 'E01', field: 'amount_fen' },
  { name: 'E01 card_seq = 0', record: rec({ card_seq: 0 }), status: 'REJECTED', reason: 'E01', field: 'card_seq' },
  { name: 'E01 card_seq = 65536', record: rec({ card_seq: 65536 }), status: 'REJECTED', reason: 'E01', field: 'card_seq' },
  {
    name: 'E01 terminal_id in lower case',
    record: rec({ terminal_id: '0b7ce418072e' }),
    status: 'REJECTED',
    reason: 'E01',
    field: 'terminal_id',
  },
  {
    name: 'E01 terminal_id of 11 digits',
    record: rec({ terminal_id: '0B7CE418072' }),
    status: 'REJECTED',
    reason: 'E01',
    field: 'terminal_id',
  },
  {
    name: 'E01 terminal_id not hex',
    record: rec({ terminal_id: '0B7CE418072G' }),
    status: 'REJECTED',
    reason: 'E01',
    field: 'terminal_id',
  },
  {
    name: 'E01 acquirer_id of 9 digits',
    record: rec({ acquirer_id: '410101011' }),
    status: 'REJECTED',
    reason: 'E01',
    field: 'acquirer_id',
  },
  {
    name: 'E01 merchant_id in lower case',
    record: rec({ merchant_id: '4101020100line1' }),
    status: 'REJECTED',
    reason: 'E01',
    field: 'merchant_id',
  },
  {
    name: 'E01 merchant_id of 14 characters',
    record: rec({ merchant_id: '41010101000000' }),
    status: 'REJECTED',
    reason: 'E01',
    field: 'merchant_id',
  },
  {
    name: 'E01 occurred_at on 29 February of a common year',
    record: rec({ occurred_at: '20250229120000' }),
    status: 'REJECTED',
    reason: 'E01',
    field: 'occurred_at',
  },
  {
    name: 'E01 occurred_at on 29 February 1900 (not a leap year)',
    record: rec({ occurred_at: '19000229120000' }),
    status: 'REJECTED',
    reason: 'E01',
    field: 'occurred_at',
  },
  {
    name: 'E01 occurred_at on 31 April',
    record: rec({ occurred_at: '20250431120000' }),
    status: 'REJECTED',
    reason: 'E01',
    field: 'occurred_at',
  },
  {
    name: 'E01 occurred_at month 13',
    record: rec({ occurred_at: '20251330120000' }),
    status: 'REJECTED',
    reason: 'E01',
    field: 'occurred_at',
  },
  {
    name: 'E01 occurred_at day 00',
    record: rec({ occurred_at: '20251200120000' }),
    status: 'REJECTED',
    reason: 'E01',
    field: 'occurred_at',
  },
  {
    name: 'E01 occurred_at hour 24',
    record: rec({ occurred_at: '20251230240000' }),
    status: 'REJECTED',
    reason: 'E01',
    field: 'occurred_at',
  },
  {
    name: 'E01 occurred_at minute 60',
    record: rec({ occurred_at: '20251230126000' }),
    status: 'REJECTED',
    reason: 'E01',
    field: 'occurred_at',
  },
  {
    name: 'E01 occurred_at second 60',
    record: rec({ occurred_at: '20251230120060' }),
    status: 'REJECTED',
    reason: 'E01',
    field: 'occurred_at',
  },
  {
    name: 'E01 occurred_at of 12 digits',
    record: rec({ occurred_at: '202512301200' }),
    status: 'REJECTED',
    reason: 'E01',
    field: 'occurred_at',
  },
  { name: 'E01 tac in lower case', record: rec({ tac: 'abcdef01' }), status: 'REJECTED', reason: 'E01', field: 'tac' },
  { name: 'E01 tac of 7 digits', record: rec({ tac: 'ABCDEF0' }), status: 'REJECTED', reason: 'E01', field: 'tac' },
  {
    name: 'E01 names the first bad field of several',
    record: rec({ card_no: 'x', tac: 'y', merchant_id: 'z' }),
    status: 'REJECTED',
    reason: 'E01',
    field: 'card_no',
  },
  {
    name: 'E01 before E02 (unknown terminal with a bad merchant id)',
    record: rec({ terminal_id: '000000000000', merchant_id: 'bad' }),
    status: 'REJECTED',
    reason: 'E01',
    field: 'merchant_id',
  },
  {
    name: 'E01 in an INTEROP_IN file too',
    record: rec({ card_seq: 70000 }),
    file: INTEROP_IN,
    status: 'REJECTED',
    reason: 'E01',
    field: 'card_seq',
  },
  {
    name: 'fields E01 does not check are taken as they come',
    record: rec({ batch_no: '??', line_id: 'x y', station_id: '\u00e9', card_type: 99 }),
    status: 'ACCEPTED',
    reason: '',
  },

  // E02 UNKNOWN_TERMINAL
  { name: 'E02 terminal not registered', record: rec({ terminal_id: '0B0000000000' }), status: 'REJECTED', reason: 'E02' },
  {
    name: "E02 terminal of another acquirer (the metro's, uploaded by the bus company)",
    record: rec({ terminal_id: '0C5143E6C3F3', merchant_id: '4101020100LINE1' }),
    status: 'REJECTED',
    reason: 'E02',
  },
  {
    name: 'E02 terminal registered under another merchant of the same acquirer',
    record: rec({ merchant_id: '410101010000002' }),
    status: 'REJECTED',
    reason: 'E02',
  },
  {
    name: "E02 acquirer_id is not the header's sender",
    record: rec(),
    file: { ...UPLOAD_41010101, sender_id: '41010102' },
    status: 'REJECTED',
    reason: 'E02',
  },
  {
    name: 'E02 terminal retired: the day after active_to',
    record: rec({ terminal_id: '0B2B282B9C01', occurred_at: '20251223090000' }),
    status: 'REJECTED',
    reason: 'E02',
  },
  {
    name: 'active_to is inclusive',
    record: rec({ terminal_id: '0B2B282B9C01', occurred_at: '20251222235959' }),
    status: 'ACCEPTED',
    reason: '',
  },
  {
    name: 'E02 terminal not yet active: the day before active_from',
    record: rec({ terminal_id: '0C3A188092B4', acquirer_id: '41010102', merchant_id: '4101020100LINE2', occurred_at: '20251230090000' }),
    file: { ...UPLOAD_41010101, sender_id: '41010102' },
    status: 'REJECTED',
    reason: 'E02',
  },
  {
    name: 'active_from is inclusive',
    record: rec({ terminal_id: '0C3A188092B4', acquirer_id: '41010102', merchant_id: '4101020100LINE2', occurred_at: '20260101000000' }),
    file: { ...UPLOAD_41010101, sender_id: '41010102', business_date: '20260101' },
    status: 'ACCEPTED',
    reason: '',
  },
  {
    name: 'E02 INTEROP_IN: the card is not local',
    record: rec({ issuer_id: REMOTE_ISSUER, card_no: REMOTE_CARD }),
    file: INTEROP_IN,
    status: 'REJECTED',
    reason: 'E02',
  },
  {
    name: 'E02 before E08 (INTEROP_IN load on a remote card)',
    record: load({ issuer_id: REMOTE_ISSUER, card_no: REMOTE_CARD }),
    file: INTEROP_IN,
    status: 'REJECTED',
    reason: 'E02',
  },
  {
    name: 'E02 before E08 (unknown terminal, txn_type 3)',
    record: rec({ terminal_id: '0B0000000000', txn_type: 3 }),
    status: 'REJECTED',
    reason: 'E02',
  },

  // E08 TYPE_NOT_ALLOWED
  {
    name: "E08 a load at an acquirer's terminal",
    record: rec({ txn_type: 2, balance_after_fen: 1200 }),
    status: 'REJECTED',
    reason: 'E08',
  },
  {
    name: "E08 a purchase at an agent's terminal",
    record: load({ txn_type: 6, balance_after_fen: -4000 }),
    file: UPLOAD_41010201,
    status: 'REJECTED',
    reason: 'E08',
  },
  {
    name: 'E08 a load on a remote card',
    record: load({ issuer_id: REMOTE_ISSUER, card_no: REMOTE_CARD }),
    file: UPLOAD_41010201,
    status: 'REJECTED',
    reason: 'E08',
  },
  { name: 'E08 a load in an INTEROP_IN file', record: load(), file: INTEROP_IN, status: 'REJECTED', reason: 'E08' },
  { name: 'E08 txn_type 3', record: rec({ txn_type: 3 }), status: 'REJECTED', reason: 'E08', field: 'txn_type' },
  { name: 'E08 txn_type 0', record: rec({ txn_type: 0 }), file: INTEROP_IN, status: 'REJECTED', reason: 'E08' },
  {
    name: 'E08 before E04 (type 7 with any balances)',
    record: rec({ txn_type: 7, balance_after_fen: 12345 }),
    status: 'REJECTED',
    reason: 'E08',
  },

  // E04 ARITHMETIC
  { name: 'E04 purchase: before - amount != after', record: rec({ balance_after_fen: 801 }), status: 'REJECTED', reason: 'E04' },
  {
    name: 'E04 load: before + amount != after',
    record: load({ balance_after_fen: 5999 }),
    file: UPLOAD_41010201,
    status: 'REJECTED',
    reason: 'E04',
  },
  { name: 'E04 a purchase written as if it were a load', record: rec({ balance_after_fen: 1200 }), status: 'REJECTED', reason: 'E04' },
  {
    name: 'E04 before E07 (over the purchase limit and wrong arithmetic)',
    record: rec({ amount_fen: 100001, balance_before_fen: 200000, balance_after_fen: 0 }),
    status: 'REJECTED',
    reason: 'E04',
  },

  // E07 LIMIT
  {
    name: 'E07 purchase over max_purchase_fen',
    record: rec({ amount_fen: 100001, balance_before_fen: 100001, balance_after_fen: 0 }),
    status: 'REJECTED',
    reason: 'E07',
  },
  {
    name: 'a purchase of exactly max_purchase_fen passes',
    record: rec({ amount_fen: 100000, balance_before_fen: 100000, balance_after_fen: 0 }),
    status: 'ACCEPTED',
    reason: '',
  },
  {
    name: 'E07 purchase beyond the overdraft',
    record: rec({ amount_fen: 801, balance_before_fen: 0, balance_after_fen: -801 }),
    status: 'REJECTED',
    reason: 'E07',
  },
  {
    name: 'a purchase down to exactly -overdraft passes',
    record: rec({ amount_fen: 800, balance_before_fen: 0, balance_after_fen: -800 }),
    status: 'ACCEPTED',
    reason: '',
  },
  {
    name: 'E07 load over max_card_balance_fen',
    record: load({ amount_fen: 5000, balance_before_fen: 95001, balance_after_fen: 100001 }),
    file: UPLOAD_41010201,
    status: 'REJECTED',
    reason: 'E07',
  },
  {
    name: 'a load up to exactly max_card_balance_fen passes',
    record: load({ amount_fen: 5000, balance_before_fen: 95000, balance_after_fen: 100000 }),
    file: UPLOAD_41010201,
    status: 'ACCEPTED',
    reason: '',
  },
  {
    name: 'E07 on a remote card too',
    record: rec({ issuer_id: REMOTE_ISSUER, card_no: REMOTE_CARD, amount_fen: 900, balance_before_fen: 0, balance_after_fen: -900 }),
    status: 'REJECTED',
    reason: 'E07',
  },
  {
    name: 'E07 before E06 (over the limit and late)',
    record: rec({ amount_fen: 801, balance_before_fen: 0, balance_after_fen: -801, occurred_at: '20250101120000' }),
    status: 'REJECTED',
    reason: 'E07',
  },

  // E06 DATE_WINDOW (late_window_days 30, business date 2025-12-30)
  { name: 'E06 occurred after the business date', record: rec({ occurred_at: '20251231000000' }), status: 'REJECTED', reason: 'E06' },
  { name: 'occurred on the business date itself passes', record: rec({ occurred_at: '20251230235959' }), status: 'ACCEPTED', reason: '' },
  { name: 'exactly late_window_days before passes', record: rec({ occurred_at: '20251130000000' }), status: 'ACCEPTED', reason: '' },
  {
    name: 'E06 one day more than late_window_days before',
    record: rec({ occurred_at: '20251129235959' }),
    status: 'REJECTED',
    reason: 'E06',
  },
  {
    name: 'E06 across a leap February (2024-03-01 business date, 31 days back)',
    record: rec({ occurred_at: '20240130120000' }),
    file: { ...UPLOAD_41010101, business_date: '20240301' },
    status: 'REJECTED',
    reason: 'E06',
  },
  {
    name: 'E06 in an INTEROP_IN file',
    record: rec({ terminal_id: 'ABCDEF012345', acquirer_id: '11010101', merchant_id: '110101010000001', occurred_at: '20260101000000' }),
    file: INTEROP_IN,
    status: 'REJECTED',
    reason: 'E06',
  },
  {
    name: 'E06 before E05 (late and a bad TAC)',
    record: rec({ occurred_at: '20251031120000', tac: '00000000' }),
    status: 'REJECTED',
    reason: 'E06',
  },

  // E05 TAC
  { name: 'E05 a local card whose TAC does not verify', record: rec({ tac: '12345678' }), status: 'REJECTED', reason: 'E05', field: 'tac' },
  {
    name: 'E05 the TAC of another amount',
    record: { ...rec(), amount_fen: 300, balance_after_fen: 700 },
    status: 'REJECTED',
    reason: 'E05',
  },
  { name: 'E05 the TAC of another terminal_seq', record: { ...rec(), terminal_seq: 101 }, status: 'REJECTED', reason: 'E05' },
  {
    name: 'E05 on a local card in an INTEROP_IN file',
    record: rec({ terminal_id: 'ABCDEF012345', acquirer_id: '11010101', merchant_id: '110101010000001', tac: 'FFFFFFFF' }),
    file: INTEROP_IN,
    status: 'REJECTED',
    reason: 'E05',
  },
  {
    name: 'E05 before E03 (identical record held, TAC bad)',
    record: { ...heldPurchase, tac: '00000000' },
    held: [{ ...heldPurchase, tac: '00000000' }],
    status: 'REJECTED',
    reason: 'E05',
  },

  // E03 DUPLICATE
  {
    name: 'E03 an identical record held (both keys)',
    record: heldPurchase,
    held: [heldPurchase],
    status: 'REJECTED',
    reason: 'E03',
    conflict: 0,
  },
  {
    name: 'E03 an identical remote-card record held',
    record: rec({ issuer_id: REMOTE_ISSUER, card_no: REMOTE_CARD }),
    held: [rec({ issuer_id: REMOTE_ISSUER, card_no: REMOTE_CARD })],
    status: 'REJECTED',
    reason: 'E03',
    conflict: 0,
  },
  {
    name: 'E03 before E09: identical under the terminal key though the card key holds another record',
    record: heldPurchase,
    held: [rec({ card_seq: 9, terminal_seq: 901, occurred_at: '20251229111111' }), heldPurchase],
    status: 'REJECTED',
    reason: 'E03',
    conflict: 1,
  },

  // E09 KEY_CONFLICT
  {
    name: 'E09 same card key, another amount (card counter spent twice)',
    record: rec({ card_seq: 9, terminal_seq: 950, amount_fen: 100, balance_after_fen: 900 }),
    held: [heldPurchase],
    status: 'REJECTED',
    reason: 'E09',
    conflict: 0,
  },
  {
    name: 'E09 same terminal key, another card (terminal counter reused)',
    record: rec({ card_no: '41010001000098765432', card_seq: 1, terminal_seq: 900 }),
    held: [heldPurchase],
    status: 'REJECTED',
    reason: 'E09',
    conflict: 0,
  },
  {
    name: 'E09 a field E01 does not check differs (station_id)',
    record: { ...heldPurchase, station_id: 'S1' },
    held: [heldPurchase],
    status: 'REJECTED',
    reason: 'E09',
    conflict: 0,
  },
  {
    name: 'E09 before S01 (blacklisted card, conflicting counter)',
    record: rec({ card_seq: 9, amount_fen: 100, balance_after_fen: 900 }),
    held: [heldPurchase],
    blacklist: [bl(1, '20251201000000')],
    status: 'REJECTED',
    reason: 'E09',
    conflict: 0,
  },

  // S01 BLACKLISTED (grace 24 hours; purchase at 2025-12-30 08:15:00)
  { name: 'S01 added well before occurred_at', record: rec(), blacklist: [bl(1, '20251201000000')], status: 'SUSPENDED', reason: 'S01' },
  { name: 'S01 added exactly grace hours before', record: rec(), blacklist: [bl(1, '20251229081500')], status: 'SUSPENDED', reason: 'S01' },
  {
    name: 'added one second short of the grace: ACCEPTED',
    record: rec(),
    blacklist: [bl(1, '20251229081501')],
    status: 'ACCEPTED',
    reason: '',
  },
  { name: 'added after occurred_at: ACCEPTED', record: rec(), blacklist: [bl(1, '20251230120000')], status: 'ACCEPTED', reason: '' },
  {
    name: 'added then removed (both in effect): ACCEPTED',
    record: rec(),
    blacklist: [bl(1, '20251201000000'), bl(2, '20251210000000')],
    status: 'ACCEPTED',
    reason: '',
  },
  {
    name: 'S01 removed then added again',
    record: rec(),
    blacklist: [bl(2, '20251210000000'), bl(1, '20251215000000')],
    status: 'SUSPENDED',
    reason: 'S01',
  },
  {
    name: 'S01 the latest by effective_at wins, not the latest imported',
    record: rec(),
    blacklist: [bl(1, '20251215000000'), bl(2, '20251210000000')],
    status: 'SUSPENDED',
    reason: 'S01',
  },
  {
    name: 'S01 a removal still within the grace does not count yet',
    record: rec(),
    blacklist: [bl(1, '20251201000000'), bl(2, '20251230000000')],
    status: 'SUSPENDED',
    reason: 'S01',
  },
  {
    name: 'tie on effective_at: the later-imported remove wins',
    record: rec(),
    blacklist: [bl(1, '20251210000000'), bl(2, '20251210000000')],
    status: 'ACCEPTED',
    reason: '',
  },
  {
    name: 'S01 tie on effective_at: the later-imported add wins',
    record: rec(),
    blacklist: [bl(2, '20251210000000'), bl(1, '20251210000000')],
    status: 'SUSPENDED',
    reason: 'S01',
  },
  {
    name: "another card's entry does not count",
    record: rec(),
    blacklist: [bl(1, '20251201000000', '41010001000098765432')],
    status: 'ACCEPTED',
    reason: '',
  },
  {
    name: 'S01 a composite purchase',
    record: rec({ txn_type: 9 }),
    blacklist: [bl(1, '20251201000000')],
    status: 'SUSPENDED',
    reason: 'S01',
  },
  {
    name: 'S01 a local card used elsewhere (INTEROP_IN)',
    record: rec({ terminal_id: 'ABCDEF012345', acquirer_id: '11010101', merchant_id: '110101010000001' }),
    file: INTEROP_IN,
    blacklist: [bl(1, '20251201000000')],
    status: 'SUSPENDED',
    reason: 'S01',
  },
  {
    name: 'a load on a blacklisted card is ACCEPTED and flagged',
    record: load(),
    file: UPLOAD_41010201,
    blacklist: [bl(1, '20251201000000')],
    status: 'ACCEPTED',
    reason: '',
    blacklisted_load: true,
  },
  {
    name: 'a load within the grace is not flagged',
    record: load(),
    file: UPLOAD_41010201,
    blacklist: [bl(1, '20251230000000')],
    status: 'ACCEPTED',
    reason: '',
    blacklisted_load: false,
  },
  {
    name: 'a remote card is never S01 (not our blacklist)',
    record: rec({ issuer_id: REMOTE_ISSUER, card_no: REMOTE_CARD }),
    blacklist: [bl(1, '20251201000000', REMOTE_CARD, REMOTE_ISSUER)],
    status: 'PENDING_INTEROP',
    reason: '',
  },
];

describe('validateRecord: a table of examples per reason code', () => {
  for (const ex of examples) {
    it(ex.name, () => {
      const ctx = ctxOf(ex.held, ex.blacklist);
      const v = validateRecord(ex.record, ex.file ?? UPLOAD_41010101, ctx);
      assert.equal(v.status, ex.status, JSON.stringify(v));
      assert.equal(v.reason, ex.reason, JSON.stringify(v));
      if (ex.field !== undefined) assert.equal(v.status === 'REJECTED' ? v.field : undefined, ex.field);
      if (ex.conflict !== undefined) {
        assert.ok(v.status === 'REJECTED');
        assert.equal(v.conflictWith, ex.held![ex.conflict]);
      }
      if (ex.blacklisted_load !== undefined) {
        assert.equal(v.status === 'ACCEPTED' && v.blacklisted_load === true, ex.blacklisted_load);
        assert.equal(isLoadOnBlacklistedCard(ex.record, ctx), ex.blacklisted_load);
      }
    });
  }

  it('covers every reason code', () => {
    const seen = new Set(examples.map((e) => e.reason));
    for (const code of ['E01', 'E02', 'E03', 'E04', 'E05', 'E06', 'E07', 'E08', 'E09', 'S01']) assert.ok(seen.has(code), code);
  });
});

describe('validateRecord: behaviour', () => {
  it('does not change its context: the caller adds held keys', () => {
    const held: Transaction[] = [];
    const ctx = ctxOf(held);
    const r = rec();
    assert.equal(validateRecord(r, UPLOAD_41010101, ctx).status, 'ACCEPTED');
    assert.equal(validateRecord(r, UPLOAD_41010101, ctx).status, 'ACCEPTED');
    assert.equal(validateRecord(r, UPLOAD_41010101, ctxOf([r])).reason, 'E03');
  });

  it('never throws, whatever the fields hold', () => {
    const ctx = ctxOf();
    const text = fc.oneof(fc.string({ maxLength: 22 }), fc.stringMatching(/^[0-9A-F]{8,20}$/), fc.stringMatching(/^[0-9]{8,20}$/));
    const num = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, 1, -1, 2 ** 32, 65535, 65536, NaN));
    fc.assert(
      fc.property(
        fc.record({
          issuer_id: fc.oneof(text, fc.constant('41010001')),
          card_no: fc.oneof(text, fc.constant(LOCAL_CARD)),
          amount_fen: num,
          card_seq: num,
          txn_type: fc.oneof(num, fc.constantFrom(2, 6, 9)),
          terminal_id: fc.oneof(text, fc.constant('0B7CE418072E')),
          occurred_at: fc.oneof(text, fc.stringMatching(/^20[0-9]{12}$/)),
          tac: text,
          balance_before_fen: num,
          balance_after_fen: num,
          terminal_seq: fc.nat(),
        }),
        (fields) => {
          const r = { ...rec(), ...fields };
          const v = validateRecord(r, UPLOAD_41010101, ctx);
          assert.ok(['ACCEPTED', 'REJECTED', 'SUSPENDED', 'PENDING_INTEROP'].includes(v.status));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('isBlacklisted', () => {
  const at = '20251230120000';
  it('is false with no entries', () => assert.equal(isBlacklisted([], at, 24), false));
  it('counts an entry at exactly the grace', () => assert.equal(isBlacklisted([bl(1, '20251229120000')], at, 24), true));
  it('ignores an entry one second inside the grace', () => assert.equal(isBlacklisted([bl(1, '20251229120001')], at, 24), false));
  it('with zero grace, an entry at the same second counts', () => assert.equal(isBlacklisted([bl(1, at)], at, 0), true));
  it('crosses a month and a leap day in seconds', () =>
    assert.equal(isBlacklisted([bl(1, '20240229120000')], '20240301115959', 24), false));
  it('ignores an entry whose effective_at is not a real moment', () =>
    assert.equal(isBlacklisted([bl(1, '20251232000000')], at, 24), false));
  it('treats an action other than add as not an add', () =>
    assert.equal(isBlacklisted([bl(1, '20251201000000'), { ...bl(2, '20251202000000'), action: 3 }], at, 24), false));
});

describe('balanceBefore', () => {
  it('gives back the balance before of every record E04 lets through (the walk reads balances after only)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(2, 6, 9),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: -100_000, max: 10_000_000 }),
        (txn_type, amount_fen, before) => {
          const after = txn_type === 2 ? before + amount_fen : before - amount_fen;
          assert.equal(balanceBefore(txn_type, amount_fen, after), before);
        },
      ),
    );
  });
});
