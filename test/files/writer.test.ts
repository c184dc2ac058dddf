// Writing files: the trailer computed from the records, the same bytes every time,
// the final name only for a complete file, and nothing left behind by a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Header, StatementLine, Transaction, Verdict } from '../../src/core/types';
import { exchangeFileName } from '../../src/files/names';
import { refusalOf, scanExchangeFile } from '../../src/files/reader';
import { encodeExchangeFile, writeExchangeFile } from '../../src/files/writer';
import { SAMPLE_STATEMENT_LINE, SAMPLE_VERDICT, sampleHeader, tempDir, transactions } from './arbitraries';

function pathFor(header: Header, dir = tempDir()): string {
  return path.join(dir, exchangeFileName(header));
}

test('writeExchangeFile writes what encodeExchangeFile encodes, and says so in its result', () => {
  const header = sampleHeader('TXN_UPLOAD');
  const records = transactions(5);
  const p = pathFor(header);
  const written = writeExchangeFile(p, header, records);
  const bytes = fs.readFileSync(p);
  assert.deepEqual(bytes, encodeExchangeFile(header, records));
  assert.equal(written.bytes, bytes.length);
  assert.equal(written.sha256_hex, crypto.createHash('sha256').update(bytes).digest('hex'));
  assert.equal(written.trailer.record_count, 5);
  assert.equal(written.trailer.total_amount_fen, 100 + 101 + 102 + 103 + 104);
  const scan = scanExchangeFile(p);
  assert.equal(refusalOf(scan), null);
  assert.deepEqual(scan.trailer, { ...written.trailer, sha256: new Uint8Array(written.trailer.sha256) });
  assert.equal(scan.file_sha256_hex, written.sha256_hex);
  assert.deepEqual(fs.readdirSync(path.dirname(p)), [path.basename(p)], 'no temporary file is left');
});

test('totals follow the table: ACCEPTED verdicts only, signed statement nets, 0 for blacklists', () => {
  const verdicts: Verdict[] = [
    { ...SAMPLE_VERDICT, index: 0, status: 'ACCEPTED', amount_fen: 500, reason: '' },
    { ...SAMPLE_VERDICT, index: 1, status: 'REJECTED', amount_fen: 700, reason: 'E05' },
    { ...SAMPLE_VERDICT, index: 2, status: 'SUSPENDED', amount_fen: 900, reason: 'S01' },
    { ...SAMPLE_VERDICT, index: 3, status: 'PENDING_INTEROP', amount_fen: 1100, reason: '' },
    { ...SAMPLE_VERDICT, index: 4, status: 'ACCEPTED', amount_fen: 13, reason: '' },
  ];
  for (const t of ['TXN_ACK', 'INTEROP_RESULT', 'INTEROP_IN_RESULT'] as const) {
    const h = sampleHeader(t, { sender_id: '41010000', receiver_id: '41010101' });
    assert.equal(writeExchangeFile(pathFor(h), h, verdicts).trailer.total_amount_fen, 513, t);
  }
  const lines: StatementLine[] = [
    { ...SAMPLE_STATEMENT_LINE, net_fen: 1000 },
    { ...SAMPLE_STATEMENT_LINE, net_fen: -3000 },
  ];
  const hs = sampleHeader('CLEARING_STATEMENT');
  assert.equal(writeExchangeFile(pathFor(hs), hs, lines).trailer.total_amount_fen, -2000);
  const hb = sampleHeader('BLACKLIST');
  const blacklist = [{ issuer_id: '41010001', card_no: '41010001000000000017', action: 1, effective_at: '20251230120000', reason: 'LOST' }];
  assert.equal(writeExchangeFile(pathFor(hb), hb, blacklist).trailer.total_amount_fen, 0);
});

test('the same header and records give the same bytes: a rebuilt file is byte-identical', () => {
  const header = sampleHeader('INTEROP_OUT', { sender_id: '41010000', receiver_id: '00000001' });
  const dir = tempDir();
  const p = pathFor(header, dir);
  const first = writeExchangeFile(p, header, transactions(50));
  const before = fs.readFileSync(p);
  const again = writeExchangeFile(p, header, transactions(50));
  assert.deepEqual(fs.readFileSync(p), before);
  assert.equal(again.sha256_hex, first.sha256_hex);
});

test('a big file streams through several buffer flushes and reads back whole', () => {
  const header = sampleHeader('TXN_UPLOAD');
  const p = pathFor(header);
  const count = 20_000; // ~2.7 MB: several 1 MiB chunks
  function* records(): Generator<Transaction> {
    yield* transactions(count);
  }
  const written = writeExchangeFile(p, header, records());
  assert.ok(written.bytes > 2 * 1024 * 1024);
  let n = 0;
  const scan = scanExchangeFile(p, (r, i) => {
    assert.equal((r as Transaction).amount_fen, 100 + i);
    n++;
  });
  assert.equal(refusalOf(scan), null);
  assert.equal(n, count);
});

test('a failure midway leaves no file under the final name, and an earlier file untouched', () => {
  const header = sampleHeader('TXN_UPLOAD');
  const dir = tempDir();
  const p = pathFor(header, dir);
  function* failing(): Generator<Transaction> {
    yield* transactions(30_000); // past the first flush to disk
    throw new Error('the store went away');
  }
  assert.throws(() => writeExchangeFile(p, header, failing()), /the store went away/);
  assert.deepEqual(fs.readdirSync(dir), [], 'nothing written, no temporary file');

  writeExchangeFile(p, header, transactions(3));
  const before = fs.readFileSync(p);
  assert.throws(() => writeExchangeFile(p, header, failing()), /the store went away/);
  assert.deepEqual(fs.readFileSync(p), before, 'the complete file is still there, unchanged');
  assert.deepEqual(fs.readdirSync(dir), [path.basename(p)]);

  // A record the format cannot carry is a bug in the caller: refused before anything appears.
  const bad = { ...transactions(1)[0], amount_fen: 12n as unknown as number };
  const h2 = { ...header, file_seq: 2 };
  assert.throws(() => writeExchangeFile(pathFor(h2, dir), h2, [bad]), /Transaction.amount_fen must be an integer/);
  assert.deepEqual(fs.readdirSync(dir), [path.basename(p)]);
});

test('a header no valid file can have is refused before anything is written', () => {
  const dir = tempDir();
  const header = sampleHeader('TXN_UPLOAD');
  assert.throws(() => writeExchangeFile(path.join(dir, 'x.pb'), header, []), /must be named TXN_UPLOAD_41010101_41010000_20251230_0001.pb/);
  assert.throws(() => writeExchangeFile(pathFor(header, dir), { ...header, format_version: 2 }, []), /format_version must be 1/);
  assert.throws(() => writeExchangeFile(pathFor(header, dir), { ...header, created_at: '2025-12-30' }, []), /created_at/);
  assert.throws(() => encodeExchangeFile({ ...header, file_seq: 10_000 }, []), RangeError);
  assert.deepEqual(fs.readdirSync(dir), []);
  // any_name: for making broken files on purpose.
  const odd = path.join(dir, 'TXN_UPLOAD_41010101_41010000_20251230_0055.pb');
  writeExchangeFile(odd, header, transactions(1), { any_name: true });
  assert.equal(refusalOf(scanExchangeFile(odd))?.code, 'F05');
});
