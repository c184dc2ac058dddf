// Which records a day's batch imported: the ids lo..hi. Every step after the import
// (clearing, reconciliation, the keys at the close, the summary) reads the night by
// this range.
import { strict as assert } from 'node:assert';
import type { Db } from './db';

/** The ids of the records a day's batch imported, lo..hi; empty (lo > hi) when it imported none. */
export interface RecordRange {
  lo: number;
  hi: number;
}

/** The ids of the records a day's batch imported: contiguous, because imports are sequential. */
export function batchRecordRange(db: Db, date: string): RecordRange {
  const row = db
    .prepare(
      `SELECT MIN(first_record_id) AS lo, MAX(first_record_id + record_count - 1) AS hi
         FROM files WHERE batch_date = ? AND outcome = 'IMPORTED' AND first_record_id IS NOT NULL`,
    )
    .get(date) as { lo: number | null; hi: number | null };
  return row.lo === null || row.hi === null ? { lo: 1, hi: 0 } : { lo: row.lo, hi: row.hi };
}

/**
 * Up to this many records a batch, what tonight's tables kept of the import (its totals,
 * its exceptional and pending records) is checked against the rows, read in SQL too.
 */
export const CROSS_CHECK_RANGE = 200_000;

/**
 * What the import kept in memory of the batch (`kept`), or, when it kept nothing
 * (null: an interrupted run began the batch), what the store's rows say (`rows`). A
 * batch of up to CROSS_CHECK_RANGE records reads the rows too, and they must agree.
 */
export function keptOrRows<T>(range: RecordRange, kept: T | null, rows: () => T, what: string): T {
  if (kept === null) return rows();
  if (range.hi - range.lo < CROSS_CHECK_RANGE) assert.deepStrictEqual(kept, rows(), `${what}: as kept at import, not as the rows say`);
  return kept;
}

/**
 * `SELECT select FROM from WHERE where`, over the batch's records: among `exceptional`
 * alone when it is given (the ids of the night's records not simply accepted or
 * pending, Tonight.exceptionalIds, which hold every row `where` can pick), else over
 * the whole range (keptOrRows). `from` names the table or view `r`; the rows come in
 * id order.
 */
export function exceptionalRows<R>(
  db: Db,
  select: string,
  from: string,
  where: string,
  range: RecordRange,
  exceptional: readonly number[] | null,
): R[] {
  const byRange = (): R[] =>
    db.prepare(`SELECT ${select} FROM ${from} WHERE r.id BETWEEN ? AND ? AND (${where}) ORDER BY r.id`).all(range.lo, range.hi) as R[];
  const byIds = (ids: readonly number[]): R[] =>
    ids.length === 0
      ? []
      : (db
          .prepare(`SELECT ${select} FROM ${from} WHERE r.id IN (SELECT value FROM json_each(?)) AND (${where}) ORDER BY r.id`)
          .all(JSON.stringify(ids)) as R[]);
  return keptOrRows(range, exceptional === null ? null : byIds(exceptional), byRange, `the exceptional records where ${where}`);
}
