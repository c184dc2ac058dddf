// For the validation benchmark (validate-bench.ts) only: held keys in memory, as
// core's HeldKeys, to measure validation against an index of records rather than
// the store. The batch finds held keys through the night's machinery
// (src/machinery/held-keys.ts) instead.
//
// The records that hold keys (clearing-rules.md, E03 and E09), indexed by card key
// (issuer_id, card_no, card_seq) and by terminal key (acquirer_id, terminal_id,
// terminal_seq): open-addressing tables of record numbers in typed arrays, hashed
// from the key's characters in place, so that no key string is built per lookup. A
// hit is confirmed on the record's own fields, so a hash collision can never make two
// keys one. The index only grows.

import { strict as assert } from 'node:assert';
import type { Transaction } from '../src/core/types';
import type { HeldKeys } from '../src/core/validate';

/** FNV-1a style mixing of a string's characters into h. */
function mixText(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

function mixNumber(h: number, n: number): number {
  h = Math.imul(h ^ (n & 0xffff), 0x01000193);
  return Math.imul(h ^ Math.floor(n / 0x10000), 0x01000193);
}

function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

function cardHash(issuer_id: string, card_no: string, card_seq: number): number {
  return finish(mixNumber(mixText(mixText(0x811c9dc5, issuer_id), card_no), card_seq));
}

function terminalHash(acquirer_id: string, terminal_id: string, terminal_seq: number): number {
  return finish(mixNumber(mixText(mixText(0x811c9dc5, acquirer_id), terminal_id), terminal_seq));
}

/**
 * One open-addressing table: bucket b is the pair slots[2b] = the key's 32-bit hash,
 * slots[2b+1] = record number + 1 (0: empty). The hash is compared before the record is
 * read, so a probe past another key costs a read of this array, not a visit to a record
 * somewhere in the heap; the pair shares a cache line.
 */
class KeyTable {
  readonly mask: number;
  readonly slots: Int32Array;

  constructor(buckets: number) {
    this.mask = buckets - 1;
    this.slots = new Int32Array(buckets * 2);
  }

  /** Puts n at the bucket of hash h; `same` says whether record m has the same key. */
  put(h: number, n: number, same: (m: number) => boolean): void {
    const slots = this.slots;
    let b = h & this.mask;
    for (; slots[2 * b + 1] !== 0; b = (b + 1) & this.mask) {
      if (slots[2 * b] === h && same(slots[2 * b + 1])) break;
    }
    slots[2 * b] = h;
    slots[2 * b + 1] = n;
  }

  /** The same table with twice the buckets. */
  grown(): KeyTable {
    const t = new KeyTable((this.mask + 1) * 2);
    for (let b = 0; b <= this.mask; b++) {
      const n = this.slots[2 * b + 1];
      if (n === 0) continue;
      const h = this.slots[2 * b];
      let c = h & t.mask;
      while (t.slots[2 * c + 1] !== 0) c = (c + 1) & t.mask;
      t.slots[2 * c] = h;
      t.slots[2 * c + 1] = n;
    }
    return t;
  }
}

export class HeldKeyIndex implements HeldKeys {
  private readonly records: Transaction[] = [];
  private byCard: KeyTable;
  private byTerminal: KeyTable;

  constructor(held: Iterable<Transaction> = [], expected_records = 1024) {
    let buckets = 1024;
    while (buckets < expected_records * 2) buckets *= 2;
    this.byCard = new KeyTable(buckets);
    this.byTerminal = new KeyTable(buckets);
    for (const r of held) this.add(r);
  }

  /** Records held. */
  get size(): number {
    return this.records.length;
  }

  byCardKey(issuer_id: string, card_no: string, card_seq: number): Transaction | undefined {
    const t = this.byCard;
    const slots = t.slots;
    const h = cardHash(issuer_id, card_no, card_seq);
    for (let b = h & t.mask; ; b = (b + 1) & t.mask) {
      const n = slots[2 * b + 1];
      if (n === 0) return undefined;
      if (slots[2 * b] !== h) continue;
      const r = this.records[n - 1];
      if (r.card_seq === card_seq && r.card_no === card_no && r.issuer_id === issuer_id) return r;
    }
  }

  byTerminalKey(acquirer_id: string, terminal_id: string, terminal_seq: number): Transaction | undefined {
    const t = this.byTerminal;
    const slots = t.slots;
    const h = terminalHash(acquirer_id, terminal_id, terminal_seq);
    for (let b = h & t.mask; ; b = (b + 1) & t.mask) {
      const n = slots[2 * b + 1];
      if (n === 0) return undefined;
      if (slots[2 * b] !== h) continue;
      const r = this.records[n - 1];
      if (r.terminal_seq === terminal_seq && r.terminal_id === terminal_id && r.acquirer_id === acquirer_id) return r;
    }
  }

  /**
   * Adds a record that now holds its keys. Where a key is already held, the new record
   * takes it (as a Map would); validation never lets that happen for a record it passed.
   */
  add(r: Transaction): void {
    if ((this.records.length + 1) * 2 > this.byCard.mask + 1) {
      assert(this.byCard.mask < 1 << 29, 'HeldKeyIndex: too many records');
      this.byCard = this.byCard.grown();
      this.byTerminal = this.byTerminal.grown();
    }
    this.records.push(r);
    const n = this.records.length;
    this.byCard.put(cardHash(r.issuer_id, r.card_no, r.card_seq), n, (m) => {
      const o = this.records[m - 1];
      return o.card_seq === r.card_seq && o.card_no === r.card_no && o.issuer_id === r.issuer_id;
    });
    this.byTerminal.put(terminalHash(r.acquirer_id, r.terminal_id, r.terminal_seq), n, (m) => {
      const o = this.records[m - 1];
      return o.terminal_seq === r.terminal_seq && o.terminal_id === r.terminal_id && o.acquirer_id === r.acquirer_id;
    });
  }
}
