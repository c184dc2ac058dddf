// The thread of Checkpoint (checkpoint.ts): one PASSIVE checkpoint on its own
// connection, then a word in shared memory says how it ended.
import { workerData } from 'node:worker_threads';
import { openStore } from '../store/db';
import { CHECKPOINT_DONE, CHECKPOINT_FAILED } from './checkpoint';

const { path, flag } = workerData as { path: string; flag: SharedArrayBuffer };
const done = new Int32Array(flag);
let outcome = CHECKPOINT_FAILED;
try {
  const db = openStore(path, { mustExist: true });
  db.pragma('wal_checkpoint(PASSIVE)');
  db.close();
  outcome = CHECKPOINT_DONE;
} catch {
  // The main thread's own checkpoint does the work then.
}
Atomics.store(done, 0, outcome);
Atomics.notify(done, 0);
