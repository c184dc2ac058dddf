// Which records a day's batch imported: the ids lo..hi. Every step after the import
// (clearing, reconciliation, the keys at the close, the summary) reads the night by
// this range.
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
