// The night's machinery, as the batch sees it: everything that exists only because a
// night has millions of records, behind a few small interfaces. The batch asks for
//   - stateless verdicts for a file (stateless-verdicts.ts), on the worker or inline;
//   - held keys for a chunk of records (held-keys.ts), through core's HeldKeys;
//   - tonight's per-card runs for the card-float walk (night-cards.ts);
//   - the files the import settles, written beside the close (written-ahead.ts);
// and tells it which records it stored, which files committed or rolled back, and when
// the day closes (tonight's keys then join history's key runs). How any of it is
// built (typed-array tables, packed keys, filters, a worker thread and its ring) is
// this room's business: the batch's rules never see it. The same split as
// TigerBeetle's prefetch and execute: the state machine never sees the LSM.
import { strict as assert } from 'node:assert';
import type { Keys, Participants } from '../core/config-types';
import type { Transaction } from '../core/types';
import type { StatelessContext } from '../core/validate';
import { TAC_CACHE_CARDS_DEFAULT, TAC_CACHE_CARDS_NIGHT } from '../core/tac';
import { batchRecordRange, type RecordRange } from '../store/batch-records';
import type { Db } from '../store/db';
import { KeptRecords } from '../store/kept-files';
import { HOLDS_KEYS } from '../store/record-columns';
import type { CardBlacklist } from './card-blacklist';
import { ChunkHeldKeys } from './held-keys';
import { KeyFilter } from './key-filter';
import {
  appendNightKeys,
  historyFilter,
  loadKeyFilters,
  saveKeyFilters,
  sortedNightKeys,
  type KeyFilters,
  type NightColumn,
  type SortedNightKeys,
} from './key-tables';
import { NightCards } from './night-cards';
import { NightKeys } from './night-keys';
import { NightPending } from './night-pending';
import { NightTally } from './night-tally';
import { collectGarbage } from './heap';
import type { WriteAheadJob } from './ring';
import { InlineVerdicts, PipeVerdicts, type StatelessVerdicts } from './stateless-verdicts';
import { AcquirerRefs } from './acquirer-refs';
import { ValidationPipe } from './validation-pipe';
import type { AheadFiles, WriteAhead } from './written-ahead';

/** Whether the stateless rules run on a worker thread: 'auto' decides by the night's size. */
export type ParallelMode = 'auto' | 'on' | 'off';

/**
 * Below this many bytes of records a night is validated on the main thread alone:
 * starting the worker (about 0.1 s) would cost more than it saves.
 */
const PARALLEL_FROM_BYTES = 4 * 2 ** 20;

/** About what a record takes in a file, a little less (an upload's average is about 137): the night's tables are sized by its files, and a usual night must not grow them (a growth holds both copies). */
export const RECORD_FILE_BYTES = 132;

/**
 * The most records the tables make room for before the import: a few nights of the
 * city. The bytes are only what the files claim to hold (a sparse 4 GB file takes no
 * disk and holds no record); past this the tables grow as records arrive.
 */
export const RESERVED_RECORDS_MAX = 1 << 23;

/**
 * A night of up to this many records has memory to spare (its peak is about half a
 * 5M night's, which must stay under 600 MB):
 * - its keys stay in memory from the import to the close's key runs (32 MB for the
 *   two kinds), where a bigger night reads them back from its rows (some 0.3 s a
 *   million: at 5M they would take 80 MB through the card walk, when the close's
 *   memory is at its highest). LCT_KEY_COLUMNS_MAX sets another bound for this (the
 *   tests: 0, to read them back on a small night);
 * - the worker's TAC cache holds all its cards (TAC_CACHE_CARDS_NIGHT, 16 MB more).
 */
const ROOMY_NIGHT_RECORDS = 1 << 21;

function columnsKeptMax(): number {
  const spec = process.env.LCT_KEY_COLUMNS_MAX;
  if (spec === undefined || spec === '') return ROOMY_NIGHT_RECORDS;
  const n = Number(spec);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`LCT_KEY_COLUMNS_MAX=${spec}: not a whole number >= 0`);
  return n;
}

/** From this many records a night's tables are big enough that the close frees them at once (freeMemory). */
const BIG_NIGHT_RECORDS = 1 << 19;

/** How many records the night's tables make room for before the import, for recordBytes of records in files. */
export function recordsToReserve(recordBytes: number): number {
  return Math.min(Math.ceil(recordBytes / RECORD_FILE_BYTES), RESERVED_RECORDS_MAX);
}

export class Tonight {
  /** Tonight's held keys: history's are in the store's key runs, written when the day closes. */
  private keys: NightKeys;
  /** Tonight's records of local cards, for the walk; handed over by takeCardRuns. */
  private cards: NightCards | null = new NightCards();
  /** Filters over history's keys: a key they do not have is not in the key runs. */
  private filters: KeyFilters;
  private readonly terminals: AcquirerRefs;
  /** The merchants' numbers, which a record's row names its merchant by. */
  readonly merchants: AcquirerRefs;
  /** Records read back from their files' kept bytes (the file being imported's too). */
  readonly kept: KeptRecords;
  /** Tonight's clearing totals, counted as the records are stored. */
  readonly tally = new NightTally();
  /** Tonight's PENDING_INTEROP records as the import read them, by id: the day's INTEROP_OUT without reading them back. */
  private readonly pending = new NightPending();
  /** The day's INTEROP_OUT records in its order, once the close numbered them: the outbox writes them from here. */
  exported: { date: string; records: () => Iterable<Transaction> } | null = null;
  private pipe: ValidationPipe | null = null;
  private readonly inline: InlineVerdicts;
  private piped: PipeVerdicts | null = null;
  /** The records the tables made room for: the night's size, as its files tell. */
  private reserved = 0;
  /** The filters took tonight's keys (keysIntoFilters): the night's keys are no longer asked for. */
  private filtersHoldTonight = false;
  /** Tonight's terminal runs are written (terminalKeys). */
  private terminalsInHistory = false;
  /** This run imports the whole batch: no earlier run stored records of it, and what the import keeps of them is all of them. */
  private readonly importsWhole: boolean;
  /** exceptionalIds, as the import stores them. */
  private readonly exceptional: number[] = [];
  /** Every record's keys of a night small enough, kept from the import for the close's key runs (keysIntoFilters). */
  private columns: { card: NightColumn | null; terminal: NightColumn | null } = { card: null, terminal: null };
  /** Bigger filters the worker is filling with history's keys while the day closes. */
  private grow: WriteAheadJob['grow'] = {};

  /** rules: what the stateless rules need (the TAC checker made on first use). */
  constructor(
    private readonly db: Db,
    private readonly date: string,
    private readonly config: { participants: Participants; keys: Keys },
    private readonly rules: StatelessContext,
  ) {
    this.keys = loadNightKeys(db, date);
    const earlier = batchRecordRange(db, date);
    this.importsWhole = earlier.lo > earlier.hi;
    if (!this.importsWhole) this.tally.notWhole();
    this.filters = loadKeyFilters(db);
    this.terminals = new AcquirerRefs(db, 'terminals');
    this.merchants = new AcquirerRefs(db, 'merchants');
    this.kept = new KeptRecords(db);
    this.inline = new InlineVerdicts(rules);
  }

  /**
   * Before the import: the tables get room for the night's records (recordBytes of
   * TXN_UPLOAD and INTEROP_IN files), up to RESERVED_RECORDS_MAX, so that on a
   * usual night they do not grow mid-import, and the worker starts if the night is
   * big enough (or `mode` says so).
   */
  beginImport(recordBytes: number, mode: ParallelMode): void {
    const records = recordsToReserve(recordBytes);
    this.reserved = records;
    this.keys.reserve(records);
    this.cards!.reserve(records);
    const inMemory = this.db.memory || this.db.name === '';
    const useWorker = !inMemory && (mode === 'on' || (mode === 'auto' && recordBytes >= PARALLEL_FROM_BYTES));
    if (useWorker) {
      // A night whose cards the TAC cache can hold gets the cache that holds them.
      const tacCards = records <= ROOMY_NIGHT_RECORDS ? TAC_CACHE_CARDS_NIGHT : TAC_CACHE_CARDS_DEFAULT;
      this.pipe = new ValidationPipe(this.config.participants, this.config.keys, this.db.name, this.filters, tacCards);
      this.piped = new PipeVerdicts(this.pipe, this.rules);
    }
  }

  /** The stateless verdicts of the import: the worker's while it runs, else inline. */
  get verdicts(): StatelessVerdicts {
    return this.piped ?? this.inline;
  }

  /** The stateless verdicts computed here, whatever the worker does (a file it read other bytes of). */
  get inlineVerdicts(): StatelessVerdicts {
    return this.inline;
  }

  /** Held keys for the chunks of one file (blacklist: as imported before the file). */
  heldKeys(blacklist: CardBlacklist): ChunkHeldKeys {
    return new ChunkHeldKeys(this.db, this.keys, this.filters, this.terminals, blacklist, this.kept, this.cards);
  }

  /**
   * A record stored tonight, with its keys; `holds`: it holds them (its status is not
   * REJECTED), and with `local`, a record of a local card, whose run the card-float
   * walk needs. Ids rise as records are stored.
   */
  recordStored(id: number, card_key: number, terminal_key: number, holds: boolean, local: boolean, r: RecordRun): void {
    this.keys.add(id, card_key, terminal_key, holds);
    if (holds && local) this.cards!.append(r.issuer_id, r.card_no, card_key, id, r.card_seq, r.balance_before_fen, r.balance_after_fen);
  }

  /** A record stored tonight whose verdict is REJECTED or SUSPENDED, or an accepted load of a listed card (exceptionalIds). */
  recordExceptional(id: number): void {
    this.exceptional.push(id);
  }

  /**
   * Tonight's records whose verdict is REJECTED or SUSPENDED, and the accepted loads
   * of listed cards, in id order: the close's exceptions and the day's verdicts read
   * these rows, not the night's million. null when records of an earlier run of the
   * batch are in it (the rows are read by their range then).
   */
  exceptionalIds(): readonly number[] | null {
    return this.importsWhole ? this.exceptional : null;
  }

  /** A record stored tonight as PENDING_INTEROP, by its frame in its file (length prefix first). */
  recordPending(id: number, frame: Uint8Array): void {
    this.pending.add(id, frame);
  }

  /** Tonight's PENDING_INTEROP records in id order, when this run imports the whole batch; else null. */
  pendingIds(): number[] | null {
    return this.importsWhole ? this.pending.idList() : null;
  }

  /** Tonight's PENDING_INTEROP record with this id as the import read it, if this run imported it. */
  pendingRecord(id: number): Transaction | undefined {
    return this.pending.get(id);
  }

  /** A file's transaction committed: the terminals it numbered stay. */
  fileCommitted(): void {
    this.terminals.commit();
    this.merchants.commit();
    this.tally.fileCommitted();
    this.kept.pending = null;
  }

  /** A file's transaction rolled back: its records (from firstId on) and terminal numbers are forgotten. */
  fileRolledBack(firstId: number | null): void {
    this.terminals.rollback();
    this.merchants.rollback();
    this.tally.fileRolledBack();
    // Its file id and blocks are given again to the next file: nothing read of them stays.
    this.kept.forget();
    if (firstId !== null) {
      const exceptional = this.exceptional;
      while (exceptional.length > 0 && exceptional[exceptional.length - 1]! >= firstId) exceptional.pop();
      this.pending.forgetFrom(firstId);
      this.keys.forgetFrom(firstId);
      this.cards?.forgetFrom(firstId);
    }
  }

  /** Whether the files the import settles can be written ahead of the close: the worker runs. */
  get canWriteAhead(): boolean {
    return this.pipe !== null;
  }

  /**
   * After the import, on a night with the worker: it writes the files the import
   * settles while the day closes, growing first the filters that tonight's keys would
   * overfill. Whether it started (without the worker, the outbox writes them all).
   */
  writeAhead(job: WriteAhead): boolean {
    if (this.pipe === null) return false;
    const grow: WriteAheadJob['grow'] = {};
    for (const name of ['card', 'terminal'] as const) {
      const tonight = (name === 'card' ? this.keys.byCard : this.keys.byTerminal).size;
      if (!this.filters[name].hasRoomFor(tonight)) {
        grow[name] = KeyFilter.grownFor(this.filters[name].keys + tonight).words.buffer as SharedArrayBuffer;
      }
    }
    if (!this.pipe.writeAhead(job, grow)) return false;
    this.grow = grow;
    return true;
  }

  /**
   * On a big night, a full collection now: the step before let go of big arrays.
   * A small night (every test's) never asks for one: it has nothing big to free.
   */
  freeMemory(): void {
    if (this.reserved >= BIG_NIGHT_RECORDS) collectGarbage();
  }

  /** Tonight's per-card runs, for the card-float walk; handed over, so that their memory goes with the walk. */
  takeCardRuns(): NightCards {
    const cards = this.cards!;
    this.cards = null;
    return cards;
  }

  /**
   * When the import is over, first thing of the close: the filters take tonight's held
   * keys (the keys validation looks for), and that memory goes before the close's
   * steps take theirs. A filter that would be too full is made again, bigger, from
   * history's tables (by the worker, if it did). Saved by addNightToHistory.
   */
  keysIntoFilters(): void {
    for (const name of ['card', 'terminal'] as const) {
      const keys = name === 'card' ? this.keys.byCard : this.keys.byTerminal;
      if (!this.filters[name].hasRoomFor(keys.size)) {
        const buffer = this.grow[name];
        const grown = buffer && this.pipe ? this.pipe.grownFilter(name, buffer) : null;
        this.filters[name] = grown ?? historyFilter(this.db, name, this.filters[name].keys + keys.size);
      }
      keys.forEachKey((k) => this.filters[name].add(k));
    }
    // The close writes every record's keys into the night's key runs: a night small
    // enough keeps them for it, and spares reading them back from its rows.
    if (this.keys.nextId - this.keys.base <= columnsKeptMax()) {
      this.columns = { card: this.keys.byCard.column(), terminal: this.keys.byTerminal.column() };
    }
    this.keys = new NightKeys(this.keys.nextId, 0);
    this.filtersHoldTonight = true;
    this.freeMemory(); // tonight's held keys
  }

  /**
   * In the close's reconcile, after the card walk: tonight's terminal keys, read and
   * sorted once, written as tonight's terminal runs in the close's transaction, then
   * given to terminal completeness (`use`, which may reuse their arrays). Their
   * memory goes with the collection after the reconcile (freeMemory): not here, where
   * this frame still holds them.
   */
  terminalKeys(range: RecordRange, use: (sorted: SortedNightKeys) => void): void {
    assert(this.filtersHoldTonight, "tonight: the night's keys join history after the filters took them");
    const sorted = sortedNightKeys(this.db, 'terminal', range, this.columns.terminal);
    this.columns.terminal = null;
    appendNightKeys(this.db, this.date, 'terminal', sorted);
    use(sorted);
    this.terminalsInHistory = true;
  }

  /**
   * When the day closes, last: tonight's card keys join history's as that night's runs
   * (its terminal keys did in terminalKeys), and the filters (holding tonight's keys)
   * are saved in the same transaction.
   */
  addNightToHistory(range: RecordRange): void {
    assert(this.terminalsInHistory, "tonight: the night's terminal keys join history in the reconcile, before its card keys");
    appendNightKeys(this.db, this.date, 'card', sortedNightKeys(this.db, 'card', range, this.columns.card));
    this.columns.card = null;
    saveKeyFilters(this.db, this.filters);
  }

  /** The files written ahead of the close, shared with the outbox (null when the worker wrote none). */
  aheadFiles(): AheadFiles | null {
    const pipe = this.pipe;
    if (pipe === null) return null;
    return { take: () => pipe.takeAhead(), written: () => pipe.writtenAhead() };
  }

  close(): void {
    this.pipe?.close();
  }
}

/** What the card-float walk keeps of a record. */
export interface RecordRun {
  issuer_id: string;
  card_no: string;
  card_seq: number;
  balance_before_fen: number;
  balance_after_fen: number;
}

/**
 * Tonight's keys as far as an interrupted run of the same batch stored them (every
 * record's, held or not); empty
 * on a first run. The night's ids start after every id stored before it.
 */
function loadNightKeys(db: Db, date: string): NightKeys {
  const range = batchRecordRange(db, date);
  const base = range.lo <= range.hi ? range.lo : ((db.prepare('SELECT MAX(id) FROM records').pluck().get() as number | null) ?? 0) + 1;
  const keys = new NightKeys(base, range.hi - range.lo + 1);
  const rows = db
    .prepare(`SELECT id, card_key, terminal_key, ${HOLDS_KEYS} FROM records WHERE id BETWEEN ? AND ? ORDER BY id`)
    .raw(true)
    .iterate(range.lo, range.hi) as IterableIterator<[number, number, number, number]>;
  for (const [id, card, terminal, holds] of rows) keys.add(id, card, terminal, holds === 1);
  return keys;
}
