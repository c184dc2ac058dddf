// Validating and storing the records of one TXN_UPLOAD or INTEROP_IN file, a chunk
// at a time, as TigerBeetle splits prefetch from execute: the night's machinery
// (src/machinery) first gives the chunk's stateless verdicts (E01 E02 E08 E04 E07 E06
// E05, run ahead on the worker or here) and fetches what history holds under its
// keys; then each record, in order, gets the rules that need history (E03 E09 S01,
// src/core/validate.ts) against history and tonight's earlier records, and is
// inserted. Everything runs inside the file's transaction: a refused file leaves
// nothing behind, and the caller makes the machinery forget it.
import { strict as assert } from 'node:assert';
import type { Transaction } from '../core/types';
import { holdsKeys, TRANSACTION_FIELDS } from '../core/types';
import { statefulVerdict, type FileContext, type RecordVerdict, type ValidationContext } from '../core/validate';
import type { ChunkHeldKeys } from '../machinery/held-keys';
import { CHUNK_RECORDS, type StatelessVerdicts } from '../machinery/stateless-verdicts';
import { TRANSACTION_SELECT } from '../store/record-columns';
import type { BatchContext } from './context';

const FIELD_PARAMS = TRANSACTION_FIELDS.map(() => '?').join(', ');

export class RecordImporter {
  count = 0;
  firstRecordId: number | null = null;
  private chunk: Transaction[] = [];
  private readonly held: ChunkHeldKeys;
  private readonly rules: Pick<ValidationContext, 'registry' | 'limits' | 'held' | 'blacklistOf'>;
  private readonly insert;
  private readonly insertAccepted;
  private readonly insertConflict;

  constructor(
    private readonly ctx: BatchContext,
    private readonly fileId: number,
    private readonly file: FileContext,
    private readonly verdicts: StatelessVerdicts,
  ) {
    const db = ctx.db;
    this.held = ctx.tonight.heldKeys(ctx.blacklist);
    this.rules = { registry: ctx.registry, limits: ctx.participants.limits, held: this.held, blacklistOf: this.held.blacklistOf };
    this.insert = db.prepare(
      `INSERT INTO records (file_id, idx, source, card_key, terminal_key, ${TRANSACTION_SELECT},
         local, verdict_status, verdict_reason, verdict_detail, status, reason, blacklisted_load, cleared_date, suspense_date)
       VALUES (?, ?, ?, ?, ?, ${FIELD_PARAMS}, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // The common case, an accepted record of a local card, binds only what varies:
    // each bound text costs a copy, and a night has a million of these. Both
    // constants are ours (a file type and a YYYYMMDD), never a sender's text.
    assert(/^[A-Z_]+$/.test(file.file_type) && /^[0-9]{8}$/.test(ctx.date));
    this.insertAccepted = db.prepare(
      `INSERT INTO records (file_id, idx, card_key, terminal_key, ${TRANSACTION_SELECT},
         source, local, verdict_status, verdict_reason, verdict_detail, status, reason, blacklisted_load, cleared_date)
       VALUES (?, ?, ?, ?, ${FIELD_PARAMS},
         '${file.file_type}', 1, 'ACCEPTED', '', '', 'ACCEPTED', '', 0, '${ctx.date}')`,
    );
    this.insertConflict = db.prepare('INSERT INTO key_conflicts (record_id, held_json) VALUES (?, ?)');
  }

  add(record: Transaction): void {
    this.chunk.push(record);
    if (this.chunk.length >= CHUNK_RECORDS) this.flush();
  }

  flush(): void {
    const chunk = this.chunk;
    if (chunk.length === 0) return;
    this.chunk = [];
    // Prefetch: the stateless verdicts, and what history holds under the chunk's keys.
    const stateless = this.verdicts.judge(this.count, chunk);
    this.held.prefetch(chunk, stateless);
    // Validate and insert, in order: each record is judged against the ones before it.
    for (let i = 0; i < chunk.length; i++) {
      const r = chunk[i]!;
      this.held.select(i);
      const verdict = stateless.rejected[i] ?? statefulVerdict(r, this.rules);
      this.store(r, i, verdict);
    }
    this.verdicts.release(this.count);
  }

  /** Inserts record i of the chunk with its verdict; a record that holds its keys joins tonight's. */
  private store(r: Transaction, i: number, verdict: RecordVerdict): void {
    const local = this.ctx.registry.isLocalIssuer(r.issuer_id);
    const blacklistedLoad = verdict.status === 'ACCEPTED' && verdict.blacklisted_load === true;
    const card = this.held.cardKeyOf(i);
    const terminal = this.held.terminalKeyOf(i);
    const info =
      verdict.status === 'ACCEPTED' && local && !blacklistedLoad
        ? this.insertAccepted.run(
            this.fileId,
            this.count,
            card,
            terminal,
            r.issuer_id,
            r.card_no,
            r.card_type,
            r.txn_type,
            r.amount_fen,
            r.balance_before_fen,
            r.balance_after_fen,
            r.card_seq,
            r.terminal_id,
            r.terminal_seq,
            r.acquirer_id,
            r.merchant_id,
            r.occurred_at,
            r.tac,
            r.batch_no,
            r.line_id,
            r.station_id,
          )
        : this.insert.run(
            this.fileId,
            this.count,
            this.file.file_type,
            card,
            terminal,
            r.issuer_id,
            r.card_no,
            r.card_type,
            r.txn_type,
            r.amount_fen,
            r.balance_before_fen,
            r.balance_after_fen,
            r.card_seq,
            r.terminal_id,
            r.terminal_seq,
            r.acquirer_id,
            r.merchant_id,
            r.occurred_at,
            r.tac,
            r.batch_no,
            r.line_id,
            r.station_id,
            local ? 1 : 0,
            verdict.status,
            verdict.reason,
            verdict.status === 'REJECTED' ? (verdict.field ?? '') : '',
            verdict.status,
            verdict.reason,
            blacklistedLoad ? 1 : 0,
            // An accepted record is cleared, and a suspended one posted to suspense, by the
            // batch that imports it (clearing-rules.md): the day is known now, and writing it
            // here spares rewriting every row at close. Until the day closes these dates are
            // what the close will do; the close is one transaction with the postings.
            verdict.status === 'ACCEPTED' ? this.ctx.date : null,
            verdict.status === 'SUSPENDED' ? this.ctx.date : null,
          );
    const id = Number(info.lastInsertRowid);
    if (this.firstRecordId === null) this.firstRecordId = id;
    if (holdsKeys(verdict.status)) this.ctx.tonight.recordHeld(id, card, terminal, local, r);
    if (verdict.status === 'REJECTED' && verdict.reason === 'E09' && verdict.conflictWith) {
      this.insertConflict.run(id, JSON.stringify(verdict.conflictWith));
    }
    this.count++;
  }
}
