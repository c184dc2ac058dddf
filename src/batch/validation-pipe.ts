// The second core's share of an import: a worker thread reads the same file as the
// main thread and runs, ahead of it, everything about a record that needs no history
// of tonight: decoding, the stateless rules (E01 E02 E08 E04 E07 E06 E05, TAC
// included) and a probe of history's key tables for the record's two keys. The main
// thread decodes the file too (it needs the values to store), then takes each
// record's result from a ring in shared memory and does what needs tonight's state:
// E03 E09 S01 against history and tonight, and the insert. History's key filters
// are shared with the worker, so it searches the key tables only for a "maybe".
//
// The worker decides nothing the main thread could not decide alone: its result is
// the stateless verdict (the same pure function) and a hint that history holds a key,
// which the main thread confirms on the store. When the worker cannot answer (it
// failed, or the file turned out other than it read), the main thread validates the
// record itself: slower, never different.
//
// Protocol, one file at a time: the main thread resets the control words and posts
// the job; the worker publishes results in chunks (PRODUCED), waits while the ring
// is full (CONSUMED), and ends in DONE or FAILED; with DONE after a whole file, it
// leaves the SHA-256 of what it read, which the main thread checks against its own
// reading before the file commits. ABORT asks it to stop early: the main thread is
// done with the file (it finished, refused it, or failed), or stopped waiting for
// the files written ahead.

import path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { Keys, Participants } from '../core/config-types';
import { KeyFilter, type KeyFilters } from '../store/key-filter';
import type { AheadJob } from './early-acks';
import type { PrewrittenFile } from './outbox';

export const RING = 1 << 16;
export const CHUNK = 4096;

export const PRODUCED = 0;
export const CONSUMED = 1;
export const STATE = 2;
export const ABORT = 3;
/** 1 when the digest buffer holds the SHA-256 of the file the worker read to its end. */
export const HAS_DIGEST = 4;
/** The bigger filters of an ahead job: RUNNING, then DONE or FAILED. */
export const FILTERS = 5;
/** How many history keys the worker put in each bigger filter. */
export const CARD_KEYS = 6;
export const TERMINAL_KEYS = 7;

export const RUNNING = 1;
export const DONE = 2;
export const FAILED = 3;

/** Result bits: the reason's number in STATELESS_REASONS + 1 (0: passed), the field's, two probe hints. */
export const REASON_SHIFT = 8;
export const FIELD_MASK = 0xff;
export const HISTORY_CARD = 1 << 12;
export const HISTORY_TERMINAL = 1 << 13;
/** The worker could not encode this record's verdict: the main thread validates it. */
export const UNKNOWN = -1;

export const STATELESS_REASONS = ['E01', 'E02', 'E08', 'E04', 'E07', 'E06', 'E05'] as const;
export const VERDICT_FIELDS = [
  'issuer_id',
  'card_no',
  'card_type',
  'txn_type',
  'amount_fen',
  'balance_before_fen',
  'balance_after_fen',
  'card_seq',
  'terminal_id',
  'terminal_seq',
  'acquirer_id',
  'merchant_id',
  'occurred_at',
  'tac',
  'batch_no',
  'line_id',
  'station_id',
] as const;

export interface WorkerSetup {
  control: SharedArrayBuffer;
  results: SharedArrayBuffer;
  /** 32 bytes: the SHA-256 of the file the worker read. */
  digest: SharedArrayBuffer;
  participants: Participants;
  keys: Keys;
  dbPath: string;
  /** The key filters' bits, shared: read-only while the import runs. */
  cardFilter: SharedArrayBuffer;
  terminalFilter: SharedArrayBuffer;
  /** Where the worker posts what it wrote ahead. */
  port?: MessagePort;
}

export interface Job {
  kind: 'file';
  path: string;
}

/** How long the main thread waits for a result before it deems the worker lost. */
const STALL_MS = 120_000;
/** How long, after the close, it waits for the files written ahead before writing them itself. */
const AHEAD_MS = 600_000;

export class ValidationPipe {
  private readonly control = new Int32Array(new SharedArrayBuffer(16 * 4));
  private readonly results = new Int32Array(new SharedArrayBuffer(RING * 4));
  private readonly digest = new Uint8Array(new SharedArrayBuffer(32));
  /** Results of the current file that the main thread took from the worker. */
  private used = 0;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private active = false;
  private aheadStarted = false;
  /** The worker stalled once: it is not asked again, and the main thread validates alone. */
  private broken = false;

  constructor(participants: Participants, keys: Keys, dbPath: string, filters: KeyFilters) {
    const setup: WorkerSetup = {
      control: this.control.buffer as SharedArrayBuffer,
      results: this.results.buffer as SharedArrayBuffer,
      digest: this.digest.buffer as SharedArrayBuffer,
      participants,
      keys,
      dbPath,
      cardFilter: filters.card.words.buffer as SharedArrayBuffer,
      terminalFilter: filters.terminal.words.buffer as SharedArrayBuffer,
    };
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    setup.port = port2;
    this.worker = new Worker(path.join(__dirname, 'validation-worker.js'), { workerData: setup, transferList: [port2] });
    this.worker.unref();
    // A worker that dies leaves STATE as it was; the stall timeout catches it. Its
    // error event is only delivered when the event loop turns, after the batch.
    this.worker.on('error', () => undefined);
  }

  /** Starts the worker on a file whose records the main thread is about to read. */
  begin(job: Job): void {
    this.finish();
    if (this.broken) return;
    Atomics.store(this.control, PRODUCED, 0);
    Atomics.store(this.control, CONSUMED, 0);
    Atomics.store(this.control, ABORT, 0);
    Atomics.store(this.control, HAS_DIGEST, 0);
    Atomics.store(this.control, STATE, RUNNING);
    this.active = true;
    this.used = 0;
    this.worker.postMessage(job);
  }

  /** Record index's result, waiting for the worker if it is behind; UNKNOWN when it cannot say. */
  resultOf(index: number): number {
    if (!this.active) return UNKNOWN;
    const c = this.control;
    let waited = 0;
    for (;;) {
      const produced = Atomics.load(c, PRODUCED);
      if (index < produced) {
        this.used++;
        return this.results[index % RING]!;
      }
      const state = Atomics.load(c, STATE);
      if (state !== RUNNING) return UNKNOWN; // finished short of this record, or failed
      if (Atomics.wait(c, PRODUCED, produced, 100) === 'timed-out') {
        waited += 100;
        if (waited >= STALL_MS) {
          this.active = false;
          this.broken = true;
          return UNKNOWN;
        }
      }
    }
  }

  /** The main thread is done with every record before `count`: their ring slots are free. */
  release(count: number): void {
    if (!this.active) return;
    Atomics.store(this.control, CONSUMED, count);
    Atomics.notify(this.control, CONSUMED);
  }

  /**
   * After the main thread read the whole file: whether the worker read the same
   * bytes. true when no result of the worker's was used. Waits for the worker to
   * finish its reading (it is at the trailer by then).
   */
  sameFile(sha256_hex: string): boolean {
    if (this.used === 0) return true;
    if (!this.active) return false; // it stalled: what it read cannot be vouched for
    if (!this.settles(STATE, STALL_MS)) {
      this.broken = true;
      return false;
    }
    return Atomics.load(this.control, HAS_DIGEST) === 1 && Buffer.from(this.digest).toString('hex') === sha256_hex;
  }

  /** Ends the current file: asks the worker to stop if it is still reading, and waits until it has. */
  finish(): void {
    if (!this.active) return;
    this.active = false;
    Atomics.store(this.control, ABORT, 1);
    Atomics.notify(this.control, CONSUMED);
    if (!this.settles(STATE, STALL_MS)) this.broken = true;
  }

  /** Waits while control word `word` is RUNNING, for at most `ms`; whether it left RUNNING. */
  private settles(word: number, ms: number): boolean {
    for (let waited = 0; Atomics.load(this.control, word) === RUNNING; waited += 100) {
      if (waited >= ms) return false;
      Atomics.wait(this.control, word, RUNNING, 100);
    }
    return true;
  }

  /**
   * After the import: the worker writes the files the import settles while the main
   * thread closes the day (early-acks.ts). The result comes from aheadResult.
   */
  writeAhead(job: Omit<AheadJob, 'kind'>): void {
    this.finish();
    if (this.broken) return;
    Atomics.store(this.control, ABORT, 0);
    Atomics.store(this.control, FILTERS, job.grow.card || job.grow.terminal ? RUNNING : FAILED);
    Atomics.store(this.control, STATE, RUNNING);
    this.aheadStarted = true;
    this.worker.postMessage({ kind: 'ahead', ...job } satisfies AheadJob);
  }

  /**
   * The bigger filter the worker filled with history's keys for the ahead job, or
   * null if it failed (the close then builds it itself). Waits for it.
   */
  grownFilter(name: 'card' | 'terminal', buffer: SharedArrayBuffer): KeyFilter | null {
    if (!this.settles(FILTERS, STALL_MS) || Atomics.load(this.control, FILTERS) !== DONE) return null;
    return new KeyFilter(new Int32Array(buffer), Atomics.load(this.control, name === 'card' ? CARD_KEYS : TERMINAL_KEYS));
  }

  /** The files written ahead, by name; empty when the worker failed (the outbox then writes them). */
  aheadResult(): Map<string, PrewrittenFile> {
    const out = new Map<string, PrewrittenFile>();
    if (!this.aheadStarted) return out;
    this.aheadStarted = false;
    const c = this.control;
    if (!this.settles(STATE, AHEAD_MS)) {
      // Too slow: told to stop (it checks as it writes), and waited for, so that it
      // writes nothing more once the outbox has swept its temporaries.
      Atomics.store(c, ABORT, 1);
      this.settles(STATE, STALL_MS);
      return out;
    }
    if (Atomics.load(c, STATE) !== DONE) return out;
    const files = receiveMessageOnPort(this.port)?.message as PrewrittenFile[] | undefined;
    for (const f of files ?? []) out.set(f.name, f);
    return out;
  }

  close(): void {
    this.finish();
    void this.worker.terminate();
    this.port.close();
  }
}
