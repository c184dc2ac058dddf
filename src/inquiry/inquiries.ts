// What operators ask of the store without writing SQL: open items and how to
// resolve one, a card's history with its gaps, the whole story of one record.
// Each function takes the store and returns data; cli/ formats it.
import type { Db } from '../store/db';
import { CARD_SEQ_SPAN, cardBase } from '../store/record-keys';
import { closeItem, getItem, type ReconItemRow } from '../store/recon-items';
import { readEntry } from '../store/journal';
import { addDays } from '../core/calendar';
import type { JournalEntry } from '../core/clearing';
import { RECORD_RULES } from './rules';

export interface ItemFilter {
  kind?: string;
  participant?: string;
  /** Items opened on this day (YYYYMMDD). */
  opened?: string;
  /** Include closed items too. */
  all?: boolean;
}

export interface ItemView {
  id: string;
  kind: string;
  category: string;
  ref: string;
  participant_id: string | null;
  opened: string;
  closed: string | null;
  closed_by: string | null;
  note: string | null;
  amount_fen: number;
  ours: unknown;
  theirs: unknown;
}

function view(r: ReconItemRow): ItemView {
  return {
    id: r.id,
    kind: r.kind,
    category: r.category,
    ref: r.ref,
    participant_id: r.participant_id,
    opened: r.opened_date,
    closed: r.closed_date,
    closed_by: r.closed_by,
    note: r.close_note,
    amount_fen: r.amount_fen,
    ours: JSON.parse(r.ours_json),
    theirs: JSON.parse(r.theirs_json),
  };
}

export function listItems(db: Db, f: ItemFilter): ItemView[] {
  const rows = db
    .prepare(
      `SELECT * FROM recon_items
        WHERE (@all = 1 OR closed_date IS NULL)
          AND (@kind IS NULL OR kind = @kind)
          AND (@participant IS NULL OR participant_id = @participant)
          AND (@opened IS NULL OR opened_date = @opened)
        ORDER BY opened_date, kind, id`,
    )
    .all({ all: f.all ? 1 : 0, kind: f.kind ?? null, participant: f.participant ?? null, opened: f.opened ?? null }) as ReconItemRow[];
  return rows.map(view);
}

export type ResolveOutcome =
  | { ok: true; item: ItemView; effective: string; released_record: number | null }
  | { ok: false; problem: string };

/**
 * Closes an item by an operator's decision, effective on the first day not yet
 * closed (a closed day's reports never change). The note and name are kept in
 * the item and in the operator log. A national AMOUNT_MISMATCH resolved with
 * `clearRecord` releases the record to be cleared, at our amount, by that day's batch.
 */
export function resolveItem(
  db: Db,
  id: string,
  by: string,
  note: string,
  at: string,
  opts: { clearRecord?: boolean } = {},
): ResolveOutcome {
  const item = getItem(db, id);
  if (!item) return { ok: false, problem: `no reconciliation item ${id}` };
  if (item.closed_date !== null) return { ok: false, problem: `item ${id} was closed on ${item.closed_date} by ${item.closed_by}` };
  if (opts.clearRecord && !(item.kind === 'national' && item.category === 'AMOUNT_MISMATCH')) {
    return { ok: false, problem: '--clear-record applies only to a national AMOUNT_MISMATCH item' };
  }
  const lastClosed = db.prepare("SELECT MAX(date) FROM days WHERE status = 'CLOSED'").pluck().get() as string | null;
  const effective = lastClosed ? addDays(lastClosed, 1) : item.opened_date;
  let released: number | null = null;
  db.transaction(() => {
    closeItem(db, id, effective, by, note);
    db.prepare('INSERT INTO operator_log (at, operator, action, target, note) VALUES (?, ?, ?, ?, ?)').run(
      at,
      by,
      opts.clearRecord ? 'resolve+clear-record' : 'resolve',
      id,
      note,
    );
    if (opts.clearRecord) {
      const recordId = (JSON.parse(item.ours_json) as { record_id?: number }).record_id ?? null;
      if (recordId !== null) {
        db.prepare(
          "UPDATE records SET national_status = 'ACCEPTED', national_date = ? WHERE id = ? AND national_status = 'AMOUNT_MISMATCH' AND cleared_date IS NULL",
        ).run(effective, recordId);
        released = recordId;
      }
    }
  })();
  return { ok: true, item: view(getItem(db, id)!), effective, released_record: released };
}

export interface CardRecordView {
  id: number;
  card_seq: number;
  txn_type: number;
  amount_fen: number;
  balance_before_fen: number;
  balance_after_fen: number;
  occurred_at: string;
  terminal_id: string;
  acquirer_id: string;
  status: string;
  reason: string;
  cleared_date: string | null;
  file: string;
}

export interface CardHistory {
  issuer_id: string;
  card_no: string;
  records: CardRecordView[];
  /** Between consecutive non-rejected records: missing counters and balance jumps. */
  gaps: { after_seq: number; before_seq: number; missing: number; jump_fen: number; kind: 'SEQ_GAP' | 'BALANCE_BREAK' }[];
  open_items: ItemView[];
}

/**
 * Records of a day not yet closed (an interrupted batch) are not in the key tables
 * yet: the close puts them there. From this id on, records are searched directly.
 */
function firstUnindexedId(db: Db): number {
  const open = db
    .prepare(
      `SELECT MIN(f.first_record_id) FROM files f JOIN days d ON d.date = f.batch_date
        WHERE d.status = 'OPEN' AND f.outcome = 'IMPORTED' AND f.first_record_id IS NOT NULL`,
    )
    .pluck()
    .get() as number | null;
  return open ?? ((db.prepare('SELECT MAX(id) FROM records').pluck().get() as number | null) ?? 0) + 1;
}

export function cardHistory(db: Db, issuer_id: string, card_no: string): CardHistory {
  const base = cardBase(issuer_id, card_no);
  const records = (
    db
      .prepare(
        `SELECT r.id, r.card_seq, r.txn_type, r.amount_fen, r.balance_before_fen, r.balance_after_fen, r.occurred_at, r.terminal_id,
                r.acquirer_id, r.status, r.reason, r.cleared_date, f.name AS file, r.issuer_id, r.card_no
           FROM records r JOIN files f ON f.id = r.file_id
          WHERE r.id IN (SELECT k.record_id FROM days d JOIN card_keys k ON k.night = CAST(d.date AS INTEGER) AND k.card_key BETWEEN @lo AND @hi
                         UNION ALL SELECT id FROM records WHERE id >= @unindexed AND card_key BETWEEN @lo AND @hi)
          ORDER BY r.card_key, r.id`,
      )
      .all({ lo: base, hi: base + CARD_SEQ_SPAN - 1, unindexed: firstUnindexedId(db) }) as (CardRecordView & {
      issuer_id: string;
      card_no: string;
    })[]
  )
    .filter((r) => r.issuer_id === issuer_id && r.card_no === card_no)
    .map(({ issuer_id: _i, card_no: _c, ...r }) => r);
  const held = records.filter((r) => r.status !== 'REJECTED');
  const gaps: CardHistory['gaps'] = [];
  for (let k = 1; k < held.length; k++) {
    const a = held[k - 1]!;
    const b = held[k]!;
    const jump = b.balance_before_fen - a.balance_after_fen;
    const missing = b.card_seq - a.card_seq - 1;
    if (missing > 0) gaps.push({ after_seq: a.card_seq, before_seq: b.card_seq, missing, jump_fen: jump, kind: 'SEQ_GAP' });
    else if (jump !== 0) gaps.push({ after_seq: a.card_seq, before_seq: b.card_seq, missing: 0, jump_fen: jump, kind: 'BALANCE_BREAK' });
  }
  const open = (
    db
      .prepare("SELECT * FROM recon_items WHERE kind = 'float' AND ref = ? ORDER BY range_lo")
      .all(`${issuer_id}/${card_no}`) as ReconItemRow[]
  ).map(view);
  return { issuer_id, card_no, records, gaps, open_items: open };
}

export interface RecordStory {
  record: Record<string, unknown>;
  file: { name: string; batch_date: string; business_date: string | null; index: number };
  verdict: { status: string; reason: string; rule: string; detail: string };
  now: { status: string; reason: string };
  conflict_with: unknown | null;
  cleared_date: string | null;
  suspense_date: string | null;
  interop: {
    exported_date: string;
    export_idx: number;
    national_status: string | null;
    national_reason: string | null;
    national_date: string | null;
  } | null;
  entries: JournalEntry[];
  items: ItemView[];
}

/** A record named by id, or by `FILE_NAME#INDEX`. */
export function findRecordId(db: Db, ref: string): number | undefined {
  if (/^\d+$/.test(ref)) return db.prepare('SELECT id FROM records WHERE id = ?').pluck().get(Number(ref)) as number | undefined;
  const m = /^(.+)#(\d+)$/.exec(ref);
  if (!m) return undefined;
  const file = db.prepare("SELECT first_record_id, record_count FROM files WHERE name = ? AND outcome = 'IMPORTED'").get(m[1]) as
    | { first_record_id: number | null; record_count: number }
    | undefined;
  const idx = Number(m[2]);
  if (!file || file.first_record_id === null || idx >= file.record_count) return undefined;
  return file.first_record_id + idx;
}

export function explainRecord(db: Db, id: number, ids: { national: string }): RecordStory {
  const r = db.prepare('SELECT * FROM records WHERE id = ?').get(id) as Record<string, unknown> & {
    file_id: number;
    idx: number;
    acquirer_id: string;
    source: string;
    txn_type: number;
    verdict_status: string;
    verdict_reason: string;
    verdict_detail: string;
    status: string;
    reason: string;
    cleared_date: string | null;
    suspense_date: string | null;
    exported_date: string | null;
    export_idx: number | null;
    national_status: string | null;
    national_reason: string | null;
    national_date: string | null;
    issuer_id: string;
    card_no: string;
    terminal_id: string;
  };
  const file = db.prepare('SELECT name, batch_date, business_date FROM files WHERE id = ?').get(r.file_id) as {
    name: string;
    batch_date: string;
    business_date: string | null;
  };
  const conflict = db.prepare('SELECT held_json FROM key_conflicts WHERE record_id = ?').pluck().get(id) as string | undefined;
  const entryIds: string[] = [];
  if (r.cleared_date) {
    const payee = r.source === 'INTEROP_IN' ? ids.national : r.acquirer_id;
    entryIds.push(`${r.cleared_date}/clear/${payee}`, `${r.cleared_date}/settle/${payee}`);
    if (r.national_status === 'ACCEPTED')
      entryIds.push(`${r.cleared_date}/clear/${ids.national}`, `${r.cleared_date}/settle/${ids.national}`);
  }
  if (r.suspense_date) entryIds.push(`${r.suspense_date}/suspense`);
  const seqOf = db.prepare('SELECT seq FROM entries WHERE id = ?').pluck();
  const entries = entryIds.flatMap((eid) => {
    const seq = seqOf.get(eid) as number | undefined;
    return seq === undefined ? [] : [readEntry(db, seq)];
  });
  const items = (
    db
      .prepare(
        `SELECT * FROM recon_items WHERE ours_json LIKE @a OR ours_json LIKE @b OR theirs_json LIKE @a OR theirs_json LIKE @b
         ORDER BY opened_date, id`,
      )
      .all({ a: `%"record_id":${id},%`, b: `%"record_id":${id}}%` }) as ReconItemRow[]
  ).map(view);
  const fields = Object.fromEntries(
    [
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
    ].map((k) => [k, r[k]]),
  );
  return {
    record: { id, ...fields },
    file: { name: file.name, batch_date: file.batch_date, business_date: file.business_date, index: r.idx },
    verdict: {
      status: r.verdict_status,
      reason: r.verdict_reason,
      rule:
        RECORD_RULES[r.verdict_reason] ??
        (r.verdict_status === 'ACCEPTED'
          ? 'passed every rule: local card'
          : 'passed every rule: remote card, sent on to the national centre'),
      detail: r.verdict_detail,
    },
    now: { status: r.status, reason: r.reason },
    conflict_with: conflict ? JSON.parse(conflict) : null,
    cleared_date: r.cleared_date,
    suspense_date: r.suspense_date,
    interop:
      r.exported_date === null
        ? null
        : {
            exported_date: r.exported_date,
            export_idx: r.export_idx!,
            national_status: r.national_status,
            national_reason: r.national_reason,
            national_date: r.national_date,
          },
    entries,
    items,
  };
}
