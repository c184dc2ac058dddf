// The protocol between the validation pipe (validation-pipe.ts, the main thread) and
// its worker (validation-worker.ts): control words and rings of results in shared
// memory.
//
// A file is a job, on one of two lanes (the job's number modulo 2), each with its own
// control words, ring and digest, so that the worker can begin the next file while
// the main thread still finishes one. The main thread resets a lane's control words
// and posts the job; the worker takes jobs in order, publishes results in chunks
// (PRODUCED), waits while the ring is full (CONSUMED), and ends the job in DONE or
// FAILED; with DONE after a whole file, it leaves the SHA-256 of what it read, which
// the main thread checks against its own reading before the file commits. ABORT asks
// it to stop early: the main thread is done with the file (it finished, refused it,
// or failed), or did not begin the file it posted ahead. Invariant, per lane:
// CONSUMED <= PRODUCED <= CONSUMED + RING, and the result of record i is in slot
// i % RING from the moment PRODUCED passes i until CONSUMED does.
//
// The write-ahead job (after the import) has the shared control words of its own.

import { strict as assert } from 'node:assert';
import type { MessagePort } from 'node:worker_threads';
import type { Keys, Participants } from '../core/config-types';
import { TRANSACTION_FIELDS } from '../core/types';
import type { RejectedVerdict } from '../core/validate';
import type { WriteAhead } from './written-ahead';

/** Results in the ring; a multiple of CHUNK. */
export const RING = 1 << 16;
/** Results the worker publishes at once: the main thread's chunk too, so that neither waits on a part. */
export const CHUNK = 4096;

// Control words: of a lane (PRODUCED, CONSUMED, STATE, ABORT, HAS_DIGEST), and the
// shared ones (STATE and ABORT of the write-ahead job, and the words from FILTERS on).
export const PRODUCED = 0;
export const CONSUMED = 1;
export const STATE = 2;
export const ABORT = 3;
/** 1 when the lane's digest holds the SHA-256s (DIGEST_BYTES) of the file the worker read to its end, every frame of it decoded whole. */
export const HAS_DIGEST = 4;
/** Records of the lane's file the main thread judged itself (the worker was cold): the worker publishes no verdict of theirs. */
export const JUDGED_HERE = 5;
/** Control words of a lane. */
export const LANE_WORDS = 8;
/** Lanes: the file being imported, and the next one, read ahead. */
export const LANES = 2;
/** The bigger filters of a write-ahead job: RUNNING, then DONE or FAILED. */
export const FILTERS = 5;
/** How many history keys the worker put in each bigger filter. */
export const CARD_KEYS = 6;
export const TERMINAL_KEYS = 7;
/**
 * The files written ahead are shared out: each thread takes the next one by adding 1
 * here (its index among the plan's files written ahead). The main thread, its close
 * done, takes them too, one at a time, till none is left: both write the last ones.
 */
export const NEXT_AHEAD = 8;
export const CONTROL_WORDS = 16;

// States of STATE and FILTERS.
export const RUNNING = 1;
export const DONE = 2;
export const FAILED = 3;

// A record's result: bits 0-7 the field at fault (its number in TRANSACTION_FIELDS + 1,
// 0: none), bits 8-11 the reason (its number in STATELESS_REASONS + 1; 0: it passed
// them all), and two hints of the probe of history's key runs.
const REASON_SHIFT = 8;
const FIELD_MASK = 0xff;
const REASON_MASK = 0xf;
/** History's key runs have the record's card key (the record may not hold it any more). */
export const HISTORY_CARD = 1 << 12;
/** History's key runs have the record's terminal key. */
export const HISTORY_TERMINAL = 1 << 13;
/** The worker could not encode this record's verdict: the main thread validates it. */
export const UNKNOWN = -1;

/** The codes the stateless rules give, in the order they apply (src/core/validate.ts). */
export const STATELESS_REASONS = ['E01', 'E02', 'E08', 'E04', 'E07', 'E06', 'E05'] as const;
const reasonNumber = new Map<string, number>(STATELESS_REASONS.map((r, i) => [r, i + 1]));
const fieldNumber = new Map<string, number>(TRANSACTION_FIELDS.map((f, i) => [f, i + 1]));

/** A record that passed the stateless rules, before the probe's hints. */
export const PASSED = 0;

/** The result of a record the stateless rules rejected; UNKNOWN when it cannot be encoded. */
export function encodeRejection(v: RejectedVerdict): number {
  const reason = reasonNumber.get(v.reason);
  const field = v.field === undefined ? 0 : fieldNumber.get(v.field);
  return reason === undefined || field === undefined ? UNKNOWN : (reason << REASON_SHIFT) | field;
}

/** The verdict a result encodes: a rejection, or undefined when the record passed. */
export function decodeResult(code: number): RejectedVerdict | undefined {
  // Once per record: the messages are built only when an assertion fails.
  if (code < 0 || code >= HISTORY_TERMINAL * 2) assert.fail(`ring: no result encodes ${code}`);
  const reason = (code >> REASON_SHIFT) & REASON_MASK;
  if (reason === 0) return undefined;
  if (reason > STATELESS_REASONS.length) assert.fail(`ring: reason ${reason} in ${code}`);
  const field = code & FIELD_MASK;
  if (field > TRANSACTION_FIELDS.length) assert.fail(`ring: field ${field} in ${code}`);
  return { status: 'REJECTED', reason: STATELESS_REASONS[reason - 1]!, field: field === 0 ? undefined : TRANSACTION_FIELDS[field - 1] };
}

/**
 * A lane's digests: the SHA-256 of the whole file the worker read, then the SHA-256 of
 * its record frames (the Trailer's, which the main thread then need not compute).
 */
export const DIGEST_BYTES = 64;
export const RECORDS_DIGEST_AT = 32;

/** A lane's shared memory: control words, results, the digests of the file it read. */
export interface LaneBuffers {
  control: SharedArrayBuffer;
  results: SharedArrayBuffer;
  /** DIGEST_BYTES: the SHA-256s of the file the worker read. */
  digest: SharedArrayBuffer;
}

/** A lane, as either thread sees it. */
export interface Lane {
  control: Int32Array;
  results: Int32Array;
  digest: Uint8Array;
}

export function laneBuffers(): LaneBuffers {
  return {
    control: new SharedArrayBuffer(LANE_WORDS * 4),
    results: new SharedArrayBuffer(RING * 4),
    digest: new SharedArrayBuffer(DIGEST_BYTES),
  };
}

export function laneOf(b: LaneBuffers): Lane {
  return { control: new Int32Array(b.control), results: new Int32Array(b.results), digest: new Uint8Array(b.digest) };
}

/** Asserts the ring's invariant on a lane's control words. */
export function assertRing(control: Int32Array): void {
  const produced = Atomics.load(control, PRODUCED);
  const consumed = Atomics.load(control, CONSUMED);
  assert(consumed <= produced && produced <= consumed + RING, `ring: produced ${produced}, consumed ${consumed}`);
}

export interface WorkerSetup {
  /** The shared control words (the write-ahead job's). */
  control: SharedArrayBuffer;
  /** LANES lanes, for the files' jobs. */
  lanes: LaneBuffers[];
  participants: Participants;
  keys: Keys;
  /** The TAC cache's size, in cards (TacKeyCache): the night's size decides it. */
  tacCacheCards: number;
  dbPath: string;
  /** The key filters' bits, shared: read-only while the import runs. */
  cardFilter: SharedArrayBuffer;
  terminalFilter: SharedArrayBuffer;
  /** Where the worker posts what it wrote ahead. */
  port?: MessagePort;
  /** Where the worker posts the blocks it compressed of the file it reads (BlockMessage). */
  blocks?: MessagePort;
}

/** Judge one file's records. */
export interface FileJob {
  kind: 'file';
  path: string;
  /** The job's number: the blocks in the port say whose they are. */
  job: number;
  /** Its lane: job % LANES. */
  lane: number;
}

/**
 * A block of the job's file, cut as the main thread cuts it (src/store/kept-files.ts)
 * and compressed; data null: left to the main thread, which was waiting on the worker.
 */
export interface BlockMessage {
  job: number;
  first_idx: number;
  records: number;
  lead: number;
  raw_bytes: number;
  data: Uint8Array | null;
}

/**
 * The worker compresses a block only when it is this many results ahead of the main
 * thread: nearer, the main thread is waiting on it, and compresses the block itself.
 */
export const AHEAD_TO_COMPRESS = 4 * CHUNK;

/** After the import: write the files the import settles (written-ahead.ts), and grow the filters first. */
export interface WriteAheadJob extends WriteAhead {
  kind: 'write-ahead';
  /**
   * Filters that tonight's keys would overfill: empty, bigger ones for the worker to
   * fill with history's keys first, so that the close need not (key-filter.ts).
   */
  grow: { card?: SharedArrayBuffer; terminal?: SharedArrayBuffer };
}
