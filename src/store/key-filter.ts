// A filter over history's keys, so that a record whose keys history certainly does
// not hold (nearly every record) never searches the key tables. It is a blocked
// Bloom filter: each key sets K bits inside one 512-bit block, so a test costs one
// cache line. A Bloom filter can say "maybe" for a key it never saw (about 1 in 200
// at 12 bits a key), never "no" for one it did: a "maybe" goes to the store.
//
// The bits live in a SharedArrayBuffer, so the validation worker reads the same
// filter without a copy. They are saved in the store with the day's close (the same
// transaction that adds the night's keys to the key tables), so they never fall
// behind the tables.

import type { Db } from './db';
import { mixKey } from './record-keys';

const BLOCK_WORDS = 16; // 512 bits
const K = 7;
/** Bits a key gets when the filter is sized: about 0.5% "maybe" for absent keys. */
export const BITS_PER_KEY = 12;
const MIN_BLOCKS = 1 << 11; // 128 KiB

/** Picks the block. */
const mixLow = mixKey;

/** Picks the bits inside the block: a second mix, independent of the first. */
function mixHigh(key: number): number {
  const lo = key >>> 0;
  const hi = Math.floor(key / 4294967296) >>> 0;
  let h = Math.imul(hi ^ Math.imul(lo, 0x27d4eb2f), 0x165667b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0xd3a2646c);
  return (h ^ (h >>> 13)) >>> 0;
}

export class KeyFilter {
  readonly words: Int32Array;
  private readonly blockMask: number;

  /** keys: how many keys it has taken (kept with the bits, to know when to grow). */
  constructor(
    words: Int32Array,
    public keys: number,
  ) {
    const blocks = words.length / BLOCK_WORDS;
    if (!Number.isInteger(blocks) || blocks < 1 || (blocks & (blocks - 1)) !== 0) {
      throw new RangeError(`KeyFilter: ${words.length} words is not a power-of-two number of blocks`);
    }
    this.words = words;
    this.blockMask = blocks - 1;
  }

  /** An empty filter with room for `capacity` keys, in shared memory. */
  static sized(capacity: number): KeyFilter {
    let blocks = MIN_BLOCKS;
    while (blocks * BLOCK_WORDS * 32 < capacity * BITS_PER_KEY) blocks *= 2;
    return new KeyFilter(new Int32Array(new SharedArrayBuffer(blocks * BLOCK_WORDS * 4)), 0);
  }

  /**
   * The filter a store grows to when `keys` keys would overfill its filter: room for
   * twice as many, so that it grows again only when history has doubled.
   */
  static grownFor(keys: number): KeyFilter {
    return KeyFilter.sized(2 * keys);
  }

  /** A filter from saved bits (copied into shared memory). */
  static fromBytes(bytes: Uint8Array, keys: number): KeyFilter {
    if (bytes.byteLength % (BLOCK_WORDS * 4) !== 0) throw new RangeError(`KeyFilter: ${bytes.byteLength} bytes is not whole blocks`);
    const shared = new SharedArrayBuffer(bytes.byteLength);
    new Uint8Array(shared).set(bytes);
    return new KeyFilter(new Int32Array(shared), keys);
  }

  /** The bits to save (a view, not a copy). */
  bytes(): Buffer {
    return Buffer.from(this.words.buffer, this.words.byteOffset, this.words.byteLength);
  }

  /** Whether it has room for `more` keys at its bits per key. */
  hasRoomFor(more: number): boolean {
    return (this.keys + more) * BITS_PER_KEY <= this.words.length * 32;
  }

  add(key: number): void {
    const base = (mixLow(key) & this.blockMask) * BLOCK_WORDS;
    const h = mixHigh(key);
    // K bits by double hashing inside the block: a + i * b, b odd (all 512 reachable).
    const a = h & 511;
    const b = (h >>> 9) | 1;
    for (let i = 0; i < K; i++) {
      const bit = (a + i * b) & 511;
      this.words[base + (bit >>> 5)]! |= 1 << (bit & 31);
    }
    this.keys++;
  }

  /** false: the key was never added. true: it may have been. */
  mayHave(key: number): boolean {
    const base = (mixLow(key) & this.blockMask) * BLOCK_WORDS;
    const h = mixHigh(key);
    const a = h & 511;
    const b = (h >>> 9) | 1;
    for (let i = 0; i < K; i++) {
      const bit = (a + i * b) & 511;
      if ((this.words[base + (bit >>> 5)]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

// ---------------------------------------------------------------------------------
// In the store

export interface KeyFilters {
  card: KeyFilter;
  terminal: KeyFilter;
}

const TABLES = { card: ['card_keys', 'card_key'], terminal: ['terminal_keys', 'terminal_key'] } as const;

/**
 * History's filters as the last close saved them. A store without them (a new one,
 * or one just migrated) gets them built from its key tables, once.
 */
export function loadKeyFilters(db: Db): KeyFilters {
  const load = (name: 'card' | 'terminal'): KeyFilter => {
    const row = db.prepare('SELECT keys, bits FROM key_filters WHERE name = ?').get(name) as { keys: number; bits: Buffer } | undefined;
    if (row) return KeyFilter.fromBytes(row.bits, row.keys);
    return historyFilter(db, name, db.prepare(`SELECT COUNT(*) FROM ${TABLES[name][0]}`).pluck().get() as number);
  };
  return { card: load('card'), terminal: load('terminal') };
}

/** A filter grown for `keys` keys (KeyFilter.grownFor), holding history's keys. */
export function historyFilter(db: Db, name: 'card' | 'terminal', keys: number): KeyFilter {
  const filter = KeyFilter.grownFor(keys);
  addHistory(db, name, filter);
  return filter;
}

/** Every key of the name's table into filter, a night's partition at a time (whole arrays: per-row stepping cost 3 µs a key). */
export function addHistory(db: Db, name: 'card' | 'terminal', filter: KeyFilter): void {
  const [table, column] = TABLES[name];
  const nightKeys = db.prepare(`SELECT ${column} FROM ${table} WHERE night = ?`).pluck();
  for (const night of db.prepare('SELECT CAST(date AS INTEGER) FROM days').pluck().all() as number[]) {
    for (const key of nightKeys.all(night) as number[]) filter.add(key);
  }
}

/** Saves the filters' bits: inside the transaction that added the keys to the tables. */
export function saveKeyFilters(db: Db, filters: KeyFilters): void {
  const save = db.prepare(
    'INSERT INTO key_filters (name, keys, bits) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET keys = excluded.keys, bits = excluded.bits',
  );
  save.run('card', filters.card.keys, filters.card.bytes());
  save.run('terminal', filters.terminal.keys, filters.terminal.bytes());
}

/**
 * The key tables' ids under the keys of a json array (`?`): one seek per night's
 * partition. Every partition is a day of `days` (the close of that day made it);
 * tonight's fills when the day closes.
 */
export const CARD_KEY_IDS =
  'SELECT k.record_id FROM days d JOIN card_keys k ON k.night = CAST(d.date AS INTEGER) AND k.card_key IN (SELECT value FROM json_each(?))';
export const TERMINAL_KEY_IDS =
  'SELECT k.record_id FROM days d JOIN terminal_keys k ON k.night = CAST(d.date AS INTEGER) AND k.terminal_key IN (SELECT value FROM json_each(?))';
