// File names: the pattern, its parts, the header it must agree with, and the
// inbox's import order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  bankStatementName,
  checkExchangeFileName,
  compareInboxNames,
  exchangeFileName,
  fileTypeOfName,
  isCalendarDate,
  nameHeaderDisagreements,
  parseBankStatementName,
  parseExchangeFileName,
} from '../../src/files/names';
import { headerArb, sampleHeader } from './arbitraries';

test('an exchange file name gives its parts', () => {
  assert.deepEqual(parseExchangeFileName('TXN_UPLOAD_41010101_41010000_20261126_0001.pb'), {
    file_type: 'TXN_UPLOAD',
    sender_id: '41010101',
    receiver_id: '41010000',
    business_date: '20261126',
    file_seq: 1,
  });
  assert.deepEqual(parseExchangeFileName('INTEROP_IN_RESULT_41010000_00000001_20251231_9999.pb'), {
    file_type: 'INTEROP_IN_RESULT',
    sender_id: '41010000',
    receiver_id: '00000001',
    business_date: '20251231',
    file_seq: 9999,
  });
  assert.equal(parseExchangeFileName('INTEROP_IN_00000001_41010000_20251231_0002.pb')?.file_type, 'INTEROP_IN');
});

test('names that break the pattern: each part, with the reason', () => {
  const broken: [string, RegExp][] = [
    ['TXN_UPLOAD_41010201_41010000_20251230_003.pb', /file_seq "003" is not 4 digits/],
    ['TXN_UPLOAD_41010201_41010000_20251230_00003.pb', /file_seq/],
    ['TXN_UPLOAD_41010201_41010000_20251230_0000.pb', /file_seq "0000"/],
    ['TXN_UPLOAD_41010201_41010000_20251230_000a.pb', /file_seq/],
    ['TXN_UPLOAD_4101020_41010000_20251230_0001.pb', /sender "4101020" is not 8 digits/],
    ['TXN_UPLOAD_41010201_4101000X_20251230_0001.pb', /receiver/],
    ['TXN_UPLOAD_41010201_41010000_20251330_0001.pb', /date "20251330"/],
    ['TXN_UPLOAD_41010201_41010000_20250229_0001.pb', /date "20250229"/],
    ['TXN_UPLOAD_41010201_41010000_20251230_0001.PB', /extension/],
    ['TXN_UPLOAD_41010201_41010000_20251230_0001.pb.tmp', /extension/],
    ['TXN_UPLOADS_41010201_41010000_20251230_0001.pb', /file type/],
    ['UNKNOWN_41010201_41010000_20251230_0001.pb', /file type/],
    ['FILE_TYPE_UNSPECIFIED_41010201_41010000_20251230_0001.pb', /file type/],
    ['TXN_UPLOAD_41010201_41010000_20251230_0001_x.pb', /5 parts/],
    ['TXN_UPLOAD__41010201_41010000_20251230_0001.pb', /5 parts/],
    ['txn_upload_41010201_41010000_20251230_0001.pb', /file type/],
  ];
  for (const [name, reason] of broken) {
    assert.equal(parseExchangeFileName(name), null, name);
    const check = checkExchangeFileName(name);
    assert.ok(!check.ok && reason.test(check.detail), `${name}: ${check.ok ? 'accepted' : check.detail}`);
  }
  assert.ok(isCalendarDate('20240229'));
  assert.ok(!isCalendarDate('21000229'));
  assert.ok(isCalendarDate('20000229'));
});

test('property: exchangeFileName and parseExchangeFileName are inverses', () => {
  fc.assert(
    fc.property(headerArb(), (header) => {
      const name = exchangeFileName(header);
      const parsed = parseExchangeFileName(name);
      assert.ok(parsed !== null, name);
      assert.deepEqual(nameHeaderDisagreements(parsed, header), []);
      assert.equal(fileTypeOfName(name), header.file_type);
    }),
  );
});

test('exchangeFileName refuses a header no name can carry', () => {
  assert.throws(() => exchangeFileName(sampleHeader('TXN_UPLOAD', { file_seq: 10000 })), RangeError);
  assert.throws(() => exchangeFileName(sampleHeader('TXN_UPLOAD', { file_seq: 0 })), RangeError);
  assert.throws(() => exchangeFileName(sampleHeader('TXN_UPLOAD', { sender_id: '4101' })), RangeError);
  assert.throws(() => exchangeFileName(sampleHeader('TXN_UPLOAD', { business_date: '2025-12-30' })), RangeError);
});

test('a name and a header disagree field by field', () => {
  const name = parseExchangeFileName('TXN_UPLOAD_41010102_41010000_20251230_0055.pb');
  assert.ok(name !== null);
  assert.deepEqual(nameHeaderDisagreements(name, sampleHeader('TXN_UPLOAD', { sender_id: '41010102', file_seq: 5 })), [
    'file_seq 0055 in the name, 5 in the header',
  ]);
  assert.equal(nameHeaderDisagreements(name, sampleHeader('INTEROP_IN', { sender_id: '41010102', file_seq: 55 })).length, 1);
  assert.equal(nameHeaderDisagreements(name, sampleHeader('TXN_UPLOAD', { file_seq: 55, business_date: '20251231' })).length, 2);
});

test('bank statement names', () => {
  assert.deepEqual(parseBankStatementName('BANK_10000001_20251231_0001.csv'), { bank_id: '10000001', date: '20251231', seq: 1 });
  for (const bad of [
    'BANK_1000001_20251231_0001.csv',
    'BANK_10000001_20251231_001.csv',
    'BANK_10000001_20251231_0001.CSV',
    'BANK_10000001_2025123_0001.csv',
  ]) {
    assert.equal(parseBankStatementName(bad), null, bad);
  }
  assert.equal(bankStatementName({ bank_id: '10000001', date: '20251231', seq: 12 }), 'BANK_10000001_20251231_0012.csv');
});

test('fileTypeOfName tells INTEROP_IN from INTEROP_IN_RESULT, and knows bank statements', () => {
  assert.equal(fileTypeOfName('INTEROP_IN_RESULT_41010000_00000001_20251231_0001.pb'), 'INTEROP_IN_RESULT');
  assert.equal(fileTypeOfName('INTEROP_IN_00000001_41010000_20251231_0001.pb'), 'INTEROP_IN');
  assert.equal(fileTypeOfName('INTEROP_RESULT_00000001_41010000_20251231_0001.pb'), 'INTEROP_RESULT');
  assert.equal(fileTypeOfName('TXN_UPLOAD_41010201_41010000_20251230_003.pb'), 'TXN_UPLOAD');
  assert.equal(fileTypeOfName('BANK_10000001_20251231_0001.csv'), 'BANK');
  assert.equal(fileTypeOfName('README.txt'), null);
});

test('the inbox sorts by type in import order, then by name', () => {
  const names = [
    'BANK_10000001_20251231_0001.csv',
    'TXN_UPLOAD_41010103_41010000_20251231_0001.pb',
    'TXN_UPLOAD_41010103_41010000_20251230_0004.pb',
    'INTEROP_IN_00000001_41010000_20251231_0001.pb',
    'README.txt',
    'INTEROP_RESULT_00000001_41010000_20251231_0001.pb',
    'BLACKLIST_41010001_41010000_20251231_0001.pb',
  ];
  assert.deepEqual([...names].sort(compareInboxNames), [
    'BLACKLIST_41010001_41010000_20251231_0001.pb',
    'INTEROP_RESULT_00000001_41010000_20251231_0001.pb',
    'INTEROP_IN_00000001_41010000_20251231_0001.pb',
    'TXN_UPLOAD_41010103_41010000_20251230_0004.pb',
    'TXN_UPLOAD_41010103_41010000_20251231_0001.pb',
    'BANK_10000001_20251231_0001.csv',
    'README.txt',
  ]);
});
