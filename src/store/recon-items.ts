// Reconciliation items in the store. An item is opened once (its id is derived
// from what it is about, so the same finding never opens twice), and closed by
// later data or by an operator; it is never deleted.
import type { Db } from './db';

export type ReconKind = 'uploads' | 'national' | 'bank' | 'float';
export type ReconCategory = 'LOCAL_ONLY' | 'REMOTE_ONLY' | 'AMOUNT_MISMATCH' | 'SEQ_GAP' | 'BALANCE_BREAK';

export interface NewReconItem {
  id: string;
  kind: ReconKind;
  category: ReconCategory;
  ref: string;
  participant_id: string | null;
  ours: unknown;
  theirs: unknown;
  amount_fen?: number;
  range_lo?: number;
  range_hi?: number;
}

export interface ReconItemRow {
  id: string;
  kind: ReconKind;
  category: ReconCategory;
  ref: string;
  participant_id: string | null;
  opened_date: string;
  closed_date: string | null;
  closed_by: string | null;
  close_note: string | null;
  ours_json: string;
  theirs_json: string;
  amount_fen: number;
  range_lo: number | null;
  range_hi: number | null;
}

/** Opens an item on `date` unless one with this id exists (open or closed). Returns true when new. */
export function openItem(db: Db, date: string, item: NewReconItem): boolean {
  const info = db
    .prepare(
      `INSERT OR IGNORE INTO recon_items (id, kind, category, ref, participant_id, opened_date, ours_json, theirs_json,
                                           amount_fen, range_lo, range_hi)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      item.id,
      item.kind,
      item.category,
      item.ref,
      item.participant_id,
      date,
      JSON.stringify(item.ours ?? {}),
      JSON.stringify(item.theirs ?? {}),
      item.amount_fen ?? 0,
      item.range_lo ?? null,
      item.range_hi ?? null,
    );
  return info.changes === 1;
}

export function closeItem(db: Db, id: string, date: string, by: string, note: string): boolean {
  const info = db
    .prepare('UPDATE recon_items SET closed_date = ?, closed_by = ?, close_note = ? WHERE id = ? AND closed_date IS NULL')
    .run(date, by, note, id);
  return info.changes === 1;
}

export function getItem(db: Db, id: string): ReconItemRow | undefined {
  return db.prepare('SELECT * FROM recon_items WHERE id = ?').get(id) as ReconItemRow | undefined;
}

/** Items open at the end of `date`: opened on or before it, not closed on or before it. */
export function openItemsAt(db: Db, date: string, filter: { kind?: string; participant?: string } = {}): ReconItemRow[] {
  return db
    .prepare(
      `SELECT * FROM recon_items
        WHERE opened_date <= @date AND (closed_date IS NULL OR closed_date > @date)
          AND (@kind IS NULL OR kind = @kind) AND (@participant IS NULL OR participant_id = @participant)
        ORDER BY kind, opened_date, id`,
    )
    .all({ date, kind: filter.kind ?? null, participant: filter.participant ?? null }) as ReconItemRow[];
}
