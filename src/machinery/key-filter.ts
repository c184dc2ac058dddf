// A filter over history's keys, so that a record whose keys history certainly does
// not hold (nearly every record) never searches the key runs. It is a blocked
// Bloom filter: each key sets K bits inside one 512-bit block, so a test costs one
// cache line. A Bloom filter can say "maybe" for a key it never saw (about 1 in 200
// at 12 bits a key), never "no" for one it did: a "maybe" goes to the store.
//
// The bits live in a SharedArrayBuffer, so the validation worker reads the same
// filter without a copy. They are saved in the store with the day's close (the same
// transaction that adds the night's keys to the key runs: key-tables.ts), so they
// never fall behind the tables.

import { mixKey } from './key-mix';

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
