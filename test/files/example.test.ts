// The spec's worked example (shared/spec/vectors/example), file by file: every inbox
// file scans with the outcome expected/YYYYMMDD.json gives it where the file alone
// decides (F01, F02, F05); the files refused F04 or F03, or imported or skipped,
// have no fault that would take precedence. Then `lct file inspect`, run as the
// operators run it, on every one of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Header, Transaction } from '../../src/core/types';
import { readBankStatement } from '../../src/files/bank-csv';
import { exchangeFileName } from '../../src/files/names';
import { refusalOf, scanExchangeFile, structuralFaults } from '../../src/files/reader';
import { writeExchangeFile } from '../../src/files/writer';
import { sampleHeader, tempDir, transactions } from './arbitraries';

import { EXAMPLE_DIR as EXAMPLE } from '../spec-vectors';
const LCT = path.join(__dirname, '../../../bin/lct.js');
const NIGHTS = ['20251230', '20251231'];

interface InboxOutcome {
  name: string;
  type: string;
  outcome: 'imported' | 'skipped' | 'refused';
  code?: 'F01' | 'F02' | 'F03' | 'F04' | 'F05';
  detail?: string;
}

function expectedInbox(night: string): InboxOutcome[] {
  const expected = JSON.parse(fs.readFileSync(path.join(EXAMPLE, 'expected', `${night}.json`), 'utf8')) as { inbox: InboxOutcome[] };
  return expected.inbox;
}

const ALL = NIGHTS.flatMap((night) => expectedInbox(night).map((e) => ({ ...e, path: path.join(EXAMPLE, 'inbox', night, e.name) })));

test('the expected outcomes cover every file of each night', () => {
  for (const night of NIGHTS) {
    const listed = expectedInbox(night)
      .map((e) => e.name)
      .sort();
    assert.deepEqual(listed, fs.readdirSync(path.join(EXAMPLE, 'inbox', night)).sort(), night);
  }
});

test('every example file scans to the outcome the example gives it', () => {
  const wrongParty = { code: 'F04' as const, detail: 'receiver is not this centre' };
  const conflict = { code: 'F03' as const, detail: 'same identity imported before with other bytes' };
  for (const e of ALL) {
    if (e.type === 'BANK') {
      assert.ok(readBankStatement(e.path).ok, e.name);
      continue;
    }
    const scan = scanExchangeFile(e.path);
    const faults = structuralFaults(scan).map((f) => f.code);
    const refusal = refusalOf(scan);
    switch (e.outcome === 'refused' ? e.code : e.outcome) {
      case 'F01':
      case 'F02':
      case 'F05':
        assert.ok(refusal !== null && refusal.code === e.code, `${e.name}: ${JSON.stringify(refusal)}`);
        // The example's hints are the beginnings of ours.
        assert.ok(refusal.detail.startsWith(e.detail as string), `${e.name}: "${refusal.detail}" vs the hint "${e.detail}"`);
        break;
      case 'F04':
        // Nothing that outranks F04 (F01, F05); a lesser fault (F02) may be there too.
        assert.ok(!faults.includes('F01') && !faults.includes('F05'), `${e.name}: ${faults}`);
        assert.equal(refusalOf(scan, { wrongParty, conflict })?.code, 'F04', e.name);
        break;
      case 'F03':
      case 'imported':
      case 'skipped':
        assert.deepEqual(faults, [], e.name);
        assert.equal(refusalOf(scan), null, e.name);
        assert.equal(refusalOf(scan, { conflict })?.code, 'F03', e.name);
        break;
      default:
        assert.fail(`${e.name}: unknown outcome ${e.outcome} ${e.code}`);
    }
  }
});

// ---------------------------------------------------------------------------
// `lct file inspect`

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function lct(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [LCT, ...args], { maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

async function inParallel<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

function assertNoStackTrace(run: Run, what: string): void {
  assert.doesNotMatch(run.stderr, /\n\s+at /, `${what}: a stack trace on stderr`);
  assert.ok(run.stderr === '' || run.stderr.trimEnd().split('\n').length === 1, `${what}: stderr is one line: ${run.stderr}`);
}

test('lct file inspect --json: exit 0 on the sound files, 1 with the F-code on the broken ones', async () => {
  const runs = await inParallel(ALL, 4, (e) => lct(['file', 'inspect', '--json', e.path]));
  ALL.forEach((e, i) => {
    const run = runs[i];
    assert.notEqual(run.stdout, '', `${e.name}: no output (exit ${run.code}): ${run.stderr}`);
    assertNoStackTrace(run, e.name);
    const lines = run.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const result = lines.at(-1) as { kind: string; ok: boolean; refusal: { code: string } | null };
    assert.equal(result.kind, 'result', e.name);
    const code = e.outcome === 'refused' ? e.code : undefined;
    if (code === 'F01' || code === 'F02' || code === 'F05') {
      assert.equal(run.code, 1, `${e.name}: exit`);
      assert.equal(result.refusal?.code, code, e.name);
      assert.match(run.stderr, new RegExp(`^lct: ${e.name.replace(/\./g, '\\.')}: an import would refuse it ${code}`), e.name);
    } else if (code === 'F04') {
      // F04 needs the configuration: inspect shows what the file alone says (at most a lesser F02).
      assert.ok(run.code === 0 || (run.code === 1 && result.refusal?.code === 'F02'), `${e.name}: exit ${run.code}`);
    } else {
      assert.equal(run.code, 0, `${e.name}: exit ${run.code}: ${run.stderr}`);
      assert.equal(result.ok, true, e.name);
      assert.equal(run.stderr, '', e.name);
    }
    // Whatever could be decoded is shown: the header first, when it decoded.
    if (e.type !== 'BANK' && scanExchangeFile(e.path).header !== null) assert.equal(lines[0].kind, 'header', e.name);
  });
});

test('lct file inspect: the readable form names each check and the refusal', async () => {
  const inbox = path.join(EXAMPLE, 'inbox', '20251230');
  const truncated = await lct(['file', 'inspect', path.join(inbox, 'TXN_UPLOAD_41010111_41010000_20251230_0003.pb')]);
  assert.equal(truncated.code, 1);
  assert.match(truncated.stdout, /^frame 1 {2}Header$/m);
  assert.match(truncated.stdout, /^ {2}framing {2}FAULT: frame 3: framing broken: frame at byte 184 \(length 128\) is truncated$/m);
  assert.match(truncated.stdout, /^ {2}count {4}not checked/m);
  assert.match(truncated.stdout, /^result {3}an import would refuse it F01 at frame 3/m);
  assert.match(truncated.stdout, /not checked here: F04 \(wrong party: needs --config\), F03 \(conflict: needs --db\)/);

  const miscounted = await lct(['file', 'inspect', path.join(inbox, 'INTEROP_IN_00000001_41010000_20251230_0003.pb')]);
  assert.equal(miscounted.code, 1);
  assert.match(miscounted.stdout, /^ {2}framing {2}ok: 5 frames: Header, 3 records, Trailer$/m);
  assert.match(miscounted.stdout, /^ {2}count {4}FAULT: record_count 4, records 3$/m);
  assert.match(miscounted.stdout, /^ {2}total {4}ok/m);
  assert.match(miscounted.stdout, /^ {2}digest {3}ok/m);
  assert.match(miscounted.stdout, /^frame 5 {2}Trailer$/m);

  const misnamed = await lct(['file', 'inspect', path.join(inbox, 'TXN_UPLOAD_41010201_41010000_20251230_003.pb')]);
  assert.equal(misnamed.code, 1);
  assert.match(misnamed.stdout, /^ {2}name {5}FAULT: name does not follow the pattern/m);

  const good = await lct(['file', 'inspect', path.join(inbox, 'TXN_UPLOAD_41010101_41010000_20251230_0001.pb')]);
  assert.equal(good.code, 0);
  assert.equal(good.stderr, '');
  assert.match(good.stdout, /^result {3}sound: 22 records, total \d+ fen$/m);
  assert.equal(good.stdout.split('\n').filter((l) => /^\s+\d+\s+\d+\s+41010001/.test(l)).length, 22, 'one table row per record');

  const bank = await lct(['file', 'inspect', path.join(EXAMPLE, 'inbox', '20251231', 'BANK_10000001_20251231_0001.csv')]);
  assert.equal(bank.code, 0);
  assert.match(bank.stdout, /^ {2}format {3}ok: 9 lines$/m);
});

test('lct file inspect: usage errors exit 2 with one line naming the problem', async () => {
  const missing = await lct(['file', 'inspect', '/nonexistent/TXN_UPLOAD_41010101_41010000_20251230_0001.pb']);
  assert.equal(missing.code, 2);
  assert.equal(missing.stdout, '');
  assert.equal(missing.stderr, 'lct: /nonexistent/TXN_UPLOAD_41010101_41010000_20251230_0001.pb: no such file\n');
  const dir = await lct(['file', 'inspect', tempDir()]);
  assert.equal(dir.code, 2);
  assertNoStackTrace(dir, 'a directory');
  const none = await lct(['file', 'inspect']);
  assert.equal(none.code, 2);
  assertNoStackTrace(none, 'no argument');
});

test('lct file inspect streams a big file: one JSON line per record, exit 0', async () => {
  const header: Header = sampleHeader('TXN_UPLOAD');
  const p = path.join(tempDir(), exchangeFileName(header));
  const count = 20_000;
  writeExchangeFile(p, header, transactions(count));
  const run = await lct(['file', 'inspect', '--json', p]);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 1 + count + 1 + 1, 'header, records, trailer, result');
  const last_record = JSON.parse(lines[count]) as { kind: string; index: number; frame: number; record: Transaction };
  assert.deepEqual([last_record.kind, last_record.index, last_record.frame], ['record', count - 1, count + 1]);
  assert.equal(last_record.record.amount_fen, 100 + count - 1);
  // A closed pipe ends the command quietly.
  const head = await new Promise<Run>((resolve) => {
    execFile('/bin/sh', ['-c', `node ${JSON.stringify(LCT)} file inspect ${JSON.stringify(p)} | head -3`], (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : -1, stdout, stderr }),
    );
  });
  assert.equal(head.stdout.split('\n').length, 4);
  assertNoStackTrace(head, 'a closed pipe');
});
