// A file's bytes kept once (src/store/kept-files.ts): whatever the records and
// however the blocks fall, the kept blocks are the file's bytes end to end, every
// record reads back as it was written (one by one, in ranges, and before its block is
// stored), and a damaged block is caught, not read as a record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import type { Transaction } from '../../src/core/types';
import { encodeExchangeFile } from '../../src/files/writer';
import { MIGRATIONS, applyMigration } from '../../src/store/migrations';
import { BLOCK_BYTES, KeptFileWriter, KeptRecords, assertReadsBack, compressBlock, recordFrame } from '../../src/store/kept-files';
import { splitFrames } from '../../src/files/frames';
import { sampleHeader, transactionArb } from '../files/arbitraries';

function store(): Database.Database {
  const db = new Database(':memory:');
  for (let i = 0; i < MIGRATIONS.length; i++) applyMigration(db, i);
  return db;
}

/** Keeps the file's frames in the store as the import does; compressed: the other thread's compression, or none. */
function keep(
  db: Database.Database,
  fileId: number,
  bytes: Buffer,
  compressed: ConstructorParameters<typeof KeptFileWriter>[2] = null,
  during?: (writer: KeptFileWriter, records: number) => void,
): void {
  const writer = new KeptFileWriter(db, fileId, compressed);
  const frames = splitFrames(bytes);
  assert.ok(typeof frames !== 'string', `${frames}`);
  let records = 0;
  frames.forEach((f, i) => {
    const isRecord = i > 0 && i < frames.length - 1;
    writer.frame(bytes.subarray(f.offset, f.offset + f.prefix_bytes + f.body.length), isRecord);
    if (isRecord) during?.(writer, records++);
  });
  writer.finish();
}

function keptBytes(db: Database.Database, fileId: number): Buffer {
  const blocks = db.prepare('SELECT data FROM kept_blocks WHERE file_id = ? ORDER BY first_idx, id').pluck().all(fileId) as Buffer[];
  return Buffer.concat(blocks.map((b) => zlib.brotliDecompressSync(b)));
}

// Records big enough (a long text field) that a few hundred of them make several blocks.
const bulky = transactionArb().chain((t) =>
  fc.string({ minLength: 0, maxLength: 4000 }).map((pad): Transaction => ({ ...t, station_id: pad })),
);

test('property: the blocks are the file, every record reads back as written, in ranges and before its block is stored', () => {
  fc.assert(
    fc.property(fc.array(bulky, { maxLength: 400 }), fc.boolean(), (records, elsewhere) => {
      const db = store();
      const bytes = encodeExchangeFile(sampleHeader('TXN_UPLOAD'), records);
      const kept = new KeptRecords(db);
      // Compressed by "the other thread" for every other block, or here.
      let n = 0;
      const other = elsewhere ? (b: { raw: Buffer }) => (n++ % 2 === 0 ? compressBlock(b.raw) : null) : null;
      keep(db, 1, bytes, other, (writer, i) => {
        // The record just framed reads back already, from the writer.
        kept.pending = { fileId: 1, writer };
        assert.deepEqual(kept.get(1, i), records[i]);
      });
      kept.pending = null;
      kept.forget();
      assert.ok(keptBytes(db, 1).equals(bytes), 'the blocks, end to end, are the file');
      const blocks = db.prepare('SELECT first_idx, records, raw_bytes FROM kept_blocks WHERE file_id = 1 ORDER BY first_idx').all() as {
        first_idx: number;
        records: number;
        raw_bytes: number;
      }[];
      let next = 0;
      for (const b of blocks) {
        assert.equal(b.first_idx, next, 'blocks follow one another');
        next += b.records;
      }
      assert.equal(next, records.length, 'every record begins in one block');
      if (bytes.length > 2 * BLOCK_BYTES) assert.ok(blocks.length > 1, 'a big file makes several blocks');
      records.forEach((r, i) => {
        assert.deepEqual(kept.get(1, i), r, `record ${i}`);
      });
      assert.deepEqual([...kept.range(1, 0, records.length - 1)], records);
      assert.equal(kept.get(1, records.length), undefined, 'no record past the last');
      assert.equal(kept.get(2, 0), undefined, 'no record of a file not kept');
    }),
    { numRuns: 40 },
  );
});

test('a record frame as migration 7 writes it decodes to the record', () => {
  fc.assert(
    fc.property(transactionArb(), (t) => {
      const db = store();
      const w = new KeptFileWriter(db, 7);
      w.frame(recordFrame(t), true);
      w.finish();
      assert.deepEqual(new KeptRecords(db).get(7, 0), { ...t });
    }),
    { numRuns: 200 },
  );
});

test('a damaged block is an error naming the block, never a record', () => {
  const db = store();
  const records = Array.from({ length: 50 }, (_, i) => ({ ...sampleTransaction(), card_seq: i + 1 }));
  keep(db, 1, encodeExchangeFile(sampleHeader('TXN_UPLOAD'), records));
  const data = db.prepare('SELECT data FROM kept_blocks WHERE file_id = 1').pluck().get() as Buffer;
  const broken = Buffer.from(data);
  broken[Math.floor(broken.length / 2)] ^= 0xff;
  db.prepare('UPDATE kept_blocks SET data = ? WHERE file_id = 1').run(broken);
  assert.throws(() => new KeptRecords(db).get(1, 10));
});

function sampleTransaction(): Transaction {
  return {
    issuer_id: '41010001',
    card_no: '41010001000000000001',
    card_type: 1,
    txn_type: 6,
    amount_fen: 250,
    balance_before_fen: 1000,
    balance_after_fen: 750,
    card_seq: 1,
    terminal_id: '0A0B0C0D0E0F',
    terminal_seq: 1,
    acquirer_id: '41010101',
    merchant_id: '410101010000001',
    occurred_at: '20260105080000',
    tac: '00000000',
    batch_no: '1',
    line_id: 'B1',
    station_id: '',
  };
}

test('a row that disagrees with its kept bytes is caught by the read-back, naming the record and the field', () => {
  const db = store();
  const records = Array.from({ length: 3 }, (_, i) => ({ ...sampleTransaction(), card_seq: i + 1 }));
  db.prepare(
    "INSERT INTO files (id, batch_date, name, sha256, kind, outcome, kept) VALUES (1, '20260105', 'F.pb', '', 'TXN_UPLOAD', 'IMPORTED', 'FILE')",
  ).run();
  keep(db, 1, encodeExchangeFile(sampleHeader('TXN_UPLOAD'), records));
  db.prepare("INSERT INTO merchants (id, acquirer_id, merchant_id) VALUES (1, '41010101', '410101010000001')").run();
  const row = db.prepare(
    `INSERT INTO records (id, file_id, idx, source_code, card_key, terminal_key, txn_type, amount_fen, balance_after_fen,
       merchant, local, verdict_code, verdict_reason, verdict_detail, status_code, reason, blacklisted_load)
     VALUES (?, 1, ?, 1, 0, 0, 6, ?, 750, 1, 1, 1, '', '', 1, '', 0)`,
  );
  records.forEach((r, i) => {
    row.run(i + 1, i, i === 2 ? 251 : r.amount_fen);
  });
  const kept = new KeptRecords(db);
  assertReadsBack(db, kept, 1, records[0]!);
  assertReadsBack(db, kept, 2, records[1]!);
  assert.throws(() => assertReadsBack(db, kept, 3, records[2]!), /record 3 reads back other than it was read: amount_fen 251, read 250/);
  assert.throws(() => assertReadsBack(db, kept, 4, records[2]!), /record 4 is not in the store/);
});

test('migration 7 keeps a big file of an older store: its records span many blocks, and every one reads back', () => {
  // A store at schema 6 with one imported file of 6,000 wide rows (about 4 MB of frames).
  const db = new Database(':memory:');
  for (let i = 0; i < 6; i++) applyMigration(db, i);
  db.prepare(
    "INSERT INTO files (id, batch_date, name, sha256, kind, outcome) VALUES (1, '20260105', 'BIG.pb', '', 'TXN_UPLOAD', 'IMPORTED')",
  ).run();
  const records = Array.from({ length: 6000 }, (_, i) => ({
    ...sampleTransaction(),
    card_seq: (i % 65535) + 1,
    terminal_seq: i,
    balance_before_fen: 10_000 + i,
    balance_after_fen: 9_750 + i,
    station_id: `S${i}`.padEnd(600, '.'),
  }));
  const insert = db.prepare(
    `INSERT INTO records (file_id, idx, source, card_key, terminal_key, issuer_id, card_no, card_type, txn_type, amount_fen,
       balance_before_fen, balance_after_fen, card_seq, terminal_id, terminal_seq, acquirer_id, merchant_id, occurred_at, tac,
       batch_no, line_id, station_id, local, verdict_status, verdict_reason, verdict_detail, status, reason, cleared_date)
     VALUES (1, @idx, 'TXN_UPLOAD', @idx, @idx, @issuer_id, @card_no, @card_type, @txn_type, @amount_fen, @balance_before_fen,
       @balance_after_fen, @card_seq, @terminal_id, @terminal_seq, @acquirer_id, @merchant_id, @occurred_at, @tac, @batch_no,
       @line_id, @station_id, 1, 'ACCEPTED', '', '', 'ACCEPTED', '', '20260105')`,
  );
  records.forEach((r, idx) => {
    insert.run({ ...r, idx });
  });
  applyMigration(db, 6);
  const blocks = db.prepare('SELECT COUNT(*) FROM kept_blocks WHERE file_id = 1').pluck().get() as number;
  assert.ok(blocks > 3, `${blocks} blocks`);
  const kept = new KeptRecords(db);
  const ids = db.prepare('SELECT id FROM records ORDER BY id').pluck().all() as number[];
  ids.forEach((id, i) => {
    assertReadsBack(db, kept, id, records[i]!);
  });
});
