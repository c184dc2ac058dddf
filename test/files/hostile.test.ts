// Hostile inputs to the file codecs (issue 11). A sparse file takes no disk and
// seconds to make, yet says it is 4 or 64 GB: the readers must refuse it or stream
// it with flat memory, never reserve memory from its size. Each reading runs in a
// child process that reports its peak resident memory. And the bank statement says
// what is really wrong: not UTF-8 only when the bytes are not, a failure to read as
// itself, a malformed line by its number.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {
  BANK_CSV_HEADER,
  MAX_BANK_FILE_BYTES,
  MAX_BANK_LINE_BYTES,
  formatBankStatement,
  parseBankStatement,
  readBankStatement,
  scanBankStatement,
} from '../../src/files/bank-csv';
import { HEADER, TRAILER, encodeMessage } from '../../src/files/codec';
import { exchangeFileName } from '../../src/files/names';
import { MAX_FILE_BYTES, refusalOf, scanExchangeFile } from '../../src/files/reader';
import { frame, sampleHeader } from './arbitraries';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-hostile-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const GB = 1e9;
const UPLOAD = 'TXN_UPLOAD_41010101_41010000_20251231_0001.pb';
const BANK = 'BANK_10000001_20251231_0001.csv';
const LINE = '20251231,20251230-41010102,41010000,41010102,28132,B5123102';
/** Peak memory allowed to a reading of any size: node itself takes about 50 MB. */
const FLAT_BYTES = 160 * 2 ** 20;

/** A sparse file of `bytes` zero bytes: no disk used. */
function sparse(name: string, bytes: number): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, '');
  fs.truncateSync(p, bytes);
  return p;
}

/** Runs `code` (with `dist` bound to the compiled tree) in a child; its JSON result and peak memory. */
function inChild(code: string): { result: unknown; max_rss_bytes: number } {
  const script = `
    const dist = ${JSON.stringify(path.join(__dirname, '..', '..'))};
    const result = (() => { ${code} })();
    process.stdout.write(JSON.stringify({ result, max_rss_bytes: process.resourceUsage().maxRSS * 1024 }));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `child failed (${r.signal ?? ''}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('exchange files of any size: refused F01 or streamed, memory flat', () => {
  const scanIn = (p: string) =>
    inChild(`
      const { scanExchangeFile, refusalOf } = require(dist + '/src/files/reader.js');
      const s = scanExchangeFile(${JSON.stringify(p)});
      return { refusal: refusalOf(s), file_sha256_hex: s.file_sha256_hex };`) as {
      result: { refusal: { code: string; frame?: number; detail: string }; file_sha256_hex: string };
      max_rss_bytes: number;
    };

  it('a sparse 64 GB TXN_UPLOAD is refused F01 at once, unread', () => {
    const p = sparse(UPLOAD, 64 * GB);
    const started = performance.now();
    const { result, max_rss_bytes } = scanIn(p);
    assert.equal(result.refusal.code, 'F01');
    assert.match(result.refusal.detail, /^the file is 64000000000 bytes, more than the 4294967296 an exchange file may have: not read$/);
    assert.equal(result.file_sha256_hex, '', 'not read, not hashed');
    assert.ok(performance.now() - started < 10_000, 'not read');
    assert.ok(max_rss_bytes < FLAT_BYTES, `peak ${max_rss_bytes} bytes`);
    fs.rmSync(p);
  });

  it('a sparse 4 GB TXN_UPLOAD (under the limit) is streamed with flat memory and refused F01 for its bytes', () => {
    const p = sparse(UPLOAD, 4 * GB);
    const { result, max_rss_bytes } = scanIn(p);
    assert.equal(result.refusal.code, 'F01');
    assert.equal(result.refusal.frame, 1);
    assert.match(result.refusal.detail, /Header/);
    assert.match(result.file_sha256_hex, /^[0-9a-f]{64}$/, 'read to the end for its identity');
    assert.ok(max_rss_bytes < FLAT_BYTES, `peak ${max_rss_bytes} bytes`);
    fs.rmSync(p);
  });

  it('the limit is MAX_FILE_BYTES exactly, and a caller may lower it', () => {
    assert.equal(MAX_FILE_BYTES, 2 ** 32);
    const p = path.join(dir, UPLOAD);
    fs.writeFileSync(p, Buffer.alloc(100));
    assert.equal(scanExchangeFile(p, undefined, { max_file_bytes: 100 }).unreadable?.detail.includes('not read'), false);
    const s = scanExchangeFile(p, undefined, { max_file_bytes: 99 });
    assert.deepEqual(refusalOf(s), { code: 'F01', detail: 'the file is 100 bytes, more than the 99 an exchange file may have: not read' });
    assert.equal(s.header, null);
    fs.rmSync(p);
  });
});

it('a Trailer digest of 1 MiB: F02, with a detail of a line, not of 2 MiB of hex', () => {
  const header = sampleHeader('BLACKLIST');
  const trailer = { record_count: 0, total_amount_fen: 0, sha256: new Uint8Array(1 << 20).fill(0xab) };
  const p = path.join(dir, exchangeFileName(header));
  fs.writeFileSync(p, Buffer.concat([frame(encodeMessage(HEADER, header)), frame(encodeMessage(TRAILER, trailer))]));
  const refusal = refusalOf(scanExchangeFile(p));
  assert.equal(refusal?.code, 'F02');
  assert.match(refusal!.detail, /^sha256 of 1048576 bytes \((ab){64}\.\.\.\), records hash to [0-9a-f]{64}$/);
  fs.rmSync(p);
});

describe('bank statements of any size: refused or streamed, memory flat', () => {
  const readIn = (p: string, opts = '{}') =>
    inChild(`
      const { readBankStatement } = require(dist + '/src/files/bank-csv.js');
      return readBankStatement(${JSON.stringify(p)}, ${opts});`) as {
      result: { ok: boolean; line: number; detail: string };
      max_rss_bytes: number;
    };

  for (const bytes of [4 * GB, 64 * GB]) {
    it(`a sparse ${bytes / GB} GB statement is refused at once, unread`, () => {
      const p = sparse(BANK, bytes);
      const { result, max_rss_bytes } = readIn(p);
      assert.deepEqual(result, {
        ok: false,
        line: 0,
        detail: `the file is ${bytes} bytes, more than the ${MAX_BANK_FILE_BYTES} a statement may have: not read`,
      });
      assert.ok(max_rss_bytes < FLAT_BYTES, `peak ${max_rss_bytes} bytes`);
      fs.rmSync(p);
    });
  }

  it('without the size limit, a sparse 4 GB statement is read a chunk at a time and refused at its first line', () => {
    const p = sparse(BANK, 4 * GB);
    const { result, max_rss_bytes } = readIn(p, '{ max_file_bytes: Infinity }');
    assert.deepEqual(result, { ok: false, line: 1, detail: `longer than ${MAX_BANK_LINE_BYTES} bytes` });
    assert.ok(max_rss_bytes < FLAT_BYTES, `peak ${max_rss_bytes} bytes`);
    fs.rmSync(p);
  });

  it('a statement of a million good lines streams with flat memory', () => {
    const p = path.join(dir, BANK);
    const fd = fs.openSync(p, 'w');
    fs.writeSync(fd, `${BANK_CSV_HEADER}\n`);
    const block = `${LINE}\n`.repeat(10_000);
    for (let i = 0; i < 100; i++) fs.writeSync(fd, block);
    fs.closeSync(fd);
    const { result, max_rss_bytes } = inChild(`
      const { scanBankStatement } = require(dist + '/src/files/bank-csv.js');
      let sum = 0;
      const s = scanBankStatement(${JSON.stringify(p)}, (l) => { sum += l.amount_fen; }, { max_file_bytes: Infinity });
      return { line_count: s.line_count, sum };`) as { result: { line_count: number; sum: number }; max_rss_bytes: number };
    assert.deepEqual(result, { line_count: 1_000_000, sum: 28132 * 1_000_000 });
    assert.ok(max_rss_bytes < FLAT_BYTES, `peak ${max_rss_bytes} bytes`);
    fs.rmSync(p);
  });
});

describe('bank statements: the real error', () => {
  const file = (text: string | Buffer, name = BANK) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  };

  it('bytes that are not UTF-8: "not UTF-8", on the line that holds them', () => {
    const p = file(
      Buffer.concat([
        Buffer.from(`${BANK_CSV_HEADER}\n${LINE}\n20251231,20251230-41010102,41010000,41010102,1,B`),
        Buffer.from([0xff, 0x0a]),
      ]),
    );
    assert.deepEqual(readBankStatement(p), { ok: false, line: 3, detail: 'not UTF-8' });
    // A sequence cut by a chunk's end is no error: the line is decoded whole.
    const chinese = file(`${BANK_CSV_HEADER}\n${LINE.replace('B5123102', '银行流水')}\n`);
    for (let chunk_bytes = 1; chunk_bytes <= 130; chunk_bytes++) {
      const s = readBankStatement(chinese, { chunk_bytes });
      assert.ok(s.ok && s.lines[0]!.bank_ref === '银行流水', `${chunk_bytes}: ${JSON.stringify(s)}`);
    }
  });

  it('a file that cannot be read: thrown as itself, naming the file, never "not UTF-8"', () => {
    // The tests run as root, so chmod 000 would not stop them: a directory cannot be read either.
    const d = path.join(dir, 'BANK_10000001_20251231_0002.csv');
    fs.mkdirSync(d);
    assert.throws(
      () => readBankStatement(d),
      (err: Error) => err.message.startsWith(`${d}: cannot be read: EISDIR`) && !/UTF-8/.test(err.message),
    );
    assert.throws(() => readBankStatement(path.join(dir, 'none.csv')), /none\.csv: cannot be read: ENOENT/);
  });

  it('a read that fails midway (a disk error): thrown as itself, with its code', () => {
    const p = file(`${BANK_CSV_HEADER}\n${LINE}\n${LINE}\n`);
    let reads = 0;
    const failing = (fd: number, buffer: Buffer, offset: number, length: number, position: number): number => {
      if (++reads === 2) throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
      return fs.readSync(fd, buffer, offset, length, position);
    };
    assert.throws(
      () => readBankStatement(p, { read: failing, chunk_bytes: 64 }),
      (err: Error) => err.message === `${p}: cannot be read: EIO: i/o error, read` && (err.cause as { code?: string }).code === 'EIO',
    );
  });

  it('a malformed line: its number and the field', () => {
    const p = file(`${BANK_CSV_HEADER}\n${LINE}\n${LINE.replace('41010000', '4101000X')}\n${LINE}\n`);
    assert.deepEqual(readBankStatement(p), { ok: false, line: 3, detail: 'payer_id "4101000X" is not 8 digits' });
  });

  it('a line longer than any real one is refused by its number, without reading on', () => {
    const p = file(`${BANK_CSV_HEADER}\n${LINE}\n${'9'.repeat(MAX_BANK_LINE_BYTES + 1)}\n${LINE}\n`);
    assert.deepEqual(readBankStatement(p), { ok: false, line: 3, detail: `longer than ${MAX_BANK_LINE_BYTES} bytes` });
    const exactly = file(`${BANK_CSV_HEADER}\n${LINE.replace('B5123102', 'B'.repeat(MAX_BANK_LINE_BYTES - LINE.length + 8))}\n`);
    assert.ok(readBankStatement(exactly).ok, 'a line of exactly the limit passes');
  });

  it('scanBankStatement hands each line over as it reads, and the wrapper gives the same lines', () => {
    const p = file(`${BANK_CSV_HEADER}\n${LINE}\n${LINE.replace('28132', '-5')}\n`);
    const seen: number[] = [];
    const s = scanBankStatement(p, (l) => seen.push(l.amount_fen));
    assert.deepEqual(s, { ok: true, bank_id: '10000001', date: '20251231', seq: 1, line_count: 2 });
    assert.deepEqual(seen, [28132, -5]);
    const whole = readBankStatement(p);
    assert.ok(whole.ok && whole.lines.map((l) => l.amount_fen).join() === '28132,-5');
  });

  it('property: any read buffer size gives the same result as the bytes parsed whole', () => {
    const digits = (n: number) => fc.array(fc.constantFrom(...'0123456789'), { minLength: n, maxLength: n }).map((a) => a.join(''));
    const line = fc.record({
      value_date: fc.constantFrom('20251231', '20240229'),
      instruction_id: digits(8).map((p) => `20251230-${p}`),
      payer_id: digits(8),
      payee_id: digits(8),
      amount_fen: fc.integer(),
      bank_ref: fc
        .string({ minLength: 1, maxLength: 12, unit: 'binary' })
        .filter((s) => !/[\r\n]/.test(s) && s.trim() === s && !s.startsWith('\ufeff')),
    });
    // Good statements, and the same with a byte damaged.
    const bytes = fc
      .tuple(fc.array(line, { maxLength: 6 }), fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { nil: undefined }))
      .map(([lines, damage]) => {
        const b = Buffer.from(formatBankStatement(lines));
        if (damage !== undefined && b.length > 0) b[damage[0] % b.length] = damage[1];
        return b;
      });
    fc.assert(
      fc.property(bytes, fc.integer({ min: 1, max: 97 }), (b, chunk_bytes) => {
        const p = file(b);
        const whole = parseBankStatement(b);
        const streamed = readBankStatement(p, { chunk_bytes });
        if (whole.ok) assert.ok(streamed.ok && JSON.stringify(streamed.lines) === JSON.stringify(whole.lines), JSON.stringify(streamed));
        else assert.deepEqual(streamed, whole);
      }),
      { numRuns: 300 },
    );
  });
});
