// The char-code shape checks E01 runs are the regular expressions they stand for.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { isDigits, isDigitsOrUpper, isUpperHex } from '../../src/core/char-shapes';

const SHAPES = [
  { name: 'isDigits', check: isDigits, re: (n: number) => new RegExp(`^[0-9]{${n}}$`) },
  { name: 'isUpperHex', check: isUpperHex, re: (n: number) => new RegExp(`^[0-9A-F]{${n}}$`) },
  { name: 'isDigitsOrUpper', check: isDigitsOrUpper, re: (n: number) => new RegExp(`^[0-9A-Z]{${n}}$`) },
];

test('property: each shape check says what its regular expression says, on any string', () => {
  // Mostly characters near the classes' edges (/ : @ G [ ` a f z), and the odd newline or non-ASCII.
  const near = fc.constantFrom(...'/0123456789:@ABCDEFGHYZ[`afz \n\u00e9\u0660\uff10', ...'0123456789ABCDEF');
  const text = fc.oneof(fc.string({ unit: near, maxLength: 22 }), fc.string({ maxLength: 22 }));
  fc.assert(
    fc.property(text, fc.integer({ min: -1, max: 22 }), (s, k) => {
      const n = k === -1 ? s.length : k; // often the string's own length, where only the characters decide
      for (const shape of SHAPES) assert.equal(shape.check(s, n), shape.re(n).test(s), `${shape.name}(${JSON.stringify(s)}, ${n})`);
    }),
    { numRuns: 5000 },
  );
  for (const shape of SHAPES) {
    assert.equal(shape.check('12345678', 8), true, shape.name);
    assert.equal(shape.check('1234567\n', 8), false, `${shape.name}: a newline is no digit`);
    assert.equal(shape.check('12345678\n', 8), false, `${shape.name}: nothing may follow`);
  }
  assert.equal(isUpperHex('0B2FC22E2E3A', 12), true);
  assert.equal(isUpperHex('0b2fc22e2e3a', 12), false);
  assert.equal(isDigitsOrUpper('410101010000003', 15), true);
  assert.equal(isDigitsOrUpper('41010101000000a', 15), false);
});
