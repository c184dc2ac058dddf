// Tonight's keys, until the day closes: card key and terminal key -> the ids of
// tonight's records that hold them. History's keys are in the store's key runs,
// which the close fills in one sorted pass; a night's keys live here meanwhile.
//
// A night has millions of records, so each index is typed arrays the garbage
// collector sees as two: the key of every record stored tonight (a float64 at the
// record id's offset from the night's first id; NaN: none stored there; -key - 1: a
// record that does not hold its key, keys being 0..2^53 - 1) and an open-addressing
// table of the holders' offsets (4 bytes a slot, sized to the keys, not to a power of
// two). 8 bytes a record and 5.3 a slot: a 5M night's two indexes take some 140 MB. A
// key may repeat (a rejected duplicate carries the key it collided with, and two cards
// can share a card hash), so a lookup yields every id stored under the key; the
// caller compares the records' real fields. Every record's key is kept, held or not,
// because the close writes them all into the night's key runs (column()).

import { strict as assert } from 'node:assert';
import { mixKey } from './key-mix';

const EMPTY = 0;
/** A slot whose record was forgotten: a probe goes past it, and its offset may be given again. */
const TOMBSTONE = 0xffffffff;
/** Slots per key held, at most: past this (a load of 0.75) the table grows. */
const SLOTS_PER_KEY = 4 / 3;

class KeyMultiMap {
  /** The key of the record at each offset (id - base); -key - 1 when it does not hold it; NaN: none stored there. */
  private keys: Float64Array;
  /** offset + 1 of a record holding a key; 0: an empty slot. */
  private slots: Uint32Array;
  /** Slots taken, tombstones included (what the load factor counts). */
  private taken = 0;
  /** Ids held (what the filters are sized by). */
  private live = 0;
  /** Records stored (held or not). */
  private stored = 0;
  /** One past the highest offset stored. */
  private end = 0;

  get size(): number {
    return this.live;
  }

  constructor(
    private readonly base: number,
    expected: number,
  ) {
    this.keys = new Float64Array(Math.max(1024, expected)).fill(NaN);
    this.slots = new Uint32Array(Math.max(1024, Math.ceil(expected * SLOTS_PER_KEY) + 1));
  }

  /** Makes room for n more keys at once, sparing the growths on the way. */
  reserve(n: number): void {
    if (this.end + n > this.keys.length) this.growKeys(this.end + n);
    if ((this.taken + n) * SLOTS_PER_KEY >= this.slots.length) this.rehash(Math.ceil((this.live + n) * SLOTS_PER_KEY) + 1);
  }

  /** The key of record `id`; `holds`: it holds it, and lookups find it. */
  add(key: number, id: number, holds: boolean): void {
    const offset = id - this.base;
    if (!(offset >= 0 && offset < 2 ** 32 - 1)) assert.fail(`night keys: record ${id} outside the night (base ${this.base})`);
    if (offset >= this.keys.length) this.growKeys(Math.max(offset + 1, Math.ceil(this.keys.length * 1.5)));
    if (!(key >= 0 && key <= Number.MAX_SAFE_INTEGER)) assert.fail(`night keys: key ${key} of record ${id} outside 0..2^53 - 1`);
    this.keys[offset] = holds ? key : -key - 1;
    this.end = Math.max(this.end, offset + 1);
    this.stored++;
    if (!holds) return;
    if ((this.taken + 1) * SLOTS_PER_KEY >= this.slots.length) this.rehash(Math.ceil(this.slots.length * 1.5));
    this.place(key, offset + 1);
    this.taken++;
    this.live++;
  }

  private place(key: number, slotValue: number): void {
    const size = this.slots.length;
    let s = slotOf(key) % size;
    while (this.slots[s] !== EMPTY) s = s + 1 === size ? 0 : s + 1;
    this.slots[s] = slotValue;
  }

  /**
   * Forgets every id from `id` on: a refused file's rollback gives its ids back to
   * SQLite, which hands them to the next file. Their slots stay as tombstones so
   * that no probe chain breaks; refusals are rare.
   */
  forgetFrom(id: number): void {
    const from = Math.max(0, id - this.base);
    for (let o = from; o < this.end; o++) {
      const k = this.keys[o]!;
      if (Number.isNaN(k)) continue;
      this.keys[o] = NaN;
      this.stored--;
      if (k >= 0) this.live--;
    }
    for (let s = 0; s < this.slots.length; s++) {
      const v = this.slots[s]!;
      if (v !== EMPTY && v !== TOMBSTONE && v - 1 >= from) this.slots[s] = TOMBSTONE;
    }
    this.end = Math.min(this.end, from);
  }

  /** Calls visit with every key held (a key held by several ids, once per id). */
  forEachKey(visit: (key: number) => void): void {
    for (let o = 0; o < this.end; o++) {
      const k = this.keys[o]!;
      if (k >= 0) visit(k);
    }
  }

  /**
   * Reads where key's probe starts (its first slot, and the key of the record there)
   * and returns what it read. A chunk's lookups are read ahead this way, in one loop
   * whose loads do not wait on each other, so that their cache misses overlap: each
   * record's own lookup then finds the lines in cache.
   */
  touch(key: number): number {
    const v = this.slots[slotOf(key) % this.slots.length]!;
    return v === EMPTY || v === TOMBSTONE ? v : this.keys[v - 1]!;
  }

  /** Calls visit with every id stored under key, until it returns a value. */
  find<T>(key: number, visit: (id: number) => T | undefined): T | undefined {
    const size = this.slots.length;
    for (let s = slotOf(key) % size; this.slots[s] !== EMPTY; s = s + 1 === size ? 0 : s + 1) {
      const v = this.slots[s]!;
      if (v === TOMBSTONE || this.keys[v - 1] !== key) continue;
      const offset = v - 1;
      const found = visit(offset + this.base);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /**
   * The key of every record stored, held or not, by offset from the night's first id,
   * when every offset up to the last is stored (ids are consecutive); else null. The
   * array is this table's own, the keys not held made keys again in it: the table is
   * done with once this is asked, and the caller may reorder it.
   */
  column(): { first_id: number; keys: Float64Array } | null {
    if (this.stored !== this.end) return null;
    const keys = this.keys.subarray(0, this.end);
    for (let o = 0; o < keys.length; o++) if (keys[o]! < 0) keys[o] = -keys[o]! - 1;
    this.stored = -1; // asked once: lookups and additions would see keys not held
    return { first_id: this.base, keys };
  }

  private growKeys(n: number): void {
    const keys = new Float64Array(n).fill(NaN);
    keys.set(this.keys.subarray(0, this.end));
    this.keys = keys;
  }

  /** A table of `size` slots holding the live keys (tombstones are dropped here). */
  private rehash(size: number): void {
    this.slots = new Uint32Array(size);
    this.taken = 0;
    for (let o = 0; o < this.end; o++) {
      const k = this.keys[o]!;
      if (!(k >= 0)) continue;
      this.place(k, o + 1);
      this.taken++;
    }
  }
}

const slotOf = mixKey;

export class NightKeys {
  readonly byCard: KeyMultiMap;
  readonly byTerminal: KeyMultiMap;
  /** The last id added: ids rise as records are stored, which forgetFrom relies on. */
  private lastId: number;

  /** base: the lowest record id the night can have (the first id after history). */
  constructor(
    readonly base: number,
    expected = 1 << 16,
  ) {
    this.byCard = new KeyMultiMap(base, expected);
    this.byTerminal = new KeyMultiMap(base, expected);
    this.lastId = base - 1;
  }

  /** A record stored tonight with its keys; `holds`: it holds them (its status is not REJECTED). */
  add(id: number, card_key: number, terminal_key: number, holds: boolean): void {
    if (id <= this.lastId) assert.fail(`night keys: record ${id} after ${this.lastId}: ids must rise`);
    this.lastId = id;
    this.byCard.add(card_key, id, holds);
    this.byTerminal.add(terminal_key, id, holds);
  }

  reserve(records: number): void {
    this.byCard.reserve(records);
    this.byTerminal.reserve(records);
  }

  /** A refused file's records, from id on, were rolled back: SQLite hands their ids to the next file. */
  forgetFrom(id: number): void {
    this.byCard.forgetFrom(id);
    this.byTerminal.forgetFrom(id);
    this.lastId = Math.min(this.lastId, id - 1);
  }

  get size(): number {
    return this.byCard.size;
  }

  /** The id after the last one added. */
  get nextId(): number {
    return this.lastId + 1;
  }
}
