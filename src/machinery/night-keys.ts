// Tonight's keys, until the day closes: card key and terminal key -> the ids of
// tonight's records that carry them. History's keys are in the store's key tables,
// which the close fills in one sorted pass; a night's keys live here meanwhile.
//
// A night has millions of records, so each index is an open-addressing table in
// typed arrays (12 bytes a slot: the key as a float64, the record id as an offset
// from the night's first id) that the garbage collector sees as two arrays. A key
// may repeat (a rejected duplicate carries the key it collided with, and two cards
// can share a card hash), so a lookup yields every id stored under the key; the
// caller compares the records' real fields.

import { strict as assert } from 'node:assert';
import { mixKey } from './key-mix';

const EMPTY = 0;

class KeyMultiMap {
  private keys: Float64Array;
  private ids: Uint32Array; // record id - base + 1; 0: an empty slot
  private mask: number;
  /** Slots taken, tombstones included (what the load factor counts). */
  private taken = 0;
  /** Ids held (what the filters are sized by). */
  private live = 0;

  get size(): number {
    return this.live;
  }

  constructor(
    private readonly base: number,
    expected: number,
  ) {
    let slots = 1024;
    while (slots < expected * 2) slots *= 2;
    this.keys = new Float64Array(slots);
    this.ids = new Uint32Array(slots);
    this.mask = slots - 1;
  }

  /** Makes room for n more keys at once, sparing the doublings on the way. */
  reserve(n: number): void {
    while ((this.taken + n) * 4 > (this.mask + 1) * 3) this.grow();
  }

  add(key: number, id: number): void {
    if ((this.taken + 1) * 4 > (this.mask + 1) * 3) this.grow();
    const offset = id - this.base + 1;
    if (!(offset > 0 && offset < 2 ** 32)) assert.fail(`night keys: record ${id} outside the night (base ${this.base})`);
    let s = slotOf(key) & this.mask;
    while (this.ids[s] !== EMPTY) s = (s + 1) & this.mask;
    this.keys[s] = key;
    this.ids[s] = offset;
    this.taken++;
    this.live++;
  }

  /**
   * Forgets every id from `id` on: a refused file's rollback gives its ids back to
   * SQLite, which hands them to the next file. The slots stay as tombstones (a NaN
   * key matches nothing) so that no probe chain breaks; refusals are rare.
   */
  forgetFrom(id: number): void {
    const from = id - this.base + 1;
    for (let s = 0; s < this.ids.length; s++) {
      if (this.ids[s]! >= from && !Number.isNaN(this.keys[s])) {
        this.keys[s] = NaN;
        this.live--;
      }
    }
  }

  /** Calls visit with every key held (a key held by several ids, once per id). */
  forEachKey(visit: (key: number) => void): void {
    for (let s = 0; s < this.ids.length; s++) {
      if (this.ids[s] !== EMPTY && !Number.isNaN(this.keys[s])) visit(this.keys[s]!);
    }
  }

  /** Calls visit with every id stored under key, until it returns a value. */
  find<T>(key: number, visit: (id: number) => T | undefined): T | undefined {
    for (let s = slotOf(key) & this.mask; this.ids[s] !== EMPTY; s = (s + 1) & this.mask) {
      if (this.keys[s] !== key) continue;
      const found = visit(this.ids[s]! + this.base - 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  private grow(): void {
    const keys = this.keys;
    const ids = this.ids;
    const slots = (this.mask + 1) * 2;
    this.keys = new Float64Array(slots);
    this.ids = new Uint32Array(slots);
    this.mask = slots - 1;
    this.taken = this.live;
    for (let s = 0; s < ids.length; s++) {
      if (ids[s] === EMPTY || Number.isNaN(keys[s])) continue; // a tombstone is dropped here
      let t = slotOf(keys[s]!) & this.mask;
      while (this.ids[t] !== EMPTY) t = (t + 1) & this.mask;
      this.keys[t] = keys[s]!;
      this.ids[t] = ids[s]!;
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
  constructor(base: number, expected = 1 << 16) {
    this.byCard = new KeyMultiMap(base, expected);
    this.byTerminal = new KeyMultiMap(base, expected);
    this.lastId = base - 1;
  }

  add(id: number, card_key: number, terminal_key: number): void {
    if (id <= this.lastId) assert.fail(`night keys: record ${id} after ${this.lastId}: ids must rise`);
    this.lastId = id;
    this.byCard.add(card_key, id);
    this.byTerminal.add(terminal_key, id);
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
}
