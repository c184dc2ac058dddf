// The messages of the exchange files (exchange-files.md), converted to and from the
// plain records of src/core/types.ts. Each message is a table of its fields; one
// table-driven encoder and decoder serve them all, and Transaction, the record of
// the big files, has its own decoder written out for speed (it must agree with the
// table-driven one exactly: test/files/codec.test.ts checks both against protobufjs).
//
// proto/lct.proto is the contract. The tables below restate it, and
// assertCodecsMatchProto() loads the .proto with protobufjs and refuses to run if
// the two disagree on any field's number, name or type.
//
// Decoding is strict where protobufjs is lax: a field whose wire type is not its
// type's is an error ("Transaction.issuer_id: wire type 0, expected
// length-delimited"), strings must be UTF-8, enums must name a known value, and
// 64-bit integers must be safe JS integers. Unknown field numbers are skipped, as
// proto3 requires. Encoding is canonical: fields in number order, defaults left out,
// so the same record always gives the same bytes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Root } from 'protobufjs';
import {
  type BlacklistEntry,
  FILE_TYPES,
  FILE_TYPE_NUMBER,
  type FileType,
  type Header,
  type ImportFields,
  type RecordOf,
  STATUS_NUMBER,
  type SettlementInstruction,
  type StatementLine,
  type Status,
  type Trailer,
  type Transaction,
  type Verdict,
} from '../core/types';
import { DecodeError, WIRE_LEN, WIRE_VARINT, WireReader, WireWriter, wireTypeName } from './wire';

export type FieldKind = 'string' | 'bytes' | 'uint32' | 'sint32' | 'uint64' | 'int64' | 'FileType' | 'Status';

export interface FieldSpec {
  readonly no: number;
  readonly name: string;
  readonly kind: FieldKind;
  /**
   * A string field that a record may leave out, meaning its default (''); decoding
   * leaves it out when it is empty. For a field added after records of its message
   * were in use (StatementLine.ref), so that those records keep their shape.
   */
  readonly optional?: true;
}

export interface MessageCodec<T> {
  /** The message's name in proto/lct.proto. */
  readonly name: string;
  readonly fields: readonly FieldSpec[];
  /** Writes the message's fields (no length prefix). Throws on a value the field cannot hold: a bug. */
  encode(value: T, w: WireWriter): void;
  /** Reads a whole message from r.pos to r.end. Throws DecodeError. */
  decode(r: WireReader): T;
}

export type AnyRecord = RecordOf[FileType];

const UINT32_MAX = 0xffffffff;
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

const FILE_TYPE_OF_NUMBER: (FileType | undefined)[] = [];
for (const t of FILE_TYPES) FILE_TYPE_OF_NUMBER[FILE_TYPE_NUMBER[t]] = t;
const STATUS_OF_NUMBER: (Status | undefined)[] = [];
for (const s of Object.keys(STATUS_NUMBER) as Status[]) STATUS_OF_NUMBER[STATUS_NUMBER[s]] = s;

function wireTypeOf(kind: FieldKind): number {
  return kind === 'string' || kind === 'bytes' ? WIRE_LEN : WIRE_VARINT;
}

// ---------------------------------------------------------------------------
// Table-driven encoding and decoding

type Fields = Record<string, unknown>;

function defineMessage<T>(name: string, fields: FieldSpec[], make: () => T): MessageCodec<T> {
  for (let i = 1; i < fields.length; i++) {
    if (fields[i].no <= fields[i - 1].no) throw new Error(`codec ${name}: fields out of number order`);
  }
  for (const f of fields) if (f.optional && f.kind !== 'string') throw new Error(`codec ${name}.${f.name}: only a string may be optional`);
  const by_no: (FieldSpec | undefined)[] = [];
  for (const f of fields) by_no[f.no] = f;
  const enum_fields = fields.filter((f) => f.kind === 'FileType' || f.kind === 'Status');
  return {
    name,
    fields,
    encode(value: T, w: WireWriter): void {
      encodeFields(name, fields, value as unknown as Fields, w);
    },
    decode(r: WireReader): T {
      const obj = make() as unknown as Fields;
      decodeFields(name, by_no, enum_fields, obj, r);
      return obj as unknown as T;
    },
  };
}

function encodeFields(message: string, fields: readonly FieldSpec[], value: Fields, w: WireWriter): void {
  for (const f of fields) {
    const v = value[f.name];
    if (v === undefined && f.optional) continue;
    switch (f.kind) {
      case 'string':
        if (typeof v !== 'string') throw fieldError(message, f, v, 'a string');
        if (v !== '') w.string(f.no, v);
        break;
      case 'bytes':
        if (!(v instanceof Uint8Array)) throw fieldError(message, f, v, 'a Uint8Array');
        if (v.length !== 0) w.bytes(f.no, v);
        break;
      case 'uint32':
        if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > UINT32_MAX) {
          throw fieldError(message, f, v, 'an integer in 0..2^32-1');
        }
        if (v !== 0) {
          w.tag(f.no, WIRE_VARINT);
          w.varint32(v as number);
        }
        break;
      case 'sint32':
        if (!Number.isInteger(v) || (v as number) < INT32_MIN || (v as number) > INT32_MAX) {
          throw fieldError(message, f, v, 'an integer in -2^31..2^31-1');
        }
        if (v !== 0) {
          w.tag(f.no, WIRE_VARINT);
          w.sint32(v as number);
        }
        break;
      case 'uint64':
        if (!Number.isSafeInteger(v) || (v as number) < 0) throw fieldError(message, f, v, 'a safe integer >= 0');
        if (v !== 0) {
          w.tag(f.no, WIRE_VARINT);
          w.varint64(v as number);
        }
        break;
      case 'int64':
        if (!Number.isSafeInteger(v)) throw fieldError(message, f, v, 'a safe integer');
        if (v !== 0) {
          w.tag(f.no, WIRE_VARINT);
          w.varint64(v as number);
        }
        break;
      case 'FileType': {
        const n = FILE_TYPE_NUMBER[v as FileType];
        if (n === undefined || !Object.hasOwn(FILE_TYPE_NUMBER, v as string)) {
          throw fieldError(message, f, v, 'a FileType');
        }
        w.tag(f.no, WIRE_VARINT);
        w.varint32(n);
        break;
      }
      case 'Status': {
        const n = STATUS_NUMBER[v as Status];
        if (n === undefined || !Object.hasOwn(STATUS_NUMBER, v as string)) {
          throw fieldError(message, f, v, 'a Status');
        }
        w.tag(f.no, WIRE_VARINT);
        w.varint32(n);
        break;
      }
    }
  }
}

function fieldError(message: string, f: FieldSpec, v: unknown, expected: string): TypeError {
  const shown = typeof v === 'bigint' ? `${v}n` : typeof v === 'string' ? JSON.stringify(v) : String(v);
  return new TypeError(`${message}.${f.name} must be ${expected}, not ${shown}`);
}

function decodeFields(
  message: string,
  by_no: readonly (FieldSpec | undefined)[],
  enum_fields: readonly FieldSpec[],
  obj: Fields,
  r: WireReader,
): void {
  let f: FieldSpec | undefined;
  try {
    while (r.pos < r.end) {
      f = undefined;
      const tag = r.varint32();
      const no = tag >>> 3;
      const wire_type = tag & 7;
      if (no === 0) throw new DecodeError('field number 0');
      f = by_no[no];
      if (f === undefined) {
        r.skip(wire_type);
        continue;
      }
      const expected = wireTypeOf(f.kind);
      if (wire_type !== expected) {
        throw new DecodeError(`wire type ${wire_type}, expected ${wireTypeName(expected)}`);
      }
      switch (f.kind) {
        case 'string': {
          const s = r.string();
          if (f.optional && s === '') delete obj[f.name];
          else obj[f.name] = s;
          break;
        }
        case 'bytes':
          obj[f.name] = r.bytes();
          break;
        case 'uint32':
          obj[f.name] = r.varint32();
          break;
        case 'sint32':
          obj[f.name] = r.sint32();
          break;
        case 'uint64':
          obj[f.name] = r.varint64(false);
          break;
        case 'int64':
          obj[f.name] = r.varint64(true);
          break;
        case 'FileType':
          obj[f.name] = fileTypeOfNumber(r.varint32() | 0);
          break;
        case 'Status':
          obj[f.name] = statusOfNumber(r.varint32() | 0);
          break;
      }
    }
    f = undefined;
    // proto3 leaves an enum at 0 when it is absent; 0 is UNSPECIFIED, which no
    // record of ours may carry.
    for (const g of enum_fields) {
      if (obj[g.name] === undefined) {
        f = g;
        throw new DecodeError(g.kind === 'FileType' ? '0 is not a file type' : '0 is not a status');
      }
    }
  } catch (err) {
    if (err instanceof DecodeError) {
      throw new DecodeError(f === undefined ? `${message}: ${err.message}` : `${message}.${f.name}: ${err.message}`);
    }
    throw err;
  }
}

function fileTypeOfNumber(n: number): FileType {
  const t = n >= 0 ? FILE_TYPE_OF_NUMBER[n] : undefined;
  if (t === undefined) throw new DecodeError(`${n} is not a file type`);
  return t;
}

function statusOfNumber(n: number): Status {
  const s = n >= 0 ? STATUS_OF_NUMBER[n] : undefined;
  if (s === undefined) throw new DecodeError(`${n} is not a status`);
  return s;
}

// ---------------------------------------------------------------------------
// The messages

export const HEADER: MessageCodec<Header> = defineMessage<Header>(
  'Header',
  [
    { no: 1, name: 'format_version', kind: 'uint32' },
    { no: 2, name: 'file_type', kind: 'FileType' },
    { no: 3, name: 'sender_id', kind: 'string' },
    { no: 4, name: 'receiver_id', kind: 'string' },
    { no: 5, name: 'business_date', kind: 'string' },
    { no: 6, name: 'file_seq', kind: 'uint32' },
    { no: 7, name: 'created_at', kind: 'string' },
    { no: 8, name: 'ref_file', kind: 'string' },
    { no: 9, name: 'ref_reason', kind: 'string' },
  ],
  () => ({
    format_version: 0,
    file_type: undefined as unknown as FileType,
    sender_id: '',
    receiver_id: '',
    business_date: '',
    file_seq: 0,
    created_at: '',
    ref_file: '',
    ref_reason: '',
  }),
);

export const TRAILER: MessageCodec<Trailer> = defineMessage<Trailer>(
  'Trailer',
  [
    { no: 1, name: 'record_count', kind: 'uint64' },
    { no: 2, name: 'total_amount_fen', kind: 'int64' },
    { no: 3, name: 'sha256', kind: 'bytes' },
  ],
  () => ({ record_count: 0, total_amount_fen: 0, sha256: new Uint8Array(0) }),
);

const TRANSACTION_FIELDS: FieldSpec[] = [
  { no: 1, name: 'issuer_id', kind: 'string' },
  { no: 2, name: 'card_no', kind: 'string' },
  { no: 3, name: 'card_type', kind: 'uint32' },
  { no: 4, name: 'txn_type', kind: 'uint32' },
  { no: 5, name: 'amount_fen', kind: 'uint32' },
  { no: 6, name: 'balance_before_fen', kind: 'sint32' },
  { no: 7, name: 'balance_after_fen', kind: 'sint32' },
  { no: 8, name: 'card_seq', kind: 'uint32' },
  { no: 9, name: 'terminal_id', kind: 'string' },
  { no: 10, name: 'terminal_seq', kind: 'uint32' },
  { no: 11, name: 'acquirer_id', kind: 'string' },
  { no: 12, name: 'merchant_id', kind: 'string' },
  { no: 13, name: 'occurred_at', kind: 'string' },
  { no: 14, name: 'tac', kind: 'string' },
  { no: 15, name: 'batch_no', kind: 'string' },
  { no: 16, name: 'line_id', kind: 'string' },
  { no: 17, name: 'station_id', kind: 'string' },
];

export function emptyTransaction(): Transaction {
  return {
    issuer_id: '',
    card_no: '',
    card_type: 0,
    txn_type: 0,
    amount_fen: 0,
    balance_before_fen: 0,
    balance_after_fen: 0,
    card_seq: 0,
    terminal_id: '',
    terminal_seq: 0,
    acquirer_id: '',
    merchant_id: '',
    occurred_at: '',
    tac: '',
    batch_no: '',
    line_id: '',
    station_id: '',
  };
}

/** The table-driven Transaction codec: the reference the fast decoder is tested against. */
export const TRANSACTION_BY_TABLE: MessageCodec<Transaction> = defineMessage<Transaction>(
  'Transaction',
  TRANSACTION_FIELDS,
  emptyTransaction,
);

/**
 * Transaction's decoder written out: the same result and the same errors as
 * TRANSACTION_BY_TABLE.decode, about twice as fast. Field numbers and types are
 * those of TRANSACTION_FIELDS.
 */
function decodeTransaction(r: WireReader): Transaction {
  const t = emptyTransaction();
  let field = 0;
  try {
    while (r.pos < r.end) {
      field = 0;
      const tag = r.varint32();
      const no = tag >>> 3;
      const wire_type = tag & 7;
      if (no === 0) throw new DecodeError('field number 0');
      if (no > 17) {
        r.skip(wire_type);
        continue;
      }
      field = no;
      // Fields 1, 2, 9, 11..17 are strings; 3..8 and 10 varints.
      const want = no <= 2 || no === 9 || no >= 11 ? WIRE_LEN : WIRE_VARINT;
      if (wire_type !== want) throw new DecodeError(`wire type ${wire_type}, expected ${wireTypeName(want)}`);
      switch (no) {
        case 1:
        case 2:
        case 8:
        case 9:
        case 10:
          identityField(t, no, r);
          break;
        case 3:
          t.card_type = r.varint32();
          break;
        case 4:
          t.txn_type = r.varint32();
          break;
        case 5:
          t.amount_fen = r.varint32();
          break;
        case 6:
          t.balance_before_fen = r.sint32();
          break;
        case 7:
          t.balance_after_fen = r.sint32();
          break;
        case 11:
          t.acquirer_id = r.repeatedString();
          break;
        case 12:
          t.merchant_id = r.repeatedString();
          break;
        case 13:
          t.occurred_at = r.string();
          break;
        case 14:
          t.tac = r.string();
          break;
        case 15:
          t.batch_no = r.repeatedString();
          break;
        case 16:
          t.line_id = r.repeatedString();
          break;
        case 17:
          t.station_id = r.repeatedString();
          break;
      }
    }
  } catch (err) {
    throw transactionError(err, field);
  }
  return t;
}

/** A decoder's error, named by the Transaction field it met it in (0: before any). */
function transactionError(err: unknown, field: number): unknown {
  if (!(err instanceof DecodeError)) return err;
  return new DecodeError(field === 0 ? `Transaction: ${err.message}` : `Transaction.${TRANSACTION_FIELDS[field - 1].name}: ${err.message}`);
}

/**
 * A Transaction's ImportFields, the other fields skipped undecoded. Field numbers and
 * wire types are checked as decodeTransaction checks them, with the same errors; what
 * the skipped fields hold is not (a string's bytes, a varint's range): the import
 * reads this way only a file the worker also decodes whole, and reads it again whole
 * when the worker could not. Written apart from decodeTransaction, for an object of
 * its own 11 fields: one loop for both, skipping by a test, read the part in 0.83 of
 * the whole's time, where this takes 0.72-0.78 (3 files, 230,000 records).
 */
export function decodeImportFields(r: WireReader): ImportFields {
  const t: ImportFields = {
    issuer_id: '',
    card_no: '',
    txn_type: 0,
    amount_fen: 0,
    balance_before_fen: 0,
    balance_after_fen: 0,
    card_seq: 0,
    terminal_id: '',
    terminal_seq: 0,
    acquirer_id: '',
    merchant_id: '',
  };
  let field = 0;
  try {
    while (r.pos < r.end) {
      field = 0;
      const tag = r.varint32();
      const no = tag >>> 3;
      const wire_type = tag & 7;
      if (no === 0) throw new DecodeError('field number 0');
      if (no > 17) {
        r.skip(wire_type);
        continue;
      }
      field = no;
      const want = no <= 2 || no === 9 || no >= 11 ? WIRE_LEN : WIRE_VARINT;
      if (wire_type !== want) throw new DecodeError(`wire type ${wire_type}, expected ${wireTypeName(want)}`);
      switch (no) {
        case 1:
          t.issuer_id = r.repeatedString();
          break;
        case 2:
          t.card_no = r.string();
          break;
        case 4:
          t.txn_type = r.varint32();
          break;
        case 5:
          t.amount_fen = r.varint32();
          break;
        case 6:
          t.balance_before_fen = r.sint32();
          break;
        case 7:
          t.balance_after_fen = r.sint32();
          break;
        case 8:
          t.card_seq = r.varint32();
          break;
        case 9:
          t.terminal_id = r.repeatedString();
          break;
        case 10:
          t.terminal_seq = r.varint32();
          break;
        case 11:
          t.acquirer_id = r.repeatedString();
          break;
        case 12:
          t.merchant_id = r.repeatedString();
          break;
        default:
          r.skip(wire_type); // 3 card_type, 13 occurred_at, 14 tac, 15-17 batch_no line_id station_id
      }
    }
  } catch (err) {
    throw transactionError(err, field);
  }
  return t;
}

/**
 * What a Verdict echoes of a Transaction only (issuer_id, card_no, card_seq,
 * terminal_id, terminal_seq, amount_fen), the other fields skipped undecoded and
 * left empty. For bytes already decoded whole once (a file's kept bytes): a TXN_ACK's
 * records, read back, decode three strings of ten.
 */
export function decodeTransactionIdentity(r: WireReader): Transaction {
  const t = emptyTransaction();
  while (r.pos < r.end) {
    const tag = r.varint32();
    const no = tag >>> 3;
    const wire_type = tag & 7;
    if (no === 0) throw new DecodeError('Transaction: field number 0');
    if (no !== 1 && no !== 2 && no !== 5 && no !== 8 && no !== 9 && no !== 10) {
      r.skip(wire_type);
      continue;
    }
    const want = no === 5 || no === 8 || no === 10 ? WIRE_VARINT : WIRE_LEN;
    if (wire_type !== want) throw new DecodeError(`Transaction.${TRANSACTION_FIELDS[no - 1].name}: wire type ${wire_type}`);
    if (no === 5) t.amount_fen = r.varint32();
    else identityField(t, no, r);
  }
  return t;
}

/** Reads identity field `no` (1, 2, 8, 9 or 10, its wire type checked) into t. */
function identityField(t: Transaction, no: number, r: WireReader): void {
  if (no === 1) t.issuer_id = r.repeatedString();
  else if (no === 2) t.card_no = r.string();
  else if (no === 8) t.card_seq = r.varint32();
  else if (no === 9) t.terminal_id = r.repeatedString();
  else t.terminal_seq = r.varint32();
}

/**
 * Transaction's encoder written out: the same bytes and the same errors as
 * TRANSACTION_BY_TABLE.encode.
 */
function encodeTransaction(t: Transaction, w: WireWriter): void {
  if (!isTransactionShaped(t)) {
    TRANSACTION_BY_TABLE.encode(t, w); // throws, naming the field
    throw new Error('unreachable: the table-driven encoder accepted what the check refused');
  }
  if (t.issuer_id !== '') w.string(1, t.issuer_id);
  if (t.card_no !== '') w.string(2, t.card_no);
  if (t.card_type !== 0) uint32Field(w, 3, t.card_type);
  if (t.txn_type !== 0) uint32Field(w, 4, t.txn_type);
  if (t.amount_fen !== 0) uint32Field(w, 5, t.amount_fen);
  if (t.balance_before_fen !== 0) {
    w.tag(6, WIRE_VARINT);
    w.sint32(t.balance_before_fen);
  }
  if (t.balance_after_fen !== 0) {
    w.tag(7, WIRE_VARINT);
    w.sint32(t.balance_after_fen);
  }
  if (t.card_seq !== 0) uint32Field(w, 8, t.card_seq);
  if (t.terminal_id !== '') w.string(9, t.terminal_id);
  if (t.terminal_seq !== 0) uint32Field(w, 10, t.terminal_seq);
  if (t.acquirer_id !== '') w.string(11, t.acquirer_id);
  if (t.merchant_id !== '') w.string(12, t.merchant_id);
  if (t.occurred_at !== '') w.string(13, t.occurred_at);
  if (t.tac !== '') w.string(14, t.tac);
  if (t.batch_no !== '') w.string(15, t.batch_no);
  if (t.line_id !== '') w.string(16, t.line_id);
  if (t.station_id !== '') w.string(17, t.station_id);
}

function uint32Field(w: WireWriter, no: number, value: number): void {
  w.tag(no, WIRE_VARINT);
  w.varint32(value);
}

function isUint32(v: unknown): boolean {
  return typeof v === 'number' && v >= 0 && v <= UINT32_MAX && Math.floor(v) === v;
}

function isSint32(v: unknown): boolean {
  return typeof v === 'number' && v >= INT32_MIN && v <= INT32_MAX && Math.floor(v) === v;
}

function isTransactionShaped(t: Transaction): boolean {
  return (
    typeof t.issuer_id === 'string' &&
    typeof t.card_no === 'string' &&
    isUint32(t.card_type) &&
    isUint32(t.txn_type) &&
    isUint32(t.amount_fen) &&
    isSint32(t.balance_before_fen) &&
    isSint32(t.balance_after_fen) &&
    isUint32(t.card_seq) &&
    typeof t.terminal_id === 'string' &&
    isUint32(t.terminal_seq) &&
    typeof t.acquirer_id === 'string' &&
    typeof t.merchant_id === 'string' &&
    typeof t.occurred_at === 'string' &&
    typeof t.tac === 'string' &&
    typeof t.batch_no === 'string' &&
    typeof t.line_id === 'string' &&
    typeof t.station_id === 'string'
  );
}

export const TRANSACTION: MessageCodec<Transaction> = {
  name: 'Transaction',
  fields: TRANSACTION_FIELDS,
  encode: encodeTransaction,
  decode: decodeTransaction,
};

/** The table-driven Verdict codec: the reference the written-out encoder is tested against. */
export const VERDICT_BY_TABLE: MessageCodec<Verdict> = defineMessage<Verdict>(
  'Verdict',
  [
    { no: 1, name: 'index', kind: 'uint64' },
    { no: 2, name: 'issuer_id', kind: 'string' },
    { no: 3, name: 'card_no', kind: 'string' },
    { no: 4, name: 'card_seq', kind: 'uint32' },
    { no: 5, name: 'terminal_id', kind: 'string' },
    { no: 6, name: 'terminal_seq', kind: 'uint32' },
    { no: 7, name: 'amount_fen', kind: 'uint32' },
    { no: 8, name: 'status', kind: 'Status' },
    { no: 9, name: 'reason', kind: 'string' },
  ],
  () => ({
    index: 0,
    issuer_id: '',
    card_no: '',
    card_seq: 0,
    terminal_id: '',
    terminal_seq: 0,
    amount_fen: 0,
    status: undefined as unknown as Status,
    reason: '',
  }),
);

/**
 * Verdict's encoder written out: the same bytes and the same errors as the
 * table-driven one (a TXN_ACK has a verdict for every record of its upload).
 */
function encodeVerdict(v: Verdict, w: WireWriter): void {
  const status = typeof v.status === 'string' && Object.hasOwn(STATUS_NUMBER, v.status) ? STATUS_NUMBER[v.status] : undefined;
  if (
    status === undefined ||
    !(Number.isSafeInteger(v.index) && v.index >= 0) ||
    typeof v.issuer_id !== 'string' ||
    typeof v.card_no !== 'string' ||
    !isUint32(v.card_seq) ||
    typeof v.terminal_id !== 'string' ||
    !isUint32(v.terminal_seq) ||
    !isUint32(v.amount_fen) ||
    typeof v.reason !== 'string'
  ) {
    VERDICT_BY_TABLE.encode(v, w); // throws, naming the field
    throw new Error('unreachable: the table-driven encoder accepted what the check refused');
  }
  if (v.index !== 0) {
    w.tag(1, WIRE_VARINT);
    w.varint64(v.index);
  }
  if (v.issuer_id !== '') w.string(2, v.issuer_id);
  if (v.card_no !== '') w.string(3, v.card_no);
  if (v.card_seq !== 0) uint32Field(w, 4, v.card_seq);
  if (v.terminal_id !== '') w.string(5, v.terminal_id);
  if (v.terminal_seq !== 0) uint32Field(w, 6, v.terminal_seq);
  if (v.amount_fen !== 0) uint32Field(w, 7, v.amount_fen);
  uint32Field(w, 8, status);
  if (v.reason !== '') w.string(9, v.reason);
}

export const VERDICT: MessageCodec<Verdict> = { ...VERDICT_BY_TABLE, encode: encodeVerdict };

export const BLACKLIST_ENTRY: MessageCodec<BlacklistEntry> = defineMessage<BlacklistEntry>(
  'BlacklistEntry',
  [
    { no: 1, name: 'issuer_id', kind: 'string' },
    { no: 2, name: 'card_no', kind: 'string' },
    { no: 3, name: 'action', kind: 'uint32' },
    { no: 4, name: 'effective_at', kind: 'string' },
    { no: 5, name: 'reason', kind: 'string' },
  ],
  () => ({ issuer_id: '', card_no: '', action: 0, effective_at: '', reason: '' }),
);

export const STATEMENT_LINE: MessageCodec<StatementLine> = defineMessage<StatementLine>(
  'StatementLine',
  [
    { no: 1, name: 'participant_id', kind: 'string' },
    { no: 2, name: 'merchant_id', kind: 'string' },
    { no: 3, name: 'category', kind: 'uint32' },
    { no: 4, name: 'count', kind: 'uint64' },
    { no: 5, name: 'gross_fen', kind: 'int64' },
    { no: 6, name: 'fee_fen', kind: 'int64' },
    { no: 7, name: 'net_fen', kind: 'int64' },
    { no: 8, name: 'fee_rate', kind: 'string' },
    { no: 9, name: 'ref', kind: 'string', optional: true },
  ],
  // category is 1..5 in a well-formed line; what a file says is kept as given and
  // judged by whoever reads the statement. ref is left out unless it is set.
  () => ({
    participant_id: '',
    merchant_id: '',
    category: 0 as StatementLine['category'],
    count: 0,
    gross_fen: 0,
    fee_fen: 0,
    net_fen: 0,
    fee_rate: '',
  }),
);

export const SETTLEMENT_INSTRUCTION: MessageCodec<SettlementInstruction> = defineMessage<SettlementInstruction>(
  'SettlementInstruction',
  [
    { no: 1, name: 'instruction_id', kind: 'string' },
    { no: 2, name: 'payer_id', kind: 'string' },
    { no: 3, name: 'payee_id', kind: 'string' },
    { no: 4, name: 'amount_fen', kind: 'int64' },
    { no: 5, name: 'business_date', kind: 'string' },
  ],
  () => ({ instruction_id: '', payer_id: '', payee_id: '', amount_fen: 0, business_date: '' }),
);

/** The record codec of each file type (exchange-files.md, "File types"). */
export const RECORD_CODEC: { readonly [K in FileType]: MessageCodec<RecordOf[K]> } = {
  TXN_UPLOAD: TRANSACTION,
  TXN_ACK: VERDICT,
  INTEROP_OUT: TRANSACTION,
  INTEROP_RESULT: VERDICT,
  INTEROP_IN: TRANSACTION,
  INTEROP_IN_RESULT: VERDICT,
  BLACKLIST: BLACKLIST_ENTRY,
  CLEARING_STATEMENT: STATEMENT_LINE,
  SETTLEMENT: SETTLEMENT_INSTRUCTION,
};

/** Every message codec, by proto name. */
export const MESSAGE_CODECS: readonly MessageCodec<unknown>[] = [
  HEADER,
  TRAILER,
  TRANSACTION_BY_TABLE,
  VERDICT,
  BLACKLIST_ENTRY,
  STATEMENT_LINE,
  SETTLEMENT_INSTRUCTION,
] as readonly MessageCodec<unknown>[];

// ---------------------------------------------------------------------------
// Totals (exchange-files.md, "Totals")

/**
 * What one record adds to Trailer.total_amount_fen in a file of this type: the
 * amount of every transaction, of the ACCEPTED verdicts, 0 for blacklist entries,
 * the signed net of statement lines, the amount of settlement instructions.
 */
export function totalContributionOf(file_type: FileType): (record: AnyRecord) => number {
  switch (file_type) {
    case 'TXN_UPLOAD':
    case 'INTEROP_OUT':
    case 'INTEROP_IN':
      return (record) => (record as Transaction).amount_fen;
    case 'TXN_ACK':
    case 'INTEROP_RESULT':
    case 'INTEROP_IN_RESULT':
      return (record) => ((record as Verdict).status === 'ACCEPTED' ? (record as Verdict).amount_fen : 0);
    case 'BLACKLIST':
      return () => 0;
    case 'CLEARING_STATEMENT':
      return (record) => (record as StatementLine).net_fen;
    case 'SETTLEMENT':
      return (record) => (record as SettlementInstruction).amount_fen;
  }
}

/**
 * A running sum of safe integers that stays exact past 2^53: it adds in a double
 * while the sum is a safe integer (then the addition was exact) and moves to a
 * bigint the moment it is not.
 */
export class ExactSum {
  private small = 0;
  private big = 0n;

  add(n: number): void {
    const sum = this.small + n;
    if (Number.isSafeInteger(sum)) {
      this.small = sum;
      return;
    }
    this.big += BigInt(this.small) + BigInt(n);
    this.small = 0;
  }

  value(): bigint {
    return this.big + BigInt(this.small);
  }
}

// ---------------------------------------------------------------------------
// Whole messages

/** One message's bytes (no length prefix). */
export function encodeMessage<T>(codec: MessageCodec<T>, value: T): Buffer {
  const w = new WireWriter(256);
  codec.encode(value, w);
  return Buffer.from(w.view());
}

/** Decodes one whole message. Throws DecodeError when the bytes are not one. */
export function decodeMessage<T>(codec: MessageCodec<T>, bytes: Uint8Array): T {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return codec.decode(new WireReader(buf, 0, buf.length));
}

// ---------------------------------------------------------------------------
// The contract: proto/lct.proto

/** proto/lct.proto: the nearest one up from this module (dist/src/files/ or src/files/). */
export const PROTO_PATH = findProto(__dirname);

function findProto(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'proto', 'lct.proto');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`proto/lct.proto not found above ${from}`);
  }
}

export function loadProtoRoot(): Root {
  // Loaded on first use: commands that never touch a file need not pay for the
  // parser. (protobuf.loadSync(path, x) takes x for a Root, not for options:
  // the options go to Root#loadSync.)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const protobuf = require('protobufjs') as typeof import('protobufjs');
  return new protobuf.Root().loadSync(PROTO_PATH, { keepCase: true });
}

/** Every way the tables above disagree with proto/lct.proto (empty when they agree). */
export function codecDisagreements(root: Root): string[] {
  const out: string[] = [];
  for (const codec of MESSAGE_CODECS) {
    const type = root.lookupType(`lct.${codec.name}`);
    const proto_fields = type.fieldsArray;
    if (proto_fields.length !== codec.fields.length) {
      out.push(`${codec.name}: ${proto_fields.length} fields in the .proto, ${codec.fields.length} in the codec`);
    }
    for (const f of codec.fields) {
      const pf = type.fieldsById[f.no];
      if (pf === undefined) {
        out.push(`${codec.name}.${f.name}: no field ${f.no} in the .proto`);
        continue;
      }
      if (pf.name !== f.name) out.push(`${codec.name} field ${f.no}: .proto names it ${pf.name}, codec ${f.name}`);
      if (pf.type !== f.kind) out.push(`${codec.name}.${f.name}: .proto type ${pf.type}, codec ${f.kind}`);
      if (pf.repeated || pf.map || pf.partOf) out.push(`${codec.name}.${f.name}: repeated, map or oneof in the .proto`);
    }
  }
  const file_type = root.lookupEnum('lct.FileType');
  for (const t of FILE_TYPES) {
    if (file_type.values[t] !== FILE_TYPE_NUMBER[t])
      out.push(`FileType.${t}: .proto ${file_type.values[t]}, types.ts ${FILE_TYPE_NUMBER[t]}`);
  }
  if (Object.keys(file_type.values).length !== FILE_TYPES.length + 1) out.push('FileType: other values in the .proto');
  const status = root.lookupEnum('lct.Status');
  for (const s of Object.keys(STATUS_NUMBER) as Status[]) {
    if (status.values[s] !== STATUS_NUMBER[s]) out.push(`Status.${s}: .proto ${status.values[s]}, types.ts ${STATUS_NUMBER[s]}`);
  }
  if (Object.keys(status.values).length !== Object.keys(STATUS_NUMBER).length + 1) out.push('Status: other values in the .proto');
  return out;
}

let proto_checked = false;

/**
 * Checks once per process that the codecs are the .proto's messages. A
 * disagreement is a bug in this program, not in any file: it throws.
 */
export function assertCodecsMatchProto(): void {
  if (proto_checked) return;
  const disagreements = codecDisagreements(loadProtoRoot());
  if (disagreements.length > 0) {
    throw new Error(`the codecs disagree with ${PROTO_PATH}: ${disagreements.join('; ')}`);
  }
  proto_checked = true;
}
