// One mixer of integer keys for the night's hash tables (night-keys.ts) and the key
// filters (key-filter.ts): a card key's low bits are its card_seq and a terminal
// key's high bits its terminal, so both halves must reach the slot.

/** Mixes both halves of an integer key below 2^53 into 32 bits. */
export function mixKey(key: number): number {
  const lo = key >>> 0;
  const hi = Math.floor(key / 4294967296) >>> 0;
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
