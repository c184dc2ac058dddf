// The wire format, message by message: golden bytes, round trips, agreement with
// protobufjs (an independent implementation of the same .proto), the strictness
// the reader relies on (wire types, UTF-8, enums, 64-bit range), and the fast
// Transaction decoder against the table-driven one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Type } from 'protobufjs';
import Long from 'long';
import {
  BLACKLIST_ENTRY,
  HEADER,
  type MessageCodec,
  SETTLEMENT_INSTRUCTION,
  STATEMENT_LINE,
  TRAILER,
  TRANSACTION,
  TRANSACTION_BY_TABLE,
  VERDICT,
  VERDICT_BY_TABLE,
  codecDisagreements,
  decodeImportFields,
  decodeTransactionIdentity,
  decodeMessage,
  encodeMessage,
  loadProtoRoot,
} from '../../src/files/codec';
import { IMPORT_FIELDS, type ImportFields, type Transaction, type Verdict } from '../../src/core/types';
import { DecodeError, WireReader, WireWriter } from '../../src/files/wire';
import {
  SAMPLE_ADJUSTMENT_LINE,
  SAMPLE_BLACKLIST_ENTRY,
  SAMPLE_SETTLEMENT_INSTRUCTION,
  SAMPLE_STATEMENT_LINE,
  SAMPLE_TRANSACTION,
  SAMPLE_VERDICT,
  blacklistEntryArb,
  headerArb,
  sampleHeader,
  settlementInstructionArb,
  statementLineArb,
  transactionArb,
  verdictArb,
} from './arbitraries';

const root = loadProtoRoot();
const protoType = (name: string): Type => root.lookupType(`lct.${name}`);

const SAMPLE_HEADER = sampleHeader('TXN_ACK', { ref_file: 'TXN_UPLOAD_41010101_41010000_20251230_0001.pb', ref_reason: 'F02' });
const SAMPLE_TRAILER = { record_count: 3, total_amount_fen: -5, sha256: new Uint8Array(32).fill(0xab) };

/** Every field set to a value other than its default, so every field is on the wire. */
const GOLDEN: { codec: MessageCodec<unknown>; value: unknown; hex: string }[] = [
  {
    codec: TRANSACTION as MessageCodec<unknown>,
    value: SAMPLE_TRANSACTION,
    hex:
      '0a083431303130303031121434313031303030313337353131373531313232351802200628e80730fa9f0a384540c0e5014a0c3541343842453444' +
      '4139384650cd9b265a083431303130313132620f3431303131313230303030304251466a0e3230323531323330313434373231720837303238343133' +
      '387a063631373631348201034c30318a010453303233',
  },
  {
    codec: VERDICT as MessageCodec<unknown>,
    value: SAMPLE_VERDICT,
    hex:
      '088780808010120833313030303030311a14333130303631303437383736373338323135333720a9662a0c35413438424534444139384630cb9b26' +
      '38ec0e40024a054e3a4e3035',
  },
  {
    codec: BLACKLIST_ENTRY as MessageCodec<unknown>,
    value: SAMPLE_BLACKLIST_ENTRY,
    hex: '0a083431303130303031121434313031303030313030303030303030303031371801220e32303235313233303132303030302a0b4c4f535420e68c82e5a4b1',
  },
  {
    codec: STATEMENT_LINE as MessageCodec<unknown>,
    value: SAMPLE_STATEMENT_LINE,
    hex: '0a083431303130313031120f343130313031303130303030303031180120c0c40728ffffffffffffff0f30d2093881808080808080f0ff014206302e30303535',
  },
  {
    codec: SETTLEMENT_INSTRUCTION as MessageCodec<unknown>,
    value: SAMPLE_SETTLEMENT_INSTRUCTION,
    hex: '0a1132303235313233302d3431303130313031120834313031303030301a0834313031303130312087ad4b2a083230323531323330',
  },
  {
    codec: HEADER as MessageCodec<unknown>,
    value: SAMPLE_HEADER,
    hex:
      '080110021a083431303130313031220834313031303030302a08323032353132333030013a0e3230323531323330323333323238422d54584e5f55' +
      '504c4f41445f34313031303130315f34313031303030305f32303235313233305f303030312e70624a03463032',
  },
  {
    codec: TRAILER as MessageCodec<unknown>,
    value: SAMPLE_TRAILER,
    hex: '080310fbffffffffffffffff011a20abababababababababababababababababababababababababababababababab',
  },
];

test('the codecs restate proto/lct.proto exactly', () => {
  assert.deepEqual(codecDisagreements(root), []);
});

test('golden bytes: every message type encodes to its frozen bytes and decodes back', () => {
  for (const g of GOLDEN) {
    const bytes = encodeMessage(g.codec, g.value);
    assert.equal(bytes.toString('hex'), g.hex, `${g.codec.name} encodes to its golden bytes`);
    assert.deepEqual(decodeMessage(g.codec, Buffer.from(g.hex, 'hex')), g.value, `${g.codec.name} decodes its golden bytes`);
    // protobufjs, from the .proto, writes the same bytes.
    const T = protoType(g.codec.name);
    assert.equal(Buffer.from(T.encode(T.fromObject(g.value as object)).finish()).toString('hex'), g.hex);
  }
});

test('golden bytes: an adjustment line carries its correction id in ref, field 9', () => {
  // merchant_id and fee_fen are defaults here, so they are off the wire.
  const hex = '0a0834313031303230311805200128d4fdffffffffffffff0138d4fdffffffffffffff014201304a03433132';
  assert.equal(encodeMessage(STATEMENT_LINE, SAMPLE_ADJUSTMENT_LINE).toString('hex'), hex);
  assert.deepEqual(decodeMessage(STATEMENT_LINE, Buffer.from(hex, 'hex')), SAMPLE_ADJUSTMENT_LINE);
  const T = protoType('StatementLine');
  assert.equal(Buffer.from(T.encode(T.fromObject(withoutDefaults(SAMPLE_ADJUSTMENT_LINE))).finish()).toString('hex'), hex);
  assert.equal((T.decode(Buffer.from(hex, 'hex')) as unknown as { ref: string }).ref, 'C12');
});

test('an absent field reads as its proto3 default, materialized on the record', () => {
  const t = decodeMessage(TRANSACTION, new Uint8Array(0));
  assert.deepEqual(Object.keys(t), Object.keys(SAMPLE_TRANSACTION));
  assert.equal(t.issuer_id, '');
  assert.equal(t.amount_fen, 0);
  assert.ok(Object.hasOwn(t, 'station_id'));
  // ...and defaults are left off the wire: an all-default record is zero bytes.
  assert.equal(encodeMessage(TRANSACTION, t).length, 0);
  const s = decodeMessage(STATEMENT_LINE, new Uint8Array(0));
  assert.equal(s.net_fen, 0);
  assert.equal(typeof s.net_fen, 'number');
  // ref, added after statements were in use, is the one field left off when empty: a
  // line of categories 1 to 4 reads as it always did.
  assert.ok(!Object.hasOwn(s, 'ref'));
  assert.equal(encodeMessage(STATEMENT_LINE, { ...s, ref: '' }).length, 0);
  const explicit = protoType('StatementLine').encode({ ref: '' }).finish();
  assert.ok(explicit.length > 0, 'protobufjs writes an explicit empty ref');
  assert.ok(!Object.hasOwn(decodeMessage(STATEMENT_LINE, explicit), 'ref'));
});

interface ArbCase {
  codec: MessageCodec<unknown>;
  arb: fc.Arbitrary<unknown>;
}

const FULL_RANGE_CASES: ArbCase[] = [
  { codec: TRANSACTION as MessageCodec<unknown>, arb: transactionArb() },
  { codec: VERDICT as MessageCodec<unknown>, arb: verdictArb() },
  { codec: BLACKLIST_ENTRY as MessageCodec<unknown>, arb: blacklistEntryArb() },
  { codec: STATEMENT_LINE as MessageCodec<unknown>, arb: statementLineArb(fc.maxSafeInteger()) },
  { codec: SETTLEMENT_INSTRUCTION as MessageCodec<unknown>, arb: settlementInstructionArb(fc.maxSafeInteger()) },
  { codec: HEADER as MessageCodec<unknown>, arb: headerArb() },
  {
    codec: TRAILER as MessageCodec<unknown>,
    arb: fc.record({ record_count: fc.maxSafeNat(), total_amount_fen: fc.maxSafeInteger(), sha256: fc.uint8Array({ maxLength: 40 }) }),
  },
];

/** A record with its proto3 defaults removed: what protobufjs must be given to write canonical bytes. */
function withoutDefaults(value: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === 0 || v === '' || (v instanceof Uint8Array && v.length === 0)) continue;
    out[k] = v;
  }
  return out;
}

/**
 * protobufjs's decoding of bytes as a plain object in our shape (int64 as number,
 * enums as names, an optional field of the codec left out when empty).
 */
function protobufjsDecode(codec: MessageCodec<unknown>, bytes: Uint8Array): Record<string, unknown> {
  const T = protoType(codec.name);
  const obj = T.toObject(T.decode(bytes), { longs: Number, enums: String, defaults: true }) as Record<string, unknown>;
  for (const [k, v] of Object.entries(obj)) if (v instanceof Uint8Array) obj[k] = new Uint8Array(v);
  for (const f of codec.fields) if (f.optional && obj[f.name] === '') delete obj[f.name];
  return obj;
}

function normalize(value: unknown): unknown {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as object)) out[k] = v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v;
  return out;
}

test('property: every message round-trips, 64-bit values over the whole safe range included', () => {
  for (const c of FULL_RANGE_CASES) {
    fc.assert(
      fc.property(c.arb, (value) => {
        const bytes = encodeMessage(c.codec, value);
        assert.deepEqual(normalize(decodeMessage(c.codec, bytes)), normalize(value));
      }),
      { numRuns: 300 },
    );
  }
});

test('property: our bytes are protobufjs bytes, and each reads the other', () => {
  for (const c of FULL_RANGE_CASES) {
    const T = protoType(c.codec.name);
    fc.assert(
      fc.property(c.arb, (value) => {
        const ours = encodeMessage(c.codec, value);
        const theirs = Buffer.from(T.encode(T.fromObject(withoutDefaults(value as object))).finish());
        assert.equal(ours.toString('hex'), theirs.toString('hex'), `${c.codec.name}: the same canonical bytes`);
        // protobufjs reads ours...
        assert.deepEqual(normalize(protobufjsDecode(c.codec, ours)), normalize(value));
        // ...and we read protobufjs's non-canonical form too (defaults written out explicitly).
        const explicit = Buffer.from(T.encode(T.fromObject(value as object)).finish());
        assert.deepEqual(normalize(decodeMessage(c.codec, explicit)), normalize(value));
      }),
      { numRuns: 200 },
    );
  }
});

test('int64 and uint64 extremes round-trip exactly; beyond the safe range is refused, never rounded', () => {
  for (const n of [0, 1, -1, 2 ** 31, -(2 ** 31), 2 ** 32, -(2 ** 32), 2 ** 52, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
    const line = { ...SAMPLE_STATEMENT_LINE, gross_fen: n, fee_fen: n === 0 ? 0 : -n, net_fen: n, count: Math.abs(n) };
    const bytes = encodeMessage(STATEMENT_LINE, line);
    assert.deepEqual(decodeMessage(STATEMENT_LINE, bytes), line, `${n}`);
    // protobufjs agrees on the exact 64-bit value.
    const raw = protoType('StatementLine').decode(bytes) as unknown as { gross_fen: Long; count: Long };
    assert.equal(Long.fromValue(raw.gross_fen).toString(), BigInt(n).toString());
    assert.equal(Long.fromValue(raw.count).toString(), String(Math.abs(n)));
  }
  const T = protoType('Trailer');
  for (const [value, shown] of [
    [Long.MAX_VALUE, '9223372036854775807'],
    [Long.MIN_VALUE, '-9223372036854775808'],
    [Long.fromString('9007199254740992'), '9007199254740992'],
    [Long.fromString('-9007199254740992'), '-9007199254740992'],
  ] as const) {
    const bytes = T.encode(T.fromObject({ total_amount_fen: value })).finish();
    assert.throws(
      () => decodeMessage(TRAILER, bytes),
      (err: unknown) => err instanceof DecodeError && err.message === `Trailer.total_amount_fen: ${shown} is beyond the safe integer range`,
    );
  }
  const big = T.encode(T.fromObject({ record_count: Long.MAX_UNSIGNED_VALUE })).finish();
  assert.throws(() => decodeMessage(TRAILER, big), /Trailer.record_count: 18446744073709551615 is beyond the safe integer range/);
});

test('values a field cannot hold are refused on writing (a bigint is not silently written as 0)', () => {
  const bad: [MessageCodec<unknown>, object, RegExp][] = [
    [
      STATEMENT_LINE as MessageCodec<unknown>,
      { ...SAMPLE_STATEMENT_LINE, net_fen: 5n },
      /StatementLine.net_fen must be a safe integer, not 5n/,
    ],
    [STATEMENT_LINE as MessageCodec<unknown>, { ...SAMPLE_STATEMENT_LINE, net_fen: 2 ** 53 }, /net_fen must be a safe integer/],
    [
      TRANSACTION as MessageCodec<unknown>,
      { ...SAMPLE_TRANSACTION, amount_fen: -1 },
      /Transaction.amount_fen must be an integer in 0..2\^32-1/,
    ],
    [TRANSACTION as MessageCodec<unknown>, { ...SAMPLE_TRANSACTION, amount_fen: 1.5 }, /amount_fen/],
    [TRANSACTION as MessageCodec<unknown>, { ...SAMPLE_TRANSACTION, balance_after_fen: 2 ** 31 }, /balance_after_fen/],
    [TRANSACTION as MessageCodec<unknown>, { ...SAMPLE_TRANSACTION, card_no: 41010001 }, /Transaction.card_no must be a string/],
    [TRANSACTION as MessageCodec<unknown>, { ...SAMPLE_TRANSACTION, tac: 'A\ud800' }, /well-formed/],
    [VERDICT as MessageCodec<unknown>, { ...SAMPLE_VERDICT, status: 'OK' }, /Verdict.status must be a Status/],
    [VERDICT as MessageCodec<unknown>, { ...SAMPLE_VERDICT, status: 'toString' }, /Verdict.status must be a Status/],
    [HEADER as MessageCodec<unknown>, { ...SAMPLE_HEADER, file_type: 'BANK' }, /Header.file_type must be a FileType/],
    [TRAILER as MessageCodec<unknown>, { ...SAMPLE_TRAILER, sha256: 'ab' }, /Trailer.sha256 must be a Uint8Array/],
  ];
  for (const [codec, value, message] of bad) assert.throws(() => encodeMessage(codec, value), message);
});

test('decoding is strict: wire types, UTF-8, enums, truncation, field 0, groups', () => {
  const cases: [MessageCodec<unknown>, string, string][] = [
    // issuer_id (field 1, a string) sent as a varint: the example's F01.
    [TRANSACTION as MessageCodec<unknown>, '0803', 'Transaction.issuer_id: wire type 0, expected length-delimited'],
    [TRANSACTION as MessageCodec<unknown>, '2a0131', 'Transaction.amount_fen: wire type 2, expected varint'],
    [TRANSACTION as MessageCodec<unknown>, `29${'00'.repeat(8)}`, 'Transaction.amount_fen: wire type 1, expected varint'],
    [TRANSACTION as MessageCodec<unknown>, '0a02c328', 'Transaction.issuer_id: not valid UTF-8'],
    [TRANSACTION as MessageCodec<unknown>, '0a0541', 'Transaction.issuer_id: length 5 runs past the end of the message'],
    [TRANSACTION as MessageCodec<unknown>, '2880', 'Transaction.amount_fen: varint runs past the end of the message'],
    [TRANSACTION as MessageCodec<unknown>, `28${'ff'.repeat(10)}01`, 'Transaction.amount_fen: varint longer than 10 bytes'],
    // A 10th byte with more than bit 63 set would decode like 01: refused, not dropped.
    [TRANSACTION as MessageCodec<unknown>, `28${'ff'.repeat(9)}03`, "Transaction.amount_fen: varint's 10th byte is more than bit 63"],
    [HEADER as MessageCodec<unknown>, `080110${'ff'.repeat(9)}03`, "Header.file_type: varint's 10th byte is more than bit 63"],
    [TRANSACTION as MessageCodec<unknown>, '0001', 'Transaction: field number 0'],
    [TRANSACTION as MessageCodec<unknown>, 'a301', 'Transaction: wire type 3 is not allowed'],
    [TRANSACTION as MessageCodec<unknown>, 'a70101', 'Transaction: wire type 7 is not allowed'],
    [VERDICT as MessageCodec<unknown>, '0801', 'Verdict.status: 0 is not a status'],
    [VERDICT as MessageCodec<unknown>, '4007', 'Verdict.status: 7 is not a status'],
    [HEADER as MessageCodec<unknown>, '0801', 'Header.file_type: 0 is not a file type'],
    [HEADER as MessageCodec<unknown>, '08011000', 'Header.file_type: 0 is not a file type'],
    [HEADER as MessageCodec<unknown>, '0801100c', 'Header.file_type: 12 is not a file type'],
    [HEADER as MessageCodec<unknown>, '080110ffffffffffffffffff01', 'Header.file_type: -1 is not a file type'],
    [TRAILER as MessageCodec<unknown>, '0a00', 'Trailer.record_count: wire type 2, expected varint'],
  ];
  for (const [codec, hex, message] of cases) {
    assert.throws(
      () => decodeMessage(codec, Buffer.from(hex, 'hex')),
      (err: unknown) => err instanceof DecodeError && err.message === message,
      `${codec.name} ${hex}: ${message}`,
    );
  }
  // Unknown fields of every wire type are skipped (proto3), whatever their number.
  const t = decodeMessage(TRANSACTION, Buffer.from(`9001059901${'00'.repeat(8)}9a010201ff9d01${'00'.repeat(4)}280a`, 'hex'));
  assert.equal(t.amount_fen, 10);
  // The last of a repeated scalar field wins.
  assert.equal(decodeMessage(TRANSACTION, Buffer.from('28012802', 'hex')).amount_fen, 2);
  // uint32 fields take a varint's low 32 bits, as every protobuf runtime does.
  assert.equal(decodeMessage(TRANSACTION, Buffer.from('28ffffffffff01', 'hex')).amount_fen, 0xffffffff);
});

test('property: the fast Transaction decoder agrees with the table-driven one on any bytes', () => {
  const outcome = (bytes: Uint8Array, codec: MessageCodec<unknown>): unknown => {
    try {
      return { value: decodeMessage(codec, bytes) };
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      return { error: err.message };
    }
  };
  const mutated = fc
    .tuple(transactionArb(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.nat())
    .map(([t, flips, cut]) => {
      const bytes = Buffer.from(encodeMessage(TRANSACTION, t));
      for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
      return bytes.subarray(0, bytes.length === 0 ? 0 : bytes.length - (cut % 3));
    });
  fc.assert(
    fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 64 })), (bytes) => {
      assert.deepEqual(outcome(bytes, TRANSACTION as MessageCodec<unknown>), outcome(bytes, TRANSACTION_BY_TABLE as MessageCodec<unknown>));
    }),
    { numRuns: 3000 },
  );
});

/** A Transaction's bytes, as encoded or with a byte or two changed (which the whole decoder may refuse). */
function transactionBytesArb(): fc.Arbitrary<Buffer> {
  const mutated = fc
    .tuple(transactionArb(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 2 }))
    .map(([t, flips]) => {
      const bytes = Buffer.from(encodeMessage(TRANSACTION, t));
      for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
      return bytes;
    });
  return fc.oneof(
    transactionArb().map((t) => Buffer.from(encodeMessage(TRANSACTION, t))),
    mutated,
  );
}

test("property: a Transaction's identity decodes as the whole record's, on any bytes the whole decoder reads", () => {
  // The identity decoder reads kept bytes a whole decode has read before: on any bytes
  // the whole decoder accepts, the five fields a Verdict echoes are the same.
  let compared = 0;
  fc.assert(
    fc.property(transactionBytesArb(), (bytes) => {
      let whole: Transaction;
      try {
        whole = decodeMessage(TRANSACTION, bytes);
      } catch (err) {
        if (err instanceof DecodeError) return;
        throw err;
      }
      const identity = decodeTransactionIdentity(new WireReader(bytes, 0, bytes.length));
      const pick = (t: Transaction) => [t.issuer_id, t.card_no, t.card_seq, t.terminal_id, t.terminal_seq, t.amount_fen];
      assert.deepEqual(pick(identity), pick(whole));
      assert.equal(identity.tac, '', 'the other fields stay empty');
      compared++;
    }),
    { numRuns: 2000 },
  );
  assert.ok(compared > 1000, `only ${compared} of the inputs decoded`);
});

test("property: a Transaction's ImportFields decode as the whole record's wherever the whole decoder reads it, and fail only as a decoder fails", () => {
  let compared = 0;
  fc.assert(
    fc.property(transactionBytesArb(), (bytes) => {
      const lean = (): ImportFields => decodeImportFields(new WireReader(bytes, 0, bytes.length));
      let whole: Transaction;
      try {
        whole = decodeMessage(TRANSACTION, bytes);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        // The part may read past a fault in a field it skips (the worker's whole reading
        // catches that, and the import reads the file again whole); where it fails, it
        // fails as a decoder does, with a DecodeError naming the field.
        try {
          lean();
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
          assert.match(e.message, /^Transaction(\.\w+)?: /);
        }
        return;
      }
      const part = lean();
      assert.deepEqual(Object.keys(part).sort(), [...IMPORT_FIELDS].sort());
      for (const f of IMPORT_FIELDS) assert.equal(part[f], whole[f], f);
      compared++;
    }),
    { numRuns: 2000 },
  );
  assert.ok(compared > 1000, `only ${compared} of the inputs decoded`);
});

test('the fast Transaction encoder writes exactly what the table-driven one writes', () => {
  fc.assert(
    fc.property(transactionArb(), (t) => {
      const a = new WireWriter(8);
      const b = new WireWriter(8);
      TRANSACTION.encode(t, a);
      TRANSACTION_BY_TABLE.encode(t, b);
      assert.equal(a.view().toString('hex'), b.view().toString('hex'));
    }),
    { numRuns: 500 },
  );
});

test('WireReader reads varints of every length the writer writes', () => {
  fc.assert(
    fc.property(
      fc.maxSafeInteger(),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: -0x80000000, max: 0x7fffffff }),
      (i64, u32, s32) => {
        const w = new WireWriter(4);
        w.varint64(i64);
        w.varint32(u32);
        w.sint32(s32);
        const r = new WireReader(Buffer.from(w.view()));
        assert.equal(r.varint64(true), i64);
        assert.equal(r.varint32(), u32);
        assert.equal(r.sint32(), s32);
        assert.equal(r.pos, r.end);
      },
    ),
    { numRuns: 1000 },
  );
});

test('a repeated string reads as string() reads it, however the values seen before fill the slots', () => {
  // 10,000 distinct values for 4,096 slots: some must share a slot, and each is read
  // several times, interleaved, so that hits, misses and evictions all happen.
  const values = Array.from({ length: 10_000 }, (_, i) => (i % 7 === 0 ? `T${i.toString(16).toUpperCase()}` : `${i}`.padStart(8, '0')));
  values.push('', 'x'.repeat(33), 'é', '终端', 'A'.repeat(32), '\uFEFF', '\uFEFFA');
  const w = new WireWriter();
  const order = [...values, ...values.slice().reverse(), ...values.filter((_, i) => i % 3 === 0)];
  for (const v of order) w.string(1, v);
  const bytes = Buffer.from(w.view());
  const plain = new WireReader(bytes);
  const repeated = new WireReader(bytes);
  for (const v of order) {
    plain.varint32();
    repeated.varint32();
    assert.equal(repeated.repeatedString(), v);
    assert.equal(plain.string(), v);
  }
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...values.slice(0, 50), 'AB', 'BA', '\u0080'), { maxLength: 60 }), (seq) => {
      const out = new WireWriter();
      for (const v of seq) out.string(1, v);
      const r = new WireReader(Buffer.from(out.view()));
      for (const v of seq) {
        r.varint32();
        assert.equal(r.repeatedString(), v);
      }
    }),
  );
  // Bytes that are not UTF-8 are refused as string() refuses them.
  const bad = Buffer.from([0x0a, 2, 0xc3, 0x28]);
  const r = new WireReader(bad);
  r.varint32();
  assert.throws(() => r.repeatedString(), DecodeError);
});

test('property: a string field reads back as written, at every width (8, 14 and 20 are made apart from the others)', () => {
  const ascii = fc.string({ unit: fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)), minLength: 0, maxLength: 30 });
  const wide = fc.oneof(
    ascii,
    fc
      .constantFrom(8, 14, 20)
      .chain((n) => fc.string({ unit: fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)), minLength: n, maxLength: n })),
    fc.string({ maxLength: 30 }),
  );
  fc.assert(
    fc.property(fc.array(wide, { minLength: 1, maxLength: 8 }), (values) => {
      const w = new WireWriter();
      for (const v of values) w.string(1, v);
      const bytes = Buffer.from(w.view());
      const plain = new WireReader(bytes);
      const repeated = new WireReader(bytes);
      for (const v of values) {
        plain.varint32();
        repeated.varint32();
        assert.equal(plain.string(), v);
        assert.equal(repeated.repeatedString(), v);
      }
    }),
    { numRuns: 3000 },
  );
});

test('the fast Verdict encoder writes exactly what the table-driven one writes, and refuses what it refuses', () => {
  fc.assert(
    fc.property(verdictArb(), (v) => {
      const a = new WireWriter(8);
      const b = new WireWriter(8);
      VERDICT.encode(v, a);
      VERDICT_BY_TABLE.encode(v, b);
      assert.equal(a.view().toString('hex'), b.view().toString('hex'));
    }),
    { numRuns: 1000 },
  );
  const good = { ...SAMPLE_VERDICT };
  const bad: Record<string, unknown>[] = [
    { status: 'NOPE' },
    { status: 'toString' },
    { index: -1 },
    { index: 2 ** 53 },
    { card_seq: 2 ** 32 },
    { amount_fen: 1.5 },
    { terminal_seq: -1 },
    { reason: 7 },
    { issuer_id: null },
  ];
  for (const change of bad) {
    const v = { ...good, ...change } as unknown as Verdict;
    const message = (f: () => void): string => {
      try {
        f();
        return 'no error';
      } catch (err) {
        return (err as Error).message;
      }
    };
    const fast = message(() => VERDICT.encode(v, new WireWriter(8)));
    assert.notEqual(fast, 'no error', JSON.stringify(change));
    assert.equal(
      fast,
      message(() => VERDICT_BY_TABLE.encode(v, new WireWriter(8))),
      JSON.stringify(change),
    );
  }
});
