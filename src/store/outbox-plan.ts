// The files a closed day writes (batch-cli.md, the outbox): which files, their names
// and headers, and what goes in each, read from the store alone, so that a rerun
// (or a run resumed after a crash) plans the same bytes. The batch writes the plan
// after the close (src/batch/outbox.ts); the files the import alone settles can be
// written from it before, beside the close (src/machinery/written-ahead.ts).
import { strict as assert } from 'node:assert';
import type { Db } from './db';
import type { BlacklistEntry, FileType, Header, SettlementInstruction, StatementLine, Transaction, Verdict } from '../core/types';
import { BLACKLIST_ADD, verdictOf } from '../core/types';
import { exchangeFileName, isInstitutionId, MAX_FILE_SEQ } from '../files/names';
import { TRANSACTION_FIELDS } from '../core/types';
import { KeptRecords, withFields } from './kept-files';
import { STATUS_CODE, statusOfCode } from './record-columns';

export interface PlannedFile {
  header: Header;
  name: string;
  /** Produces the records on demand: a TXN_ACK of a million records is streamed. */
  records: () => Iterable<unknown>;
}

export interface DayRow {
  date: string;
  produced_at: string;
  summary_json: string;
  reconciliation_json: string;
  exceptions_json: string;
}

interface FileRow {
  id: number;
  name: string;
  kind: string;
  /** Checked at import: an institution code (files.answer_to). */
  answer_to: string;
  outcome: 'IMPORTED' | 'REFUSED';
  refusal_code: string | null;
  first_record_id: number | null;
  record_count: number;
}

export interface Ids {
  centre: string;
  national: string;
  bank: string;
  /** Acquirers and agents: each gets the BLACKLIST. */
  participants: readonly string[];
}

/**
 * exported: the day's INTEROP_OUT records in its order, when the close that numbered
 * them ran in this process (the same records, not read back); else read from the store.
 */
export function planOutbox(
  db: Db,
  day: Pick<DayRow, 'date' | 'produced_at'>,
  ids: Ids,
  exported: (() => Iterable<Transaction>) | null = null,
): PlannedFile[] {
  const D = day.date;
  const seqs = new Map<string, number>();
  const header = (file_type: FileType, receiver_id: string, ref_file = '', ref_reason = ''): Header => {
    const k = `${file_type}|${receiver_id}`;
    const file_seq = (seqs.get(k) ?? 0) + 1;
    seqs.set(k, file_seq);
    // Both hold by the import: it stores only checked receivers, and leaves a file
    // waiting in the inbox when its answer would not fit in a name (answersPlanned).
    assert(isInstitutionId(receiver_id), `planOutbox: receiver ${JSON.stringify(receiver_id)} of a ${file_type} is no institution code`);
    assert(file_seq <= MAX_FILE_SEQ, `planOutbox: more than ${MAX_FILE_SEQ} ${file_type} files to ${receiver_id} on ${D}`);
    return {
      format_version: 1,
      file_type,
      sender_id: ids.centre,
      receiver_id,
      business_date: D,
      file_seq,
      created_at: day.produced_at,
      ref_file,
      ref_reason,
    };
  };
  const plan: PlannedFile[] = [];
  const add = (h: Header, records: () => Iterable<unknown>) => plan.push({ header: h, name: exchangeFileName(h), records });

  const answered = db
    .prepare(
      `SELECT id, name, kind, answer_to, outcome, refusal_code, first_record_id, record_count FROM files
        WHERE batch_date = ? AND kind IN ('TXN_UPLOAD', 'INTEROP_IN') AND answer_to IS NOT NULL ORDER BY id`,
    )
    .all(D) as FileRow[];
  const kept = new KeptRecords(db);
  // An answer's rows: a file's records have consecutive ids, and idx counts them from
  // 0. Most are accepted, so only the others' verdicts are read; a record's amount
  // comes with its identity from the kept bytes, which the import read it from.
  const notAccepted = db
    .prepare(`SELECT id, verdict_code, verdict_reason FROM records WHERE id BETWEEN ? AND ? AND verdict_code <> ${STATUS_CODE.ACCEPTED}`)
    .raw(true);
  const verdicts = (f: FileRow) => () =>
    f.outcome === 'REFUSED' || f.first_record_id === null ? [] : verdictRows(f.id, f.first_record_id, f.record_count);
  function* verdictRows(fileId: number, firstId: number, count: number): Generator<Verdict> {
    const records = kept.identities(fileId, 0, count - 1); // a verdict echoes only these fields
    let index = 0;
    for (let from = 0; from < count; from += VERDICT_SLICE) {
      const to = Math.min(count, from + VERDICT_SLICE);
      const others = notAccepted.all(firstId + from, firstId + to - 1) as [number, number, string][];
      let next = 0;
      for (; index < to; index++) {
        const r = records.next().value as Transaction;
        assert(r !== undefined, `outbox: file ${fileId} keeps fewer records than its rows`);
        const other = others[next];
        if (other !== undefined && other[0] === firstId + index) {
          next++;
          yield verdictOf(index, r, r.amount_fen, statusOfCode(other[1]), other[2]);
        } else {
          yield verdictOf(index, r, r.amount_fen, 'ACCEPTED', '');
        }
      }
      assert.equal(next, others.length, `outbox: file ${fileId}: a row not accepted outside its records`);
    }
  }

  for (const f of answered.filter((f) => f.kind === 'TXN_UPLOAD')) {
    add(header('TXN_ACK', f.answer_to, f.name, f.refusal_code ?? ''), verdicts(f));
  }
  // Late TXN_ACKs: the national centre's rejections processed today, one per original upload.
  const late = db
    .prepare(
      `SELECT f.id, f.name, f.answer_to FROM files f
        WHERE f.id IN (SELECT DISTINCT file_id FROM record_view WHERE national_date = ? AND national_status = 'REJECTED')
        ORDER BY f.id`,
    )
    .all(D) as { id: number; name: string; answer_to: string }[];
  const rejectedOf = db.prepare(
    `SELECT file_id, idx, amount_fen, status, reason FROM record_view
      WHERE file_id = ? AND national_date = ? AND national_status = 'REJECTED' ORDER BY idx`,
  );
  for (const f of late) {
    add(header('TXN_ACK', f.answer_to, f.name), () =>
      withFields(
        kept,
        rejectedOf.all(f.id, D) as { file_id: number; idx: number; amount_fen: number; status: Verdict['status']; reason: string }[],
      ).map((r) => verdictOf(r.idx, r, r.amount_fen, r.status, r.reason)),
    );
  }

  add(header('INTEROP_OUT', ids.national), () => (exported === null ? exportedOn(db, kept, D) : exported()));
  for (const f of answered.filter((f) => f.kind === 'INTEROP_IN')) {
    add(header('INTEROP_IN_RESULT', f.answer_to, f.name, f.refusal_code ?? ''), verdicts(f));
  }

  const blacklist = activeBlacklist(db, D);
  for (const p of ids.participants) add(header('BLACKLIST', p), () => blacklist);

  const lines = db
    .prepare(
      // ref is '' on every line but an adjustment's (category 5: its correction id, C2 before C10).
      `SELECT participant_id, merchant_id, category, count, gross_fen, fee_fen, net_fen, fee_rate, ref FROM statement_lines
        WHERE business_date = ? ORDER BY participant_id, category, merchant_id, CAST(substr(ref, 2) AS INTEGER)`,
    )
    .all(D) as StatementLine[];
  const byParticipant = new Map<string, StatementLine[]>();
  for (const l of lines) {
    const list = byParticipant.get(l.participant_id);
    if (list) list.push(l);
    else byParticipant.set(l.participant_id, [l]);
  }
  for (const [p, ls] of byParticipant) add(header('CLEARING_STATEMENT', p), () => ls);

  const instructions = db
    .prepare(
      `SELECT instruction_id, payer_id, payee_id, amount_fen, business_date FROM instructions
        WHERE business_date = ? ORDER BY instruction_id`,
    )
    .all(D) as SettlementInstruction[];
  add(header('SETTLEMENT', ids.bank), () => instructions);
  return plan;
}

/**
 * The full active list as of the end of day D: per card, the latest entry by
 * effective_at (ties: the later imported) among those imported by D's batch; the
 * card is listed when that entry is an add.
 */
function activeBlacklist(db: Db, D: string): BlacklistEntry[] {
  const rows = db
    .prepare(
      `SELECT e.issuer_id, e.card_no, e.action, e.effective_at, e.reason FROM blacklist_entries e
         JOIN files f ON f.id = e.file_id WHERE f.batch_date <= ? ORDER BY e.issuer_id, e.card_no, e.effective_at, e.id`,
    )
    .all(D) as BlacklistEntry[];
  const out: BlacklistEntry[] = [];
  for (let i = 0; i < rows.length; i++) {
    const e = rows[i]!;
    const next = rows[i + 1];
    const lastOfCard = !next || next.issuer_id !== e.issuer_id || next.card_no !== e.card_no;
    if (lastOfCard && e.action === BLACKLIST_ADD) out.push(e);
  }
  return out;
}

const VERDICT_SLICE = 16384;

/**
 * How many answers day D's outbox holds so far, by `<file type>|<receiver>`, counted
 * as planOutbox numbers them: a TXN_ACK for each answered upload and one for each
 * upload with national rejections today (late), an INTEROP_IN_RESULT for each
 * answered INTEROP_IN. The import keeps every count at most MAX_FILE_SEQ.
 */
export function answersPlanned(db: Db, D: string): Map<string, number> {
  const out = new Map<string, number>();
  const answers = db
    .prepare(
      `SELECT kind, answer_to, COUNT(*) AS n FROM files
        WHERE batch_date = ? AND kind IN ('TXN_UPLOAD', 'INTEROP_IN') AND answer_to IS NOT NULL GROUP BY 1, 2`,
    )
    .all(D) as { kind: 'TXN_UPLOAD' | 'INTEROP_IN'; answer_to: string; n: number }[];
  for (const a of answers) out.set(answerKey(ANSWER_TYPE[a.kind], a.answer_to), a.n);
  const late = db
    .prepare(
      `SELECT answer_to, COUNT(*) AS n FROM files
        WHERE id IN (SELECT DISTINCT file_id FROM record_view WHERE national_date = ? AND national_status = 'REJECTED') GROUP BY 1`,
    )
    .all(D) as { answer_to: string; n: number }[];
  for (const a of late) {
    const k = answerKey('TXN_ACK', a.answer_to);
    out.set(k, (out.get(k) ?? 0) + a.n);
  }
  return out;
}

/** The file that answers each kind of file the centre receives. */
export const ANSWER_TYPE = { TXN_UPLOAD: 'TXN_ACK', INTEROP_IN: 'INTEROP_IN_RESULT' } as const;

export function answerKey(file_type: FileType, receiver_id: string): string {
  return `${file_type}|${receiver_id}`;
}

/** The files a day can write before it closes: their content is settled by the import alone. */
export function writableBeforeClose(f: PlannedFile): boolean {
  return f.header.file_type === 'TXN_ACK' || f.header.file_type === 'INTEROP_IN_RESULT';
}

/** The records exported in day D's INTEROP_OUT, in its order: read in id order (each kept block once), then ordered. */
function exportedOn(db: Db, kept: KeptRecords, D: string): Transaction[] {
  const rows = db
    .prepare(
      'SELECT r.file_id, r.idx, e.export_idx FROM exports e JOIN records r ON r.id = e.record_id WHERE e.exported_date = ? ORDER BY r.id',
    )
    .all(D) as { file_id: number; idx: number; export_idx: number }[];
  return withFields(kept, rows)
    .sort((a, b) => a.export_idx - b.export_idx)
    .map((r) => Object.fromEntries(TRANSACTION_FIELDS.map((f) => [f, r[f]])) as unknown as Transaction);
}
