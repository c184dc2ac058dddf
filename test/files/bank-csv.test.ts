// The bank statement: taken whole or refused whole, with the line that breaks it.
import { EXAMPLE_DIR } from '../spec-vectors';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import fc from 'fast-check';
import { BANK_CSV_HEADER, formatBankStatement, parseBankStatement, readBankStatement } from '../../src/files/bank-csv';
import { fileWith } from './arbitraries';

const EXAMPLE = path.join(EXAMPLE_DIR, 'inbox', '20251231', 'BANK_10000001_20251231_0001.csv');
const LINE = '20251231,20251230-41010102,41010000,41010102,28132,B5123102';

function parse(text: string): ReturnType<typeof parseBankStatement> {
  return parseBankStatement(Buffer.from(text, 'utf8'));
}

test("the worked example's statement reads whole, and formats back to the same text", () => {
  const s = readBankStatement(EXAMPLE);
  assert.ok(s.ok);
  assert.equal(s.bank_id, '10000001');
  assert.equal(s.date, '20251231');
  assert.equal(s.seq, 1);
  assert.equal(s.lines.length, 9);
  assert.deepEqual(s.lines[1], {
    line: 3,
    value_date: '20251231',
    instruction_id: '20251230-41010102',
    payer_id: '41010000',
    payee_id: '41010102',
    amount_fen: 28132,
    bank_ref: 'B5123102',
  });
  assert.equal(s.lines.at(-1)?.instruction_id, '20251230-41019999');
  assert.equal(formatBankStatement(s.lines), require('node:fs').readFileSync(EXAMPLE, 'utf8'));
});

test('accepted forms: no final newline, CRLF, a BOM, quoted fields, a header alone', () => {
  for (const text of [
    `${BANK_CSV_HEADER}\n${LINE}`,
    `${BANK_CSV_HEADER}\r\n${LINE}\r\n`,
    `\ufeff${BANK_CSV_HEADER}\n${LINE}\n`,
    `${BANK_CSV_HEADER}\n"20251231","20251230-41010102",41010000,41010102,"28132","B5123102"\n`,
  ]) {
    const s = parse(text);
    assert.ok(s.ok, JSON.stringify(text));
    assert.equal(s.lines.length, 1);
    assert.equal(s.lines[0].amount_fen, 28132);
    assert.equal(s.lines[0].bank_ref, 'B5123102');
  }
  const quoted = parse(`${BANK_CSV_HEADER}\n20251231,20251230-41010102,41010000,41010102,1,"B,""7"""\n`);
  assert.ok(quoted.ok && quoted.lines[0].bank_ref === 'B,"7"');
  const empty = parse(`${BANK_CSV_HEADER}\n`);
  assert.ok(empty.ok && empty.lines.length === 0);
});

test('refused whole, with the line and the reason: a table of every cause', () => {
  const cases: [string, number, RegExp][] = [
    ['', 1, /no header row/],
    ['value_date,instruction_id,payer_id,payee_id,amount,bank_ref\n', 1, /header row/],
    [`${BANK_CSV_HEADER},extra\n${LINE}\n`, 1, /header row/],
    [`${BANK_CSV_HEADER}\n${LINE},x\n`, 2, /7 columns, expected 6/],
    [`${BANK_CSV_HEADER}\n20251231,20251230-41010102,41010000,41010102,28132\n`, 2, /5 columns/],
    [`${BANK_CSV_HEADER}\n${LINE}\n\n${LINE}\n`, 3, /empty line/],
    [`${BANK_CSV_HEADER}\n${LINE}\n\n`, 3, /empty line/],
    [`${BANK_CSV_HEADER}\n20251231,20251230-41010102,41010000,41010102,281.32,B1\n`, 2, /amount_fen "281.32" is not an integer/],
    [`${BANK_CSV_HEADER}\n20251231,20251230-41010102,41010000,41010102,,B1\n`, 2, /amount_fen "" is not an integer/],
    [`${BANK_CSV_HEADER}\n20251231,20251230-41010102,41010000,41010102,1e3,B1\n`, 2, /amount_fen/],
    [`${BANK_CSV_HEADER}\n20251231,20251230-41010102,41010000,41010102,99999999999999999999,B1\n`, 2, /amount_fen/],
    [`${BANK_CSV_HEADER}\n2025-12-31,20251230-41010102,41010000,41010102,1,B1\n`, 2, /value_date/],
    [`${BANK_CSV_HEADER}\n20251232,20251230-41010102,41010000,41010102,1,B1\n`, 2, /value_date/],
    [`${BANK_CSV_HEADER}\n20251231,20251230_41010102,41010000,41010102,1,B1\n`, 2, /instruction_id/],
    [`${BANK_CSV_HEADER}\n20251231,20251299-41010102,41010000,41010102,1,B1\n`, 2, /instruction_id/],
    [`${BANK_CSV_HEADER}\n20251231,20251230-41010102,4101000,41010102,1,B1\n`, 2, /payer_id/],
    [`${BANK_CSV_HEADER}\n20251231,20251230-41010102,41010000,4101010X,1,B1\n`, 2, /payee_id/],
    [`${BANK_CSV_HEADER}\n20251231,20251230-41010102,41010000,41010102,1,\n`, 2, /bank_ref is empty/],
    [`${BANK_CSV_HEADER}\n20251231,20251230-41010102,41010000,41010102,1,"B1\n`, 2, /quoted field is not closed/],
    [`${BANK_CSV_HEADER}\n${LINE}\n${LINE.replace('28132', 'x')}\n`, 3, /amount_fen/],
  ];
  for (const [text, line, detail] of cases) {
    const s = parse(text);
    assert.ok(!s.ok && s.line === line && detail.test(s.detail), `${JSON.stringify(text)}: ${JSON.stringify(s)}`);
  }
  const bad_utf8 = parseBankStatement(Buffer.concat([Buffer.from(`${BANK_CSV_HEADER}\n`), Buffer.from([0xc3, 0x28])]));
  assert.ok(!bad_utf8.ok && /UTF-8/.test(bad_utf8.detail));
});

test('a well-formed statement under a wrong name reads, and says so (the importer refuses it F05)', () => {
  const p = fileWith('bank-statement.csv', Buffer.from(`${BANK_CSV_HEADER}\n${LINE}\n`));
  const s = readBankStatement(p);
  assert.ok(s.ok && s.name_mismatch !== undefined && s.bank_id === '' && s.lines.length === 1);
});

test('property: formatBankStatement then parse gives the lines back', () => {
  const digits = (n: number) => fc.array(fc.constantFrom(...'0123456789'), { minLength: n, maxLength: n }).map((a) => a.join(''));
  const line = fc.record({
    value_date: fc.constantFrom('20251231', '20260101', '20240229'),
    instruction_id: digits(8).map((p) => `20251230-${p}`),
    payer_id: digits(8),
    payee_id: digits(8),
    amount_fen: fc.maxSafeInteger(),
    bank_ref: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !/[\r\n]/.test(s) && s.trim() === s && !s.startsWith('\ufeff')),
  });
  fc.assert(
    fc.property(fc.array(line, { maxLength: 10 }), (lines) => {
      const s = parse(formatBankStatement(lines));
      assert.ok(s.ok, JSON.stringify(s));
      assert.deepEqual(
        s.lines.map(({ line: _line, ...rest }) => rest),
        lines.map((l) => ({ ...l })), // fast-check's records have no prototype
      );
      assert.deepEqual(
        s.lines.map((l) => l.line),
        lines.map((_, i) => i + 2),
      );
    }),
  );
});
