// Files written ahead: the files whose content the import alone settles (TXN_ACK,
// INTEROP_IN_RESULT) are written on the validation worker's thread while the main
// thread closes the day, from the same plan the outbox uses (src/store/outbox-plan.ts)
// and the worker's read-only connection, which sees every committed import. They are
// written at temporary paths (`<name>.ahead-<pid>`) and renamed into place only after
// the day has closed (src/batch/outbox.ts, writeOutbox), so nothing reaches the
// outbox from a day that did not close. If the thread fails, the outbox writes them
// itself.
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/db';
import { planOutbox, writableBeforeClose, type Ids } from '../store/outbox-plan';
import { writeExchangeFile } from '../files/writer';

/** What to write ahead: the day's files that the import settles. */
export interface WriteAhead {
  date: string;
  /** The files' created_at (the day's produced_at). */
  producedAt: string;
  ids: Ids;
  outboxDir: string;
}

/** A file written ahead of the close, at a temporary path: the outbox renames it into place. */
export interface WrittenAheadFile {
  name: string;
  path: string;
  sha256_hex: string;
  records: number;
  bytes: number;
}

/**
 * The files written ahead, as the outbox sees them: it writes the others of the day
 * first, then claims those the worker has not, one at a time from the counter they
 * share (take: the index, among the files written ahead, of the next it is to write;
 * past the last, none is left), so that both write till none is left; then it waits
 * for the worker's.
 */
export interface AheadFiles {
  take(): number;
  written(): ReadonlyMap<string, WrittenAheadFile>;
}

/** Thrown when the main thread stopped waiting: the files written so far are the outbox's to sweep. */
class Stopped extends Error {}

/**
 * Writes the job's files from one snapshot of db; returns what it wrote. `stopped` is
 * asked as it goes; `take` gives the index (among the files written ahead, in plan
 * order) of the next file this thread is to write: past the last, it stops (the main
 * thread claimed the rest).
 */
export function writeAhead(
  db: Db,
  job: WriteAhead,
  stopped: () => boolean = () => false,
  take: (() => number) | null = null,
): WrittenAheadFile[] {
  fs.mkdirSync(job.outboxDir, { recursive: true });
  const files: WrittenAheadFile[] = [];
  db.transaction(() => {
    const ahead = planOutbox(db, { date: job.date, produced_at: job.producedAt }, job.ids).filter(writableBeforeClose);
    let next = 0;
    for (;;) {
      const k = take === null ? next++ : take();
      if (k >= ahead.length) break;
      const f = ahead[k]!;
      if (stopped()) throw new Stopped();
      const at = path.join(job.outboxDir, `${f.name}.ahead-${process.pid}`);
      const w = writeExchangeFile(at, f.header, checked(f.records() as Iterable<never>, stopped), { fsync: false, any_name: true });
      files.push({ name: f.name, path: at, sha256_hex: w.sha256_hex, records: w.trailer.record_count, bytes: w.bytes });
    }
  })();
  return files;
}

/** The records, asking `stopped` every 4,096 of them. */
function* checked<T>(records: Iterable<T>, stopped: () => boolean): Generator<T> {
  let n = 0;
  for (const r of records) {
    if ((++n & 4095) === 0 && stopped()) throw new Stopped();
    yield r;
  }
}
