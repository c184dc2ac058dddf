// The thread of BackgroundCheckpoint (checkpoint.ts): one PASSIVE checkpoint on its
// own connection, then a word in shared memory says how it ended.
import { workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, flag } = workerData as { path: string; flag: SharedArrayBuffer };
const done = new Int32Array(flag);
let outcome = 2;
try {
  const db = new Database(path, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  db.pragma('wal_checkpoint(PASSIVE)');
  db.close();
  outcome = 1;
} catch {
  // The main thread's own checkpoint does the work then.
}
Atomics.store(done, 0, outcome);
Atomics.notify(done, 0);
