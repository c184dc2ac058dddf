// `lct batch --date D` as a use case, in the steps of batch-cli.md: import, clear,
// post, settle, reconcile, close, write. Each step is one or more SQLite
// transactions; the outbox is rebuilt from the store, so a rerun after a crash, or
// of a closed day, writes the same files.
import type { Db } from '../store/db';
import { dayOrder, type DaysAround } from '../core/day-order';
import type { Keys, Participants } from '../core/config-types';
import type { DaySummary } from '../core/reports';
import type { Ids } from '../store/outbox-plan';
import { adoptClosedDayParticipants, participantsOfDay, recordOpenDayParticipants } from '../store/day-configs';
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
  /**
   * The clock, Beijing time, YYYYMMDDhhmmss (it comes in from outside: the command
   * line's, or LCT_NOW's): read first to know whether D has begun, then for the
   * moment the day's files are produced.
   */
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
  const order = dayOrder(D, req.now(), daysAround(db, D));
  if (!order.ok) return { kind: 'out_of_order', message: order.message };
  const rerun = order.rerun;
  // A closed day's files go to the participants of that day, whatever the file says today.
  const participants = rerun ? closedDayParticipants(db, D, req.participants) : req.participants;
  let ctx: BatchContext | null = null;
  try {
    if (!rerun) {
      db.prepare("INSERT OR IGNORE INTO days (date, status) VALUES (?, 'OPEN')").run(D);
      // The run that closes the day records what it closes it with (a resumed run replaces an interrupted one's).
      recordOpenDayParticipants(db, D, participants);
      ctx = makeContext(db, participants, req.keys, D, req.progress);
      // The WAL is checkpointed once, after the day closed, not after every file: a
      // checkpoint copies pages and fsyncs, and the night's files would pay it each.
      db.pragma('wal_autocheckpoint = 0');
      try {
        // 1. Import the inbox: validate every record.
        req.progress(`import: ${req.inboxDir}`);
        importInbox(ctx, req.inboxDir, req.parallel);
        ctx.tonight.freeMemory(); // the import's garbage, before the close's filters and the worker's files take theirs
        const producedAt = req.now();
        // On a big night the files the import settles are written beside the close.
        if (ctx.tonight.canWriteAhead) {
          removeStaleTemporaries(req.outboxDir);
          ctx.tonight.writeAhead({ date: D, producedAt, ids: idsOf(participants), outboxDir: req.outboxDir });
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
    const exported = ctx?.tonight.exported;
    const written = writeOutbox(
      db,
      D,
      participants,
      idsOf(participants),
      req.outboxDir,
      ctx?.tonight.aheadFiles() ?? null,
      exported?.date === D ? exported.records : null,
      ctx?.tonight.exceptionalIds() ?? null,
    );
    req.progress('checkpoint: the night into the store file');
    checkpoint.end();
    const summary = JSON.parse(db.prepare('SELECT summary_json FROM days WHERE date = ?').pluck().get(D) as string) as DaySummary;
    return { kind: 'done', summary, written, rerun };
  } finally {
    (ctx as BatchContext | null)?.tonight.close();
  }
}

/** What the store says about the days around D, for the day-order rules. */
function daysAround(db: Db, D: string): DaysAround {
  const one = (sql: string, ...args: unknown[]) =>
    (db
      .prepare(sql)
      .pluck()
      .get(...args) as string | null | undefined) ?? null;
  return {
    status: one('SELECT status FROM days WHERE date = ?', D) as DaysAround['status'],
    later_closed: one("SELECT MAX(date) FROM days WHERE status = 'CLOSED' AND date > ?", D),
    earlier_open: one("SELECT MIN(date) FROM days WHERE status = 'OPEN' AND date < ?", D),
    later_open: one("SELECT MIN(date) FROM days WHERE status = 'OPEN' AND date > ?", D),
    last_closed: one("SELECT MAX(date) FROM days WHERE status = 'CLOSED'"),
  };
}

/**
 * The participants closed day D ran with. A day closed before they were recorded (a
 * store older than migration 6) takes the file given to this run, once, and keeps it.
 */
function closedDayParticipants(db: Db, D: string, given: Participants): Participants {
  const recorded = participantsOfDay(db, D);
  if (recorded !== null) return recorded;
  adoptClosedDayParticipants(db, D, given);
  return given;
}
