// The files whose content the import alone settles (TXN_ACK, INTEROP_IN_RESULT) are
// written on a second thread while the main thread closes the day, from the same
// plan the outbox uses and a read-only connection that sees every committed import.
// They are written at temporary paths (`<name>.ahead-<pid>`) and renamed into place
// only after the day has closed (writeOutbox), so nothing reaches the outbox from a
// day that did not close. If the thread fails, the outbox writes them itself.
import path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { Ids, PrewrittenFile } from './outbox';

export interface EarlyAcksJob {
  dbPath: string;
  date: string;
  producedAt: string;
  ids: Ids;
  outboxDir: string;
  done: SharedArrayBuffer;
  port: MessagePort;
}

/** How long the main thread waits, after the close, for the files before writing them itself. */
const WAIT_MS = 600_000;

export class EarlyAcks {
  private readonly done = new Int32Array(new SharedArrayBuffer(4));
  private readonly port: MessagePort;
  private readonly worker: Worker;

  constructor(dbPath: string, date: string, producedAt: string, ids: Ids, outboxDir: string) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const job: EarlyAcksJob = { dbPath, date, producedAt, ids, outboxDir, done: this.done.buffer as SharedArrayBuffer, port: port2 };
    this.worker = new Worker(path.join(__dirname, 'early-acks-worker.js'), { workerData: job, transferList: [port2] });
    this.worker.unref();
    this.worker.on('error', () => undefined); // a failed thread sets no flag: the files are written in line
  }

  /** The files written ahead, by name; empty if the thread failed or did not finish. */
  finish(): Map<string, PrewrittenFile> {
    for (let waited = 0; Atomics.load(this.done, 0) === 0 && waited < WAIT_MS; waited += 100) Atomics.wait(this.done, 0, 0, 100);
    const out = new Map<string, PrewrittenFile>();
    if (Atomics.load(this.done, 0) === 1) {
      const message = receiveMessageOnPort(this.port)?.message as PrewrittenFile[] | undefined;
      for (const f of message ?? []) out.set(f.name, f);
    }
    void this.worker.terminate();
    this.port.close();
    return out;
  }
}
