// Safe printing: every character that acts on a terminal instead of showing is
// written as a visible escape; everything else, Chinese included, is left alone.
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { holdsControlCharacter, printable, printableJson, printableText } from '../../src/core/printable';

describe('printable', () => {
  const table: [string, string][] = [
    ['INTEROP_OUT_41010000_00000001_20251230_0001.pb', 'INTEROP_OUT_41010000_00000001_20251230_0001.pb'],
    ['\u001b[2J\u001b[HALL RECONCILED', '\\x1b[2J\\x1b[HALL RECONCILED'],
    ['a\u0000b', 'a\\x00b'],
    ['bell\u0007', 'bell\\x07'],
    ['tab\there', 'tab\\x09here'],
    ['two\nlines\r', 'two\\x0alines\\x0d'],
    ['\u001f', '\\x1f'],
    ['del\u007f', 'del\\x7f'],
    ['c1 \u0080 \u009b2J \u009f', 'c1 \\x80 \\x9b2J \\x9f'],
    ['C2\u202e01C', 'C2\\u202e01C'],
    ['\u202a\u202b\u202c\u202d\u202e', '\\u202a\\u202b\\u202c\\u202d\\u202e'],
    ['\u2066\u2067\u2068\u2069', '\\u2066\\u2067\\u2068\\u2069'],
    ['\u2028\u2029', '\\u2028\\u2029'],
    // Shown as written: printable text of every script, and the neighbours of the ranges.
    [
      '李伟 approved C12 ¥1,234.56 é \u00a0 \u2027 \u202f \u2065 \u206a',
      '李伟 approved C12 ¥1,234.56 é \u00a0 \u2027 \u202f \u2065 \u206a',
    ],
    [' ~', ' ~'],
    ['C:\\inbox\\x1b', 'C:\\inbox\\x1b'],
    ['', ''],
  ];
  for (const [raw, shown] of table) {
    it(JSON.stringify(raw), () => {
      assert.equal(printable(raw), shown);
      assert.equal(holdsControlCharacter(raw), raw !== shown);
    });
  }

  it('every code point: escaped exactly when it is C0, DEL, C1, a line separator or a bidi control', () => {
    const unsafe = (c: number) =>
      c <= 0x1f || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
    for (let c = 0; c <= 0xffff; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const s = String.fromCharCode(c);
      const shown = printable(s);
      if (unsafe(c)) {
        assert.match(shown, c <= 0xff ? /^\\x[0-9a-f]{2}$/ : /^\\u[0-9a-f]{4}$/, `U+${c.toString(16)}`);
        assert.equal(Number.parseInt(shown.slice(2), 16), c);
      } else assert.equal(shown, s, `U+${c.toString(16)}`);
    }
  });

  it('property: the output holds no control character, and the safe text around them survives', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const shown = printable(s);
        assert.equal(holdsControlCharacter(shown), false);
        assert.equal(printable(shown), shown, 'idempotent');
      }),
    );
  });
});

describe('printableText', () => {
  it('keeps the line breaks of a text and escapes the rest', () => {
    assert.equal(printableText('file\u001b[2J\n  refused F01\r\n'), 'file\\x1b[2J\n  refused F01\\x0d\n');
  });
});

describe('printableJson', () => {
  it('property: the same value to a JSON reader, and nothing raw on a terminal', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (v, s) => {
        const json = printableJson(JSON.stringify({ v, s }));
        assert.deepStrictEqual(JSON.parse(json), JSON.parse(JSON.stringify({ v, s })));
        assert.equal(holdsControlCharacter(json), false);
      }),
    );
  });

  it('writes the raw ones as JSON escapes', () => {
    assert.equal(printableJson(JSON.stringify('\u009b\u202e\u001b')), '"\\u009b\\u202e\\u001b"');
  });
});
