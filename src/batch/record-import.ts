// Validating and storing the records of one TXN_UPLOAD or INTEROP_IN file, in
// chunks. History's held keys: with the worker thread, the stateless verdict and a
// hint that history may hold a key come from it, and the store is asked only on a
// hint; alone, the chunk's keys that the filters may hold are fetched in two
// queries (one per key). Tonight's earlier records are found in ctx.nightKeys. Each
// record is validated in order against both, then inserted.
// Everything runs inside the file's transaction: a refused file leaves nothing
// behind, and the caller makes nightKeys forget it.
import { strict as assert } from 'node:assert';
import type { Db } from '../store/db';
import { cardKey, terminalKey } from '../store/record-keys';
import { CARD_KEY_IDS, TERMINAL_KEY_IDS } from '../store/key-filter';
import type { Transaction } from '../core/types';
import { TXN_LOAD } from '../core/types';
import {
  validateRecord,
  statefulVerdict,
  isBlacklisted,
  type FileContext,
  type RecordVerdict,
  type ValidationContext,
} from '../core/validate';
import { FIELD_MASK, HISTORY_CARD, HISTORY_TERMINAL, REASON_SHIFT, STATELESS_REASONS, UNKNOWN, VERDICT_FIELDS } from './validation-pipe';
import type { BatchContext } from './context';

const CHUNK_RECORDS = 4096;
const HELD = "status IN ('ACCEPTED', 'SUSPENDED', 'PENDING_INTEROP')";

const RECORD_COLUMNS = [
  'issuer_id',
  'card_no',
  'card_type',
  'txn_type',
  'amount_fen',
  'balance_before_fen',
  'balance_after_fen',
  'card_seq',
  'terminal_id',
  'terminal_seq',
  'acquirer_id',
  'merchant_id',
  'occurred_at',
  'tac',
  'batch_no',
  'line_id',
  'station_id',
] as const;

export const TRANSACTION_SELECT = RECORD_COLUMNS.join(', ');

export function cardKeyString(r: { issuer_id: string; card_no: string; card_seq: number }): string {
  return `${r.issuer_id}|${r.card_no}|${r.card_seq}`;
}
export function terminalKeyString(r: { acquirer_id: string; terminal_id: string; terminal_seq: number }): string {
  return `${r.acquirer_id}|${r.terminal_id}|${r.terminal_seq}`;
}

export interface RecordTally {
  accepted: number;
  rejected: number;
  suspended: number;
  pending_interop: number;
}

/** Terminal numbering: a terminal key is terminals.id * 2^32 + terminal_seq. */
export class TerminalRefs {
  /** acquirer_id -> terminal_id -> number: two lookups of the decoder's strings, no key built per record. */
  private readonly known = new Map<string, Map<string, number>>();
  private pending: [string, string][] = [];
  private next: number;
  private readonly insert;

  constructor(db: Db) {
    for (const row of db.prepare('SELECT id, acquirer_id, terminal_id FROM terminals').iterate() as IterableIterator<{
      id: number;
      acquirer_id: string;
      terminal_id: string;
    }>) {
      this.remember(row.acquirer_id, row.terminal_id, row.id);
    }
    this.next = ((db.prepare('SELECT MAX(id) FROM terminals').pluck().get() as number | null) ?? 0) + 1;
    this.insert = db.prepare('INSERT INTO terminals (id, acquirer_id, terminal_id) VALUES (?, ?, ?)');
  }

  private remember(acquirer_id: string, terminal_id: string, id: number): void {
    let terminals = this.known.get(acquirer_id);
    if (terminals === undefined) this.known.set(acquirer_id, (terminals = new Map()));
    terminals.set(terminal_id, id);
  }

  /** The terminal's number, inserting it (inside the caller's transaction) when new. */
  refOf(acquirer_id: string, terminal_id: string): number {
    let id = this.lookup(acquirer_id, terminal_id);
    if (id === undefined) {
      id = this.next++;
      this.insert.run(id, acquirer_id, terminal_id);
      this.remember(acquirer_id, terminal_id, id);
      this.pending.push([acquirer_id, terminal_id]);
    }
    return id;
  }

  lookup(acquirer_id: string, terminal_id: string): number | undefined {
    return this.known.get(acquirer_id)?.get(terminal_id);
  }

  commit(): void {
    this.pending = [];
  }

  /** The file's transaction rolled back: forget the numbers it gave out. */
  rollback(): void {
    for (const [acquirer_id, terminal_id] of this.pending) this.known.get(acquirer_id)?.delete(terminal_id);
    this.next -= this.pending.length;
    this.pending = [];
  }
}

export class RecordImporter {
  readonly tally: RecordTally = { accepted: 0, rejected: 0, suspended: 0, pending_interop: 0 };
  count = 0;
  firstRecordId: number | null = null;
  private chunk: Transaction[] = [];
  private readonly insert;
  private readonly insertAccepted;
  private readonly insertConflict;
  private readonly heldByCard;
  private readonly heldByTerminal;
  private readonly heldById;
  private readonly fileCtx: FileContext;
  private readonly date: string;

  constructor(
    private readonly ctx: BatchContext,
    private readonly fileId: number,
    file: FileContext,
  ) {
    this.fileCtx = file;
    this.date = ctx.date;
    const db = ctx.db;
    this.insert = db.prepare(
      `INSERT INTO records (file_id, idx, source, card_key, terminal_key, ${TRANSACTION_SELECT},
         local, verdict_status, verdict_reason, verdict_detail, status, reason, blacklisted_load, cleared_date, suspense_date)
       VALUES (?, ?, ?, ?, ?, ${RECORD_COLUMNS.map(() => '?').join(', ')}, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // The common case, an accepted record of a local card, binds only what varies:
    // each bound text costs a copy, and a night has a million of these. Both
    // constants are ours (a file type and a YYYYMMDD), never a sender's text.
    assert(/^[A-Z_]+$/.test(file.file_type) && /^[0-9]{8}$/.test(ctx.date));
    this.insertAccepted = db.prepare(
      `INSERT INTO records (file_id, idx, card_key, terminal_key, ${TRANSACTION_SELECT},
         source, local, verdict_status, verdict_reason, verdict_detail, status, reason, blacklisted_load, cleared_date)
       VALUES (?, ?, ?, ?, ${RECORD_COLUMNS.map(() => '?').join(', ')},
         '${file.file_type}', 1, 'ACCEPTED', '', '', 'ACCEPTED', '', 0, '${ctx.date}')`,
    );
    this.insertConflict = db.prepare('INSERT INTO key_conflicts (record_id, held_json) VALUES (?, ?)');
    this.heldByCard = db.prepare(`SELECT ${TRANSACTION_SELECT} FROM records WHERE id IN (${CARD_KEY_IDS}) AND ${HELD}`);
    this.heldByTerminal = db.prepare(`SELECT ${TRANSACTION_SELECT} FROM records WHERE id IN (${TERMINAL_KEY_IDS}) AND ${HELD}`);
    this.heldById = db.prepare(`SELECT ${TRANSACTION_SELECT} FROM records WHERE id = ? AND ${HELD}`);
  }

  add(record: Transaction): void {
    this.chunk.push(record);
    if (this.chunk.length >= CHUNK_RECORDS) this.flush();
  }

  flush(): void {
    const chunk = this.chunk;
    if (chunk.length === 0) return;
    this.chunk = [];
    const refs = this.ctx.terminals;
    const pipe = this.ctx.validation ?? null;
    const cardKeys = chunk.map((r) => cardKey(r.issuer_id, r.card_no, r.card_seq));
    const terminalRefs = chunk.map((r) => refs.lookup(r.acquirer_id, r.terminal_id));

    // Held records of history (in the key tables): with the worker, fetched for the
    // records whose keys it found there; alone, prefetched for the whole chunk.
    let byCard: Map<string, Transaction> | null = null;
    let byTerminal: Map<string, Transaction> | null = null;
    if (pipe === null) {
      byCard = new Map();
      byTerminal = new Map();
      const filters = this.ctx.filters;
      const maybeCards = cardKeys.filter((k) => filters.card.mayHave(k));
      if (maybeCards.length > 0) {
        for (const row of this.heldByCard.all(JSON.stringify(maybeCards)) as Transaction[]) byCard.set(cardKeyString(row), row);
      }
      const knownTerminalKeys: number[] = [];
      chunk.forEach((r, i) => {
        const ref = terminalRefs[i];
        if (ref === undefined) return;
        const key = terminalKey(ref, r.terminal_seq);
        if (filters.terminal.mayHave(key)) knownTerminalKeys.push(key);
      });
      if (knownTerminalKeys.length > 0) {
        for (const row of this.heldByTerminal.all(JSON.stringify(knownTerminalKeys)) as Transaction[]) {
          byTerminal.set(terminalKeyString(row), row);
        }
      }
    }
    let hint = 0; // the current record's HISTORY_* bits from the worker
    let current: Transaction | null = null; // the record being validated, and its card key
    let currentKey = 0;
    // Validation asks about the record's own card: its key is at hand (the blacklist only needs the card's part).
    const keyOf = (issuer_id: string, card_no: string, card_seq: number): number =>
      current !== null && current.card_no === card_no && current.issuer_id === issuer_id && current.card_seq === card_seq
        ? currentKey
        : cardKey(issuer_id, card_no, card_seq);
    const historyCard = (issuer_id: string, card_no: string, card_seq: number): Transaction | undefined => {
      if (byCard) return byCard.get(`${issuer_id}|${card_no}|${card_seq}`);
      if ((hint & HISTORY_CARD) === 0) return undefined;
      return (this.heldByCard.all(`[${cardKey(issuer_id, card_no, card_seq)}]`) as Transaction[]).find(
        (r) => r.card_seq === card_seq && r.card_no === card_no && r.issuer_id === issuer_id,
      );
    };
    const historyTerminal = (acquirer_id: string, terminal_id: string, terminal_seq: number, ref: number): Transaction | undefined => {
      if (byTerminal) return byTerminal.get(`${acquirer_id}|${terminal_id}|${terminal_seq}`);
      if ((hint & HISTORY_TERMINAL) === 0) return undefined;
      return (this.heldByTerminal.all(`[${terminalKey(ref, terminal_seq)}]`) as Transaction[]).find(
        (r) => r.terminal_seq === terminal_seq && r.terminal_id === terminal_id && r.acquirer_id === acquirer_id,
      );
    };
    // ... and of tonight, this file's earlier records included (inserted in its transaction).
    const night = this.ctx.nightKeys;
    const batch = this.ctx;
    const heldTonight = (id: number) => this.heldById.get(id) as Transaction | undefined;
    const vctx: ValidationContext = {
      registry: this.ctx.registry,
      limits: this.ctx.participants.limits,
      get tac() {
        return batch.tac; // made on first use (see BatchContext.tac)
      },
      held: {
        byCardKey: (issuer_id, card_no, card_seq) =>
          historyCard(issuer_id, card_no, card_seq) ??
          night.byCard.find(keyOf(issuer_id, card_no, card_seq), (id) => {
            const r = heldTonight(id);
            return r && r.card_seq === card_seq && r.card_no === card_no && r.issuer_id === issuer_id ? r : undefined;
          }),
        byTerminalKey: (acquirer_id, terminal_id, terminal_seq) => {
          const ref = refs.lookup(acquirer_id, terminal_id);
          if (ref === undefined) return undefined; // a terminal never numbered holds no key
          return (
            historyTerminal(acquirer_id, terminal_id, terminal_seq, ref) ??
            night.byTerminal.find(terminalKey(ref, terminal_seq), (id) => {
              const r = heldTonight(id);
              return r && r.terminal_seq === terminal_seq && r.terminal_id === terminal_id && r.acquirer_id === acquirer_id ? r : undefined;
            })
          );
        },
      },
      blacklistOf: (issuer_id, card_no) =>
        this.ctx.blacklist.of(
          issuer_id,
          card_no,
          current !== null && current.card_no === card_no && current.issuer_id === issuer_id ? currentKey : cardKey(issuer_id, card_no, 0),
        ),
    };
    const verdictOf = (r: Transaction, i: number): RecordVerdict => {
      current = r;
      currentKey = cardKeys[i]!;
      const code = pipe === null ? UNKNOWN : pipe.resultOf(this.count);
      if (code === UNKNOWN) {
        hint = HISTORY_CARD | HISTORY_TERMINAL; // the worker did not look: ask the store
        return validateRecord(r, this.fileCtx, vctx);
      }
      hint = code;
      const reason = (code >> REASON_SHIFT) & 0xf;
      if (reason === 0) return statefulVerdict(r, vctx);
      const field = code & FIELD_MASK;
      return { status: 'REJECTED', reason: STATELESS_REASONS[reason - 1]!, field: field === 0 ? undefined : VERDICT_FIELDS[field - 1] };
    };

    for (let i = 0; i < chunk.length; i++) {
      const r = chunk[i]!;
      const verdict = verdictOf(r, i);
      const local = this.ctx.registry.isLocalIssuer(r.issuer_id) ? 1 : 0;
      let blacklistedLoad = 0;
      if (verdict.status !== 'REJECTED') {
        if (r.txn_type === TXN_LOAD && local) {
          const entries = this.ctx.blacklist.of(r.issuer_id, r.card_no, cardKeys[i]!);
          if (entries && isBlacklisted(entries, r.occurred_at, this.ctx.participants.limits.blacklist_grace_hours)) {
            blacklistedLoad = 1;
          }
        }
      }
      switch (verdict.status) {
        case 'ACCEPTED':
          this.tally.accepted++;
          break;
        case 'REJECTED':
          this.tally.rejected++;
          break;
        case 'SUSPENDED':
          this.tally.suspended++;
          break;
        case 'PENDING_INTEROP':
          this.tally.pending_interop++;
          break;
      }
      const detail = verdict.status === 'REJECTED' ? (verdict.field ?? '') : '';
      const ref = terminalRefs[i] ?? refs.refOf(r.acquirer_id, r.terminal_id);
      const tkey = terminalKey(ref, r.terminal_seq);
      const info =
        verdict.status === 'ACCEPTED' && local === 1 && blacklistedLoad === 0
          ? this.insertAccepted.run(
              this.fileId,
              this.count,
              cardKeys[i]!,
              tkey,
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
              this.fileCtx.file_type,
              cardKeys[i]!,
              tkey,
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
              local,
              verdict.status,
              verdict.reason,
              detail,
              verdict.status,
              verdict.reason,
              blacklistedLoad,
              // An accepted record is cleared, and a suspended one posted to suspense, by the
              // batch that imports it (clearing-rules.md): the day is known now, and writing it
              // here spares rewriting every row at close. Until the day closes these dates are
              // what the close will do; the close is one transaction with the postings.
              verdict.status === 'ACCEPTED' ? this.date : null,
              verdict.status === 'SUSPENDED' ? this.date : null,
            );
      const id = Number(info.lastInsertRowid);
      if (this.firstRecordId === null) this.firstRecordId = id;
      if (verdict.status !== 'REJECTED') night.add(id, cardKeys[i]!, tkey);
      if (local && verdict.status !== 'REJECTED') {
        this.ctx.nightCards.append(r.issuer_id, r.card_no, cardKeys[i]!, id, r.card_seq, r.balance_before_fen, r.balance_after_fen);
      }
      if (verdict.status === 'REJECTED' && verdict.reason === 'E09' && verdict.conflictWith) {
        this.insertConflict.run(id, JSON.stringify(verdict.conflictWith));
      }
      this.count++;
    }
    pipe?.release(this.count);
  }
}
