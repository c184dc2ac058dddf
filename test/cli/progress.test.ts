// The batch's progress on stderr (batch-cli.md: "a live bar on a terminal, a line per
// step otherwise"): the bar's rendering as a pure function of the import's state; the
// reporter on a stand-in stream, with and without a terminal, on a clock of the
// test's own; and the real `lct batch` with stderr a pipe, and under a pseudo-terminal
// (`script`) when the machine has it.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ImportProgress } from '../../src/batch/context';
import { clock, grouped, importLine, logLine, makeProgressReporter, renderImportBar, REDRAW_EVERY_MS } from '../../cli/progress';
import { EXAMPLE_DIR } from '../spec-vectors';
import { CLEAN_ENV, KEYS, LCT, PARTICIPANTS } from './example-store';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-progress-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const state = { files_done: 12, files_total: 40, records_done: 123_456, records_expected: 270_000, elapsed_ms: 2_000 };

describe('the import bar (renderImportBar)', () => {
  it('shows records done of expected, records a second, time left and files, within the width', () => {
    const line = renderImportBar(state, 120);
    assert.equal(line, 'import [##################----------------------]  45%  123,456/270,000 records  61,728/s  0:02 left  12/40 files');
    assert(line.length <= 119);
  });

  it('time left is what remains at the rate so far', () => {
    // 100,000 of 400,000 in 10 s: 10,000/s, 300,000 left: 30 s.
    const line = renderImportBar(
      { files_done: 1, files_total: 4, records_done: 100_000, records_expected: 400_000, elapsed_ms: 10_000 },
      200,
    );
    assert.match(line, / 25% {2}100,000\/400,000 records {2}10,000\/s {2}0:30 left {2}1\/4 files$/);
    const hours = renderImportBar(
      { files_done: 1, files_total: 4, records_done: 1_000, records_expected: 40_000_000, elapsed_ms: 1_000 },
      200,
    );
    assert.match(hours, / 11:06:39 left /, '39,999,000 records at 1,000/s');
  });

  it('the estimate is only an estimate: the bar stops at 99% until the last file is done, then shows 100% and 0:00', () => {
    const passed = renderImportBar({ files_done: 3, files_total: 4, records_done: 5_000, records_expected: 4_000, elapsed_ms: 1_000 }, 200);
    assert.match(passed, /\] {2}99% {2}5,000\/5,000 records {2}5,000\/s {2}\? left {2}3\/4 files$/);
    const last = renderImportBar({ files_done: 4, files_total: 4, records_done: 5_000, records_expected: 5_000, elapsed_ms: 1_000 }, 200);
    assert.match(last, /\[#+\] 100% {2}5,000\/5,000 records {2}5,000\/s {2}0:00 left {2}4\/4 files$/);
  });

  it('before any record is read, the rate is 0 and the time left unknown', () => {
    const line = renderImportBar({ files_done: 0, files_total: 3, records_done: 0, records_expected: 900, elapsed_ms: 0 }, 100);
    assert.match(line, /\[-+\] {3}0% {2}0\/900 records {2}0\/s {2}\? left {2}0\/3 files$/);
  });

  it('a narrower terminal drops the files, then the rate, then the bar, then cuts the line; an unknown width is 80', () => {
    assert.equal(renderImportBar(state, 80), 'import [########-----------]  45%  123,456/270,000 records  61,728/s  0:02 left');
    assert.equal(renderImportBar(state, 70), 'import [########-----------]  45%  123,456/270,000 records  0:02 left');
    assert.equal(renderImportBar(state, 60), 'import  45%  123,456/270,000 records  0:02 left');
    assert.equal(renderImportBar(state, 20), 'import  45%  123,45');
    assert.equal(renderImportBar(state, 0), renderImportBar(state, 80));
  });

  it('numbers are grouped the same on every machine, times as m:ss or h:mm:ss', () => {
    assert.deepEqual([grouped(0), grouped(999), grouped(1000), grouped(1234567.4)], ['0', '999', '1,000', '1,234,567']);
    assert.deepEqual([clock(0), clock(59.6), clock(61), clock(3600), clock(3661)], ['0:00', '1:00', '1:01', '1:00:00', '1:01:01']);
  });
});

function event(files_done: number, records_done: number, done: ImportProgress['done']): ImportProgress {
  return { step: 'import', files_done, files_total: 3, done, records_done, records_expected: 3_000 };
}

/** A stand-in for stderr, and a clock the test moves. */
function sink(tty: boolean) {
  const out: string[] = [];
  let t = 0;
  return {
    out,
    at: (ms: number) => {
      t = ms;
    },
    stream: { write: (s: string) => out.push(s), isTTY: tty, columns: 100 },
    now: () => t,
  };
}

describe('the progress reporter', () => {
  it('without a terminal: a line when a step begins and when a file is done, none for the counts within a file', () => {
    const s = sink(false);
    const progress = makeProgressReporter(s.stream, { now: s.now });
    s.at(0);
    progress('import: /inbox');
    s.at(400);
    progress(event(0, 1024, null));
    s.at(1500);
    progress(event(1, 2000, { name: 'TXN_UPLOAD_41010101_41010000_20251230_0001.pb', outcome: 'imported' }));
    progress(event(2, 2000, { name: 'BAD\x1b[2J.pb', outcome: 'refused F05' }));
    progress(event(3, 2000, { name: 'BANK_10000001_20251230_0001.csv', outcome: 'skipped: a resend' }));
    s.at(2000);
    progress('clear: clearing and posting');
    progress('clear: matching bank statements');
    progress('reconcile');
    assert.deepEqual(s.out, [
      '[   0.0 s] import: /inbox\n',
      '[   1.5 s] import: 1/3 TXN_UPLOAD_41010101_41010000_20251230_0001.pb: imported\n',
      '[   1.5 s] import: 2/3 BAD\\x1b[2J.pb: refused F05\n',
      '[   1.5 s] import: 3/3 BANK_10000001_20251230_0001.csv: skipped: a resend\n',
      '[   2.0 s] clear: clearing and posting\n',
      '[   2.0 s] reconcile\n',
    ]);
  });

  it('every line with every_line (LCT_PROGRESS=all)', () => {
    const s = sink(false);
    const progress = makeProgressReporter(s.stream, { now: s.now, every_line: true });
    progress('clear: clearing and posting');
    progress('clear: matching bank statements');
    assert.equal(s.out.length, 2);
  });

  it('on a terminal: the bar redrawn in place, at most every 100 ms, and always for the last file', () => {
    const s = sink(true);
    const progress = makeProgressReporter(s.stream, { now: s.now });
    s.at(0);
    progress('import: /inbox');
    s.at(1000);
    progress(event(0, 1024, null));
    s.at(1000 + REDRAW_EVERY_MS / 2);
    progress(event(1, 2048, { name: 'A.pb', outcome: 'imported' })); // too soon: not drawn
    s.at(1000 + REDRAW_EVERY_MS);
    progress(event(2, 2500, { name: 'B.pb', outcome: 'imported' }));
    s.at(1000 + REDRAW_EVERY_MS + 1);
    progress(event(3, 3000, { name: 'C.pb', outcome: 'imported' })); // the last: drawn at once
    s.at(2000);
    progress('reconcile');
    progress('done');
    assert.equal(s.out[0], '\r\x1b[Kimport: /inbox');
    const bars = s.out.filter((o) => o.includes('records'));
    assert.equal(bars.length, 3);
    for (const b of bars) assert(b.startsWith('\r\x1b[Kimport ['), JSON.stringify(b));
    // Timed from the import's start: 1,024 records in 1 s.
    assert.equal(bars[0], `\r\x1b[K${renderImportBar({ ...event(0, 1024, null), elapsed_ms: 1000 }, 100)}`);
    assert.match(bars[2]!, / 100% {2}3,000\/3,000 records .* 3\/3 files$/);
    assert.deepEqual(s.out.slice(-2), ['\r\x1b[Kreconcile', '\r\x1b[K']);
    assert(!s.out.some((o) => o.includes('\n')), 'nothing but the live line on a terminal');
  });

  it("a file's line is the file, its number of the night's and what became of it", () => {
    assert.equal(importLine(event(2, 10, { name: 'X.pb', outcome: 'refused F01' })), 'import: 2/3 X.pb: refused F01');
    assert.equal(importLine(event(2, 10, null)), null);
    assert.equal(logLine(61_234, 'reconcile'), '[  61.2 s] reconcile\n');
  });
});

function batchArgs(inbox: string, out: string): string[] {
  return [
    'batch',
    '--date',
    '2025-12-30',
    '--inbox',
    inbox,
    '--outbox',
    out,
    '--db',
    `${out}.db`,
    '--config',
    PARTICIPANTS,
    '--keys',
    KEYS,
  ];
}

describe('lct batch', () => {
  const inbox = path.join(EXAMPLE_DIR, 'inbox', '20251230');
  const names = fs.readdirSync(inbox).filter((n) => !n.startsWith('.'));

  it('with stderr not a terminal: one line per step, and one per file in import order with its outcome', () => {
    const out = path.join(root, 'pipe');
    const r = spawnSync(process.execPath, [LCT, ...batchArgs(inbox, out)], { encoding: 'utf8', env: CLEAN_ENV });
    assert.equal(r.status, 3, r.stderr);
    const lines = r.stderr.trimEnd().split('\n');
    for (const l of lines) assert.match(l, /^\[ {0,5}\d+\.\d s\] \S/);
    const steps = lines.map((l) => l.replace(/^\[[ \d.]+ s\] /, ''));
    const files = steps.filter((l) => /^import: \d+\//.test(l));
    assert.equal(files.length, names.length, 'a line for every file');
    for (const [i, l] of files.entries()) assert(l.startsWith(`import: ${i + 1}/${names.length} `), l);
    assert(files.includes('import: 1/32 BLACKLIST_41010001_41010000_20251230_0001.pb: imported'));
    assert(files.includes('import: 4/32 INTEROP_IN_00000001_41010000_20251230_0003.pb: refused F02'));
    const expected = JSON.parse(fs.readFileSync(path.join(EXAMPLE_DIR, 'expected', '20251230.json'), 'utf8')) as {
      inbox: { name: string; outcome: string; code?: string }[];
    };
    for (const f of expected.inbox) {
      const outcome = f.outcome === 'refused' ? `refused ${f.code}` : f.outcome;
      assert(
        files.some((l) => l.endsWith(` ${f.name}: ${outcome}`)),
        `${f.name}: ${outcome}`,
      );
    }
    const rest = steps.filter((l) => !/^import: \d+\//.test(l)).map((l) => l.split(':')[0]);
    assert.deepEqual(rest, ['import', 'clear', 'reconcile', 'keys', 'close', 'write', 'checkpoint', 'done']);
  });

  const script = spawnSync('script', ['--version'], { encoding: 'utf8' });
  it('on a terminal (under script): the live bar, redrawn in place with records, rate, time left and files', {
    skip: script.status !== 0 && 'no script(1) here',
  }, () => {
    const out = path.join(root, 'tty');
    const command = [process.execPath, LCT, ...batchArgs(inbox, out), '--json'].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', `${command} 2>&1 >/dev/null`, '/dev/null'], {
      encoding: 'utf8',
      env: { ...CLEAN_ENV, COLUMNS: '120' },
    });
    assert.equal(r.status, 3, r.stdout + r.stderr);
    const drawn = r.stdout.split('\r\x1b[K').filter((s) => s !== '');
    const bars = drawn.filter((s) => s.startsWith('import ['));
    assert(bars.length >= 1, `a bar was drawn: ${JSON.stringify(r.stdout.slice(0, 400))}`);
    const last = bars[bars.length - 1]!;
    assert.match(last, /^import \[#+\] 100% {2}[\d,]+\/[\d,]+ records {2}[\d,]+\/s {2}0:00 left {2}32\/32 files/);
    assert(!r.stdout.includes('\n['), 'no log lines on a terminal');
  });
});
