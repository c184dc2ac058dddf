// The two keys a record holds (clearing-rules.md, E03/E09), folded into single
// SQLite integers, so that the key runs (migration 8) and tonight's in-memory
// tables (src/machinery) hold numbers, not strings. The encoding is the store's: it
// is in records.card_key and records.terminal_key, and in the key runs.
//
// card key     = cardHash(issuer_id, card_no) * 65536 + card_seq. The card hash is
//                37 bits, so the key stays below 2^53 and a range of 65536 keys is
//                one card's whole history (the card-float walk reads it in order).
//                Hashes collide, rarely: every lookup compares the real fields.
// terminal key = terminals.id * 2^32 + terminal_seq: exact, no collisions.

const CARD_HASH_BITS = 37;
const CARD_HASH_HIGH_BITS = CARD_HASH_BITS - 32; // 5
export const CARD_SEQ_SPAN = 65536;
export const TERMINAL_SEQ_SPAN = 2 ** 32;

/**
 * A 37-bit hash of the card's identity, the text `issuer_id|card_no`: two FNV-1a
 * lanes with different offsets. The text is walked in place, not joined: both
 * threads hash every record.
 */
export function cardHash(issuer_id: string, card_no: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  const n = issuer_id.length;
  const total = n + 1 + card_no.length;
  for (let i = 0; i < total; i++) {
    const c = i < n ? issuer_id.charCodeAt(i) : i === n ? 124 /* | */ : card_no.charCodeAt(i - n - 1);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  const high = (b >>> 0) & ((1 << CARD_HASH_HIGH_BITS) - 1);
  return high * 2 ** 32 + (a >>> 0);
}

/** The card's first key: cardKey(...) for card_seq 0. */
export function cardBase(issuer_id: string, card_no: string): number {
  return cardHash(issuer_id, card_no) * CARD_SEQ_SPAN;
}

/** card_seq outside 1..65535 only occurs on E01 records, which hold no key: they fold to 0. */
export function cardKey(issuer_id: string, card_no: string, card_seq: number): number {
  const seq = Number.isInteger(card_seq) && card_seq > 0 && card_seq < CARD_SEQ_SPAN ? card_seq : 0;
  return cardBase(issuer_id, card_no) + seq;
}

export function terminalKey(terminal_ref: number, terminal_seq: number): number {
  const seq = Number.isInteger(terminal_seq) && terminal_seq >= 0 && terminal_seq < TERMINAL_SEQ_SPAN ? terminal_seq : 0;
  return terminal_ref * TERMINAL_SEQ_SPAN + seq;
}
