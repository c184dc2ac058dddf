// The second core's share of an import: a worker thread (validation-worker.ts) reads
// the same file as the main thread and runs, ahead of it, everything about a record
// that needs no history of tonight: decoding, the stateless rules (E01 E02 E08 E04 E07
// E06 E05, TAC included) and a probe of history's key runs for the record's two
// keys. The main thread reads the file too, each record in part (the values it
// stores and the rules that need history read, ImportFields), then takes each record's
// result from a ring in shared memory (ring.ts) and does what needs tonight's state:
// E03 E09 S01 against history and tonight, and the insert. The worker, which decodes
// every record whole and digests the record frames, vouches for the rest.
// History's key filters are shared with the worker, so it searches the key runs
// only for a "maybe".
//
// The worker decides nothing the main thread could not decide alone: its result is
// the stateless verdict (the same pure function) and a hint that history holds a key,
// which the main thread confirms on the store. When the worker cannot answer for a
// record, the main thread validates it itself; when it cannot vouch for the file (it
// failed, or the file turned out other than it read), the file is read again on the
// main thread alone, and a worker that failed once is not asked again: slower, never
// different.

import { strict as assert } from 'node:assert';
import path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { Keys, Participants } from '../core/config-types';
import { TAC_CACHE_CARDS_DEFAULT } from '../core/tac';
import { KeyFilter } from './key-filter';
import type { KeyFilters, KeyName } from './key-tables';
import {
  ABORT,
  assertRing,
  CARD_KEYS,
  CONSUMED,
  CONTROL_WORDS,
  DONE,
  FAILED,
  FILTERS,
  HAS_DIGEST,
  DIGEST_BYTES,
  RECORDS_DIGEST_AT,
  JUDGED_HERE,
  LANES,
  laneBuffers,
  laneOf,
  PRODUCED,
  RING,
  RUNNING,
  STATE,
  TERMINAL_KEYS,
  UNKNOWN,
  type BlockMessage,
  type FileJob,
  type Lane,
  type LaneBuffers,
  type WorkerSetup,
  type WriteAheadJob,
  NEXT_AHEAD,
} from './ring';
import type { WriteAhead, WrittenAheadFile } from './written-ahead';
import type { RawBlock } from '../store/kept-files';

/** How long the main thread waits for a result before it deems the worker lost. */
const STALL_MS = 120_000;
/** How long, after the close, it waits for the files written ahead before writing them itself. */
const WRITE_AHEAD_MS = 600_000;

/** A file posted to the worker: its job, its lane, its path. */
interface Posted {
  job: number;
  lane: Lane;
  path: string;
}

export class ValidationPipe {
  /** The shared control words (the write-ahead job's). */
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  private readonly lanes: LaneBuffers[] = Array.from({ length: LANES }, laneBuffers);
  private readonly laneViews: Lane[] = this.lanes.map(laneOf);
  /** Results of the current file that the main thread took from the worker. */
  private used = 0;
  /** Results of the current file the main thread is done with (their slots are free). */
  private released = 0;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly blocks: MessagePort;
  /** The last job posted. */
  private job = 0;
  /** The file being imported (null between files), and the next one, posted ahead of its turn. */
  private current: Posted | null = null;
  private ahead: Posted | null = null;
  /** Blocks taken from the port before their turn: by job, by first record. */
  private readonly early = new Map<number, Map<number, BlockMessage>>();
  private writingAhead = false;
  /** The worker stalled once: it is not asked again, and the main thread validates alone. */
  private broken = false;
  /** Files begun that were posted ahead (the worker had them read, or begun, by then). */
  begunAhead = 0;
  /** The worker gave a result once (cold()). */
  private warm = false;

  /** tacCacheCards: the worker's TAC cache, in cards (TacKeyCache). */
  constructor(participants: Participants, keys: Keys, dbPath: string, filters: KeyFilters, tacCacheCards = TAC_CACHE_CARDS_DEFAULT) {
    const setup: WorkerSetup = {
      control: this.control.buffer as SharedArrayBuffer,
      lanes: this.lanes,
      participants,
      keys,
      tacCacheCards,
      dbPath,
      cardFilter: filters.card.words.buffer as SharedArrayBuffer,
      terminalFilter: filters.terminal.words.buffer as SharedArrayBuffer,
    };
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    setup.port = port2;
    const blocks = new MessageChannel();
    this.blocks = blocks.port1;
    setup.blocks = blocks.port2;
    this.worker = new Worker(path.join(__dirname, 'validation-worker.js'), {
      workerData: setup,
      transferList: [port2, blocks.port2],
    });
    this.worker.unref();
    // A worker that dies leaves STATE as it was; the stall timeout catches it. Its
    // error event is only delivered when the event loop turns, after the batch.
    this.worker.on('error', () => undefined);
  }

  /** Whether it can still be asked: a worker that stalled once is not. */
  get usable(): boolean {
    return !this.broken;
  }

  /**
   * Starts the worker on a file whose records the main thread is about to read (the
   * file posted ahead, if it is this one), and posts `next`, the file likely to come
   * after it, for the worker to begin as soon as it is done with this one.
   */
  begin(file: Omit<FileJob, 'job' | 'lane'>, next: string | null = null): void {
    this.finish();
    if (this.broken) return;
    const ahead = this.ahead;
    this.ahead = null;
    if (ahead !== null && ahead.path === file.path) {
      this.current = ahead;
      this.begunAhead++;
    } else {
      if (ahead !== null) this.dropJob(ahead);
      if (this.broken) return;
      this.current = this.post(file.path);
    }
    for (const job of this.early.keys()) if (job < this.current.job) this.early.delete(job);
    this.used = 0;
    this.released = 0;
    if (next !== null) this.ahead = this.post(next);
  }

  /** Posts a file's job on its lane (free: its last job settled before the one now current was posted). */
  private post(filePath: string): Posted {
    const job = ++this.job;
    const lane = this.laneViews[job % LANES]!;
    const c = lane.control;
    assert(Atomics.load(c, STATE) !== RUNNING, `validation pipe: lane ${job % LANES} is still running a job`);
    Atomics.store(c, PRODUCED, 0);
    Atomics.store(c, CONSUMED, 0);
    Atomics.store(c, ABORT, 0);
    Atomics.store(c, HAS_DIGEST, 0);
    Atomics.store(c, JUDGED_HERE, 0);
    Atomics.store(c, STATE, RUNNING);
    this.worker.postMessage({ kind: 'file', path: filePath, job, lane: job % LANES } satisfies FileJob);
    return { job, lane, path: filePath };
  }

  /** A job posted ahead that is not to be begun: the worker skips it, or stops it, and it is waited for. */
  private dropJob(p: Posted): void {
    Atomics.store(p.lane.control, ABORT, 1);
    Atomics.notify(p.lane.control, CONSUMED);
    if (!this.settles(p.lane.control, STATE, STALL_MS)) this.broken = true;
  }

  /**
   * Whether the worker has yet to give its first result of the night (it starts cold:
   * its thread, its modules, its code not yet compiled hot, some 0.1 s). Meanwhile
   * the main thread judges the first chunks itself rather than wait.
   */
  cold(): boolean {
    if (this.warm || this.current === null) return false;
    if (Atomics.load(this.current.lane.control, PRODUCED) === 0) return true;
    this.warm = true;
    return false;
  }

  /** The main thread judged the current file's records before `count` itself (cold()): the worker skips them. */
  judgedHere(count: number): void {
    if (this.current !== null) Atomics.store(this.current.lane.control, JUDGED_HERE, count);
  }

  /** Record index's result, waiting for the worker if it is behind; UNKNOWN when it cannot say. */
  resultOf(index: number): number {
    const current = this.current;
    if (current === null) return UNKNOWN;
    // A slot is read only before it is released: after that, the worker may fill it again.
    // Once per record: the messages are built only when an assertion fails.
    if (index < this.released) assert.fail(`validation pipe: result ${index} was released (${this.released})`);
    const c = current.lane.control;
    let waited = 0;
    for (;;) {
      const produced = Atomics.load(c, PRODUCED);
      if (index < produced) {
        if (produced - index > RING) assert.fail(`validation pipe: result ${index} overwritten (produced ${produced})`);
        this.used++;
        return current.lane.results[index % RING]!;
      }
      const state = Atomics.load(c, STATE);
      if (state !== RUNNING) {
        // Finished short of this record, or failed: then it is not asked again.
        if (state === FAILED) this.broken = true;
        return UNKNOWN;
      }
      if (Atomics.wait(c, PRODUCED, produced, 100) === 'timed-out') {
        waited += 100;
        if (waited >= STALL_MS) {
          this.current = null;
          this.broken = true;
          return UNKNOWN;
        }
      }
    }
  }

  /**
   * The worker's compression of a block the main thread cut of the current file;
   * null when it has none yet (or failed); false when it left the block to the main
   * thread (it was behind). wait: the main thread read the whole file; the worker is
   * waited for to finish it.
   */
  takeBlock(b: RawBlock, wait: boolean): Buffer | null | false {
    const current = this.current;
    if (current === null) return null;
    if (wait && !this.readToEnd(current.lane.control)) return null;
    for (;;) {
      const m = this.early.get(current.job)?.get(b.first_idx) ?? (receiveMessageOnPort(this.blocks)?.message as BlockMessage | undefined);
      if (m === undefined) return null;
      if (m.job < current.job) continue; // a file done with
      if (m.job > current.job || m.first_idx !== b.first_idx) {
        // The next file's, read ahead, or a later block of this one.
        if (m.job > current.job || m.first_idx > b.first_idx) {
          let of = this.early.get(m.job);
          if (of === undefined) this.early.set(m.job, (of = new Map()));
          of.set(m.first_idx, m);
        }
        continue;
      }
      this.early.get(m.job)?.delete(m.first_idx);
      if (m.data === null) return false;
      // Cut alike or not taken; that the bytes were the same is checked on the whole file (sameFile).
      if (m.records !== b.starts.length || m.lead !== b.lead || m.raw_bytes !== b.raw.length) return null;
      return Buffer.from(m.data.buffer, m.data.byteOffset, m.data.length);
    }
  }

  /** The main thread is done with every record before `count`: their ring slots are free. */
  release(count: number): void {
    const current = this.current;
    if (current === null) return;
    const c = current.lane.control;
    assert(count >= this.released, `validation pipe: released ${count} after ${this.released}`);
    this.released = count;
    Atomics.store(c, CONSUMED, Math.min(count, Atomics.load(c, PRODUCED)));
    assertRing(c);
    Atomics.notify(c, CONSUMED);
  }

  /**
   * After the main thread read the whole file: whether the worker read the same
   * bytes. true when no result of the worker's was used. Waits for the worker to
   * finish its reading (it is at the trailer by then).
   */
  sameFile(sha256_hex: string): boolean {
    return this.used === 0 || this.vouched(sha256_hex) !== null;
  }

  /**
   * The SHA-256 of the record frames of the current file (the Trailer's digest), as
   * the worker read them, when it read the whole file and the file's bytes were these
   * (file_sha256_hex); else null. Waits for the worker to finish the file.
   */
  recordsDigest(file_sha256_hex: string): string | null {
    return this.vouched(file_sha256_hex)?.subarray(RECORDS_DIGEST_AT, DIGEST_BYTES).toString('hex') ?? null;
  }

  /**
   * The current lane's digests, when the worker read the current file to its end, every
   * frame of it whole, and its bytes were these (file_sha256_hex); else null (it
   * stalled, failed or read other bytes). Waits for it to finish the file.
   */
  private vouched(file_sha256_hex: string): Buffer | null {
    const current = this.current;
    if (current === null) return null; // it stalled: what it read cannot be vouched for
    const c = current.lane.control;
    if (!this.readToEnd(c) || Atomics.load(c, HAS_DIGEST) !== 1) return null;
    const digests = Buffer.from(current.lane.digest.buffer, 0, DIGEST_BYTES);
    return digests.subarray(0, RECORDS_DIGEST_AT).toString('hex') === file_sha256_hex ? digests : null;
  }

  /**
   * Waits for the worker to end the current file, which the main thread has read to
   * its end: it takes no more results, so their slots are freed as they come (a
   * worker still publishing the records the main thread judged itself while it was
   * cold would otherwise wait for room that no release makes). Whether it ended in
   * time; a worker that stalled or failed is not asked again.
   */
  private readToEnd(c: Int32Array): boolean {
    for (let waited = 0; Atomics.load(c, STATE) === RUNNING; waited += 10) {
      if (waited >= STALL_MS) {
        this.broken = true;
        return false;
      }
      Atomics.store(c, CONSUMED, Atomics.load(c, PRODUCED));
      Atomics.notify(c, CONSUMED);
      Atomics.wait(c, STATE, RUNNING, 10);
    }
    if (Atomics.load(c, STATE) === FAILED) this.broken = true;
    return true;
  }

  /** Ends the current file: asks the worker to stop if it is still reading, and waits until it has. */
  finish(): void {
    const current = this.current;
    if (current === null) return;
    this.current = null;
    const c = current.lane.control;
    Atomics.store(c, ABORT, 1);
    Atomics.notify(c, CONSUMED);
    if (!this.settles(c, STATE, STALL_MS)) this.broken = true;
  }

  /** After the import: the current file finished, and the one posted ahead dropped. */
  private finishFiles(): void {
    this.finish();
    const ahead = this.ahead;
    this.ahead = null;
    if (ahead !== null && !this.broken) this.dropJob(ahead);
    this.early.clear();
  }

  /** Waits while control word `word` is RUNNING, for at most `ms`; whether it left RUNNING. */
  private settles(control: Int32Array, word: number, ms: number): boolean {
    for (let waited = 0; Atomics.load(control, word) === RUNNING; waited += 100) {
      if (waited >= ms) return false;
      Atomics.wait(control, word, RUNNING, 100);
    }
    return true;
  }

  /**
   * After the import: the worker writes the files the import settles while the main
   * thread closes the day (written-ahead.ts), after filling the `grow` filters with
   * history's keys. The files come from writtenAhead, the filters from grownFilter.
   * Whether it started (a worker that stalled is not asked).
   */
  writeAhead(job: WriteAhead, grow: WriteAheadJob['grow']): boolean {
    this.finishFiles();
    if (this.broken) return false;
    Atomics.store(this.control, ABORT, 0);
    Atomics.store(this.control, FILTERS, grow.card || grow.terminal ? RUNNING : FAILED);
    Atomics.store(this.control, STATE, RUNNING);
    Atomics.store(this.control, NEXT_AHEAD, 0);
    this.writingAhead = true;
    this.worker.postMessage({ kind: 'write-ahead', ...job, grow } satisfies WriteAheadJob);
    return true;
  }

  /**
   * The bigger filter the worker filled with history's keys for the write-ahead job,
   * or null if it failed (the close then builds it itself). Waits for it.
   */
  grownFilter(name: KeyName, buffer: SharedArrayBuffer): KeyFilter | null {
    if (!this.settles(this.control, FILTERS, STALL_MS) || Atomics.load(this.control, FILTERS) !== DONE) return null;
    return new KeyFilter(new Int32Array(buffer), Atomics.load(this.control, name === 'card' ? CARD_KEYS : TERMINAL_KEYS));
  }

  /**
   * The next file to be written ahead that the worker has not claimed, claimed for
   * the main thread: its index (among them, in plan order); past the last, none is
   * left. Without a write-ahead job, none: the outbox writes them all.
   */
  takeAhead(): number {
    if (!this.writingAhead) return 2 ** 30;
    return Atomics.add(this.control, NEXT_AHEAD, 1);
  }

  /** The files written ahead, by name; empty when the worker failed (the outbox then writes them). */
  writtenAhead(): Map<string, WrittenAheadFile> {
    const out = new Map<string, WrittenAheadFile>();
    if (!this.writingAhead) return out;
    this.writingAhead = false;
    const c = this.control;
    if (!this.settles(c, STATE, WRITE_AHEAD_MS)) {
      // Too slow: told to stop (it checks as it writes), and waited for, so that it
      // writes nothing more once the outbox has swept its temporaries.
      Atomics.store(c, ABORT, 1);
      this.settles(c, STATE, STALL_MS);
      return out;
    }
    if (Atomics.load(c, STATE) !== DONE) return out;
    const files = receiveMessageOnPort(this.port)?.message as WrittenAheadFile[] | undefined;
    for (const f of files ?? []) out.set(f.name, f);
    return out;
  }

  close(): void {
    this.finishFiles();
    void this.worker.terminate();
    this.port.close();
  }
}
