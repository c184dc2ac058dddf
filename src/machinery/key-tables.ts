// History's held keys in the store: each closed night's keys as runs (migration 8,
// src/store/key-runs.ts), and the filters over them (key-filter.ts), saved beside
// them. A record's keys are searched in the runs only when a filter says "maybe".
import { strict as assert } from 'node:assert';
import type { Db } from '../store/db';
import type { RecordRange } from '../store/batch-records';
import { appendRuns, KeyRuns, sortPairs } from '../store/key-runs';
import { KeyFilter } from './key-filter';

export interface KeyFilters {
  card: KeyFilter;
  terminal: KeyFilter;
}

export type KeyName = keyof KeyFilters;

/**
 * History's filters as the last close saved them. A store without them (a new one,
 * or one just migrated) gets them built from its key runs, once.
 */
export function loadKeyFilters(db: Db): KeyFilters {
  const load = (name: KeyName): KeyFilter => {
    const row = db.prepare('SELECT keys, bits FROM key_filters WHERE name = ?').get(name) as { keys: number; bits: Buffer } | undefined;
    if (row) return KeyFilter.fromBytes(row.bits, row.keys);
    return historyFilter(db, name, new KeyRuns(db).count(name));
  };
  return { card: load('card'), terminal: load('terminal') };
}

/** A filter grown for `keys` keys (KeyFilter.grownFor), holding history's keys. */
export function historyFilter(db: Db, name: KeyName, keys: number): KeyFilter {
  const filter = KeyFilter.grownFor(keys);
  addHistory(db, name, filter);
  return filter;
}

/** Every key of history's runs of the name into filter, a night at a time. */
export function addHistory(db: Db, name: KeyName, filter: KeyFilter): void {
  const runs = new KeyRuns(db);
  for (const night of db.prepare('SELECT CAST(date AS INTEGER) FROM days').pluck().all() as number[]) {
    runs.forEachOfNight(name, night, (key) => filter.add(key));
  }
}

/** Saves the filters' bits: inside the transaction that added the keys to the runs. */
export function saveKeyFilters(db: Db, filters: KeyFilters): void {
  const save = db.prepare(
    'INSERT INTO key_filters (name, keys, bits) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET keys = excluded.keys, bits = excluded.bits',
  );
  save.run('card', filters.card.keys, filters.card.bytes());
  save.run('terminal', filters.terminal.keys, filters.terminal.bytes());
}

/** Keys read from the night's rows at once. */
const KEY_SLICE = 65536;

/** A night's keys of one kind, sorted by key then id: record ids are lo + offsets[i]. */
export interface SortedNightKeys {
  keys: Float64Array;
  offsets: Uint32Array;
  n: number;
  lo: number;
}

/** The key of every record of a night, by offset from its first id (NightKeys' column()). */
export interface NightColumn {
  first_id: number;
  keys: Float64Array;
}

/**
 * The night's keys of one kind with their records, every record (rejected ones too,
 * so that a card's history finds them), sorted here: from the column the import kept
 * when it covers the night's range (it is sorted in place), else read from the rows a
 * slice at a time. A kept column is checked against the rows at a sample of records.
 */
export function sortedNightKeys(db: Db, name: KeyName, range: RecordRange, column: NightColumn | null = null): SortedNightKeys {
  const size = Math.max(0, range.hi - range.lo + 1);
  if (column !== null && column.first_id === range.lo && column.keys.length === size) {
    assertColumnIsRows(db, name, column);
    const offsets = new Uint32Array(size);
    for (let i = 0; i < size; i++) offsets[i] = i;
    sortPairs(column.keys, offsets, size);
    return { keys: column.keys, offsets, n: size, lo: range.lo };
  }
  const { keys, offsets, n } = nightKeys(db, name, range);
  sortPairs(keys, offsets, n);
  return { keys, offsets, n, lo: range.lo };
}

/** Records of a kept column checked against their rows: the first, the last, and one in every this many. */
const COLUMN_CHECK_EVERY = 1 << 16;

function assertColumnIsRows(db: Db, name: KeyName, column: NightColumn): void {
  const keyOf = db.prepare(`SELECT ${name === 'card' ? 'card_key' : 'terminal_key'} FROM records WHERE id = ?`).pluck();
  const n = column.keys.length;
  for (let i = 0; i < n; i = i === n - 1 ? n : Math.min(n - 1, i + COLUMN_CHECK_EVERY)) {
    const stored = keyOf.get(column.first_id + i);
    if (stored !== column.keys[i])
      assert.fail(`night keys: record ${column.first_id + i}'s ${name} key is ${stored} in its row, ${column.keys[i]} kept`);
  }
}

/** A night's sorted keys join history's, as that night's runs. */
export function appendNightKeys(db: Db, date: string, name: KeyName, sorted: SortedNightKeys): void {
  appendRuns(db, name, Number(date), sorted.keys, sorted.offsets, sorted.n, sorted.lo);
}

/** The night's keys of one kind with their records' offsets from range.lo, in id order. */
function nightKeys(db: Db, name: KeyName, range: RecordRange): { keys: Float64Array; offsets: Uint32Array; n: number } {
  const column = name === 'card' ? 'card_key' : 'terminal_key';
  const keysOf = db.prepare(`SELECT ${column} FROM records WHERE id BETWEEN ? AND ? ORDER BY id`).pluck();
  const idsOf = db.prepare('SELECT id FROM records WHERE id BETWEEN ? AND ? ORDER BY id').pluck();
  const size = Math.max(0, range.hi - range.lo + 1);
  const keys = new Float64Array(size);
  const offsets = new Uint32Array(size);
  let n = 0;
  for (let from = range.lo; from <= range.hi; from += KEY_SLICE) {
    const to = Math.min(range.hi, from + KEY_SLICE - 1);
    const slice = keysOf.all(from, to) as number[];
    // A night's ids are consecutive (a refused file gives its ids back); a slice with
    // fewer rows than ids reads its ids too.
    const sliceIds = slice.length === to - from + 1 ? null : (idsOf.all(from, to) as number[]);
    for (let i = 0; i < slice.length; i++) {
      keys[n] = slice[i]!;
      offsets[n++] = (sliceIds === null ? from + i : sliceIds[i]!) - range.lo;
    }
  }
  return { keys, offsets, n };
}
