// The thread of EarlyAcks (early-acks.ts): writes the outbox plan's files that the
// import settles, at temporary paths, and hands back what it wrote.
import fs from 'node:fs';
import path from 'node:path';
import { workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { writeExchangeFile } from '../files/writer';
import { planOutbox, writableBeforeClose, type PrewrittenFile } from './outbox';
import type { EarlyAcksJob } from './early-acks';

const job = workerData as EarlyAcksJob;
const done = new Int32Array(job.done);
let outcome = 2;
try {
  const db = new Database(job.dbPath, { readonly: true, fileMustExist: true });
  db.pragma('cache_size = -16384');
  fs.mkdirSync(job.outboxDir, { recursive: true });
  const files: PrewrittenFile[] = [];
  // One read transaction: every file comes from the same snapshot of the imports.
  db.transaction(() => {
    for (const f of planOutbox(db, { date: job.date, produced_at: job.producedAt }, job.ids)) {
      if (!writableBeforeClose(f)) continue;
      const at = path.join(job.outboxDir, `${f.name}.ahead-${process.pid}`);
      const w = writeExchangeFile(at, f.header, f.records() as Iterable<never>, { fsync: false, any_name: true });
      files.push({ name: f.name, path: at, sha256_hex: w.sha256_hex, records: w.trailer.record_count, bytes: w.bytes });
    }
  })();
  db.close();
  job.port.postMessage(files);
  outcome = 1;
} catch {
  // outcome 2: the main thread writes the files itself
}
Atomics.store(done, 0, outcome);
Atomics.notify(done, 0);
