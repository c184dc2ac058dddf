// Opening the store: one SQLite file in WAL mode, migrations applied on open.
import Database from 'better-sqlite3';
import { applyMigration, MIGRATIONS } from './migrations';

export type Db = Database.Database;

export class StoreError extends Error {}

export function openStore(path: string, opts: { readonly?: boolean; mustExist?: boolean } = {}): Db {
  let db: Db;
  try {
    db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.mustExist ?? false });
  } catch (err) {
    throw new StoreError(`${path}: cannot open the store: ${(err as Error).message}`);
  }
  // Set first: two commands opening a new store together wait for each other's switch
  // to WAL and migrations instead of failing on them.
  db.pragma('busy_timeout = 5000');
  if (!opts.readonly) {
    // 16 KiB pages (before WAL, so it takes on a new store): a night appends a
    // million rows, and bigger pages mean fewer page splits and index levels
    // (measured: about 9% faster on a night's import). An existing store keeps its own.
    db.pragma('page_size = 16384');
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode is durable against a process kill (the WAL is fsynced at
    // checkpoints); a power cut may lose the last transactions, never corrupt.
    db.pragma('synchronous = NORMAL');
  }
  db.pragma('foreign_keys = ON');
  // 24 MiB: the records are appended, and each night's keys are appended as its
  // own key runs, so a bigger cache bought nothing. Measured: a 5M night went from 116 s and
  // 1.54 GB peak RSS with 256 MiB to 107 s and 1.17 GB with 64 MiB; a 1M night from 18.5-19.9 s to 17.9 s.
  // With the narrow records (issue 12) 24 MiB is as fast as 64 and 40 MB lighter.
  db.pragma('cache_size = -24576');
  // Sorts bigger than the page cache (the night's keys at the close) spill to a temporary
  // file, not into the process: with MEMORY a 5M night's sort added about 150 MB of RSS.
  db.pragma('temp_store = FILE');
  if (!opts.readonly) {
    migrate(db, path);
    const failAfter = process.env.LCT_FAULT_WRITE_FAIL_AFTER;
    if (failAfter) failNthWrite(db, failAfter);
  } else {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== MIGRATIONS.length) throw new StoreError(`${path}: not an lct store at schema ${MIGRATIONS.length} (found ${version})`);
  }
  return db;
}

function migrate(db: Db, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new StoreError(`${path}: store schema ${version} is newer than this lct (${MIGRATIONS.length})`);
  }
  // Up to date (every opening by a reader, while a batch writes): no write lock is asked for.
  if (version === MIGRATIONS.length) return;
  // Another process may be migrating the same store right now: each step takes the
  // write lock first and reads the version again under it.
  const step = db.transaction((): boolean => {
    const v = db.pragma('user_version', { simple: true }) as number;
    if (v >= MIGRATIONS.length) return false;
    applyMigration(db, v);
    db.pragma(`user_version = ${v + 1}`);
    return true;
  });
  while (step.immediate());
}

/**
 * Test hook, not a setting: LCT_FAULT_WRITE_FAIL_AFTER=N makes the Nth write statement
 * run through this connection (after migrations) throw SQLite's own "database or disk is
 * full" (SQLITE_FULL), so that the soak (fixtures/soak.ts) can prove a failure at any
 * write changes nothing. Unset, nothing is wrapped.
 */
function failNthWrite(db: Db, spec: string): void {
  const n = Number(spec);
  if (!Number.isSafeInteger(n) || n < 1) throw new StoreError(`LCT_FAULT_WRITE_FAIL_AFTER=${spec}: not a whole number >= 1`);
  let writes = 0;
  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) => {
    const stmt = prepare(source);
    if (stmt.reader) return stmt;
    const run = stmt.run.bind(stmt);
    stmt.run = (...params: unknown[]) => {
      if (++writes === n) throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
      return run(...params);
    };
    return stmt;
  }) as Db['prepare'];
}
