// Copying a night's WAL (hundreds of MB) into the store file takes seconds of disk
// work that need not hold up the outbox: a second thread copies the frames while the
// main thread writes the files, and the main thread's final TRUNCATE checkpoint then
// has only the last few frames left to copy. Either way the store ends the same.
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Db } from '../store/db';

/** Below this the WAL is copied in line: starting a thread costs more than it saves. */
const BACKGROUND_FROM_BYTES = 64 * 2 ** 20;
/** How long the main thread waits for the second thread before it copies alone. */
const WAIT_MS = 600_000;

// The shared word's values: the thread is copying, copied, or could not.
const CHECKPOINT_RUNNING = 0;
export const CHECKPOINT_DONE = 1;
export const CHECKPOINT_FAILED = 2;

export class Checkpoint {
  private readonly done: Int32Array | null;

  private constructor(
    private readonly db: Db,
    done: Int32Array | null,
  ) {
    this.done = done;
  }

  /** Starts copying the WAL on a second thread when it is big enough to be worth it. */
  static begin(db: Db): Checkpoint {
    let walBytes = 0;
    try {
      walBytes = db.memory ? 0 : fs.statSync(`${db.name}-wal`).size;
    } catch {
      walBytes = 0;
    }
    if (walBytes < BACKGROUND_FROM_BYTES) return new Checkpoint(db, null);
    const done = new Int32Array(new SharedArrayBuffer(4));
    let worker: Worker;
    try {
      worker = new Worker(path.join(__dirname, 'checkpoint-worker.js'), { workerData: { path: db.name, flag: done.buffer } });
    } catch {
      return new Checkpoint(db, null); // no thread to be had: copied in line
    }
    worker.unref();
    worker.on('error', () => Atomics.store(done, 0, CHECKPOINT_FAILED)); // delivered only if the loop turns; the wait below is bounded anyway
    return new Checkpoint(db, done);
  }

  /** Waits for the second thread (if any), then copies what is left and empties the WAL. */
  end(): void {
    if (this.done) {
      for (let waited = 0; Atomics.load(this.done, 0) === CHECKPOINT_RUNNING && waited < WAIT_MS; waited += 100) {
        Atomics.wait(this.done, 0, CHECKPOINT_RUNNING, 100);
      }
    }
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }
}
