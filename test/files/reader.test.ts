// Reading whole files: a table of examples for every way a file is refused (F01 each
// cause, F02 each of count/total/digest, F05 pattern and disagreement), the
// precedence of refusalOf, and properties: round trip byte for byte, any
// truncation refused, any flipped byte refused, the same result whatever the read
// buffer's size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import fc from 'fast-check';
import type { FileRefusal, Header, Trailer, Transaction } from '../../src/core/types';
import { BLACKLIST_ENTRY, HEADER, TRAILER, TRANSACTION, VERDICT, encodeMessage } from '../../src/files/codec';
import { exchangeFileName } from '../../src/files/names';
import {
  EMPTY_SHA256_HEX,
  type FileScan,
  type ScanOptions,
  refusalOf,
  scanExchangeFile,
  structuralFaults,
  withRecordsDigest,
} from '../../src/files/reader';
import { encodeExchangeFile } from '../../src/files/writer';
import {
  type AnyRecord,
  SAMPLE_BLACKLIST_ENTRY,
  SAMPLE_VERDICT,
  fileArb,
  fileWith,
  frame,
  sampleHeader,
  transactions,
} from './arbitraries';

const HEADER_1 = sampleHeader('TXN_UPLOAD');
const NAME = exchangeFileName(HEADER_1);
const RECORDS = transactions(3);

interface Scanned {
  scan: FileScan;
  records: AnyRecord[];
  refusal: FileRefusal | null;
}

function scanBytes(bytes: Uint8Array, name = NAME, opts: ScanOptions = {}): Scanned {
  const records: AnyRecord[] = [];
  const scan = scanExchangeFile(
    fileWith(name, bytes),
    (r, i) => {
      assert.equal(i, records.length, 'onRecord gets 0-based indexes in order');
      records.push(r);
    },
    opts,
  );
  return { scan, records, refusal: refusalOf(scan) };
}

const headerFrame = (h: Header = HEADER_1): Buffer => frame(encodeMessage(HEADER, h));
const txnFrame = (t: Transaction): Buffer => frame(encodeMessage(TRANSACTION, t));
const trailerFrame = (t: Trailer): Buffer => frame(encodeMessage(TRAILER, t));
const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(crypto.createHash('sha256').update(b).digest());

/** The trailer the records deserve. */
function trailerOf(records: Transaction[]): Trailer {
  const frames = Buffer.concat(records.map(txnFrame));
  return { record_count: records.length, total_amount_fen: records.reduce((s, r) => s + r.amount_fen, 0), sha256: sha256(frames) };
}

function fileOf(...parts: Uint8Array[]): Buffer {
  return Buffer.concat(parts);
}

const GOOD = fileOf(headerFrame(), ...RECORDS.map(txnFrame), trailerFrame(trailerOf(RECORDS)));

test('a good file: header, records, trailer, no refusal', () => {
  assert.deepEqual(GOOD, encodeExchangeFile(HEADER_1, RECORDS), 'the writer builds the same bytes by hand');
  const { scan, records, refusal } = scanBytes(GOOD);
  assert.equal(refusal, null);
  assert.deepEqual(structuralFaults(scan), []);
  assert.deepEqual(scan.header, HEADER_1);
  assert.deepEqual(records, RECORDS);
  assert.equal(scan.records, 3);
  assert.equal(scan.frames, 5);
  assert.equal(scan.total_amount_fen, 100 + 101 + 102);
  assert.equal(scan.sha256_hex, Buffer.from(trailerOf(RECORDS).sha256).toString('hex'));
  assert.equal(scan.file_sha256_hex, crypto.createHash('sha256').update(GOOD).digest('hex'));
  assert.equal(scan.bytes, GOOD.length);
  assert.equal(scan.name, NAME);
});

test("a reading without the records' digest gives the same records and file digest, and checks the rest of the Trailer", () => {
  const whole = scanBytes(GOOD);
  const second = scanBytes(GOOD, NAME, { records_digest: false });
  assert.equal(second.scan.sha256_hex, '');
  assert.equal(second.refusal, null, 'a good file is not refused for the digest it did not compute');
  assert.deepEqual(second.records, whole.records);
  assert.equal(second.scan.file_sha256_hex, whole.scan.file_sha256_hex);
  // A Trailer whose count is wrong is still caught; one whose digest alone is wrong is not this reading's to catch.
  const badCount = fileOf(headerFrame(), ...RECORDS.map(txnFrame), trailerFrame({ ...trailerOf(RECORDS), record_count: 2 }));
  assert.equal(scanBytes(badCount, NAME, { records_digest: false }).refusal?.code, 'F02');
  const badDigest = fileOf(
    headerFrame(),
    ...RECORDS.map(txnFrame),
    trailerFrame({ ...trailerOf(RECORDS), sha256: sha256(new Uint8Array(1)) }),
  );
  assert.equal(scanBytes(badDigest).refusal?.code, 'F02');
  assert.equal(scanBytes(badDigest, NAME, { records_digest: false }).refusal, null);
});

test('a file with no records: Header then Trailer, digest of nothing', () => {
  const bytes = fileOf(headerFrame(), trailerFrame({ record_count: 0, total_amount_fen: 0, sha256: sha256(new Uint8Array(0)) }));
  const { scan, refusal } = scanBytes(bytes);
  assert.equal(refusal, null);
  assert.equal(scan.records, 0);
  assert.equal(scan.sha256_hex, EMPTY_SHA256_HEX);
  assert.deepEqual(bytes, encodeExchangeFile(HEADER_1, []));
});

interface RefusalCase {
  what: string;
  bytes: Buffer;
  name?: string;
  opts?: ScanOptions;
  code: FileRefusal['code'];
  frame?: number;
  detail: string | RegExp;
}

const H = headerFrame();
const R = RECORDS.map(txnFrame);
const T = trailerFrame(trailerOf(RECORDS));
const offsetOfFrame3 = H.length + R[0].length;

const F01_CASES: RefusalCase[] = [
  { what: 'an empty file: no Header', bytes: Buffer.alloc(0), code: 'F01', frame: 1, detail: 'no Header: the file is empty' },
  { what: 'a Header alone: no Trailer', bytes: H, code: 'F01', frame: 1, detail: 'no Trailer: the Header is the only frame' },
  {
    what: 'a truncated frame',
    bytes: fileOf(H, R[0], R[1].subarray(0, 40)),
    code: 'F01',
    frame: 3,
    detail: `framing broken: frame at byte ${offsetOfFrame3} (length ${R[1].length - 2}) is truncated`,
  },
  {
    what: 'a length prefix cut off',
    bytes: fileOf(H, R[0], Buffer.from([0x85])),
    code: 'F01',
    frame: 3,
    detail: `framing broken: the length prefix at byte ${offsetOfFrame3} is cut off by the end of the file`,
  },
  {
    what: 'a length prefix over 10 bytes',
    bytes: fileOf(H, R[0], Buffer.alloc(11, 0x80), Buffer.from([0])),
    code: 'F01',
    frame: 3,
    detail: /the length prefix at byte \d+ is longer than 10 bytes/,
  },
  {
    what: 'a frame longer than the limit',
    bytes: GOOD,
    opts: { max_frame_bytes: 64 },
    code: 'F01',
    frame: 2,
    detail: /frame at byte 53 \(length \d+\) is longer than 64 bytes/,
  },
  {
    what: 'a Header that does not decode',
    bytes: fileOf(frame(Buffer.from('0a00', 'hex')), R[0], T),
    code: 'F01',
    frame: 1,
    detail: 'frame 1 does not decode as Header: Header.format_version: wire type 2, expected varint',
  },
  {
    what: 'format_version 2',
    bytes: fileOf(headerFrame({ ...HEADER_1, format_version: 2 }), ...R, T),
    code: 'F01',
    frame: 1,
    detail: 'format_version 2 is not 1',
  },
  {
    what: 'no format_version',
    bytes: fileOf(headerFrame({ ...HEADER_1, format_version: 0 }), ...R, T),
    code: 'F01',
    frame: 1,
    detail: 'format_version 0 is not 1',
  },
  {
    what: 'an unknown file_type',
    bytes: fileOf(frame(Buffer.concat([encodeMessage(HEADER, HEADER_1), Buffer.from('100c', 'hex')])), ...R, T),
    code: 'F01',
    frame: 1,
    detail: 'frame 1 does not decode as Header: Header.file_type: 12 is not a file type',
  },
  {
    what: 'a record of another type (a BlacklistEntry in a TXN_UPLOAD)',
    bytes: fileOf(H, R[0], frame(encodeMessage(BLACKLIST_ENTRY, SAMPLE_BLACKLIST_ENTRY)), T),
    code: 'F01',
    frame: 3,
    detail: 'record frame 2 does not decode as Transaction: Transaction.txn_type: wire type 2, expected varint',
  },
  {
    what: 'a record of another type (a Verdict in a TXN_UPLOAD)',
    bytes: fileOf(H, frame(encodeMessage(VERDICT, SAMPLE_VERDICT)), T),
    code: 'F01',
    frame: 2,
    detail: 'record frame 1 does not decode as Transaction: Transaction.issuer_id: wire type 0, expected length-delimited',
  },
  {
    what: 'a record that is not UTF-8',
    bytes: fileOf(H, frame(Buffer.from('0a02c328', 'hex')), T),
    code: 'F01',
    frame: 2,
    detail: 'record frame 1 does not decode as Transaction: Transaction.issuer_id: not valid UTF-8',
  },
  {
    what: 'a record after the Trailer',
    bytes: fileOf(H, R[0], R[1], trailerFrame(trailerOf(RECORDS.slice(0, 2))), R[2]),
    code: 'F01',
    frame: 4,
    detail: 'record frame 3 does not decode as Transaction: Transaction.issuer_id: wire type 0, expected length-delimited',
  },
  {
    what: 'a second Trailer',
    bytes: fileOf(H, ...R, T, T),
    code: 'F01',
    frame: 5,
    detail: /^record frame 4 does not decode as Transaction/,
  },
  {
    what: 'a stray byte after the Trailer (the Trailer, not being last, is read as a record)',
    bytes: fileOf(H, ...R, T, Buffer.from([0x05])),
    code: 'F01',
    frame: 5,
    detail: /^record frame 4 does not decode as Transaction/,
  },
  {
    what: 'a stray byte after the Trailer of an empty file',
    bytes: fileOf(H, trailerFrame({ record_count: 0, total_amount_fen: 0, sha256: sha256(new Uint8Array(0)) }), Buffer.from([0x05])),
    code: 'F01',
    frame: 2,
    detail: /^record frame 1 does not decode as Transaction: Transaction.card_type: wire type 2, expected varint/,
  },
  {
    what: 'no Trailer (the file ends after a record)',
    bytes: fileOf(H, ...R),
    code: 'F01',
    frame: 4,
    detail: /^the last frame \(4, at byte \d+\) does not decode as Trailer: Trailer.record_count: wire type 2, expected varint/,
  },
  {
    what: 'a Trailer whose total is beyond 2^53',
    bytes: fileOf(H, ...R, frame(Buffer.from('10ffffffffffffffff7f', 'hex'))),
    code: 'F01',
    frame: 5,
    detail: /Trailer.total_amount_fen: 9223372036854775807 is beyond the safe integer range/,
  },
];

const F02_CASES: RefusalCase[] = [
  {
    what: 'record_count',
    bytes: fileOf(H, ...R, trailerFrame({ ...trailerOf(RECORDS), record_count: 4 })),
    code: 'F02',
    frame: 5,
    detail: 'record_count 4, records 3',
  },
  {
    what: 'total_amount_fen',
    bytes: fileOf(H, ...R, trailerFrame({ ...trailerOf(RECORDS), total_amount_fen: 302 })),
    code: 'F02',
    frame: 5,
    detail: 'total_amount_fen 302, records sum to 303',
  },
  {
    what: 'sha256',
    bytes: fileOf(H, ...R, trailerFrame({ ...trailerOf(RECORDS), sha256: new Uint8Array(32) })),
    code: 'F02',
    frame: 5,
    detail: `sha256 ${'00'.repeat(32)}, records hash to ${Buffer.from(trailerOf(RECORDS).sha256).toString('hex')}`,
  },
  {
    what: 'sha256 of the wrong length',
    bytes: fileOf(H, ...R, trailerFrame({ ...trailerOf(RECORDS), sha256: new Uint8Array(2) })),
    code: 'F02',
    frame: 5,
    detail: /^sha256 of 2 bytes \(0000\), records hash to/,
  },
  {
    what: 'a digest without the length prefixes',
    bytes: fileOf(
      H,
      ...R,
      trailerFrame({ ...trailerOf(RECORDS), sha256: sha256(Buffer.concat(RECORDS.map((r) => encodeMessage(TRANSACTION, r)))) }),
    ),
    code: 'F02',
    frame: 5,
    detail: /^sha256 /,
  },
  {
    what: 'all three',
    bytes: fileOf(H, ...R, trailerFrame({ record_count: 1, total_amount_fen: 1, sha256: new Uint8Array(32) })),
    code: 'F02',
    frame: 5,
    detail: /^record_count 1, records 3; total_amount_fen 1, records sum to 303; sha256 0{64}, records hash to [0-9a-f]{64}$/,
  },
];

const F05_CASES: RefusalCase[] = [
  {
    what: 'a name that does not follow the pattern',
    bytes: GOOD,
    name: 'TXN_UPLOAD_41010101_41010000_20251230_001.pb',
    code: 'F05',
    detail: /^name does not follow the pattern .*: file_seq "001" is not 4 digits 0001..9999$/,
  },
  {
    what: 'a name that is not an exchange file name at all',
    bytes: GOOD,
    name: 'upload.pb',
    code: 'F05',
    detail: /^name does not follow the pattern/,
  },
  {
    what: 'a name that disagrees on file_seq',
    bytes: GOOD,
    name: 'TXN_UPLOAD_41010101_41010000_20251230_0055.pb',
    code: 'F05',
    frame: 1,
    detail: 'name disagrees with the header: file_seq 0055 in the name, 1 in the header',
  },
  {
    what: 'a name that disagrees on the sender and date',
    bytes: GOOD,
    name: 'TXN_UPLOAD_41010102_41010000_20251231_0001.pb',
    code: 'F05',
    frame: 1,
    detail: /^name disagrees with the header: sender_id 41010102 in the name, "41010101" in the header; business_date/,
  },
  {
    what: 'a name that disagrees on the file type',
    bytes: GOOD,
    name: 'INTEROP_IN_41010101_41010000_20251230_0001.pb',
    code: 'F05',
    frame: 1,
    detail: 'name disagrees with the header: file_type INTEROP_IN in the name, TXN_UPLOAD in the header',
  },
];

for (const [family, cases] of [
  ['F01', F01_CASES],
  ['F02', F02_CASES],
  ['F05', F05_CASES],
] as const) {
  test(`${family}: a table of examples`, () => {
    for (const c of cases) {
      const { scan, refusal } = scanBytes(c.bytes, c.name ?? NAME, c.opts);
      assert.ok(refusal !== null, `${c.what}: refused`);
      assert.equal(refusal.code, c.code, `${c.what}: ${JSON.stringify(refusal)}`);
      assert.equal(refusal.frame, c.frame, `${c.what}: frame (${refusal.detail})`);
      if (typeof c.detail === 'string') assert.equal(refusal.detail, c.detail, c.what);
      else assert.match(refusal.detail, c.detail, c.what);
      // Whatever the cause, the scan still reports what it read.
      assert.equal(scan.bytes, c.bytes.length);
      assert.match(scan.file_sha256_hex, /^[0-9a-f]{64}$/);
      assert.equal(scan.file_sha256_hex, crypto.createHash('sha256').update(c.bytes).digest('hex'), `${c.what}: file digest`);
    }
  });
}

test('a refused file may have handed records to onRecord: the scan says refused all the same', () => {
  const truncated = scanBytes(fileOf(H, R[0], R[1], R[2].subarray(0, 10)));
  assert.equal(truncated.records.length, 2);
  assert.equal(truncated.scan.records, 2);
  assert.equal(truncated.refusal?.code, 'F01');
  const miscounted = scanBytes(F02_CASES[0].bytes);
  assert.equal(miscounted.records.length, 3);
  assert.equal(miscounted.refusal?.code, 'F02');
});

test('the header the caller did not expect: F05, and no record reaches onRecord', () => {
  const { scan, records, refusal } = scanBytes(GOOD, NAME, { expectedType: 'INTEROP_IN' });
  assert.equal(records.length, 0);
  assert.equal(scan.records, 3, 'the file is still read through');
  assert.equal(refusal?.code, 'F05');
  assert.match(refusal?.detail ?? '', /file_type is TXN_UPLOAD, INTEROP_IN was expected/);
  assert.equal(scanBytes(GOOD, NAME, { expectedType: 'TXN_UPLOAD' }).refusal, null);
});

test('onHeader sees the header before any record', () => {
  const seen: string[] = [];
  scanExchangeFile(fileWith(NAME, GOOD), () => seen.push('record'), { onHeader: (h) => seen.push(`header ${h.file_type}`) });
  assert.deepEqual(seen, ['header TXN_UPLOAD', 'record', 'record', 'record']);
});

test('refusalOf: F01, F05, F04, F02, F03 in that order', () => {
  const wrongParty: FileRefusal = { code: 'F04', detail: 'receiver is not this centre' };
  const conflict: FileRefusal = { code: 'F03', detail: 'same identity imported before with other bytes' };
  const good = scanBytes(GOOD).scan;
  const f01_and_f05 = scanBytes(F01_CASES[2].bytes, 'TXN_UPLOAD_41010101_41010000_20251230_9.pb').scan;
  const f05_and_f02 = scanBytes(F02_CASES[0].bytes, 'TXN_UPLOAD_41010101_41010000_20251230_0002.pb').scan;
  const f02 = scanBytes(F02_CASES[0].bytes).scan;
  assert.deepEqual(
    structuralFaults(f01_and_f05).map((f) => f.code),
    ['F01', 'F05'],
  );
  assert.deepEqual(
    structuralFaults(f05_and_f02).map((f) => f.code),
    ['F05', 'F02'],
  );

  const table: [FileScan, { wrongParty?: FileRefusal; conflict?: FileRefusal }, string | null][] = [
    [good, {}, null],
    [good, { conflict }, 'F03'],
    [good, { wrongParty }, 'F04'],
    [good, { wrongParty, conflict }, 'F04'],
    [f02, {}, 'F02'],
    [f02, { conflict }, 'F02'],
    [f02, { wrongParty, conflict }, 'F04'],
    [f05_and_f02, { wrongParty, conflict }, 'F05'],
    [f01_and_f05, { wrongParty, conflict }, 'F01'],
    [f01_and_f05, {}, 'F01'],
  ];
  for (const [scan, extra, code] of table) {
    assert.equal(refusalOf(scan, extra)?.code ?? null, code, `${scan.name} ${JSON.stringify(Object.keys(extra))}`);
  }
  assert.throws(() => refusalOf(good, { wrongParty: conflict }));
});

test("the records' digest left to another reading and given back (withRecordsDigest) makes the scan the whole reading's", () => {
  for (const c of [{ what: 'a good file', bytes: GOOD }, ...F02_CASES]) {
    const whole = scanBytes(c.bytes).scan;
    let told: Header | null = null;
    const deferred = scanBytes(c.bytes, NAME, {
      records_digest: (h) => {
        told = h;
        return false;
      },
    }).scan;
    assert.deepEqual(told, whole.header, `${c.what}: decided from the Header`);
    assert.equal(deferred.sha256_hex, '', c.what);
    assert.ok(deferred.digest_deferred !== undefined, `${c.what}: the Trailer's digest check waits`);
    const done = withRecordsDigest(deferred, whole.sha256_hex);
    assert.deepEqual(done, whole, c.what);
    assert.deepEqual(refusalOf(done), refusalOf(whole), c.what);
  }
  // A function that keeps the digest is the whole reading; a scan not deferred cannot be finished.
  assert.deepEqual(scanBytes(GOOD, NAME, { records_digest: () => true }).scan, scanBytes(GOOD).scan);
  assert.throws(() => withRecordsDigest(scanBytes(GOOD).scan, EMPTY_SHA256_HEX), /not deferred/);
  // Another reading's digest that is not these records' is caught as the Trailer's mismatch.
  const wrong = withRecordsDigest(scanBytes(GOOD, NAME, { records_digest: false }).scan, EMPTY_SHA256_HEX);
  assert.equal(refusalOf(wrong)?.code, 'F02');
});

// ---------------------------------------------------------------------------
// Properties

function scanCase(header: Header, bytes: Uint8Array, opts: ScanOptions = {}): Scanned {
  return scanBytes(bytes, exchangeFileName(header), opts);
}

test('property: a file round-trips byte for byte (encode, scan, encode again)', () => {
  fc.assert(
    fc.property(fileArb(), ({ header, records }) => {
      const bytes = encodeExchangeFile(header, records);
      const read = scanCase(header, bytes);
      assert.equal(read.refusal, null, JSON.stringify(read.refusal));
      assert.deepEqual(read.scan.header, { ...header });
      assert.equal(read.records.length, records.length);
      const again = encodeExchangeFile(read.scan.header as Header, read.records);
      assert.equal(Buffer.compare(again, bytes), 0);
    }),
    { numRuns: 200 },
  );
});

test('property: the scan is the same whatever the size of the read buffer', () => {
  fc.assert(
    fc.property(fileArb(12), fc.integer({ min: 16, max: 300 }), ({ header, records }, chunk_bytes) => {
      const bytes = encodeExchangeFile(header, records);
      const whole = scanCase(header, bytes);
      const chunked = scanCase(header, bytes, { chunk_bytes });
      assert.deepEqual(chunked.scan, whole.scan);
      assert.deepEqual(chunked.records, whole.records);
    }),
    { numRuns: 150 },
  );
});

test('property: any truncation of a valid file is refused F01 or F02, never half-read', () => {
  fc.assert(
    fc.property(fileArb(), fc.nat(), fc.integer({ min: 16, max: 128 }), ({ header, records }, at, chunk_bytes) => {
      const bytes = encodeExchangeFile(header, records);
      const cut = at % bytes.length;
      const read = scanCase(header, bytes.subarray(0, cut), { chunk_bytes });
      assert.ok(read.refusal !== null, `cut at ${cut} of ${bytes.length}: accepted`);
      assert.ok(read.refusal.code === 'F01' || read.refusal.code === 'F02', `cut at ${cut}: ${JSON.stringify(read.refusal)}`);
      assert.ok(read.records.length <= records.length);
    }),
    { numRuns: 400 },
  );
});

test('property: any single flipped byte is refused (or, inside the Header, shows as another header)', () => {
  fc.assert(
    fc.property(fileArb(), fc.nat(), fc.integer({ min: 1, max: 255 }), ({ header, records }, at, mask) => {
      const bytes = Buffer.from(encodeExchangeFile(header, records));
      const pos = at % bytes.length;
      bytes[pos] ^= mask;
      const read = scanCase(header, bytes);
      if (read.refusal !== null) return;
      // Accepted: only possible when the byte is in the Header frame and changed a field
      // that neither the name nor the Trailer covers (created_at, ref_file, ref_reason).
      const header_frame_bytes = frame(encodeMessage(HEADER, header)).length;
      assert.ok(pos < header_frame_bytes, `a flip at ${pos} (past the Header) was accepted`);
      const h = read.scan.header as Header;
      assert.notDeepEqual(h, { ...header }, `a flip at ${pos} was accepted and read as the same file`);
      for (const k of ['format_version', 'file_type', 'sender_id', 'receiver_id', 'business_date', 'file_seq'] as const) {
        assert.equal(h[k], header[k], `a flip at ${pos} changed ${k} and was accepted`);
      }
    }),
    { numRuns: 600 },
  );
});

test("property: a reading that defers the records' digest, given it back, is the whole reading (any flipped byte)", () => {
  fc.assert(
    fc.property(fileArb(), fc.nat(), fc.integer({ min: 0, max: 255 }), ({ header, records }, at, mask) => {
      const bytes = Buffer.from(encodeExchangeFile(header, records));
      bytes[at % bytes.length] ^= mask;
      const whole = scanCase(header, bytes).scan;
      const deferred = scanCase(header, bytes, { records_digest: () => false }).scan;
      const done = deferred.digest_deferred === undefined ? deferred : withRecordsDigest(deferred, whole.sha256_hex);
      // A scan refused before its Trailer defers nothing: only its refusal must agree.
      if (deferred.digest_deferred === undefined) assert.deepEqual(refusalOf(done), refusalOf(whole));
      else assert.deepEqual(done, whole);
    }),
    { numRuns: 300 },
  );
});
