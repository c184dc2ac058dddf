// History's keys as runs (migration 8): each closed night's card keys and terminal
// keys, sorted, packed a few dozen to a row. A key table with a b-tree row per key
// cost the close a million row inserts a night for each kind, and the store 47 MB a
// million records; a night's runs are a few thousand rows, 14 MB a million.
//
// A run is a row of key_runs: (kind, night, first_key) leads, last_key bounds it, and
// `run` holds its entries in key order, then id order, each at a fixed width, so that
// a lookup searches it in place:
//
//   byte 0      keyBytes: the width of (key - first_key), 1..6
//   byte 1      idBytes: the width of (id - base_id), 1..6
//   then        keys entries of keyBytes + idBytes bytes, little-endian
//
// Equal keys never straddle two runs (a rejected duplicate carries the key it
// collided with, and two cards can share a card hash), so a key's ids of a night are
// all in the one run whose first_key is the greatest at or below it.
import { strict as assert } from 'node:assert';
import type Database from 'better-sqlite3';

type Db = Database.Database;

export type KeyKind = 'card' | 'terminal';
export const KIND_CODE: Record<KeyKind, number> = { card: 0, terminal: 1 };

/** Entries a run takes before it ends (more only to keep equal keys together). */
export const RUN_KEYS = 64;
/** A run's keys lie within 2^48 of its first: 6 bytes, what readUIntLE reads at most. */
const SPAN = 2 ** 48;
const HEAD = 2;

function widthOf(n: number): number {
  let w = 1;
  while (n >= 2 ** (8 * w)) w++;
  return w;
}

/** One run as key_runs stores it. */
export interface KeyRunRow {
  first_key: number;
  last_key: number;
  base_id: number;
  keys: number;
  run: Buffer;
}

/**
 * Cuts sorted entries into runs: keys[i] ascending, ids[i] ascending among equal keys
 * (an entry's record id is idBase + ids[i]). `emit` gets each run as it is made.
 */
export function cutRuns(keys: ArrayLike<number>, ids: ArrayLike<number>, n: number, idBase: number, emit: (row: KeyRunRow) => void): void {
  let i = 0;
  while (i < n) {
    const first = keys[i]!;
    let j = i + 1;
    let minId = ids[i]!;
    let maxId = minId;
    for (; j < n; j++) {
      const k = keys[j]!;
      assert(k >= keys[j - 1]!, 'key runs: keys must come sorted');
      if (k !== keys[j - 1]! && (j - i >= RUN_KEYS || k - first >= SPAN)) break;
      const id = ids[j]!;
      if (id < minId) minId = id;
      if (id > maxId) maxId = id;
    }
    const keyBytes = widthOf(keys[j - 1]! - first);
    const idBytes = widthOf(maxId - minId);
    assert(keyBytes <= 6 && idBytes <= 6, 'key runs: an entry wider than 6 bytes');
    const stride = keyBytes + idBytes;
    const run = Buffer.allocUnsafe(HEAD + (j - i) * stride);
    run[0] = keyBytes;
    run[1] = idBytes;
    for (let e = i, at = HEAD; e < j; e++, at += stride) {
      run.writeUIntLE(keys[e]! - first, at, keyBytes);
      run.writeUIntLE(ids[e]! - minId, at + keyBytes, idBytes);
    }
    emit({ first_key: first, last_key: keys[j - 1]!, base_id: idBase + minId, keys: j - i, run });
    i = j;
  }
}

/** Calls fn(key, id) for each entry of a run with lo <= key <= hi, in the run's order. */
export function entriesBetween(row: KeyRunRow, lo: number, hi: number, fn: (key: number, id: number) => void): void {
  const { run, first_key: first, base_id: base } = row;
  const keyBytes = run[0]!;
  const idBytes = run[1]!;
  const stride = keyBytes + idBytes;
  const n = (run.length - HEAD) / stride;
  assert(Number.isInteger(n), 'key runs: a run of a length its widths do not divide');
  // The first entry at or above lo, by halving: the entries are fixed-width.
  let a = 0;
  let b = n;
  const target = lo - first;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (run.readUIntLE(HEAD + m * stride, keyBytes) < target) a = m + 1;
    else b = m;
  }
  for (let e = a; e < n; e++) {
    const at = HEAD + e * stride;
    const key = first + run.readUIntLE(at, keyBytes);
    if (key > hi) break;
    fn(key, base + run.readUIntLE(at + keyBytes, idBytes));
  }
}

/**
 * Sorts (key, id) pairs in place by key, then id: a least-significant-digit radix
 * sort of 16-bit digits, stable, so that pairs given in id order come out with equal
 * keys in id order. Keys are integers below 2^53. A million pairs take tens of
 * milliseconds, where a comparison sort of offsets took a second. The pairs move as
 * they are, between their arrays and one scratch copy of them: 12 bytes a pair more
 * with ids as a Uint32Array (a 5M night sorts its keys at the close).
 */
export function sortPairs(keys: Float64Array, ids: Uint32Array | Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    assert(Number.isSafeInteger(k) && k >= 0, 'key runs: a key outside 0..2^53');
  }
  let fromKeys: Float64Array = keys;
  let fromIds: Uint32Array | Float64Array = ids;
  let toKeys: Float64Array = new Float64Array(n);
  let toIds: Uint32Array | Float64Array = ids instanceof Uint32Array ? new Uint32Array(n) : new Float64Array(n);
  // Digit d of a key: its bits 16d..16d+15 (the key below 2^53 is exact in a double).
  const digit = (k: number, d: number): number =>
    d < 2 ? ((k % 4294967296) / (d === 0 ? 1 : 65536)) & 0xffff : Math.floor(k / (d === 2 ? 4294967296 : 281474976710656)) & 0xffff;
  // The four digits' counts in one pass over the keys, not one pass each.
  const counts = new Uint32Array(4 * 65536);
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    const lo = k % 4294967296;
    const hi = (k - lo) / 4294967296;
    counts[lo & 0xffff]!++;
    counts[65536 + (lo >>> 16)]!++;
    counts[131072 + (hi & 0xffff)]!++;
    counts[196608 + (hi >>> 16)]!++;
  }
  for (let d = 0; d < 4; d++) {
    const at0 = d * 65536;
    // A digit all pairs share moves nothing: skip the pass.
    if (n === 0 || counts[at0 + digit(keys[0]!, d)] === n) continue;
    let sum = 0;
    for (let c = at0; c < at0 + 65536; c++) {
      const count = counts[c]!;
      counts[c] = sum;
      sum += count;
    }
    for (let i = 0; i < n; i++) {
      const k = fromKeys[i]!;
      const at = counts[at0 + digit(k, d)]!++;
      toKeys[at] = k;
      toIds[at] = fromIds[i]!;
    }
    [fromKeys, toKeys] = [toKeys, fromKeys];
    [fromIds, toIds] = [toIds, fromIds];
  }
  if (fromKeys !== keys) {
    keys.set(fromKeys.subarray(0, n));
    ids.set(fromIds.subarray(0, n));
  }
}

export const KEY_RUNS_TABLE = `
  CREATE TABLE key_runs (
    kind      INTEGER NOT NULL,                 -- 0 card keys, 1 terminal keys
    night     INTEGER NOT NULL,                 -- the batch date, YYYYMMDD
    first_key INTEGER NOT NULL,
    last_key  INTEGER NOT NULL,
    base_id   INTEGER NOT NULL,                 -- the lowest record id of the run
    keys      INTEGER NOT NULL,                 -- entries in the run
    run       BLOB NOT NULL,                    -- src/store/key-runs.ts
    PRIMARY KEY (kind, night, first_key)
  ) STRICT, WITHOUT ROWID;`;

/** Writes a night's runs of one kind (sorted pairs, sortPairs; record ids idBase + ids[i]). */
export function appendRuns(
  db: Db,
  kind: KeyKind,
  night: number,
  keys: ArrayLike<number>,
  ids: ArrayLike<number>,
  n: number,
  idBase = 0,
): void {
  const insert = db.prepare('INSERT INTO key_runs (kind, night, first_key, last_key, base_id, keys, run) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const code = KIND_CODE[kind];
  cutRuns(keys, ids, n, idBase, (r) => insert.run(code, night, r.first_key, r.last_key, r.base_id, r.keys, r.run));
}

/**
 * Reads history's keys: every night of `days` (the close of that day wrote its
 * runs; tonight's are in memory until it closes). One statement a key range finds
 * the run that may hold it in every night.
 */
export class KeyRuns {
  private readonly covering;
  private readonly coveringEach;
  private readonly ofNight;
  private readonly counted;

  constructor(db: Db) {
    // In each night: the run with the greatest first_key at or below lo, and any that
    // begin inside lo..hi. CROSS JOIN keeps days outside: joined the other way,
    // SQLite scanned every run of the kind.
    this.covering = db.prepare(
      `SELECT k.first_key, k.last_key, k.base_id, k.keys, k.run FROM days d CROSS JOIN key_runs k
          ON k.kind = @kind AND k.night = CAST(d.date AS INTEGER)
         AND k.first_key BETWEEN coalesce((SELECT max(m.first_key) FROM key_runs m
                                             WHERE m.kind = @kind AND m.night = CAST(d.date AS INTEGER) AND m.first_key <= @lo), @lo)
                             AND @hi
       WHERE k.last_key >= @lo`,
    );
    // The same for each key of a json array (`@keys`) at once: one statement a chunk's keys.
    this.coveringEach = db.prepare(
      `SELECT q.value AS key, k.first_key, k.last_key, k.base_id, k.keys, k.run
         FROM json_each(@keys) q CROSS JOIN days d CROSS JOIN key_runs k
          ON k.kind = @kind AND k.night = CAST(d.date AS INTEGER)
         AND k.first_key = (SELECT max(m.first_key) FROM key_runs m
                             WHERE m.kind = @kind AND m.night = CAST(d.date AS INTEGER) AND m.first_key <= q.value)
       WHERE k.last_key >= q.value`,
    );
    this.ofNight = db.prepare(
      'SELECT first_key, last_key, base_id, keys, run FROM key_runs WHERE kind = ? AND night = ? ORDER BY first_key',
    );
    this.counted = db.prepare('SELECT coalesce(sum(keys), 0) FROM key_runs WHERE kind = ?').pluck();
  }

  /** fn(key, id) for every key of history in lo..hi, night by night. */
  between(kind: KeyKind, lo: number, hi: number, fn: (key: number, id: number) => void): void {
    for (const row of this.covering.all({ kind: KIND_CODE[kind], lo, hi }) as KeyRunRow[]) entriesBetween(row, lo, hi, fn);
  }

  /** fn(key, id) for every key of history equal to one of the keys. */
  private each(kind: KeyKind, keys: readonly number[], fn: (key: number, id: number) => void): void {
    if (keys.length === 0) return;
    const rows = this.coveringEach.all({ kind: KIND_CODE[kind], keys: JSON.stringify(keys) }) as (KeyRunRow & { key: number })[];
    for (const row of rows) entriesBetween(row, row.key, row.key, fn);
  }

  /** The ids of history's records under any of the keys. */
  idsOf(kind: KeyKind, keys: readonly number[]): number[] {
    const ids: number[] = [];
    this.each(kind, keys, (_, id) => ids.push(id));
    return ids;
  }

  /** Those of the keys that history holds, in the order given (once each). */
  heldAmong(kind: KeyKind, keys: readonly number[]): number[] {
    const held = new Set<number>();
    this.each(kind, keys, (key) => held.add(key));
    return [...new Set(keys)].filter((k) => held.has(k));
  }

  /** fn(key, id) for every key of one night, in key order. */
  forEachOfNight(kind: KeyKind, night: number, fn: (key: number, id: number) => void): void {
    for (const row of this.ofNight.all(KIND_CODE[kind], night) as KeyRunRow[]) entriesBetween(row, row.first_key, row.last_key, fn);
  }

  /** How many keys of the kind history holds. */
  count(kind: KeyKind): number {
    return this.counted.get(KIND_CODE[kind]) as number;
  }
}
