// Single DES (FIPS 46-3) in plain JavaScript, for the TAC check. Node's crypto creates a
// cipher object per key, which costs more than the three DES blocks a record needs; here a
// key schedule is prepared once per card into a flat word array and every block runs on
// 32-bit integers with table lookups and no allocation. The tables below are the
// standard's, and every derived table is computed from them at load time, so a wrong
// entry cannot hide in a hand-written constant. Tested against OpenSSL's DES (Node's
// 'des-ede') and against the TAC vectors.

// FIPS 46-3 tables, bit numbers counted from 1 at the most significant bit.
const IP = [
  58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8, 57, 49, 41,
  33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3, 61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7,
];
const P = [16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25];
const PC1 = [
  57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36, 63, 55, 47, 39, 31, 23, 15, 7,
  62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
];
const PC2 = [
  14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48,
  44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
];
const SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];
const S = [
  [
    14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8, 4, 1, 14, 8, 13, 6, 2, 11,
    15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13,
  ],
  [
    15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5, 0, 14, 7, 11, 10, 4, 13, 1,
    5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9,
  ],
  [
    10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1, 13, 6, 4, 9, 8, 15, 3, 0,
    11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12,
  ],
  [
    7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9, 10, 6, 9, 0, 12, 11, 7, 13,
    15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14,
  ],
  [
    2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6, 4, 2, 1, 11, 10, 13, 7, 8,
    15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3,
  ],
  [
    12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8, 9, 14, 15, 5, 2, 8, 12, 3,
    7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13,
  ],
  [
    4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6, 1, 4, 11, 13, 12, 3, 7, 14,
    10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12,
  ],
  [
    13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2, 7, 11, 4, 1, 9, 12, 14, 2,
    0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11,
  ],
];

/**
 * Words of a prepared key schedule: per round, the subkey's even six-bit chunks (0, 2,
 * 4, 6) packed into one 32-bit word and the odd ones (1, 3, 5, 7) into another, each at
 * the place where that chunk of the expansion E(R) sits in a rotation of R (see crypt).
 */
export const DES_SCHEDULE_WORDS = 32;

// A 64-bit permutation as byte tables: the output (hi, lo) is the OR, over the 8 input
// bytes, of table[byte position * 256 + byte value].
function permutationTables(table: number[]): { hi: Int32Array; lo: Int32Array } {
  const hi = new Int32Array(8 * 256);
  const lo = new Int32Array(8 * 256);
  for (let out = 0; out < 64; out++) {
    const src = table[out] - 1;
    const pos = src >> 3;
    const mask = 0x80 >> (src & 7);
    for (let v = 0; v < 256; v++) {
      if ((v & mask) === 0) continue;
      if (out < 32) hi[pos * 256 + v] |= 1 << (31 - out);
      else lo[pos * 256 + v] |= 1 << (63 - out);
    }
  }
  return { hi, lo };
}

function inverse(table: number[]): number[] {
  const inv = new Array<number>(table.length);
  table.forEach((src, out) => {
    inv[src - 1] = out + 1;
  });
  return inv;
}

const IP_T = permutationTables(IP);
const FP_T = permutationTables(inverse(IP));
const IP_HI = IP_T.hi;
const IP_LO = IP_T.lo;
const FP_HI = FP_T.hi;
const FP_LO = FP_T.lo;

// SP[i * 64 + x]: S-box i applied to the six bits x, its 4 output bits placed at
// positions 4i+1..4i+4 and passed through P. One round is then 8 lookups ORed together.
const SP = (() => {
  const sp = new Int32Array(8 * 64);
  for (let i = 0; i < 8; i++) {
    for (let x = 0; x < 64; x++) {
      const row = ((x >> 4) & 2) | (x & 1);
      const col = (x >> 1) & 15;
      const pre = S[i][row * 16 + col] << (28 - 4 * i);
      let out = 0;
      for (let j = 0; j < 32; j++) {
        if ((pre >>> (32 - P[j])) & 1) out |= 1 << (31 - j);
      }
      sp[i * 64 + x] = out;
    }
  }
  return sp;
})();

// The key schedule is a fixed selection of key bits, so it becomes byte tables:
// KS_EVEN/KS_ODD[(round * 8 + byte position) * 256 + byte value] give the round's two
// packed subkey words. Chunk i (bits 6i..6i+5 of the 48-bit subkey) goes to the even
// word if i is even, else the odd one, at bits 31-8*(i>>1) down to 26-8*(i>>1).
const KS = (() => {
  const even = new Int32Array(16 * 8 * 256);
  const odd = new Int32Array(16 * 8 * 256);
  let shift = 0;
  for (let round = 0; round < 16; round++) {
    shift += SHIFTS[round];
    for (let j = 0; j < 48; j++) {
      const cd = PC2[j] - 1; // position in C||D after this round's rotations
      const half = cd < 28 ? 0 : 28;
      const src = PC1[half + ((cd - half + shift) % 28)] - 1; // key bit, 0-based
      const pos = src >> 3;
      const mask = 0x80 >> (src & 7);
      const chunk = Math.floor(j / 6);
      const bit = 31 - 8 * (chunk >> 1) - (j % 6);
      const table = chunk % 2 === 0 ? even : odd;
      for (let v = 0; v < 256; v++) {
        if ((v & mask) !== 0) table[(round * 8 + pos) * 256 + v] |= 1 << bit;
      }
    }
  }
  return { even, odd };
})();
const KS_EVEN = KS.even;
const KS_ODD = KS.odd;

/**
 * Writes the encryption schedule of the 8-byte key (hi, lo: its big-endian halves) into
 * out[at .. at+31]. Parity bits are ignored, as DES does.
 */
export function writeSchedule(keyHi: number, keyLo: number, out: Int32Array, at: number): void {
  const b0 = (keyHi >>> 24) & 255;
  const b1 = (keyHi >>> 16) & 255;
  const b2 = (keyHi >>> 8) & 255;
  const b3 = keyHi & 255;
  const b4 = (keyLo >>> 24) & 255;
  const b5 = (keyLo >>> 16) & 255;
  const b6 = (keyLo >>> 8) & 255;
  const b7 = keyLo & 255;
  for (let round = 0; round < 16; round++) {
    const base = round * 2048;
    out[at + 2 * round] =
      KS_EVEN[base + b0] |
      KS_EVEN[base + 256 + b1] |
      KS_EVEN[base + 512 + b2] |
      KS_EVEN[base + 768 + b3] |
      KS_EVEN[base + 1024 + b4] |
      KS_EVEN[base + 1280 + b5] |
      KS_EVEN[base + 1536 + b6] |
      KS_EVEN[base + 1792 + b7];
    out[at + 2 * round + 1] =
      KS_ODD[base + b0] |
      KS_ODD[base + 256 + b1] |
      KS_ODD[base + 512 + b2] |
      KS_ODD[base + 768 + b3] |
      KS_ODD[base + 1024 + b4] |
      KS_ODD[base + 1280 + b5] |
      KS_ODD[base + 1536 + b6] |
      KS_ODD[base + 1792 + b7];
  }
}

/** The decryption schedule of an encryption schedule: the same subkeys, rounds reversed. */
export function reverseSchedule(ks: Int32Array, at = 0): Int32Array {
  const out = new Int32Array(DES_SCHEDULE_WORDS);
  for (let round = 0; round < 16; round++) {
    out[2 * round] = ks[at + 2 * (15 - round)];
    out[2 * round + 1] = ks[at + 2 * (15 - round) + 1];
  }
  return out;
}

/**
 * The output block of crypt(); a block function returns two 32-bit words, and a shared
 * pair avoids an allocation per block on the hot path. Read both words right after the
 * call, before the next one.
 */
export const blockOut = new Int32Array(2);

/** blockOut := IP(hi, lo), the state (L0, R0) that the rounds start from. */
export function initialPermutation(hi: number, lo: number): void {
  blockOut[0] =
    IP_HI[hi >>> 24] |
    IP_HI[256 + ((hi >>> 16) & 255)] |
    IP_HI[512 + ((hi >>> 8) & 255)] |
    IP_HI[768 + (hi & 255)] |
    IP_HI[1024 + (lo >>> 24)] |
    IP_HI[1280 + ((lo >>> 16) & 255)] |
    IP_HI[1536 + ((lo >>> 8) & 255)] |
    IP_HI[1792 + (lo & 255)];
  blockOut[1] =
    IP_LO[hi >>> 24] |
    IP_LO[256 + ((hi >>> 16) & 255)] |
    IP_LO[512 + ((hi >>> 8) & 255)] |
    IP_LO[768 + (hi & 255)] |
    IP_LO[1024 + (lo >>> 24)] |
    IP_LO[1280 + ((lo >>> 16) & 255)] |
    IP_LO[1536 + ((lo >>> 8) & 255)] |
    IP_LO[1792 + (lo & 255)];
}

/** blockOut := FP(hi, lo), the output block of a pre-output (R16, L16). */
export function finalPermutation(hi: number, lo: number): void {
  blockOut[0] =
    FP_HI[hi >>> 24] |
    FP_HI[256 + ((hi >>> 16) & 255)] |
    FP_HI[512 + ((hi >>> 8) & 255)] |
    FP_HI[768 + (hi & 255)] |
    FP_HI[1024 + (lo >>> 24)] |
    FP_HI[1280 + ((lo >>> 16) & 255)] |
    FP_HI[1536 + ((lo >>> 8) & 255)] |
    FP_HI[1792 + (lo & 255)];
  blockOut[1] =
    FP_LO[hi >>> 24] |
    FP_LO[256 + ((hi >>> 16) & 255)] |
    FP_LO[512 + ((hi >>> 8) & 255)] |
    FP_LO[768 + (hi & 255)] |
    FP_LO[1024 + (lo >>> 24)] |
    FP_LO[1280 + ((lo >>> 16) & 255)] |
    FP_LO[1536 + ((lo >>> 8) & 255)] |
    FP_LO[1792 + (lo & 255)];
}

/**
 * blockOut := the 16 rounds under the schedule at ks[at..at+31] from the state (l, r),
 * as the pre-output (R16, L16). Since FP is the inverse of IP, the pre-output is IP of
 * the output block: chained blocks (CBC, the stages of 3DES) can go from one call of
 * rounds() to the next without FP and IP in between, IP being linear over XOR.
 */
export function rounds(ks: Int32Array, at: number, l: number, r: number): void {
  for (let k = at, end = at + DES_SCHEDULE_WORDS; k < end; k += 2) {
    // The expansion E takes six bits around each nibble of r, wrapping at both ends.
    // Rotated right by 1, r holds the even chunks of E(r) at bits 31..26, 23..18,
    // 15..10 and 7..2; rotated left by 3, the odd ones at the same places.
    const u = ((r >>> 1) | (r << 31)) ^ ks[k];
    const v = ((r << 3) | (r >>> 29)) ^ ks[k + 1];
    const f =
      SP[u >>> 26] |
      SP[128 + ((u >>> 18) & 63)] |
      SP[256 + ((u >>> 10) & 63)] |
      SP[384 + ((u >>> 2) & 63)] |
      SP[64 + (v >>> 26)] |
      SP[192 + ((v >>> 18) & 63)] |
      SP[320 + ((v >>> 10) & 63)] |
      SP[448 + ((v >>> 2) & 63)];
    const t = l ^ f;
    l = r;
    r = t;
  }
  // The output of the last round is R16 L16: the halves swap.
  blockOut[0] = r;
  blockOut[1] = l;
}

/**
 * One DES block (hi, lo: big-endian halves) under the schedule at ks[at..at+31]:
 * encryption with an encryption schedule, decryption with a reversed one.
 */
export function crypt(ks: Int32Array, at: number, hi: number, lo: number): void {
  initialPermutation(hi, lo);
  rounds(ks, at, blockOut[0], blockOut[1]);
  finalPermutation(blockOut[0], blockOut[1]);
}

/** A DES key prepared for both directions. */
export class DesKey {
  readonly encrypt_schedule: Int32Array;
  readonly decrypt_schedule: Int32Array;

  constructor(key: Uint8Array) {
    if (key.length !== 8) throw new Error(`DesKey: a DES key is 8 bytes, got ${key.length}`);
    const b = Buffer.from(key.buffer, key.byteOffset, 8);
    this.encrypt_schedule = new Int32Array(DES_SCHEDULE_WORDS);
    writeSchedule(b.readInt32BE(0), b.readInt32BE(4), this.encrypt_schedule, 0);
    this.decrypt_schedule = reverseSchedule(this.encrypt_schedule);
  }

  encryptBlock(block: Uint8Array): Buffer {
    return this.run(this.encrypt_schedule, block);
  }

  decryptBlock(block: Uint8Array): Buffer {
    return this.run(this.decrypt_schedule, block);
  }

  private run(ks: Int32Array, block: Uint8Array): Buffer {
    if (block.length !== 8) throw new Error(`DesKey: a DES block is 8 bytes, got ${block.length}`);
    const b = Buffer.from(block.buffer, block.byteOffset, 8);
    crypt(ks, 0, b.readInt32BE(0), b.readInt32BE(4));
    const out = Buffer.alloc(8);
    out.writeInt32BE(blockOut[0], 0);
    out.writeInt32BE(blockOut[1], 4);
    return out;
  }
}
