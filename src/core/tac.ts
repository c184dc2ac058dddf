// The transaction authentication code (clearing-rules.md, "TAC"): the card's MAC over
// the record, under a key diversified from its issuer's master key by the card number.
//
// Validation checks a TAC per local-card record, millions a night, so there are two
// forms. The plain functions (diversifyKey, tacKeyOf, macInput, computeTac) follow the
// spec step by step on Buffers, for tests and tools. TacKeyCache is the fast form: the
// master keys' schedules are prepared once, each card's TAC key schedule once per card
// (kept in a bounded slab), and a record's MAC runs on 32-bit words built straight from
// its fields, with no Buffer, no string building and no allocation per record.

import { strict as assert } from 'node:assert';
import type { Keys } from './config-types';
import type { Transaction } from './types';
import { isUpperHex } from './char-shapes';
import { DES_SCHEDULE_WORDS, DesKey, blockOut, finalPermutation, initialPermutation, reverseSchedule, rounds, writeSchedule } from './des';

/** The record fields the TAC covers, plus the card number its key is diversified by. */
export type TacFields = Pick<Transaction, 'card_no' | 'amount_fen' | 'txn_type' | 'terminal_id' | 'terminal_seq' | 'occurred_at'>;

/** Length of the MAC input: 4 + 1 + 6 + 4 + 4 + 3 bytes. */
export const MAC_INPUT_BYTES = 22;

function assertMasterKey(masterKey: Uint8Array): void {
  assert(masterKey.length === 16, 'TAC master key must be 16 bytes');
}

function assertCardNo(cardNo: string): void {
  assert(/^[0-9]{16,}$/.test(cardNo), 'card_no must end in 16 digits for key diversification');
}

/** D: the last 16 digits of card_no read as 8 bytes of BCD. */
function diversificationData(cardNo: string): Buffer {
  assertCardNo(cardNo);
  return Buffer.from(cardNo.slice(-16), 'hex');
}

/** Two-key 3DES-ECB (K1, K2, K1) of one block with a 16-byte key. */
function tripleDesEncrypt(masterKey: Uint8Array, block: Buffer): Buffer {
  const k1 = new DesKey(masterKey.subarray(0, 8));
  const k2 = new DesKey(masterKey.subarray(8, 16));
  return k1.encryptBlock(k2.decryptBlock(k1.encryptBlock(block)));
}

/** DTK = 3DES-ECB(MK, D) || 3DES-ECB(MK, NOT D): 16 bytes. */
export function diversifyKey(masterKey: Uint8Array, cardNo: string): Buffer {
  assertMasterKey(masterKey);
  const d = diversificationData(cardNo);
  const notD = Buffer.from(d.map((b) => ~b & 0xff));
  return Buffer.concat([tripleDesEncrypt(masterKey, d), tripleDesEncrypt(masterKey, notD)]);
}

/** K = DTK[0..7] XOR DTK[8..15]: the single-DES TAC key, 8 bytes. */
export function tacKeyOf(diversified: Uint8Array): Buffer {
  assert(diversified.length === 16, 'a diversified key is 16 bytes');
  const k = Buffer.alloc(8);
  for (let i = 0; i < 8; i++) k[i] = diversified[i] ^ diversified[i + 8];
  return k;
}

/** The 22 bytes the TAC covers: amount, type, terminal, terminal_seq, date, time. */
export function macInput(rec: Omit<TacFields, 'card_no'>): Buffer {
  assert(/^[0-9A-Fa-f]{12}$/.test(rec.terminal_id), 'terminal_id must be 12 hex digits');
  assert(/^[0-9]{14}$/.test(rec.occurred_at), 'occurred_at must be 14 digits');
  const b = Buffer.alloc(MAC_INPUT_BYTES);
  b.writeUInt32BE(rec.amount_fen, 0);
  b.writeUInt8(rec.txn_type, 4);
  Buffer.from(rec.terminal_id, 'hex').copy(b, 5);
  b.writeUInt32BE(rec.terminal_seq, 11);
  // BCD of a string of decimal digits is the same string read as hex.
  Buffer.from(rec.occurred_at, 'hex').copy(b, 15);
  return b;
}

/**
 * ISO 9797-1 MAC algorithm 1 with padding method 2 under the single-DES key: CBC with a
 * zero IV over data || 0x80 || 0x00..., the first 4 bytes of the last block, as 8
 * upper-case hex digits.
 */
export function tacOfMacInput(tacKey: Uint8Array, data: Uint8Array): string {
  const key = new DesKey(tacKey);
  const padded = Buffer.alloc(Math.floor(data.length / 8) * 8 + 8);
  Buffer.from(data.buffer, data.byteOffset, data.length).copy(padded, 0);
  padded[data.length] = 0x80;
  let chain: Buffer = Buffer.alloc(8);
  for (let at = 0; at < padded.length; at += 8) {
    const block = Buffer.alloc(8);
    for (let i = 0; i < 8; i++) block[i] = padded[at + i] ^ chain[i];
    chain = key.encryptBlock(block);
  }
  return chain.subarray(0, 4).toString('hex').toUpperCase();
}

/** The TAC a genuine card computes for the record, step by step as the spec gives it. */
export function computeTac(masterKey: Uint8Array, rec: TacFields): string {
  return tacOfMacInput(tacKeyOf(diversifyKey(masterKey, rec.card_no)), macInput(rec));
}

// ---------------------------------------------------------------------------------
// The fast form.

/** Schedules of one master key: K1 for encryption, K2 for decryption (3DES EDE). */
interface MasterSchedule {
  k1: Int32Array;
  k2_decrypt: Int32Array;
}

function masterSchedule(masterKey: Uint8Array): MasterSchedule {
  assertMasterKey(masterKey);
  const b = Buffer.from(masterKey.buffer, masterKey.byteOffset, 16);
  const k1 = new Int32Array(DES_SCHEDULE_WORDS);
  const k2 = new Int32Array(DES_SCHEDULE_WORDS);
  writeSchedule(b.readInt32BE(0), b.readInt32BE(4), k1, 0);
  writeSchedule(b.readInt32BE(8), b.readInt32BE(12), k2, 0);
  return { k1, k2_decrypt: reverseSchedule(k2) };
}

/**
 * The value of the n (<= 8) hex digits at s[i..], read in place (no substring, no
 * parseInt: this runs several times per record). The caller has checked the format.
 */
function hexAt(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(i + k);
    v = v * 16 + (c <= 57 ? c - 48 : (c | 32) - 87); // '0'-'9', then 'A'-'F' or 'a'-'f'
  }
  return v;
}

// Scratch words for tripleDes(): hot-path results without allocation.
const tripleOut = new Int32Array(2);

/** 3DES-EDE of one block; between the stages, FP and IP cancel (see des.ts rounds()). */
function tripleDes(m: MasterSchedule, hi: number, lo: number): void {
  initialPermutation(hi, lo);
  rounds(m.k1, 0, blockOut[0], blockOut[1]);
  rounds(m.k2_decrypt, 0, blockOut[0], blockOut[1]);
  rounds(m.k1, 0, blockOut[0], blockOut[1]);
  finalPermutation(blockOut[0], blockOut[1]);
  tripleOut[0] = blockOut[0];
  tripleOut[1] = blockOut[1];
}

/**
 * Writes the TAC key schedule of a card into out[at..]: diversification by the last 16
 * digits of card_no (two 3DES blocks), the XOR of the halves, then the DES schedule.
 */
function writeCardSchedule(m: MasterSchedule, cardNo: string, out: Int32Array, at: number): void {
  const n = cardNo.length;
  // 8 BCD digits read as hex are the 4 bytes they encode.
  const dHi = hexAt(cardNo, n - 16, 8) | 0;
  const dLo = hexAt(cardNo, n - 8, 8) | 0;
  tripleDes(m, dHi, dLo);
  const leftHi = tripleOut[0];
  const leftLo = tripleOut[1];
  tripleDes(m, ~dHi, ~dLo);
  writeSchedule(leftHi ^ tripleOut[0], leftLo ^ tripleOut[1], out, at);
}

/**
 * The TAC of a record under the card key schedule at ks[at..], as a 32-bit number (the
 * first 4 bytes of the last CBC block). The 22 input bytes plus padding are exactly
 * three blocks:
 *   amount(4) | type(1) tid[0..2](3) || tid[3..5](3) seq[0](1) | seq[1..3](3) date[0](1) || date[1..3](3) time[0](1) | time[1..2](2) 80 00
 */
function macWord(ks: Int32Array, at: number, rec: Omit<TacFields, 'card_no'>): number {
  const tid = rec.terminal_id;
  const occ = rec.occurred_at;
  const tidHi = hexAt(tid, 0, 6);
  const tidLo = hexAt(tid, 6, 6);
  const date = hexAt(occ, 0, 8);
  const time = hexAt(occ, 8, 6);
  const seq = rec.terminal_seq;
  // CBC kept in the IP domain: each block's IP is XORed into the previous pre-output,
  // and only the last block goes through FP.
  initialPermutation(rec.amount_fen | 0, (rec.txn_type << 24) | tidHi);
  rounds(ks, at, blockOut[0], blockOut[1]);
  let s0 = blockOut[0];
  let s1 = blockOut[1];
  initialPermutation((tidLo << 8) | (seq >>> 24), ((seq & 0xffffff) << 8) | (date >>> 24));
  rounds(ks, at, blockOut[0] ^ s0, blockOut[1] ^ s1);
  s0 = blockOut[0];
  s1 = blockOut[1];
  initialPermutation(((date & 0xffffff) << 8) | (time >>> 16), ((time & 0xffff) << 16) | 0x8000);
  rounds(ks, at, blockOut[0] ^ s0, blockOut[1] ^ s1);
  finalPermutation(blockOut[0], blockOut[1]);
  return blockOut[0] >>> 0;
}

/** 8 upper-case hex digits of a 32-bit TAC. */
function tacText(word: number): string {
  return word.toString(16).toUpperCase().padStart(8, '0');
}

/** Whether a record's fields are within what the TAC's byte layout can carry. */
function assertMacFields(rec: Omit<TacFields, 'card_no'>): void {
  assert(Number.isInteger(rec.amount_fen) && rec.amount_fen >= 0 && rec.amount_fen <= 0xffffffff, 'amount_fen must fit 4 bytes');
  assert(Number.isInteger(rec.txn_type) && rec.txn_type >= 0 && rec.txn_type <= 0xff, 'txn_type must fit 1 byte');
  assert(Number.isInteger(rec.terminal_seq) && rec.terminal_seq >= 0 && rec.terminal_seq <= 0xffffffff, 'terminal_seq must fit 4 bytes');
}

/** One card's TAC key, prepared: verifying a record costs three DES blocks. */
export class PreparedCardKey {
  private readonly schedule = new Int32Array(DES_SCHEDULE_WORDS);

  constructor(
    masterKey: Uint8Array,
    readonly card_no: string,
  ) {
    assertCardNo(card_no);
    writeCardSchedule(masterSchedule(masterKey), card_no, this.schedule, 0);
  }

  tacOf(rec: Omit<TacFields, 'card_no'>): string {
    assertMacFields(rec);
    return tacText(macWord(this.schedule, 0, rec));
  }

  verify(rec: Omit<TacFields, 'card_no'> & { tac: string }): boolean {
    return this.tacOf(rec) === rec.tac;
  }
}

export function prepareCardKey(masterKey: Uint8Array, cardNo: string): PreparedCardKey {
  return new PreparedCardKey(masterKey, cardNo);
}

/** What validation needs of the TAC: a yes or no per local-card record. */
export interface TacVerifier {
  /** Whether the issuer has a master key here (every local issuer does, by parseKeys). */
  hasKey(issuer_id: string): boolean;
  /** Whether rec.tac is the TAC that rec's card computes. The issuer must have a key. */
  verify(rec: Pick<Transaction, 'issuer_id' | 'tac'> & TacFields): boolean;
}

/**
 * How many card schedules a TacKeyCache keeps before it starts over: 16 MB of slab.
 * A night of a million records touches some 200,000 cards, several records each,
 * spread over the night: a cache that holds them all (TAC_CACHE_CARDS_NIGHT) prepares
 * each card's key once, and spared 13% of the TAC's time there. A night of several
 * million has more cards than any cache its memory allows (twice this missed as
 * often at 5M, for 20 MB more): it keeps the default.
 */
export const TAC_CACHE_CARDS_DEFAULT = 131072;
/** The cache for a night whose cards it can hold (the worker's, on a night of up to 2M records): 32 MB. */
export const TAC_CACHE_CARDS_NIGHT = 262144;

/**
 * The fast TAC checker of a batch. A card's TAC key depends only on its issuer's master
 * key and D, the last 16 digits of card_no, so that is the cache key: the issuer's
 * index and D's two 32-bit words, in an open-addressing table of typed arrays (no
 * string hashing, nothing for the garbage collector). Schedules live in one slab of
 * capacity x 32 words (128 bytes); when it is full, the cache is forgotten whole and
 * refilled (a card seen again is prepared again: correct, only slower), which keeps
 * memory flat on any night without the bookkeeping of an LRU. It holds key material:
 * never log or print it.
 */
export class TacKeyCache implements TacVerifier {
  private readonly masters: MasterSchedule[] = [];
  private readonly masterIndex = new Map<string, number>();
  private readonly slab: Int32Array;
  // The hash table: 2^k buckets, at least twice the capacity (load <= 1/2). A bucket
  // is 4 words side by side (one cache line holds it, where 4 arrays took 4 misses a
  // probe): issuer index + 1 (0: empty), D's words and the slot of the schedule.
  private readonly mask: number;
  private readonly buckets: Int32Array;
  private used = 0;
  // The issuer of the previous record: one file's records mostly share one.
  private lastIssuerId = '';
  private lastIssuerIndex = -1;

  constructor(
    keys: Keys,
    readonly capacity_cards: number = TAC_CACHE_CARDS_DEFAULT,
  ) {
    assert(
      Number.isSafeInteger(capacity_cards) && capacity_cards >= 1 && capacity_cards <= 1 << 24,
      'TacKeyCache: capacity must be 1..2^24',
    );
    for (const [issuer_id, key] of keys.tac_master_keys) {
      this.masterIndex.set(issuer_id, this.masters.length);
      this.masters.push(masterSchedule(key));
    }
    this.slab = new Int32Array(capacity_cards * DES_SCHEDULE_WORDS);
    let buckets = 2;
    while (buckets < capacity_cards * 2) buckets *= 2;
    this.mask = buckets - 1;
    this.buckets = new Int32Array(buckets * 4);
  }

  hasKey(issuer_id: string): boolean {
    return this.masterIndex.has(issuer_id);
  }

  /** Cards whose schedules are currently kept. */
  get size(): number {
    return this.used;
  }

  /** The TAC that rec's card computes for rec (8 upper-case hex digits). */
  tacOf(rec: Pick<Transaction, 'issuer_id'> & TacFields): string {
    assertMacFields(rec);
    assertCardNo(rec.card_no);
    return tacText(macWord(this.slab, this.scheduleAt(rec.issuer_id, rec.card_no), rec));
  }

  verify(rec: Pick<Transaction, 'issuer_id' | 'tac'> & TacFields): boolean {
    // Validation has checked the formats (E01) before it asks: card_no is 20 digits,
    // amount_fen and terminal_seq are uint32, txn_type is 2, 6 or 9.
    if (!isUpperHex(rec.tac, 8)) return false;
    return macWord(this.slab, this.scheduleAt(rec.issuer_id, rec.card_no), rec) === hexAt(rec.tac, 0, 8);
  }

  private issuerIndex(issuer_id: string): number {
    if (issuer_id === this.lastIssuerId) return this.lastIssuerIndex;
    const index = this.masterIndex.get(issuer_id);
    assert(index !== undefined, `TacKeyCache: no TAC master key for issuer ${issuer_id}`);
    this.lastIssuerId = issuer_id;
    this.lastIssuerIndex = index;
    return index;
  }

  /** The offset in the slab of the card's schedule, prepared now if it is not kept. */
  private scheduleAt(issuer_id: string, card_no: string): number {
    const issuer = this.issuerIndex(issuer_id) + 1;
    const n = card_no.length;
    const dHi = hexAt(card_no, n - 16, 8) | 0;
    const dLo = hexAt(card_no, n - 8, 8) | 0;
    const mask = this.mask;
    const buckets = this.buckets;
    let b = (Math.imul(dHi ^ Math.imul(dLo, 0x9e3779b1), 0x85ebca6b) ^ issuer) & mask;
    for (;;) {
      const at = buckets[b * 4];
      if (at === 0) break;
      if (at === issuer && buckets[b * 4 + 1] === dHi && buckets[b * 4 + 2] === dLo) return buckets[b * 4 + 3] * DES_SCHEDULE_WORDS;
      b = (b + 1) & mask;
    }
    if (this.used === this.capacity_cards) {
      buckets.fill(0);
      this.used = 0;
      b = (Math.imul(dHi ^ Math.imul(dLo, 0x9e3779b1), 0x85ebca6b) ^ issuer) & mask;
    }
    const slot = this.used++;
    buckets[b * 4] = issuer;
    buckets[b * 4 + 1] = dHi;
    buckets[b * 4 + 2] = dLo;
    buckets[b * 4 + 3] = slot;
    writeCardSchedule(this.masters[issuer - 1], card_no, this.slab, slot * DES_SCHEDULE_WORDS);
    return slot * DES_SCHEDULE_WORDS;
  }
}
