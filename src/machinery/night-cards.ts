// Tonight's records of local cards, for the card-float walk (src/core/card-float.ts):
// the import appends each non-rejected record of a local card, and the walk takes
// them grouped by card instead of reading the night back from the store.
import { strict as assert } from 'node:assert';
import { CARD_SEQ_SPAN } from '../store/record-keys';
import { sortPairs } from '../store/key-runs';

/** Digits s[from..to) as a number, or -1 when one is not a digit. */
function digitsValue(s: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Numbers a card keeps in CardNames. */
const STRIDE = 4;

/**
 * The names of a night's cards, by number, as numbers: an issuer is 8 digits and a
 * card number 20 (E01 holds every record that reaches here to that), kept as three
 * numbers instead of two strings of the decoder's (a 5M night has 2M cards: about
 * 100 MB less). A name of another shape is kept as it is.
 */
class CardNames {
  /**
   * Per card, four numbers side by side (one cache line): its hash (card_key / 65536),
   * issuer (-1: a name kept as text), the card number's first ten digits, its last ten.
   */
  private nums = new Float64Array(STRIDE * 1024);
  private readonly odd = new Map<number, [string, string]>();
  count = 0;

  add(issuer_id: string, card_no: string, hash: number): number {
    const c = this.count++;
    if (STRIDE * c === this.nums.length) this.grow();
    const issuer = issuer_id.length === 8 ? digitsValue(issuer_id, 0, 8) : -1;
    const hi = card_no.length === 20 ? digitsValue(card_no, 0, 10) : -1;
    const lo = card_no.length === 20 ? digitsValue(card_no, 10, 20) : -1;
    const at = STRIDE * c;
    this.nums[at] = hash;
    if (issuer < 0 || hi < 0 || lo < 0) {
      this.odd.set(c, [issuer_id, card_no]);
      this.nums[at + 1] = -1;
    } else {
      this.nums[at + 1] = issuer;
      this.nums[at + 2] = hi;
      this.nums[at + 3] = lo;
    }
    return c;
  }

  hashOf(c: number): number {
    return this.nums[STRIDE * c]!;
  }

  /** Whether card c has this hash and this name. */
  is(c: number, hash: number, issuer_id: string, card_no: string): boolean {
    const at = STRIDE * c;
    if (this.nums[at] !== hash) return false;
    const issuer = this.nums[at + 1]!;
    if (issuer === -1) {
      const [i, n] = this.odd.get(c)!;
      return i === issuer_id && n === card_no;
    }
    return (
      card_no.length === 20 &&
      issuer_id.length === 8 &&
      digitsValue(card_no, 10, 20) === this.nums[at + 3] &&
      digitsValue(card_no, 0, 10) === this.nums[at + 2] &&
      digitsValue(issuer_id, 0, 8) === issuer
    );
  }

  issuerOf(c: number): string {
    const issuer = this.nums[STRIDE * c + 1]!;
    return issuer === -1 ? this.odd.get(c)![0] : String(issuer).padStart(8, '0');
  }

  cardNoOf(c: number): string {
    const at = STRIDE * c;
    return this.nums[at + 1] === -1
      ? this.odd.get(c)![1]
      : String(this.nums[at + 2]).padStart(10, '0') + String(this.nums[at + 3]).padStart(10, '0');
  }

  private grow(): void {
    const nums = new Float64Array(this.nums.length * 2);
    nums.set(this.nums);
    this.nums = nums;
  }
}

/** A card hash's first slot in a table of mask + 1. */
function slotOf(hash: number, mask: number): number {
  return (Math.imul(hash >>> 0, 0x9e3779b1) ^ Math.floor(hash / 4294967296)) & mask;
}

/**
 * Tonight's records of local cards, for the card-float walk: per record the card's
 * number here and its run (src/core/card-float.ts: id, card_seq, balance_before_fen,
 * balance_after_fen), in typed
 * arrays (a night's millions of records are columns, not objects or per-card arrays
 * that grow and churn the garbage collector); grouped by card when the walk asks.
 */
export class NightCards {
  // The card's number here, found by its hash (card_key / 65536) in an open-addressing
  // table: a slot is the card number + 1 (0: empty), 4 bytes; the hash is beside the
  // card's name (CardNames), which a lookup reads anyway. Two cards may share a hash;
  // the names decide.
  private slots = new Int32Array(1 << 16);
  private readonly names = new CardNames();
  // Per record, columns: the card's number here, and its run. An id is kept as its
  // distance from the first id put (a night's ids span far less than 2^31); a counter
  // is 1..65535 on every record not rejected (E01), and a balance is a 32-bit field of
  // the exchange format. 18 bytes a record.
  private cardOf = new Int32Array(1024);
  private idBase: number | null = null;
  private ids = new Int32Array(1024);
  private seqs = new Uint16Array(1024);
  private befores = new Int32Array(1024);
  private afters = new Int32Array(1024);
  private n = 0;
  /** The first record id this process imported; earlier ids of the batch came from an interrupted run. */
  firstId: number | null = null;
  /** Records of an interrupted run of the batch were read back after the import: no file rolls back now. */
  private readBack = false;

  /** Makes room for n more records at once. */
  reserve(records: number): void {
    if (this.n + records > this.cardOf.length) this.resize(this.n + records);
  }

  /**
   * A record of tonight's import, in id order (ids rise as records are stored, which
   * forgetFrom relies on). card_key: the record's (src/store/record-keys.ts); the
   * card's hash is its upper part.
   */
  append(issuer_id: string, card_no: string, card_key: number, id: number, card_seq: number, before_fen: number, after_fen: number): void {
    assert(!this.readBack, 'night cards: a record imported after the read-back');
    // Once per record: the message is built only when the assertion fails.
    if (this.n > 0 && id <= this.idAt(this.n - 1)) assert.fail(`night cards: record ${id} after a later one: ids must rise`);
    if (this.firstId === null) this.firstId = id;
    this.put(issuer_id, card_no, card_key, id, card_seq, before_fen, after_fen);
  }

  /**
   * A record of this batch that an interrupted run imported (its id is below firstId),
   * read back for the walk once the import is over.
   */
  appendEarlier(
    issuer_id: string,
    card_no: string,
    card_key: number,
    id: number,
    card_seq: number,
    before_fen: number,
    after_fen: number,
  ): void {
    assert(this.firstId === null || id < this.firstId, `night cards: record ${id} is not of an earlier run (first ${this.firstId})`);
    this.readBack = true;
    this.put(issuer_id, card_no, card_key, id, card_seq, before_fen, after_fen);
  }

  private put(
    issuer_id: string,
    card_no: string,
    card_key: number,
    id: number,
    card_seq: number,
    before_fen: number,
    after_fen: number,
  ): void {
    const card = this.cardNumber(issuer_id, card_no, Math.floor(card_key / CARD_SEQ_SPAN));
    // By half again, not double: at a 5M night a doubling held both copies, some 200 MB.
    if (this.n === this.cardOf.length) this.resize(Math.ceil(this.n * 1.5));
    const at = this.n++;
    this.cardOf[at] = card;
    this.idBase ??= id;
    this.ids[at] = id - this.idBase;
    this.seqs[at] = card_seq;
    this.befores[at] = before_fen;
    this.afters[at] = after_fen;
    // Once per record: the message is built only when the assertion fails.
    if (this.idAt(at) !== id || this.seqs[at] !== card_seq || this.befores[at] !== before_fen || this.afters[at] !== after_fen)
      assert.fail(`night cards: record ${id}'s counter is not 1..65535 or its balances are not 32-bit`);
  }

  /** Reads where the card key's lookup starts, as NightKeys.touch does (a chunk's lookups read ahead). */
  touch(card_key: number): number {
    const c = this.slots[slotOf(Math.floor(card_key / CARD_SEQ_SPAN), this.slots.length - 1)]!;
    return c === 0 ? 0 : this.names.hashOf(c - 1);
  }

  private cardNumber(issuer_id: string, card_no: string, hash: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    let s = slotOf(hash, mask);
    for (; slots[s] !== 0; s = (s + 1) & mask) {
      const c = slots[s]! - 1;
      if (this.names.is(c, hash, issuer_id, card_no)) return c;
    }
    const card = this.names.add(issuer_id, card_no, hash);
    slots[s] = card + 1;
    if ((card + 1) * 2 > slots.length) this.growSlots();
    return card;
  }

  private growSlots(): void {
    const old = this.slots;
    const slots = new Int32Array(old.length * 2);
    const mask = slots.length - 1;
    for (let t = 0; t < old.length; t++) {
      if (old[t] === 0) continue;
      let s = slotOf(this.names.hashOf(old[t]! - 1), mask);
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = old[t]!;
    }
    this.slots = slots;
  }

  /**
   * Each card with its records' runs, one after another in the order appended (the
   * walk's input), and its card_base (its hash * 65536, as the records' card keys
   * have it). Cards come in order of their hash, which leads card_float's key:
   * the walk reads and writes that table's pages in order, not at random (at 5M, a
   * table several times the page cache).
   */
  *cards(): Generator<[issuer_id: string, card_no: string, flat: number[], base: number]> {
    const cardCount = this.names.count;
    const start = new Int32Array(cardCount + 1);
    for (let i = 0; i < this.n; i++) start[this.cardOf[i]! + 1]!++;
    for (let c = 0; c < cardCount; c++) start[c + 1]! += start[c]!;
    const order = new Int32Array(this.n);
    const fill = start.slice(0, cardCount);
    for (let i = 0; i < this.n; i++) order[fill[this.cardOf[i]!]!++] = i;
    for (const c of this.cardsByHash()) {
      if (start[c] === start[c + 1]) continue; // its records were rolled back
      const flat: number[] = new Array((start[c + 1]! - start[c]!) * 4);
      for (let k = start[c]!, f = 0; k < start[c + 1]!; k++, f += 4) {
        const at = order[k]!;
        flat[f] = this.idAt(at);
        flat[f + 1] = this.seqs[at]!;
        flat[f + 2] = this.befores[at]!;
        flat[f + 3] = this.afters[at]!;
      }
      yield [this.names.issuerOf(c), this.names.cardNoOf(c), flat, this.names.hashOf(c) * CARD_SEQ_SPAN];
    }
  }

  /** The cards' numbers here, in order of their hash (two cards of one hash: by number). */
  private cardsByHash(): Uint32Array {
    const count = this.names.count;
    const hashes = new Float64Array(count);
    for (let c = 0; c < count; c++) hashes[c] = this.names.hashOf(c);
    let slotted = 0;
    for (let s = 0; s < this.slots.length; s++) if (this.slots[s] !== 0) slotted++;
    assert(slotted === count, `night cards: ${count} cards, ${slotted} in the hash table`);
    const cards = new Uint32Array(count);
    for (let c = 0; c < count; c++) cards[c] = c;
    sortPairs(hashes, cards, count);
    return cards;
  }

  /** A refused file's records, from id on, were rolled back: they leave the runs too (ids rise as records append). */
  forgetFrom(id: number): void {
    assert(!this.readBack, 'night cards: a file rolled back after the read-back');
    while (this.n > 0 && this.idAt(this.n - 1) >= id) this.n--;
    if (this.firstId !== null && this.firstId >= id) this.firstId = null;
  }

  private idAt(at: number): number {
    return this.idBase! + this.ids[at]!;
  }

  private resize(records: number): void {
    const grown = <T extends Int32Array | Uint16Array>(a: T, make: (n: number) => T): T => {
      const b = make(records);
      b.set(a.subarray(0, this.n));
      return b;
    };
    this.cardOf = grown(this.cardOf, (n) => new Int32Array(n));
    this.ids = grown(this.ids, (n) => new Int32Array(n));
    this.seqs = grown(this.seqs, (n) => new Uint16Array(n));
    this.befores = grown(this.befores, (n) => new Int32Array(n));
    this.afters = grown(this.afters, (n) => new Int32Array(n));
  }
}
