// One writer at a time (batch-cli.md, "Common options"): the commands that change the
// store (batch, recon resolve, the correct commands) take it exclusively for their
// whole check-then-write sequence, so that two of them can never both pass a check
// that only one of them may pass (the day order, an item still open, a file not yet
// imported).
//
// The lock is a row, not a held transaction: a batch commits many transactions (one
// per file, then the close) from its own connections and threads, and readers must
// see each finished step. The row says who holds the store, so that a second writer
// can be told at once; it is removed at the end. A process killed while holding it
// leaves the row behind: a holder whose process is gone from this host is taken over.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import type { Db } from './db';

export interface WriterLockHolder {
  /** The command as the operator gave it, e.g. `batch --date 2026-01-05`. */
  command: string;
  pid: number;
  host: string;
  /** YYYYMMDDhhmmss, Beijing time. */
  since: string;
}

export interface WriterLockRequest {
  command: string;
  /** The clock (YYYYMMDDhhmmss): when the store was taken. */
  now: () => string;
  /** Told of a lock left by a process that ended without letting go, before it is taken over. */
  onTakeOver?: (stale: WriterLockHolder) => void;
}

/**
 * What came of asking for the store: it ran (and the lock is let go again), or another
 * writer holds it. `holder` is null when some connection outside lct's lock (the sqlite3
 * shell, say) kept the store's write lock for longer than an acquisition takes.
 */
export type WriterLockOutcome<T> = { kind: 'ran'; value: T } | { kind: 'held'; holder: WriterLockHolder | null };

interface LockRow extends WriterLockHolder {
  process_start: string | null;
  token: string;
}

/**
 * Another writer's own acquisition holds SQLite's write lock for a moment only: a row
 * appears, or the lock is free again, well within this. Longer means a writer outside lct.
 */
const ACQUIRE_WAIT_MS_MAX = 2000;
const ACQUIRE_RETRY_MS = 5;

/**
 * Runs `fn` holding the store alone. `fn` must be synchronous: the lock is let go when
 * it returns or throws. The store's own busy waiting is switched off while the lock is
 * sought, so that a second writer is refused at once instead of queueing behind the
 * first one's transaction; the holder's connection keeps its busy timeout for its work.
 */
export function withWriterLock<T>(db: Db, request: WriterLockRequest, fn: () => T): WriterLockOutcome<T> {
  const token = crypto.randomUUID();
  const acquired = acquire(db, request, token);
  if (acquired !== 'taken') return { kind: 'held', holder: acquired };
  let value: T;
  try {
    value = fn();
  } catch (err) {
    try {
      release(db, token);
    } catch {
      // The failure of fn is the one to report; a row left behind names this
      // process, which is about to end, and the next writer takes it over.
    }
    throw err;
  }
  release(db, token);
  assert(!((value as { then?: unknown } | null)?.then instanceof Function), 'withWriterLock: fn must not be async');
  return { kind: 'ran', value };
}

function acquire(db: Db, request: WriterLockRequest, token: string): 'taken' | WriterLockHolder | null {
  const busyTimeoutMs = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma('busy_timeout = 0');
  try {
    const started = Date.now();
    for (;;) {
      let outcome: { taken: true; stale: LockRow | undefined } | { taken: false; holder: LockRow | undefined };
      try {
        outcome = db
          .transaction((): typeof outcome => {
            const row = readRow(db);
            if (row && holderAlive(row)) return { taken: false, holder: row };
            if (row) db.prepare('DELETE FROM writer_lock WHERE token = ?').run(row.token);
            db.prepare('INSERT INTO writer_lock (id, command, pid, host, process_start, since, token) VALUES (1, ?, ?, ?, ?, ?, ?)').run(
              request.command,
              process.pid,
              os.hostname(),
              processSeen(process.pid)?.start ?? null,
              request.now(),
              token,
            );
            return { taken: true, stale: row };
          })
          .immediate();
      } catch (err) {
        if (!isBusy(err)) throw err;
        // Another connection is writing. If it is a holder, say so at once; if it is
        // someone taking the lock (or taking it over) right now, its row shows in a moment.
        const row = readRowBesideWriter(db);
        outcome = { taken: false, holder: row && holderAlive(row) ? row : undefined };
      }
      if (outcome.taken) {
        if (outcome.stale) request.onTakeOver?.(holderOf(outcome.stale));
        return 'taken';
      }
      if (outcome.holder) return holderOf(outcome.holder);
      if (Date.now() - started > ACQUIRE_WAIT_MS_MAX) return null;
      sleepMs(ACQUIRE_RETRY_MS);
    }
  } finally {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  }
}

function release(db: Db, token: string): void {
  const info = db.prepare('DELETE FROM writer_lock WHERE token = ?').run(token);
  // Nobody else removes a live holder's row: were it gone, two writers would have run at once.
  assert.equal(info.changes, 1, "the store's writer lock was gone before its holder let go");
}

function readRow(db: Db): LockRow | undefined {
  return db.prepare('SELECT command, pid, host, process_start, since, token FROM writer_lock WHERE id = 1').get() as LockRow | undefined;
}

/** A read beside another connection's write: WAL lets it through, bar a checkpoint's brief moments. */
function readRowBesideWriter(db: Db): LockRow | undefined {
  try {
    return readRow(db);
  } catch (err) {
    if (isBusy(err)) return undefined;
    throw err;
  }
}

function holderOf(row: LockRow): WriterLockHolder {
  return { command: row.command, pid: row.pid, host: row.host, since: row.since };
}

/**
 * Whether the process that wrote the row still runs. On another host there is no way
 * to tell, so it counts as running (the store is on a shared disk: better refused than
 * two writers). On this host a pid that is gone is dead, and so is a killed process
 * its parent has not reaped yet (a zombie); a pid that runs but started at another
 * moment (or in another boot) has been reused by another process.
 */
function holderAlive(row: LockRow): boolean {
  if (row.host !== os.hostname()) return true;
  try {
    process.kill(row.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: it runs, under another user.
  }
  const seen = processSeen(row.pid);
  if (seen === null) return true;
  if (seen.zombie) return false;
  return row.process_start === null || seen.start === row.process_start;
}

/**
 * Where the system tells it (Linux's /proc): the boot and the moment, in clock ticks
 * since boot, at which process `pid` started (with the pid it names one process for
 * good), and whether it has ended unreaped. Elsewhere null: the pid alone has to do.
 */
function processSeen(pid: number): { start: string; zombie: boolean } | null {
  try {
    const bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name, which is in parentheses and may hold spaces:
    // the state is field 3 of the line, the first after the name; starttime field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = fields[19];
    if (startTicks === undefined) return null;
    return { start: `${bootId}/${startTicks}`, zombie: fields[0] === 'Z' };
  } catch {
    return null;
  }
}

function isBusy(err: unknown): boolean {
  return String((err as { code?: unknown } | null)?.code ?? '').startsWith('SQLITE_BUSY');
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
