// Reconciliation items as operators look at them: what each puts at stake, how old
// it is, a night's findings summed up by kind, category and participant, gaps of one
// card or terminal shown as runs, and resolving items one at a time or by filter.
// The items themselves stay as the spec counts them (one per missing number).
import type { Db } from '../store/db';
import { closeItem, getItem, type ReconItemRow } from '../store/recon-items';
import { correctionsClosingItems } from '../store/corrections';
import { addDays, compactDateDayNumber } from '../core/calendar';

export const ITEM_KINDS = ['uploads', 'national', 'bank', 'float'] as const;
export const ITEM_CATEGORIES = ['LOCAL_ONLY', 'REMOTE_ONLY', 'AMOUNT_MISMATCH', 'SEQ_GAP', 'BALANCE_BREAK'] as const;

export interface ItemFilter {
  kind?: string;
  category?: string;
  participant?: string;
  /** Items opened on this day (YYYYMMDD). */
  opened?: string;
  /** Items older than this many days (age > n) as of the last closed day. */
  older_than_days?: number;
  /** Items about this subject: a card `ISSUER/CARD_NO`, a terminal `ACQUIRER/TERMINAL`, an instruction, `FILE#INDEX`. */
  ref?: string;
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
  /** The correction (C1, C2, ...) whose posting closed it, as resolved by its approver with its note; null otherwise. */
  correction: string | null;
  /**
   * The money at stake. bank and national: our amount (LOCAL_ONLY), theirs
   * (REMOTE_ONLY), or the difference (AMOUNT_MISMATCH; the whole amount when only the
   * parties differ). float: the balance jump across it (signed). uploads: 0 (the
   * missing record's amount is not known).
   */
  amount_fen: number;
  /** What our side says: the amount (bank, national), the balance before the gap (float); null when we have no side. */
  ours_fen: number | null;
  /** What their side says: the amount (bank, national), the balance after the gap (float); null when they have no side. */
  theirs_fen: number | null;
  /** uploads and float gaps: the first and last missing number. */
  range_lo: number | null;
  range_hi: number | null;
  /** Days from the day it opened to the last closed day. */
  age_days: number;
  ours: unknown;
  theirs: unknown;
}

function field(side: unknown, ...path: string[]): number | null {
  let v: unknown = side;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return typeof v === 'number' ? v : null;
}

/** Both sides' amounts and the money at stake of an item (see ItemView.amount_fen). */
export function itemAmounts(
  kind: string,
  category: string,
  ours: unknown,
  theirs: unknown,
  stored_fen: number,
): { amount_fen: number; ours_fen: number | null; theirs_fen: number | null } {
  if (kind === 'float') {
    return {
      amount_fen: stored_fen,
      ours_fen: field(ours, 'before', 'balance_after_fen'),
      theirs_fen: field(theirs, 'after', 'balance_before_fen'),
    };
  }
  if (kind !== 'bank' && kind !== 'national') return { amount_fen: stored_fen, ours_fen: null, theirs_fen: null };
  const o = field(ours, 'amount_fen');
  const t = field(theirs, 'amount_fen');
  let amount = 0;
  if (category === 'LOCAL_ONLY') amount = o ?? 0;
  else if (category === 'REMOTE_ONLY') amount = t ?? 0;
  else if (o !== null && t !== null) amount = o !== t ? Math.abs(t - o) : o;
  return { amount_fen: amount, ours_fen: o, theirs_fen: t };
}

/** The last closed business day (YYYYMMDD), from which ages are counted; null for a store with none. */
export function lastClosedDay(db: Db): string | null {
  return db.prepare("SELECT MAX(date) FROM days WHERE status = 'CLOSED'").pluck().get() as string | null;
}

export function daysBetween(from: string, to: string): number {
  return compactDateDayNumber(to)! - compactDateDayNumber(from)!;
}

function view(r: ReconItemRow, asOf: string | null, correction: string | null): ItemView {
  const ours = JSON.parse(r.ours_json) as unknown;
  const theirs = JSON.parse(r.theirs_json) as unknown;
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
    correction,
    ...itemAmounts(r.kind, r.category, ours, theirs, r.amount_fen),
    range_lo: r.range_lo,
    range_hi: r.range_hi,
    age_days: asOf === null ? 0 : Math.max(0, daysBetween(r.opened_date, asOf)),
    ours,
    theirs,
  };
}

/** Views of stored rows, aged as of the store's last closed day. */
export function itemViews(db: Db, rows: ReconItemRow[]): ItemView[] {
  const asOf = lastClosedDay(db);
  const closers = correctionsClosingItems(
    db,
    rows
      .filter((r) => r.closed_date !== null)
      .map((r) => ({ id: r.id, closed_date: r.closed_date, closed_by: r.closed_by, note: r.close_note })),
  );
  return rows.map((r) => view(r, asOf, closers.get(r.id) ?? null));
}

export type ItemOrder = 'age' | 'amount';

/** The items a filter selects, oldest first (or by money at stake, largest first). */
export function listItems(db: Db, f: ItemFilter, order: ItemOrder = 'age'): ItemView[] {
  const rows = db
    .prepare(
      `SELECT * FROM recon_items
        WHERE (@all = 1 OR closed_date IS NULL)
          AND (@kind IS NULL OR kind = @kind)
          AND (@category IS NULL OR category = @category)
          AND (@participant IS NULL OR participant_id = @participant)
          AND (@opened IS NULL OR opened_date = @opened)
          AND (@ref IS NULL OR ref = @ref)
        ORDER BY opened_date, kind, category, ref, range_lo, id`,
    )
    .all({
      all: f.all ? 1 : 0,
      kind: f.kind ?? null,
      category: f.category ?? null,
      participant: f.participant ?? null,
      opened: f.opened ?? null,
      ref: f.ref ?? null,
    }) as ReconItemRow[];
  let items = itemViews(db, rows);
  if (f.older_than_days !== undefined) items = items.filter((i) => i.age_days > f.older_than_days!);
  if (order === 'amount') items = stableSort(items, (a, b) => Math.abs(b.amount_fen) - Math.abs(a.amount_fen));
  return items;
}

function stableSort<T>(xs: T[], cmp: (a: T, b: T) => number): T[] {
  return xs
    .map((x, i) => [x, i] as const)
    .sort((a, b) => cmp(a[0], b[0]) || a[1] - b[1])
    .map(([x]) => x);
}

/** One line of the listing: an item, or a run of gap items of one card or terminal. */
export interface ItemRow {
  items: ItemView[];
  /** The run's numbers (the item's own for a single gap item), null for items without numbers. */
  lo: number | null;
  hi: number | null;
  /** The run's money at stake: the sum of its items' amounts. */
  amount_fen: number;
}

/**
 * Consecutive gap items (range_lo just after the previous range_hi) of one subject,
 * kind, category and participant, opened the same day and in the same state, become
 * one row. The order of `items` is kept: a run is formed only of neighbours.
 */
export function itemRuns(items: ItemView[]): ItemRow[] {
  const rows: ItemRow[] = [];
  let last: ItemRow | undefined;
  for (const i of items) {
    const head = last?.items[0];
    if (
      last !== undefined &&
      head !== undefined &&
      isGap(i) &&
      i.range_lo !== null &&
      last.hi !== null &&
      i.range_lo === last.hi + 1 &&
      i.kind === head.kind &&
      i.category === head.category &&
      i.ref === head.ref &&
      i.participant_id === head.participant_id &&
      i.opened === head.opened &&
      i.closed === head.closed &&
      i.closed_by === head.closed_by &&
      i.correction === head.correction
    ) {
      last.items.push(i);
      last.hi = i.range_hi;
      last.amount_fen += i.amount_fen;
      continue;
    }
    last = { items: [i], lo: i.range_lo, hi: i.range_hi, amount_fen: i.amount_fen };
    rows.push(last);
  }
  return rows;
}

/** Items that stand for missing numbers (a break's range is the two records around it, not a gap). */
function isGap(i: ItemView): boolean {
  return i.category === 'SEQ_GAP' || (i.kind === 'uploads' && i.category === 'REMOTE_ONLY');
}

/** Rows of the listing, runs formed in the canonical order, then ordered as asked. */
export function itemRows(items: ItemView[], order: ItemOrder): ItemRow[] {
  const canonical = [...items].sort(
    (a, b) =>
      cmp(a.opened, b.opened) ||
      cmp(a.kind, b.kind) ||
      cmp(a.category, b.category) ||
      cmp(a.ref, b.ref) ||
      (a.range_lo ?? 0) - (b.range_lo ?? 0) ||
      cmp(a.id, b.id),
  );
  const rows = itemRuns(canonical);
  return order === 'amount' ? stableSort(rows, (a, b) => Math.abs(b.amount_fen) - Math.abs(a.amount_fen)) : rows;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface SummaryLine {
  kind: string;
  category: string;
  participant_id: string | null;
  items: number;
  /** The sum of the items' money at stake, each counted as a positive amount. */
  at_stake_fen: number;
  oldest_days: number;
}

/** The items by kind, category and participant: how many, the money at stake, the oldest age. */
export function summarizeItems(items: ItemView[]): SummaryLine[] {
  const lines = new Map<string, SummaryLine>();
  for (const i of items) {
    const key = `${i.kind}\u0000${i.category}\u0000${i.participant_id ?? ''}`;
    let s = lines.get(key);
    if (s === undefined) {
      s = { kind: i.kind, category: i.category, participant_id: i.participant_id, items: 0, at_stake_fen: 0, oldest_days: 0 };
      lines.set(key, s);
    }
    s.items++;
    s.at_stake_fen += Math.abs(i.amount_fen);
    s.oldest_days = Math.max(s.oldest_days, i.age_days);
  }
  const kindOrder = (k: string) => (ITEM_KINDS as readonly string[]).indexOf(k);
  return [...lines.values()].sort(
    (a, b) => kindOrder(a.kind) - kindOrder(b.kind) || cmp(a.category, b.category) || cmp(a.participant_id ?? '', b.participant_id ?? ''),
  );
}

/** The first business day not yet closed: where an operator's decision takes effect. */
function effectiveDay(db: Db, fallback: string): string {
  const lastClosed = lastClosedDay(db);
  return lastClosed ? addDays(lastClosed, 1) : fallback;
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
  const effective = effectiveDay(db, item.opened_date);
  let released: number | null = null;
  db.transaction(() => {
    closeItem(db, id, effective, by, note);
    logResolution(db, at, by, opts.clearRecord ? 'resolve+clear-record' : 'resolve', id, note);
    if (opts.clearRecord) {
      const recordId = (JSON.parse(item.ours_json) as { record_id?: number }).record_id ?? null;
      if (recordId !== null) {
        db.prepare(
          `UPDATE exports SET national_status = 'ACCEPTED', national_date = ?
            WHERE record_id = ? AND national_status = 'AMOUNT_MISMATCH' AND (SELECT cleared_date FROM records WHERE id = ?) IS NULL`,
        ).run(effective, recordId, recordId);
        released = recordId;
      }
    }
  }).immediate();
  return { ok: true, item: itemViews(db, [getItem(db, id)!])[0]!, effective, released_record: released };
}

function logResolution(db: Db, at: string, by: string, action: string, id: string, note: string): void {
  db.prepare('INSERT INTO operator_log (at, operator, action, target, note) VALUES (?, ?, ?, ?, ?)').run(at, by, action, id, note);
}

export interface BulkResolution {
  /** The items closed now (an item closed meanwhile by another hand is left as it is). */
  closed: string[];
  effective: string;
}

/**
 * Closes the given open items by one decision, in one transaction: each item
 * keeps the note and the name, and each gets its line in the operator log.
 */
export function resolveItems(db: Db, ids: string[], by: string, note: string, at: string): BulkResolution {
  const closed: string[] = [];
  let effective = '';
  db.transaction(() => {
    for (const id of ids) {
      const item = getItem(db, id);
      if (item === undefined || item.closed_date !== null) continue;
      if (effective === '') effective = effectiveDay(db, item.opened_date);
      if (!closeItem(db, id, effective, by, note)) continue;
      logResolution(db, at, by, 'resolve', id, note);
      closed.push(id);
    }
  }).immediate();
  return { closed, effective };
}
