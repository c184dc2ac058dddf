// Records, headers and whole files for the exchange-file tests: fixed samples (for
// goldens and examples) and fast-check arbitraries (for properties), plus the few
// byte-level tools the tests use to build broken files on purpose.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  type BlacklistEntry,
  FILE_TYPES,
  type FileType,
  type Header,
  type RecordOf,
  type SettlementInstruction,
  type StatementLine,
  type Status,
  type Transaction,
  type Verdict,
} from '../../src/core/types';

export type AnyRecord = RecordOf[FileType];

export const SAMPLE_TRANSACTION: Transaction = {
  issuer_id: '41010001',
  card_no: '41010001375117511225',
  card_type: 2,
  txn_type: 6,
  amount_fen: 1000,
  balance_before_fen: 83965,
  balance_after_fen: -35,
  card_seq: 29376,
  terminal_id: '5A48BE4DA98F',
  terminal_seq: 626125,
  acquirer_id: '41010112',
  merchant_id: '410111200000BQF',
  occurred_at: '20251230144721',
  tac: '70284138',
  batch_no: '617614',
  line_id: 'L01',
  station_id: 'S023',
};

export const SAMPLE_VERDICT: Verdict = {
  index: 4294967296 + 7,
  issuer_id: '31000001',
  card_no: '31006104787673821537',
  card_seq: 13097,
  terminal_id: '5A48BE4DA98F',
  terminal_seq: 626123,
  amount_fen: 1900,
  status: 'REJECTED',
  reason: 'N:N05',
};

export const SAMPLE_BLACKLIST_ENTRY: BlacklistEntry = {
  issuer_id: '41010001',
  card_no: '41010001000000000017',
  action: 1,
  effective_at: '20251230120000',
  reason: 'LOST 挂失',
};

export const SAMPLE_STATEMENT_LINE: StatementLine = {
  participant_id: '41010101',
  merchant_id: '410101010000001',
  category: 1,
  count: 123456,
  gross_fen: 9007199254740991,
  fee_fen: 1234,
  net_fen: -9007199254740991,
  fee_rate: '0.0055',
};

/** A category-5 line: an adjustment, with its correction id in ref (field 9). */
export const SAMPLE_ADJUSTMENT_LINE: StatementLine = {
  participant_id: '41010201',
  merchant_id: '',
  category: 5,
  count: 1,
  gross_fen: -300,
  fee_fen: 0,
  net_fen: -300,
  fee_rate: '0',
  ref: 'C12',
};

export const SAMPLE_SETTLEMENT_INSTRUCTION: SettlementInstruction = {
  instruction_id: '20251230-41010101',
  payer_id: '41010000',
  payee_id: '41010101',
  amount_fen: 1234567,
  business_date: '20251230',
};

export function sampleHeader(file_type: FileType = 'TXN_UPLOAD', over: Partial<Header> = {}): Header {
  return {
    format_version: 1,
    file_type,
    sender_id: '41010101',
    receiver_id: '41010000',
    business_date: '20251230',
    file_seq: 1,
    created_at: '20251230233228',
    ref_file: '',
    ref_reason: '',
    ...over,
  };
}

export function sampleRecord(file_type: FileType): AnyRecord {
  switch (file_type) {
    case 'TXN_UPLOAD':
    case 'INTEROP_OUT':
    case 'INTEROP_IN':
      return SAMPLE_TRANSACTION;
    case 'TXN_ACK':
    case 'INTEROP_RESULT':
    case 'INTEROP_IN_RESULT':
      return SAMPLE_VERDICT;
    case 'BLACKLIST':
      return SAMPLE_BLACKLIST_ENTRY;
    case 'CLEARING_STATEMENT':
      return SAMPLE_STATEMENT_LINE;
    case 'SETTLEMENT':
      return SAMPLE_SETTLEMENT_INSTRUCTION;
  }
}

/** `count` distinct Transactions: amounts 100, 101, ... */
export function transactions(count: number): Transaction[] {
  return Array.from({ length: count }, (_, i) => ({
    ...SAMPLE_TRANSACTION,
    amount_fen: 100 + i,
    card_seq: 1 + i,
    terminal_seq: 1000 + i,
  }));
}

// ---------------------------------------------------------------------------
// Arbitraries

const uint32 = fc.integer({ min: 0, max: 0xffffffff });
const sint32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const text = fc.string({ unit: 'binary', maxLength: 24 });
const digits = (n: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...'0123456789'), { minLength: n, maxLength: n }).map((a) => a.join(''));

/** Amounts kept small enough that a few hundred of them never sum past 2^53. */
const amount64 = fc.integer({ min: -(2 ** 44), max: 2 ** 44 });

export function transactionArb(): fc.Arbitrary<Transaction> {
  return fc.record({
    issuer_id: fc.oneof(digits(8), text),
    card_no: fc.oneof(digits(20), text),
    card_type: uint32,
    txn_type: fc.oneof(fc.constantFrom(2, 6, 9), uint32),
    amount_fen: uint32,
    balance_before_fen: sint32,
    balance_after_fen: sint32,
    card_seq: uint32,
    terminal_id: text,
    terminal_seq: uint32,
    acquirer_id: text,
    merchant_id: text,
    occurred_at: text,
    tac: text,
    batch_no: text,
    line_id: text,
    station_id: text,
  });
}

export function verdictArb(index64 = fc.maxSafeNat()): fc.Arbitrary<Verdict> {
  return fc.record({
    index: index64,
    issuer_id: text,
    card_no: text,
    card_seq: uint32,
    terminal_id: text,
    terminal_seq: uint32,
    amount_fen: uint32,
    status: fc.constantFrom<Status>('ACCEPTED', 'REJECTED', 'SUSPENDED', 'PENDING_INTEROP'),
    reason: text,
  });
}

export function blacklistEntryArb(): fc.Arbitrary<BlacklistEntry> {
  return fc.record({ issuer_id: text, card_no: text, action: uint32, effective_at: text, reason: text });
}

/** A line with or without ref (a record leaves an empty ref out: that is what an absent ref means). */
export function statementLineArb(int64 = amount64): fc.Arbitrary<StatementLine> {
  return fc.record(
    {
      participant_id: text,
      merchant_id: text,
      category: fc.constantFrom<StatementLine['category']>(1, 2, 3, 4, 5),
      count: fc.maxSafeNat(),
      gross_fen: int64,
      fee_fen: int64,
      net_fen: int64,
      fee_rate: text,
      ref: text.filter((t) => t !== ''),
    },
    { requiredKeys: ['participant_id', 'merchant_id', 'category', 'count', 'gross_fen', 'fee_fen', 'net_fen', 'fee_rate'] },
  );
}

export function settlementInstructionArb(int64 = amount64): fc.Arbitrary<SettlementInstruction> {
  return fc.record({ instruction_id: text, payer_id: text, payee_id: text, amount_fen: int64, business_date: text });
}

/** Records of the type a file of this type holds, with 64-bit values over the whole safe range. */
export function recordArbOf(file_type: FileType, full64 = false): fc.Arbitrary<AnyRecord> {
  const int64 = full64 ? fc.maxSafeInteger() : amount64;
  switch (file_type) {
    case 'TXN_UPLOAD':
    case 'INTEROP_OUT':
    case 'INTEROP_IN':
      return transactionArb();
    case 'TXN_ACK':
    case 'INTEROP_RESULT':
    case 'INTEROP_IN_RESULT':
      return verdictArb();
    case 'BLACKLIST':
      return blacklistEntryArb();
    case 'CLEARING_STATEMENT':
      return statementLineArb(int64);
    case 'SETTLEMENT':
      return settlementInstructionArb(int64);
  }
}

const business_date = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10).replace(/-/g, ''));

export function headerArb(file_type?: FileType): fc.Arbitrary<Header> {
  return fc.record({
    format_version: fc.constant(1),
    file_type: file_type === undefined ? fc.constantFrom(...FILE_TYPES) : fc.constant(file_type),
    sender_id: digits(8),
    receiver_id: digits(8),
    business_date,
    file_seq: fc.integer({ min: 1, max: 9999 }),
    created_at: digits(14),
    ref_file: fc.oneof(fc.constant(''), text),
    ref_reason: fc.oneof(fc.constant(''), fc.constantFrom('F01', 'F02', 'F03', 'F04', 'F05')),
  });
}

export interface FileCase {
  header: Header;
  records: AnyRecord[];
}

/** A whole valid file: a header of any type and 0..maxRecords records of its type. */
export function fileArb(maxRecords = 8): fc.Arbitrary<FileCase> {
  return fc
    .constantFrom(...FILE_TYPES)
    .chain((t) => fc.record({ header: headerArb(t), records: fc.array(recordArbOf(t), { maxLength: maxRecords }) }));
}

// ---------------------------------------------------------------------------
// Bytes

/** One frame: the varint length of `body`, then `body`. */
export function frame(body: Uint8Array): Buffer {
  const prefix: number[] = [];
  let n = body.length;
  while (n >= 0x80) {
    prefix.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  prefix.push(n);
  return Buffer.concat([Buffer.from(prefix), body]);
}

let temp_root: string | null = null;

/** A fresh directory under one temporary root per test process (removed at exit). */
export function tempDir(): string {
  if (temp_root === null) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-files-test-'));
    temp_root = root;
    process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
  }
  return fs.mkdtempSync(path.join(temp_root, 'd-'));
}

/** Writes `bytes` under `name` in a fresh temporary directory and returns the path. */
export function fileWith(name: string, bytes: Uint8Array): string {
  const p = path.join(tempDir(), name);
  fs.writeFileSync(p, bytes);
  return p;
}
