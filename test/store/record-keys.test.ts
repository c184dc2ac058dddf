// The card key's encoding is the store's (records.card_key, the key runs): a change
// to how it is computed must not change a single value.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { cardHash, cardKey } from '../../src/store/record-keys';

/** The hash as first written: FNV-1a lanes over the joined text `issuer_id|card_no`. */
function joinedHash(issuer_id: string, card_no: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  const s = `${issuer_id}|${card_no}`;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return ((b >>> 0) & 31) * 2 ** 32 + (a >>> 0);
}

test('the card hash is the hash of the joined text, on any strings; stored values stay as they were', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 24 }), (issuer, card) => {
      assert.equal(cardHash(issuer, card), joinedHash(issuer, card));
    }),
    { numRuns: 2000 },
  );
  // Values stores hold (computed by the code that wrote them).
  assert.equal(cardHash('41010001', '41010001753670400053'), 23456600131);
  assert.equal(cardHash('41010000', '10000000000000000001'), 101331881185);
  assert.equal(cardHash('终', '端x'), 56284900678);
  assert.equal(cardKey('41010000', '10000000000000000001', 7), 101331881185 * 65536 + 7);
});
