// Validating and storing the records of one TXN_UPLOAD or INTEROP_IN file, a chunk
// at a time, as TigerBeetle splits prefetch from execute: the night's machinery
// (src/machinery) first gives the chunk's stateless verdicts (E01 E02 E08 E04 E07 E06
// E05, run ahead on the worker or here) and fetches what history holds under its
// keys; then each record, in order, gets the rules that need history (E03 E09 S01,
// src/core/validate.ts) against history and tonight's earlier records, and is
// inserted. Everything runs inside the file's transaction: a refused file leaves
// nothing behind, and the caller makes the machinery forget it.
import { strict as assert } from 'node:assert';
import type { ImportFields, Transaction } from '../core/types';
import { holdsKeys, IMPORT_FIELDS, TXN_LOAD } from '../core/types';
import { decodeImportFields, TRANSACTION } from '../files/codec';
import { DecodeError, type WireReader } from '../files/wire';
import { statefulVerdict, type FileContext, type RecordVerdict, type ValidationContext } from '../core/validate';
import type { ChunkHeldKeys } from '../machinery/held-keys';
import { CHUNK_RECORDS, ReadAgainWhole, type StatelessVerdicts } from '../machinery/stateless-verdicts';
import { assertReadsBack, decodeRecordFrame, recordFrame, type KeptFileWriter } from '../store/kept-files';
import { SOURCE_CODE, STATUS_CODE } from '../store/record-columns';
import { manyRowInsert } from '../store/many-rows';
import type { BatchContext } from './context';

/**
 * Accepted rows inserted by one statement: a statement's run costs more than its
 * row's work in SQLite (a million one-row runs took 1.3-1.6 s, 16-row runs 0.82-0.87,
 * 32-row runs 0.76-0.82; 64 no less).
 */
const ROWS_AT_ONCE = 32;
/** What an accepted row binds (insertAccepted). */
const ACCEPTED_VALUES = 8;

/** Every this many records of a file (and its last), the import reads the record back from its row and the kept bytes (LCT_READ_BACK_EVERY: 1 in the tests). */
const READ_BACK_EVERY = readBackEvery(process.env.LCT_READ_BACK_EVERY);

function readBackEvery(spec: string | undefined): number {
  if (spec === undefined || spec === '') return 1 << 16;
  const n = Number(spec);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`LCT_READ_BACK_EVERY=${spec}: not a whole number >= 1`);
  return n;
}

export class RecordImporter {
  count = 0;
  firstRecordId: number | null = null;
  /** The records read and not judged yet: a chunk, judged whole at once (flush). */
  private readonly chunk: ImportFields[] = [];
  /** The chunk is read whole (its stateless rules run here), or as ImportFields only (they ran on the worker). */
  private chunkWhole = true;
  /** The index in the file of the chunk's first record. */
  private chunkStart = 0;
  /** Some chunk was read as ImportFields only: a file refused unreadable is read again whole, for the refusal's detail. */
  readPart = false;
  /** The last record made whole (whole()), by its index in the chunk. */
  private wholeAt = -1;
  private wholeRecord: Transaction | null = null;
  private readonly held: ChunkHeldKeys;
  private readonly rules: Pick<ValidationContext, 'registry' | 'limits' | 'held' | 'blacklistOf'>;
  private readonly insert;
  /** Accepted rows, as many at once as are held back. */
  private readonly insertAccepted;
  private readonly insertConflict;
  /** Accepted rows not inserted yet, ACCEPTED_VALUES values each: their ids are given (nextId) as they come. */
  private readonly rows: unknown[] = new Array(ROWS_AT_ONCE * ACCEPTED_VALUES);
  private buffered = 0;
  /** The id SQLite gives the next row: one more than the table's greatest (no AUTOINCREMENT). */
  private nextId: number;
  /** The records read back when the file's bytes are kept: by index, as the import read them. */
  private readonly samples = new Map<number, Transaction>();
  private last: Transaction | null = null;
  private readonly wholeOf = (i: number): Transaction => this.whole(i);

  constructor(
    private readonly ctx: BatchContext,
    private readonly fileId: number,
    private readonly file: FileContext,
    private readonly verdicts: StatelessVerdicts,
    /** The file's bytes as they are kept: records read whole again come from there. */
    private readonly keep: KeptFileWriter,
  ) {
    const db = ctx.db;
    this.held = ctx.tonight.heldKeys(ctx.blacklist);
    this.rules = { registry: ctx.registry, limits: ctx.participants.limits, held: this.held, blacklistOf: this.held.blacklistOf };
    // The row holds what the night's SQL needs; the record's fields are in its file's kept bytes.
    this.insert = db.prepare(
      `INSERT INTO records (file_id, idx, source_code, card_key, terminal_key, txn_type, amount_fen, balance_after_fen,
         merchant, local, verdict_code, verdict_reason, verdict_detail, status_code, reason, blacklisted_load, cleared_date, suspense_date)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // The common case, an accepted record of a local card, binds only what varies:
    // a night has a million of these. The constants are ours (a code, a YYYYMMDD),
    // never a sender's text.
    assert(/^[0-9]{8}$/.test(ctx.date));
    const source = SOURCE_CODE[file.file_type];
    this.insertAccepted = manyRowInsert(
      db,
      `INSERT INTO records (file_id, idx, card_key, terminal_key, txn_type, amount_fen, balance_after_fen, merchant,
         source_code, local, verdict_code, verdict_reason, verdict_detail, status_code, reason, blacklisted_load, cleared_date)`,
      `(?, ?, ?, ?, ?, ?, ?, ?, ${source}, 1, ${STATUS_CODE.ACCEPTED}, '', '', ${STATUS_CODE.ACCEPTED}, '', 0, ${ctx.date})`,
      ACCEPTED_VALUES,
    );
    this.nextId = ((db.prepare('SELECT max(id) FROM records').pluck().get() as number | null) ?? 0) + 1;
    this.held.beforeRowRead = () => this.insertRows();
    this.insertConflict = db.prepare('INSERT INTO key_conflicts (record_id, held_json) VALUES (?, ?)');
  }

  /**
   * The file's record decoder (the scan's recordDecoder): a chunk is read whole when
   * its stateless rules run here, else as ImportFields only. Decided at each chunk's
   * first record.
   */
  readonly decode = (r: WireReader): ImportFields => {
    if (this.chunk.length === 0) {
      this.chunkWhole = !this.verdicts.judgesAhead();
      if (!this.chunkWhole) this.readPart = true;
    }
    return this.chunkWhole ? TRANSACTION.decode(r) : decodeImportFields(r);
  };

  add(record: ImportFields): void {
    this.chunk.push(record);
    if (this.chunk.length >= CHUNK_RECORDS) this.flush();
  }

  flush(): void {
    const chunk = this.chunk;
    if (chunk.length === 0) return;
    this.chunkStart = this.count;
    this.wholeAt = -1;
    // Prefetch: the stateless verdicts, and what history holds under the chunk's keys.
    const stateless = this.verdicts.judge(this.count, chunk, this.wholeOf);
    this.held.prefetch(chunk, stateless);
    // Validate and insert, in order: each record is judged against the ones before it.
    for (let i = 0; i < chunk.length; i++) {
      const r = chunk[i]!;
      this.held.select(i);
      const verdict = stateless.rejected[i] ?? statefulVerdict(r, this.rules, () => this.whole(i));
      this.store(r, i, verdict);
    }
    this.insertRows();
    this.last = this.whole(chunk.length - 1);
    chunk.length = 0; // the next record read begins the next chunk (decode)
    this.verdicts.release(this.count);
    this.keep.release(this.count);
  }

  /**
   * Record i of the chunk, whole: as read, or decoded again from its frame in the
   * kept bytes (the importer has them until it releases them). Its ImportFields as
   * read must be the whole record's: checked on every record read back (sample).
   */
  private whole(i: number): Transaction {
    if (this.chunkWhole) return this.chunk[i] as Transaction;
    if (i === this.wholeAt) return this.wholeRecord!;
    const idx = this.chunkStart + i;
    const frame = this.keep.frameOf(idx);
    let r: Transaction | undefined;
    try {
      r = frame !== undefined ? decodeRecordFrame(frame, 0) : this.ctx.tonight.kept.get(this.fileId, idx);
    } catch (err) {
      if (err instanceof DecodeError) throw new ReadAgainWhole();
      throw err;
    }
    if (r === undefined) assert.fail(`record import: record ${idx} of file ${this.fileId} is not in its kept bytes`);
    this.wholeAt = i;
    this.wholeRecord = r;
    return r;
  }

  /** Inserts the accepted rows held back, in one statement, in their order (their ids were given as they came). */
  private insertRows(): void {
    const n = this.buffered;
    if (n === 0) return;
    this.buffered = 0;
    const last = Number(this.insertAccepted(n === ROWS_AT_ONCE ? this.rows : this.rows.slice(0, n * ACCEPTED_VALUES)).lastInsertRowid);
    if (last !== this.nextId - 1) assert.fail(`record import: row ${last} inserted where ${this.nextId - 1} was given`);
  }

  /** Holds an accepted row back for a many-row INSERT (insertAccepted's values); its id is the one SQLite will give it. */
  private holdAccepted(card: number, terminal: number, r: ImportFields, merchant: number): number {
    const rows = this.rows;
    let at = this.buffered * ACCEPTED_VALUES;
    rows[at++] = this.fileId;
    rows[at++] = this.count;
    rows[at++] = card;
    rows[at++] = terminal;
    rows[at++] = r.txn_type;
    rows[at++] = r.amount_fen;
    rows[at++] = r.balance_after_fen;
    rows[at] = merchant;
    const id = this.nextId++;
    if (++this.buffered === ROWS_AT_ONCE) this.insertRows();
    return id;
  }

  /** Inserts record i of the chunk with its verdict; a record that holds its keys joins tonight's. */
  private store(r: ImportFields, i: number, verdict: RecordVerdict): void {
    const local = this.ctx.registry.isLocalIssuer(r.issuer_id);
    const blacklistedLoad = verdict.status === 'ACCEPTED' && verdict.blacklisted_load === true;
    const card = this.held.cardKeyOf(i);
    const terminal = this.held.terminalKeyOf(i);
    const merchant = this.ctx.tonight.merchants.refOf(r.acquirer_id, r.merchant_id);
    let id: number;
    if (verdict.status === 'ACCEPTED' && local && !blacklistedLoad) {
      id = this.holdAccepted(card, terminal, r, merchant);
    } else {
      this.insertRows(); // the rows held back first: ids follow the records' order
      id = Number(
        this.insert.run(
          this.fileId,
          this.count,
          SOURCE_CODE[this.file.file_type],
          card,
          terminal,
          r.txn_type,
          r.amount_fen,
          r.balance_after_fen,
          merchant,
          local ? 1 : 0,
          STATUS_CODE[verdict.status],
          verdict.reason,
          verdict.status === 'REJECTED' ? (verdict.field ?? '') : '',
          STATUS_CODE[verdict.status],
          verdict.reason,
          blacklistedLoad ? 1 : 0,
          // An accepted record is cleared, and a suspended one posted to suspense, by the
          // batch that imports it (clearing-rules.md): the day is known now, and writing it
          // here spares rewriting every row at close. Until the day closes these dates are
          // what the close will do; the close is one transaction with the postings.
          verdict.status === 'ACCEPTED' ? this.ctx.date : null,
          verdict.status === 'SUSPENDED' ? this.ctx.date : null,
        ).lastInsertRowid,
      );
      assert.equal(id, this.nextId, 'record import: a row got another id than the one given');
      this.nextId = id + 1;
    }
    this.ctx.tonight.tally.add(this.file.file_type, verdict.status, verdict.reason, r.txn_type === TXN_LOAD, merchant, r.amount_fen);
    if (this.count % READ_BACK_EVERY === 0) this.samples.set(this.count, this.sample(r, i));
    if (this.firstRecordId === null) this.firstRecordId = id;
    this.ctx.tonight.recordStored(id, card, terminal, holdsKeys(verdict.status), local, r);
    if (verdict.status === 'PENDING_INTEROP') this.ctx.tonight.recordPending(id, this.frameOf(i));
    else if (verdict.status === 'REJECTED' || verdict.status === 'SUSPENDED' || blacklistedLoad) this.ctx.tonight.recordExceptional(id);
    if (verdict.status === 'REJECTED' && verdict.reason === 'E09' && verdict.conflictWith) {
      this.insertConflict.run(id, JSON.stringify(verdict.conflictWith));
    }
    this.count++;
  }

  /** Record i's frame in its file (length prefix first): kept by the writer until released, else the record encoded again. */
  private frameOf(i: number): Uint8Array {
    return this.keep.frameOf(this.chunkStart + i) ?? recordFrame(this.whole(i));
  }

  /** Record i whole, for the read-back; its ImportFields as read must be the whole record's. */
  private sample(r: ImportFields, i: number): Transaction {
    const whole = this.whole(i);
    for (const f of IMPORT_FIELDS) {
      if (r[f] !== whole[f])
        assert.fail(`record import: record ${this.count}'s ${f} read ${JSON.stringify(r[f])}, whole ${JSON.stringify(whole[f])}`);
    }
    return whole;
  }

  /**
   * After the file's bytes are kept: the sampled records (and the last) read back
   * from their rows and the kept bytes must be the records the import read. A
   * difference is a fault of this program, never of the file: it throws, and the
   * file's transaction rolls back.
   */
  readBack(): void {
    if (this.last !== null) this.samples.set(this.count - 1, this.last);
    for (const [idx, read] of this.samples) assertReadsBack(this.ctx.db, this.ctx.tonight.kept, this.firstRecordId! + idx, read);
    this.samples.clear();
  }
}
