// The records that hold keys (clearing-rules.md, E03 and E09), indexed for validation:
// by card key (issuer_id, card_no, card_seq) and by terminal key (acquirer_id,
// terminal_id, terminal_seq). A night has millions of records, so the two indexes are
// open-addressing tables of record numbers in typed arrays, hashed from the key's
// characters in place: no key string is built per lookup and the garbage collector
// sees two arrays, not millions of map entries. A hit is confirmed on the record's own
// fields, so a hash collision can never make two keys one.
//
// The index only grows: a batch fills it with the held records of history, then adds
// each record of its files that is not REJECTED, as validation requires. A record that
// stops holding its keys (the national centre rejected it) is taken out by rebuilding
// from the records that still hold.

import { strict as assert } from 'node:assert';
import type { Transaction } from './types';
import type { HeldKeys } from './validate';

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

export class HeldKeyIndex implements HeldKeys {
  private readonly records: Transaction[] = [];
  private mask: number;
  // Bucket -> record number + 1 (0: empty).
  private byCard: Int32Array;
  private byTerminal: Int32Array;

  constructor(held: Iterable<Transaction> = [], expected_records = 1024) {
    let buckets = 1024;
    while (buckets < expected_records * 2) buckets *= 2;
    this.mask = buckets - 1;
    this.byCard = new Int32Array(buckets);
    this.byTerminal = new Int32Array(buckets);
    for (const r of held) this.add(r);
  }

  /** Records held. */
  get size(): number {
    return this.records.length;
  }

  byCardKey(issuer_id: string, card_no: string, card_seq: number): Transaction | undefined {
    const mask = this.mask;
    for (let b = cardHash(issuer_id, card_no, card_seq) & mask; ; b = (b + 1) & mask) {
      const n = this.byCard[b];
      if (n === 0) return undefined;
      const r = this.records[n - 1];
      if (r.card_seq === card_seq && r.card_no === card_no && r.issuer_id === issuer_id) return r;
    }
  }

  byTerminalKey(acquirer_id: string, terminal_id: string, terminal_seq: number): Transaction | undefined {
    const mask = this.mask;
    for (let b = terminalHash(acquirer_id, terminal_id, terminal_seq) & mask; ; b = (b + 1) & mask) {
      const n = this.byTerminal[b];
      if (n === 0) return undefined;
      const r = this.records[n - 1];
      if (r.terminal_seq === terminal_seq && r.terminal_id === terminal_id && r.acquirer_id === acquirer_id) return r;
    }
  }

  /**
   * Adds a record that now holds its keys. Where a key is already held, the new record
   * takes it (as a Map would); validation never lets that happen for a record it passed.
   */
  add(r: Transaction): void {
    if ((this.records.length + 1) * 2 > this.mask + 1) this.grow();
    this.records.push(r);
    this.place(r, this.records.length);
  }

  private place(r: Transaction, n: number): void {
    const mask = this.mask;
    let b = cardHash(r.issuer_id, r.card_no, r.card_seq) & mask;
    for (; this.byCard[b] !== 0; b = (b + 1) & mask) {
      const o = this.records[this.byCard[b] - 1];
      if (o.card_seq === r.card_seq && o.card_no === r.card_no && o.issuer_id === r.issuer_id) break;
    }
    this.byCard[b] = n;
    b = terminalHash(r.acquirer_id, r.terminal_id, r.terminal_seq) & mask;
    for (; this.byTerminal[b] !== 0; b = (b + 1) & mask) {
      const o = this.records[this.byTerminal[b] - 1];
      if (o.terminal_seq === r.terminal_seq && o.terminal_id === r.terminal_id && o.acquirer_id === r.acquirer_id) break;
    }
    this.byTerminal[b] = n;
  }

  private grow(): void {
    const buckets = (this.mask + 1) * 2;
    assert(buckets <= 1 << 30, 'HeldKeyIndex: too many records');
    this.mask = buckets - 1;
    this.byCard = new Int32Array(buckets);
    this.byTerminal = new Int32Array(buckets);
    // Re-placing in order keeps "the later record takes the key".
    for (let i = 0; i < this.records.length; i++) this.place(this.records[i], i + 1);
  }
}
