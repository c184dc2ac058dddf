// The worker thread of ValidationPipe (validation-pipe.ts; the protocol is ring.ts):
// for each file it is given, it decodes the records, runs the stateless rules and
// probes history's key runs, and publishes one result per record in the shared
// ring. The key runs do not change until the day closes; the records' statuses may
// (a national rejection imported tonight), so the probe only says a key is there, and
// the main thread reads the record's status itself. Jobs come in order, each on its
// lane: the next file's while the main thread still finishes one. After the import
// it writes the files ahead (written-ahead.ts).
import { strict as assert } from 'node:assert';
import { parentPort, workerData } from 'node:worker_threads';
import type { Header, Transaction } from '../core/types';
import { buildRegistry } from '../core/registry';
import { TacKeyCache } from '../core/tac';
import { statelessVerdict, type FileContext, type StatelessContext } from '../core/validate';
import { scanExchangeFile } from '../files/reader';
import { openStore, type Db } from '../store/db';
import { BlockCutter, keptBlock } from '../store/kept-files';
import { cardKey, terminalKey } from '../store/record-keys';
import { KeyFilter } from './key-filter';
import { addHistory } from './key-tables';
import { KeyRuns } from '../store/key-runs';
import {
  ABORT,
  assertRing,
  CARD_KEYS,
  CHUNK,
  CONSUMED,
  DONE,
  encodeRejection,
  FAILED,
  FILTERS,
  HAS_DIGEST,
  HISTORY_CARD,
  HISTORY_TERMINAL,
  JUDGED_HERE,
  PASSED,
  PRODUCED,
  RING,
  RUNNING,
  STATE,
  TERMINAL_KEYS,
  AHEAD_TO_COMPRESS,
  RECORDS_DIGEST_AT,
  type BlockMessage,
  type FileJob,
  type WorkerSetup,
  type WriteAheadJob,
  NEXT_AHEAD,
  laneOf,
} from './ring';
import { writeAhead } from './written-ahead';
import { collectGarbage } from './heap';
import { AcquirerRefs } from './acquirer-refs';

const setup = workerData as WorkerSetup;
const EMPTY = Buffer.alloc(0);
/** The shared control words: the write-ahead job's. */
const shared = new Int32Array(setup.control);
const lanes = setup.lanes.map(laneOf);
const keys = { tac_master_keys: new Map([...setup.keys.tac_master_keys].map(([k, v]) => [k, Buffer.from(v)])) };
let tac: TacKeyCache | null = new TacKeyCache(keys, setup.tacCacheCards);
const ctx: StatelessContext = {
  registry: buildRegistry(setup.participants),
  limits: setup.participants.limits,
  get tac() {
    tac ??= new TacKeyCache(keys, setup.tacCacheCards);
    return tac;
  },
};
// Opened here, once, read-only; a store this thread cannot open leaves it answering
// FAILED to every job: the main thread, once it sees it, validates alone (the file it
// saw it on is read again, whole).
let db: Db | null = null;
try {
  db = openStore(setup.dbPath, { readonly: true, mustExist: true });
  db.pragma('cache_size = -16384');
} catch {
  db = null;
}
const history = db === null ? null : new KeyRuns(db);
// Sized and filled by the main thread; nobody writes them while the import runs.
const cardFilter = new KeyFilter(new Int32Array(setup.cardFilter), 0);
const terminalFilter = new KeyFilter(new Int32Array(setup.terminalFilter), 0);

class Aborted extends Error {}

function judgeFile(job: FileJob): void {
  const { control, results, digest } = lanes[job.lane]!;
  // A file posted ahead that the main thread did not begin: nothing to do.
  if (Atomics.load(control, ABORT) !== 0) {
    Atomics.store(control, STATE, DONE);
    Atomics.notify(control, STATE);
    return;
  }
  if (db === null || history === null) {
    Atomics.store(control, STATE, FAILED);
    Atomics.notify(control, STATE);
    return;
  }
  // Terminals of history, as numbered in the store (tonight's new ones hold no history):
  // read in the try below (this connection only reads them).
  let terminals: AcquirerRefs;
  let file: FileContext | null = null;
  let chunk: Transaction[] = [];
  let produced = 0;
  const codes = new Int32Array(CHUNK);
  const cardKeys: number[] = [];
  const terminalKeys: (number | null)[] = [];

  /** The chunk's n results into codes: the stateless verdicts and history's hints. */
  const judge = (n: number, file: FileContext): void => {
    cardKeys.length = 0;
    terminalKeys.length = 0;
    for (let i = 0; i < n; i++) {
      const r = chunk[i]!;
      const v = statelessVerdict(r, file, ctx);
      if (v === undefined) {
        codes[i] = PASSED;
        const ref = terminals.lookup(r.acquirer_id, r.terminal_id);
        const card = cardKey(r.issuer_id, r.card_no, r.card_seq);
        const terminal = ref === undefined ? null : terminalKey(ref, r.terminal_seq);
        cardKeys.push(cardFilter.mayHave(card) ? card : -1);
        terminalKeys.push(terminal !== null && terminalFilter.mayHave(terminal) ? terminal : null);
      } else {
        codes[i] = encodeRejection(v);
        cardKeys.push(-1);
        terminalKeys.push(null);
      }
    }
    const maybeCards = cardKeys.filter((k) => k >= 0);
    const maybeTerminals = terminalKeys.filter((k) => k !== null);
    const inHistory = new Set<number>(history.heldAmong('card', maybeCards));
    const terminalsInHistory = new Set<number>(history.heldAmong('terminal', maybeTerminals as number[]));
    for (let i = 0; i < n; i++) {
      if (codes[i] !== PASSED) continue;
      if (inHistory.has(cardKeys[i]!)) codes[i]! |= HISTORY_CARD;
      const t = terminalKeys[i];
      if (t !== null && terminalsInHistory.has(t!)) codes[i]! |= HISTORY_TERMINAL;
    }
  };

  const publish = (): void => {
    const n = chunk.length;
    if (n === 0 || file === null) return;
    assert(n <= CHUNK, `validation worker: a chunk of ${n}`);
    // Records the main thread judged itself while this thread started: only their count is published.
    const judgedHere = produced + n <= Atomics.load(control, JUDGED_HERE);
    if (!judgedHere) judge(n, file);
    // Wait for room in the ring, then publish the chunk.
    for (;;) {
      if (Atomics.load(control, ABORT) !== 0) throw new Aborted();
      const consumed = Atomics.load(control, CONSUMED);
      if (produced + n - consumed <= RING) break;
      Atomics.wait(control, CONSUMED, consumed, 100);
    }
    assertRing(control);
    if (!judgedHere) for (let i = 0; i < n; i++) results[(produced + i) % RING] = codes[i]!;
    produced += n;
    Atomics.store(control, PRODUCED, produced);
    Atomics.notify(control, PRODUCED);
    chunk = [];
  };

  try {
    terminals = new AcquirerRefs(db, 'terminals');
    // The file's blocks, cut as the main thread cuts them, compressed here for it.
    const blocks = setup.blocks!;
    const cutter = new BlockCutter((b) => {
      // Compressed here while the main thread has results to work on; else it is left to
      // it, which would only wait on this thread meanwhile.
      const ahead = produced - Atomics.load(control, CONSUMED) >= AHEAD_TO_COMPRESS;
      const k = ahead ? keptBlock(b) : { ...keptBlock(b, EMPTY), data: null };
      blocks.postMessage({ job: job.job, ...k } satisfies BlockMessage);
    });
    const scan = scanExchangeFile(
      job.path,
      (record) => {
        if (file === null) return;
        chunk.push(record as Transaction);
        if (chunk.length >= CHUNK) publish();
      },
      {
        onFrame: (bytes, isRecord) => {
          if (file !== null) cutter.frame(bytes, isRecord);
        },
        onHeader: (h: Header) => {
          if (h.file_type === 'TXN_UPLOAD' || h.file_type === 'INTEROP_IN') {
            file = { file_type: h.file_type, sender_id: h.sender_id, business_date: h.business_date };
          }
        },
      },
    );
    publish();
    if (file !== null) cutter.finish();
    // What this thread read, for the main thread to check against its own reading, and
    // the records' digest, which the main thread leaves to this thread. Given only for
    // a file whose every frame decoded whole: the main thread may have read the records
    // in part (ImportFields), and this reading vouches for the rest of their fields.
    if (scan.unreadable === undefined) {
      digest.set(Buffer.from(scan.file_sha256_hex, 'hex'));
      digest.set(Buffer.from(scan.sha256_hex, 'hex'), RECORDS_DIGEST_AT);
      Atomics.store(control, HAS_DIGEST, 1);
    }
    Atomics.store(control, STATE, DONE);
  } catch (err) {
    Atomics.store(control, STATE, err instanceof Aborted ? DONE : FAILED);
  }
  Atomics.notify(control, STATE);
}

/** History's keys into the bigger filters of the job (the close needs them first), then FILTERS says how it went. */
function growFilters(store: Db, job: WriteAheadJob): void {
  if (!job.grow.card && !job.grow.terminal) return;
  let state = FAILED;
  try {
    store.transaction(() => {
      for (const name of ['card', 'terminal'] as const) {
        const buffer = job.grow[name];
        if (!buffer) continue;
        const filter = new KeyFilter(new Int32Array(buffer), 0);
        addHistory(store, name, filter);
        Atomics.store(shared, name === 'card' ? CARD_KEYS : TERMINAL_KEYS, filter.keys);
      }
    })();
    state = DONE;
  } finally {
    Atomics.store(shared, FILTERS, state);
    Atomics.notify(shared, FILTERS);
  }
}

function writeFilesAhead(job: WriteAheadJob): void {
  let state = FAILED;
  try {
    tac = null; // the TAC schedules are done with: their memory goes
    // now, before the files' reading takes its own (the slab is 16 MB at its full
    // size, and V8 would free it only at a later major collection: the close's peak).
    collectGarbage();
    if (db === null) throw new Error('no store');
    growFilters(db, job);
    setup.port!.postMessage(
      writeAhead(
        db,
        job,
        () => Atomics.load(shared, ABORT) !== 0,
        () => Atomics.add(shared, NEXT_AHEAD, 1),
      ),
    );
    state = DONE;
  } catch {
    // FAILED: the main thread writes the files itself, and grows the filters itself
    // if this thread never got to them.
    if (Atomics.compareExchange(shared, FILTERS, RUNNING, FAILED) === RUNNING) Atomics.notify(shared, FILTERS);
  }
  Atomics.store(shared, STATE, state);
  Atomics.notify(shared, STATE);
}

parentPort!.on('message', (job: FileJob | WriteAheadJob) => (job.kind === 'write-ahead' ? writeFilesAhead(job) : judgeFile(job)));
