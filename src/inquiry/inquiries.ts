// What operators ask of the store without writing SQL: a card's history with its
// gaps, the whole story of one record (items are in ./items.ts).
// Each function takes the store and returns data; cli/ formats it.
import { TRANSACTION_FIELDS } from '../core/types';
import type { Db } from '../store/db';
import { KeptRecords, readRecord, withFields } from '../store/kept-files';
import { CARD_SEQ_SPAN, cardBase } from '../store/record-keys';
import { KeyRuns } from '../store/key-runs';
import type { ReconItemRow } from '../store/recon-items';
import { readEntry } from '../store/journal';
import { releasesOf, type CorrectionView } from '../store/corrections';
import { itemViews, type ItemView } from './items';
import type { JournalEntry } from '../core/clearing';
import { RECORD_RULES } from './rules';

// Items moved to ./items.ts; their old import path still works.
export { listItems, resolveItem, type ItemFilter, type ItemView, type ResolveOutcome } from './items';

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
  /** 0-based position in its file. */
  file_index: number;
  /** A SUSPENDED record's release, proposed, approved or posted (then the record is ACCEPTED and cleared by it); null when none. */
  release: ReleaseView | null;
}

/** A record's release (clearing-rules.md, "Corrections") as the inquiries show it. */
export interface ReleaseView {
  /** The correction: C1, C2, ... */
  id: string;
  status: CorrectionView['status'];
  proposed_by: string;
  proposed_at: string;
  decided_by: string | null;
  decided_at: string | null;
  /** YYYY-MM-DD: the day whose batch clears it (approved), or cleared it (posted). */
  effective_date: string | null;
  entry_id: string | null;
  note: string;
  decision_note: string | null;
}

function releaseView(c: CorrectionView | undefined): ReleaseView | null {
  if (c === undefined) return null;
  return {
    id: c.id,
    status: c.status,
    proposed_by: c.proposed_by,
    proposed_at: c.proposed_at,
    decided_by: c.decided_by,
    decided_at: c.decided_at,
    effective_date: c.effective_date,
    entry_id: c.entry_id,
    note: c.note,
    decision_note: c.decision_note,
  };
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
 * Records of a day not yet closed (an interrupted batch) are not in the key runs
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

/** Where a card's record ids are (a json array, `?`): history's are found in its key runs. */
const CARD_RECORD_IDS = `SELECT value FROM json_each(?)`;

/**
 * The ids of a card's records, as a json array: history's from the key runs, a night
 * not closed yet's from its rows. Any issuer whose card hashes alike is among them:
 * the caller's fields filter it out.
 */
function cardRecordIds(db: Db, issuer_id: string, card_no: string): string {
  const lo = cardBase(issuer_id, card_no);
  const hi = lo + CARD_SEQ_SPAN - 1;
  // Where the runs end is read first: a close that commits meanwhile puts its night in
  // both halves (the ids are a set to the caller), never in neither.
  const unindexed = firstUnindexedId(db);
  const ids: number[] = [];
  new KeyRuns(db).between('card', lo, hi, (_, id) => ids.push(id));
  const rows = db.prepare('SELECT id FROM records WHERE id >= ? AND card_key BETWEEN ? AND ?').pluck();
  for (const id of rows.all(unindexed, lo, hi) as number[]) ids.push(id);
  return JSON.stringify(ids);
}

/**
 * The issuers that hold records of this card number. The candidates (the issuer
 * that the number's first 8 digits name, the configured issuers) are looked up by
 * key, at one seek a night; only when none of them has the card is the whole
 * store searched for the number (a remote card: its issuer can be anyone).
 */
export function issuersOfCard(db: Db, card_no: string, candidates: string[]): string[] {
  const kept = new KeptRecords(db);
  const under = db.prepare(`SELECT id, file_id, idx FROM records WHERE id IN (${CARD_RECORD_IDS}) ORDER BY id`);
  const found = [...new Set(candidates)].filter((issuer) =>
    withFields(kept, under.all(cardRecordIds(db, issuer, card_no)) as { file_id: number; idx: number }[]).some(
      (r) => r.issuer_id === issuer && r.card_no === card_no,
    ),
  );
  if (found.length > 0) return found.sort();
  // Every record the store keeps, file by file, read from the kept bytes.
  const issuers = new Set<string>();
  for (const f of db.prepare('SELECT id, record_count FROM files WHERE kept IS NOT NULL AND record_count > 0 ORDER BY id').all() as {
    id: number;
    record_count: number;
  }[]) {
    for (const r of kept.range(f.id, 0, f.record_count - 1)) if (r.card_no === card_no) issuers.add(r.issuer_id);
  }
  return [...issuers].sort();
}

export function cardHistory(db: Db, issuer_id: string, card_no: string): CardHistory {
  const rows = db
    .prepare(
      `SELECT r.id, r.file_id, r.idx, r.txn_type, r.amount_fen, r.acquirer_id, r.status, r.reason, r.cleared_date, f.name AS file
         FROM record_view r JOIN files f ON f.id = r.file_id
        WHERE r.id IN (${CARD_RECORD_IDS})
        ORDER BY r.card_key, r.id`,
    )
    .all(cardRecordIds(db, issuer_id, card_no)) as {
    id: number;
    file_id: number;
    idx: number;
    acquirer_id: string;
    status: string;
    reason: string;
    cleared_date: string | null;
    file: string;
  }[];
  const records: CardRecordView[] = withFields(new KeptRecords(db), rows)
    .filter((r) => r.issuer_id === issuer_id && r.card_no === card_no)
    .map((r) => ({
      id: r.id,
      card_seq: r.card_seq,
      txn_type: r.txn_type,
      amount_fen: r.amount_fen,
      balance_before_fen: r.balance_before_fen,
      balance_after_fen: r.balance_after_fen,
      occurred_at: r.occurred_at,
      terminal_id: r.terminal_id,
      acquirer_id: r.acquirer_id,
      status: r.status as CardRecordView['status'],
      reason: r.reason,
      cleared_date: r.cleared_date,
      file: r.file,
      file_index: r.idx,
      release: null,
    }));
  const releases = releasesOf(
    db,
    records.map((r) => r.id),
  );
  for (const r of records) r.release = releaseView(releases.get(r.id));
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
  const open = itemViews(
    db,
    db
      .prepare("SELECT * FROM recon_items WHERE kind = 'float' AND ref = ? ORDER BY range_lo")
      .all(`${issuer_id}/${card_no}`) as ReconItemRow[],
  );
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
  /** Its release from suspense by a correction, if one was proposed (not rejected). */
  release: ReleaseView | null;
  interop: {
    /** The INTEROP_OUT that sent it on, and its index there. */
    file: string | null;
    exported_date: string;
    export_idx: number;
    national_status: string | null;
    national_reason: string | null;
    national_date: string | null;
  } | null;
  entries: JournalEntry[];
  items: ItemView[];
}

export type RecordLookup =
  | {
      ok: true;
      id: number;
      /** How the reference led to the record, when it was not a record reference itself. */
      via: string | null;
    }
  | { ok: false; problem: string };

const ITEM_ID = /^(uploads|national|bank|float):[A-Z_]+:/;
const INTEROP_OUT_REF = /^INTEROP_OUT_\d{8}_\d{8}_(\d{8})_\d{4}\.pb#(\d+)$/;

/**
 * A record named by any reference the other commands print: its id; FILE_NAME#INDEX
 * of the file that brought it; INTEROP_OUT_...pb#INDEX of the file that sent it on
 * (the national items' ref); or a reconciliation item's id (a national item: the
 * record sent; a float item: the record after the gap or break).
 */
export function findRecord(db: Db, ref: string): RecordLookup {
  const none = (problem: string): RecordLookup => ({ ok: false, problem: `${ref}: no such record: ${problem}` });
  if (/^\d+$/.test(ref)) {
    const id = db.prepare('SELECT id FROM records WHERE id = ?').pluck().get(Number(ref)) as number | undefined;
    return id === undefined ? none('no record has this id') : { ok: true, id, via: null };
  }
  if (ITEM_ID.test(ref)) {
    const item = db.prepare('SELECT * FROM recon_items WHERE id = ?').get(ref) as ReconItemRow | undefined;
    return item === undefined ? none('no reconciliation item with this id') : recordOfItem(item, none);
  }
  const out = INTEROP_OUT_REF.exec(ref);
  if (out) {
    const id = db.prepare('SELECT record_id FROM exports WHERE exported_date = ? AND export_idx = ?').pluck().get(out[1], Number(out[2])) as
      | number
      | undefined;
    if (id !== undefined) return { ok: true, id, via: null };
    const item = db.prepare("SELECT * FROM recon_items WHERE kind = 'national' AND ref = ? ORDER BY id LIMIT 1").get(ref) as
      | ReconItemRow
      | undefined;
    return item === undefined ? none('the centre sent no record at this index') : recordOfItem(item, none);
  }
  const m = /^(.+)#(\d+)$/.exec(ref);
  if (!m) return none('give a record id, FILE_NAME#INDEX, INTEROP_OUT_...pb#INDEX or a reconciliation item id');
  const files = db
    .prepare('SELECT outcome, refusal_code, first_record_id, record_count FROM files WHERE name = ? ORDER BY id')
    .all(m[1]) as { outcome: string; refusal_code: string | null; first_record_id: number | null; record_count: number }[];
  const file = files.find((f) => f.outcome === 'IMPORTED');
  const idx = Number(m[2]);
  if (file === undefined) {
    const refused = files.at(-1);
    return none(
      refused ? `the file was refused whole (${refused.refusal_code}): it brought no records` : 'no file of this name was imported',
    );
  }
  if (file.first_record_id === null || idx >= file.record_count)
    return none(`the file has ${file.record_count} record(s); INDEX counts from 0`);
  return { ok: true, id: file.first_record_id + idx, via: null };
}

function recordOfItem(item: ReconItemRow, none: (problem: string) => RecordLookup): RecordLookup {
  const ours = JSON.parse(item.ours_json) as { record_id?: number; before?: { record_id?: number } };
  const theirs = JSON.parse(item.theirs_json) as { after?: { record_id?: number } };
  const what = `${item.kind} ${item.category} item`;
  if (item.kind === 'national') {
    if (ours.record_id !== undefined) return { ok: true, id: ours.record_id, via: `${what} ${item.id}: the record the centre sent` };
    return none(`this ${what} is a verdict for a record the centre never sent: there is no record of ours`);
  }
  if (item.kind === 'float' && theirs.after?.record_id !== undefined) {
    const before = ours.before?.record_id;
    return {
      ok: true,
      id: theirs.after.record_id,
      via: `${what} ${item.id}: the record after the ${item.category === 'SEQ_GAP' ? 'gap' : 'break'}${before === undefined ? '' : `; the one before it is record ${before}`}`,
    };
  }
  if (item.kind === 'bank') return none(`this ${what} is about settlement instruction ${item.ref}, not about a record`);
  if (item.kind === 'uploads') {
    const seqs = item.range_lo === item.range_hi ? `${item.range_lo}` : `${item.range_lo}..${item.range_hi}`;
    return none(`this ${what} is about terminal ${item.ref}'s record(s) ${seqs}, which never arrived`);
  }
  return none(`this ${what} names no record`);
}

export function explainRecord(db: Db, id: number, ids: { national: string }): RecordStory {
  // The row as people read it, and every field of the record from its file's kept bytes.
  const row = db.prepare('SELECT * FROM record_view WHERE id = ?').get(id) as Record<string, unknown>;
  const r = { ...row, ...readRecord(db, new KeptRecords(db), id) } as Record<string, unknown> & {
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
  const release = releaseView(releasesOf(db, [id]).get(id));
  const entryIds: string[] = [];
  // In the order they were posted: a released record went to suspense first.
  if (r.suspense_date) entryIds.push(`${r.suspense_date}/suspense`);
  if (r.cleared_date) {
    const payee = r.source === 'INTEROP_IN' ? ids.national : r.acquirer_id;
    entryIds.push(`${r.cleared_date}/clear/${payee}`);
    // Paid out of suspense in the release's own entry; its fee is in the clearing entry.
    if (release?.entry_id) entryIds.push(release.entry_id);
    entryIds.push(`${r.cleared_date}/settle/${payee}`);
    if (r.national_status === 'ACCEPTED')
      entryIds.push(`${r.cleared_date}/clear/${ids.national}`, `${r.cleared_date}/settle/${ids.national}`);
  }
  const seqOf = db.prepare('SELECT seq FROM entries WHERE id = ?').pluck();
  const entries = entryIds.flatMap((eid) => {
    const seq = seqOf.get(eid) as number | undefined;
    return seq === undefined ? [] : [readEntry(db, seq)];
  });
  const items = itemViews(
    db,
    db
      .prepare(
        `SELECT * FROM recon_items WHERE ours_json LIKE @a OR ours_json LIKE @b OR theirs_json LIKE @a OR theirs_json LIKE @b
         ORDER BY opened_date, id`,
      )
      .all({ a: `%"record_id":${id},%`, b: `%"record_id":${id}}%` }) as ReconItemRow[],
  );
  const fields = Object.fromEntries(TRANSACTION_FIELDS.map((k) => [k, r[k]]));
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
    release,
    interop:
      r.exported_date === null
        ? null
        : {
            file: interopOutName(db, r.exported_date),
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

function interopOutName(db: Db, date: string): string | null {
  return (
    (db.prepare("SELECT name FROM outputs WHERE business_date = ? AND name LIKE 'INTEROP_OUT%' ORDER BY name LIMIT 1").pluck().get(date) as
      | string
      | undefined) ?? null
  );
}
