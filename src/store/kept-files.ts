// Each imported upload's and INTEROP_IN's bytes, kept once, in the store (migration 7):
// the file as it came, cut into blocks of about BLOCK_BYTES at record boundaries and
// compressed (brotli). A record's row (record-columns.ts) holds only what the night's
// SQL needs; every other field is read back from here, by the record's index in its
// file. The bytes are the file's own, so an answer can be rebuilt byte for byte and
// any record explained, and they take about a third of the file's size.
//
// A block row says which record begins first in it (first_idx) and how many bytes
// come before that record's frame (lead: the Header's frame, in a file's first
// block). A record is found by its block, then by stepping over the length prefixes
// of the frames before it.
import { strict as assert } from 'node:assert';
import * as zlib from 'node:zlib';
import type { Transaction } from '../core/types';
import { decodeTransactionIdentity, RECORD_CODEC } from '../files/codec';
import { WireReader, WireWriter } from '../files/wire';
import type Database from 'better-sqlite3';

/** The store's connection (db.ts's Db, named here apart: db.ts runs the migrations, which keep files). */
type Db = Database.Database;

/** About how many bytes of the file a block holds: a record read back costs one block's decompression (about 1 ms); bigger blocks compress a little better and waste less of their last page. */
export const BLOCK_BYTES = 1 << 19;

/** Brotli's fastest quality: about 0.29 of an upload's size at some 300 MB/s (quality 5 gains 0.03 at a sixth of the speed). */
const BROTLI = {
  params: {
    [zlib.constants.BROTLI_PARAM_QUALITY]: 1,
    [zlib.constants.BROTLI_PARAM_SIZE_HINT]: BLOCK_BYTES,
    // A window of a block: a block is compressed alone, and a 4 MiB window (the default) took memory for nothing.
    [zlib.constants.BROTLI_PARAM_LGWIN]: Math.log2(BLOCK_BYTES),
  },
};

export function compressBlock(raw: Uint8Array): Buffer {
  return zlib.brotliCompressSync(raw, BROTLI);
}

/** One block, as the writer cuts it and the store keeps it. */
export interface KeptBlock {
  first_idx: number;
  /** Record frames that begin in the block. */
  records: number;
  lead: number;
  raw_bytes: number;
  data: Buffer;
}

/** A block as cut, before compression: the raw bytes and where its records begin in them. */
export interface RawBlock {
  first_idx: number;
  lead: number;
  raw: Buffer;
  /** Where each record that begins in the block begins in raw. */
  starts: number[];
}

/**
 * Cuts a file's frames into blocks, as they are read: frame() for every frame of
 * the file in order (Header, records, Trailer), each copied; a block is cut after a
 * record frame once it holds BLOCK_BYTES, and goes to `emit`.
 */
export class BlockCutter {
  private buf = Buffer.allocUnsafe(BLOCK_BYTES * 2);
  private size = 0;
  private starts: number[] = [];
  private firstIdx = 0;
  private records = 0;
  private lead = -1;

  constructor(private readonly emit: (block: RawBlock) => void) {}

  frame(bytes: Uint8Array, isRecord: boolean): void {
    if (this.size + bytes.length > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.size + bytes.length));
      this.buf.copy(grown, 0, 0, this.size);
      this.buf = grown;
    }
    if (isRecord) {
      if (this.lead < 0) this.lead = this.size;
      this.starts.push(this.size);
      this.records++;
    }
    this.buf.set(bytes, this.size);
    this.size += bytes.length;
    if (isRecord && this.size >= BLOCK_BYTES) this.cut();
  }

  /** After the last frame: the rest becomes the last block. */
  finish(): void {
    if (this.size > 0) this.cut();
  }

  /** Record idx's frame (length prefix first), while its block is not cut; else undefined. */
  frameOf(idx: number): Buffer | undefined {
    return frameIn(this.buf, this.size, this.firstIdx, this.starts, idx);
  }

  private cut(): void {
    this.emit({
      first_idx: this.firstIdx,
      lead: this.lead < 0 ? this.size : this.lead,
      raw: Buffer.from(this.buf.subarray(0, this.size)),
      starts: this.starts,
    });
    this.firstIdx = this.records;
    this.size = 0;
    this.lead = -1;
    this.starts = [];
  }
}

function frameIn(raw: Buffer, size: number, firstIdx: number, starts: number[], idx: number): Buffer | undefined {
  const i = idx - firstIdx;
  if (i < 0 || i >= starts.length) return undefined;
  // The block's last record ends where its length prefix says: the Trailer's frame may follow it.
  return raw.subarray(starts[i]!, i + 1 < starts.length ? starts[i + 1]! : Math.min(size, frameEnd(raw, starts[i]!)));
}

/** The block as the store keeps it. */
export function keptBlock(b: RawBlock, data: Buffer = compressBlock(b.raw)): KeptBlock {
  return { first_idx: b.first_idx, records: b.starts.length, lead: b.lead, raw_bytes: b.raw.length, data };
}

/** The most blocks a writer holds uncompressed while it waits for another thread's compression of them. */
const MAX_WAITING = 8;

/**
 * Keeps one file's bytes, inside the file's transaction: frame() for every frame
 * (as BlockCutter), finish() after the last. A block is stored compressed: by
 * `compressed` when another thread did it (the validation worker reads the same
 * file), else here. Until the importer releases them (release), the file's records
 * are found by frameOf: a record read whole again during the import (an earlier
 * record of the same file, by the rules that need history; one read in part).
 */
export class KeptFileWriter {
  private readonly waiting: RawBlock[] = [];
  /** Blocks stored whose records the importer may still read whole (until release). */
  private readonly stored: RawBlock[] = [];
  private readonly cutter = new BlockCutter((b) => {
    this.waiting.push(b);
    this.store(false);
  });
  private readonly insert;

  /**
   * compressed(block, wait): the block compressed elsewhere; null: not yet (wait: the
   * other thread is done with the file); false: it will not be, compress it here.
   */
  constructor(
    db: Db,
    private readonly fileId: number,
    private readonly compressed: ((block: RawBlock, wait: boolean) => Buffer | null | false) | null = null,
  ) {
    this.insert = db.prepare('INSERT INTO kept_blocks (file_id, first_idx, records, lead, raw_bytes, data) VALUES (?, ?, ?, ?, ?, ?)');
  }

  frame(bytes: Uint8Array, isRecord: boolean): void {
    this.cutter.frame(bytes, isRecord);
  }

  /** After the file's last frame: every block stored. */
  finish(): void {
    this.cutter.finish();
    this.store(true);
  }

  /** Record idx's frame (length prefix first), until the importer releases it (release); else undefined. */
  frameOf(idx: number): Buffer | undefined {
    const cut = this.cutter.frameOf(idx);
    if (cut !== undefined) return cut;
    for (const blocks of [this.waiting, this.stored]) {
      for (const b of blocks) {
        const f = frameIn(b.raw, b.raw.length, b.first_idx, b.starts, idx);
        if (f !== undefined) return f;
      }
    }
    return undefined;
  }

  /** The importer is done with the records before `count`: the stored blocks that hold only such records go. */
  release(count: number): void {
    const stored = this.stored;
    while (stored.length > 0 && stored[0]!.first_idx + stored[0]!.starts.length <= count) stored.shift();
  }

  /** Stores the blocks whose compressed bytes are at hand, in order; `all`: every one. */
  private store(all: boolean): void {
    while (this.waiting.length > 0) {
      const b = this.waiting[0]!;
      const got = this.compressed === null ? false : this.compressed(b, all);
      let data = got === false ? compressBlock(b.raw) : got;
      if (data === null && (all || this.waiting.length > MAX_WAITING)) data = compressBlock(b.raw);
      if (data === null) return;
      const k = keptBlock(b, data);
      this.insert.run(this.fileId, k.first_idx, k.records, k.lead, k.raw_bytes, k.data);
      this.stored.push(this.waiting.shift()!);
    }
  }
}

/** A record's frame as the exchange format writes it (length prefix first): how migration 7 keeps an older store's records. */
export function recordFrame(t: Transaction): Buffer {
  const message = new WireWriter(512);
  RECORD_CODEC.TXN_UPLOAD.encode(t, message);
  const frame = new WireWriter(message.pos + 5);
  frame.varint32(message.pos);
  frame.raw(message.view());
  return Buffer.from(frame.view());
}

/** Where the frame beginning at `at` ends: past its length prefix and its message. */
function frameEnd(raw: Buffer, at: number): number {
  let pos = at;
  let len = 0;
  for (let scale = 1; ; scale *= 128) {
    const b = raw[pos++]!;
    len += (b & 0x7f) * scale;
    if (b < 0x80) break;
  }
  return pos + len;
}

/** A reader over the message of the frame (length prefix first) that begins at `at`. */
function frameAt(raw: Buffer, at: number): WireReader {
  const r = new WireReader(raw, at, raw.length);
  const len = r.varint32();
  const end = r.pos + len;
  assert(end <= raw.length, `kept bytes: a record frame at ${at} runs past its block`);
  r.end = end;
  return r;
}

/** The record whose frame (length prefix first) begins at `at`. */
export function decodeRecordFrame(raw: Buffer, at: number): Transaction {
  return RECORD_CODEC.TXN_UPLOAD.decode(frameAt(raw, at)) as Transaction;
}

/** What a verdict echoes of the record whose frame begins at `at` (decodeTransactionIdentity): its other fields are left empty. */
function decodeIdentityFrame(raw: Buffer, at: number): Transaction {
  return decodeTransactionIdentity(frameAt(raw, at));
}

interface OpenBlock {
  file_id: number;
  first_idx: number;
  records: number;
  raw: Buffer;
  /** Where each record's frame begins in raw: found by one pass over the block, when it is opened. */
  starts: Int32Array;
}

/**
 * Reads records back from their files' kept bytes, keeping the last block read:
 * records read in their files' order cost one decompression per block. `pending`
 * answers for the records of the file being imported whose block is not cut yet.
 */
export class KeptRecords {
  private open: OpenBlock | null = null;
  private readonly blockOf;
  pending: { fileId: number; writer: KeptFileWriter } | null = null;

  constructor(db: Db) {
    this.blockOf = db
      .prepare(
        'SELECT first_idx, records, lead, data FROM kept_blocks WHERE file_id = ? AND first_idx <= ? AND records > 0 ORDER BY first_idx DESC LIMIT 1',
      )
      .raw(true);
  }

  /** Forgets the block it keeps, and the file being imported: that file rolled back, and its id will be another file's. */
  forget(): void {
    this.open = null;
    this.pending = null;
  }

  /** Record idx of file fileId, as its file holds it; undefined when the store keeps no such record. */
  get(fileId: number, idx: number): Transaction | undefined {
    if (this.pending !== null && this.pending.fileId === fileId) {
      const frame = this.pending.writer.frameOf(idx);
      if (frame !== undefined) return decodeRecordFrame(frame, 0);
    }
    const b = this.blockFor(fileId, idx);
    if (b === null) return undefined;
    return decodeRecordFrame(b.raw, b.starts[idx - b.first_idx]!);
  }

  /** Records [from, to] of a file in order, one block at a time. */
  range(fileId: number, from: number, to: number): Generator<Transaction> {
    return this.framesOf(fileId, from, to, decodeRecordFrame);
  }

  /**
   * Records [from, to] of a file in order with what an answer's verdicts echo only
   * (issuer_id, card_no, card_seq, terminal_id, terminal_seq, amount_fen; the rest
   * empty).
   */
  identities(fileId: number, from: number, to: number): Generator<Transaction> {
    return this.framesOf(fileId, from, to, decodeIdentityFrame);
  }

  private *framesOf(fileId: number, from: number, to: number, decode: (raw: Buffer, at: number) => Transaction): Generator<Transaction> {
    let idx = from;
    while (idx <= to) {
      const b = this.blockFor(fileId, idx);
      assert(b !== null, `kept bytes: file ${fileId} keeps no record ${idx}`);
      const last = Math.min(to, b.first_idx + b.records - 1);
      for (; idx <= last; idx++) yield decode(b.raw, b.starts[idx - b.first_idx]!);
    }
  }

  private blockFor(fileId: number, idx: number): OpenBlock | null {
    const o = this.open;
    if (o !== null && o.file_id === fileId && idx >= o.first_idx && idx < o.first_idx + o.records) return o;
    const row = this.blockOf.get(fileId, idx) as [number, number, number, Buffer] | undefined;
    if (row === undefined || idx >= row[0] + row[1]) return null;
    const [first_idx, records, lead, data] = row;
    const raw = zlib.brotliDecompressSync(data);
    const starts = new Int32Array(records);
    for (let i = 0, pos = lead; i < records; i++) {
      starts[i] = pos;
      pos = frameEnd(raw, pos);
    }
    this.open = { file_id: fileId, first_idx, records, raw, starts };
    return this.open;
  }
}

/**
 * Rows of records (each with its file_id and idx) with every field of their records,
 * read back from the kept bytes; the row's own columns stand where both have one.
 * Rows in id order read each block once.
 */
export function withFields<R extends { file_id: number; idx: number }>(kept: KeptRecords, rows: readonly R[]): (Transaction & R)[] {
  return rows.map((row) => {
    const t = kept.get(row.file_id, row.idx);
    assert(t !== undefined, `kept bytes: no record ${row.idx} of file ${row.file_id}`);
    return { ...t, ...row };
  });
}

/**
 * That the record with this id, as the store holds it (readRecord), is `read`: the
 * record as the import read it. A difference is a fault of this program, never of a
 * file: it throws, naming the record and the fields.
 */
export function assertReadsBack(db: Db, kept: KeptRecords, id: number, read: Transaction): void {
  const back = readRecord(db, kept, id);
  assert(back !== undefined, `read back: record ${id} is not in the store`);
  const differ = (Object.keys(read) as (keyof Transaction)[]).filter((f) => back[f] !== read[f]);
  if (differ.length > 0 || Object.keys(back).length !== Object.keys(read).length) {
    assert.fail(
      `read back: record ${id} reads back other than it was read: ${differ.map((f) => `${f} ${JSON.stringify(back[f])}, read ${JSON.stringify(read[f])}`).join('; ')}`,
    );
  }
}

const READ_RECORD = new WeakMap<Db, { get(id: number): unknown }>();

/**
 * The record with this id as the store holds it: its row's txn_type, amount, balance after and
 * merchant, and every other field from its file's kept bytes. undefined: no such record.
 */
export function readRecord(db: Db, kept: KeptRecords, id: number): Transaction | undefined {
  let stmt = READ_RECORD.get(db);
  if (stmt === undefined) {
    stmt = db.prepare(
      `SELECT r.file_id, r.idx, r.txn_type, r.amount_fen, r.balance_after_fen, m.acquirer_id, m.merchant_id
         FROM records r JOIN merchants m ON m.id = r.merchant WHERE r.id = ?`,
    );
    READ_RECORD.set(db, stmt);
  }
  const row = stmt.get(id) as
    | {
        file_id: number;
        idx: number;
        txn_type: number;
        amount_fen: number;
        balance_after_fen: number;
        acquirer_id: string;
        merchant_id: string;
      }
    | undefined;
  if (row === undefined) return undefined;
  const t = kept.get(row.file_id, row.idx);
  assert(t !== undefined, `kept bytes: no record ${row.idx} of file ${row.file_id} (record ${id})`);
  return {
    ...t,
    txn_type: row.txn_type,
    amount_fen: row.amount_fen,
    balance_after_fen: row.balance_after_fen,
    acquirer_id: row.acquirer_id,
    merchant_id: row.merchant_id,
  };
}
