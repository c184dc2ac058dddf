// `lct batch --date D` as a use case, in the steps of batch-cli.md: import, clear,
// post, settle, reconcile, close, write. Each step is one or more SQLite
// transactions; the outbox is rebuilt from the store, so a rerun after a crash, or
// of a closed day, writes the same files.
import type { Db } from '../store/db';
import { addDays } from '../core/calendar';
import type { Keys, Participants } from '../core/config-types';
import type { DaySummary } from '../core/reports';
import type { Ids } from '../store/outbox-plan';
import { Checkpoint } from '../machinery/checkpoint';
import type { ParallelMode } from '../machinery/tonight';
import { makeContext, type BatchContext, type Progress } from './context';
import { importInbox } from './import-files';
import { closeDay } from './close-day';
import { removeStaleTemporaries, writeOutbox, type WrittenDay } from './outbox';

export interface BatchRequest {
  db: Db;
  participants: Participants;
  keys: Keys;
  /** YYYYMMDD */
  date: string;
  inboxDir: string;
  outboxDir: string;
  /** The moment the day's files are produced, YYYYMMDDhhmmss (the clock comes in from outside). */
  now: () => string;
  progress: Progress;
  /** Whether the stateless rules run on a worker thread; 'auto' (the default) decides by the night's size. */
  parallel?: ParallelMode;
}

export type BatchOutcome =
  | { kind: 'out_of_order'; message: string }
  | { kind: 'done'; summary: DaySummary; written: WrittenDay; rerun: boolean };

export function idsOf(p: Participants): Ids {
  return {
    centre: p.centre.id,
    national: p.national.id,
    bank: p.bank.id,
    participants: [...p.acquirers, ...p.agents].map((x) => x.id).sort(),
  };
}

export function runBatch(req: BatchRequest): BatchOutcome {
  const { db, date: D } = req;
  const later = db.prepare("SELECT MAX(date) FROM days WHERE status = 'CLOSED' AND date > ?").pluck().get(D) as string | null;
  if (later) return { kind: 'out_of_order', message: `day ${D} is before ${later}, which is closed: days run in order` };
  const earlierOpen = db.prepare("SELECT MIN(date) FROM days WHERE status = 'OPEN' AND date < ?").pluck().get(D) as string | null;
  if (earlierOpen) return { kind: 'out_of_order', message: `day ${earlierOpen} was interrupted: rerun it before ${D}` };
  const lastClosed = db.prepare("SELECT MAX(date) FROM days WHERE status = 'CLOSED'").pluck().get() as string | null;
  if (lastClosed !== null && lastClosed < addDays(D, -1))
    return { kind: 'out_of_order', message: `day ${addDays(lastClosed, 1)} was never run: run it before ${D} (no day is skipped)` };

  const status = db.prepare('SELECT status FROM days WHERE date = ?').pluck().get(D) as string | undefined;
  const rerun = status === 'CLOSED';
  let ctx: BatchContext | null = null;
  try {
    if (!rerun) {
      db.prepare("INSERT OR IGNORE INTO days (date, status) VALUES (?, 'OPEN')").run(D);
      ctx = makeContext(db, req.participants, req.keys, D, req.progress);
      // The WAL is checkpointed once, after the day closed, not after every file: a
      // checkpoint copies pages and fsyncs, and the night's files would pay it each.
      db.pragma('wal_autocheckpoint = 0');
      try {
        // 1. Import the inbox: validate every record.
        req.progress(`import: ${req.inboxDir}`);
        importInbox(ctx, req.inboxDir, req.parallel);
        const producedAt = req.now();
        // On a big night the files the import settles are written beside the close.
        if (ctx.tonight.canWriteAhead) {
          removeStaleTemporaries(req.outboxDir);
          ctx.tonight.writeAhead({ date: D, producedAt, ids: idsOf(req.participants), outboxDir: req.outboxDir });
        }
        // 2-4. Clear, post, settle, match the bank, reconcile, and close the day.
        closeDay(ctx, producedAt);
      } finally {
        db.pragma('wal_autocheckpoint = 1000');
      }
    } else {
      req.progress(`day ${D} is closed: rewriting its files from the store`);
    }
    // 5. Write the outbox. The night's WAL goes into the store file meanwhile.
    const checkpoint = Checkpoint.begin(db);
    req.progress(`write: ${req.outboxDir}`);
    const written = writeOutbox(db, D, req.participants, idsOf(req.participants), req.outboxDir, ctx?.tonight.writtenAhead());
    req.progress('checkpoint: the night into the store file');
    checkpoint.end();
    const summary = JSON.parse(db.prepare('SELECT summary_json FROM days WHERE date = ?').pluck().get(D) as string) as DaySummary;
    return { kind: 'done', summary, written, rerun };
  } finally {
    (ctx as BatchContext | null)?.tonight.close();
  }
}
