// Bounded memory whatever arrives (issue 11): sparse files of 4 GB and 64 GB, named
// as an upload and as a bank statement, beside the worked example's real nights. The
// nights close, the files are refused F01 and listed, a file over its reader's limit
// is never hashed (its digest is '', also when its name was seen before), and the
// child's peak resident memory stays within 50 MB of the same nights without them.
// Each night is the real `lct batch` in a child process.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../../src/store/db';
import type { DaySummary } from '../../src/core/reports';
import { MAX_FILE_BYTES } from '../../src/files/reader';
import { MAX_BANK_FILE_BYTES } from '../../src/files/bank-csv';
import { EXAMPLE_DIR } from '../spec-vectors';
import { CLEAN_ENV, KEYS, LCT, PARTICIPANTS } from '../cli/example-store';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-sparse-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const GB = 1_000_000_000;
const MB = 1_000_000;

/** Records the child's peak resident memory (bytes) in $LCT_TEST_PEAK when it exits. */
const PEAK = path.join(root, 'peak.js');
fs.writeFileSync(
  PEAK,
  "process.on('exit', () => require('node:fs').writeFileSync(process.env.LCT_TEST_PEAK, String(process.resourceUsage().maxRSS * 1024)));\n",
);

interface Night {
  status: number | null;
  stderr: string;
  summary: DaySummary;
  ms: number;
  max_rss_bytes: number;
}

function night(store: string, inbox: string, date: string): Night {
  const D = date.replace(/-/g, '');
  const outbox = `${store}-out`;
  const peak = `${store}-${D}.peak`;
  const t0 = Date.now();
  const r = spawnSync(
    process.execPath,
    [
      '--require',
      PEAK,
      LCT,
      'batch',
      '--date',
      date,
      '--inbox',
      inbox,
      '--outbox',
      outbox,
      '--db',
      store,
      '--config',
      PARTICIPANTS,
      '--keys',
      KEYS,
    ],
    // Hashing a 64 GB file would take minutes: a night that does is cut off, and fails.
    { encoding: 'utf8', timeout: 90_000, env: { ...CLEAN_ENV, LCT_NOW: '20260101020000', LCT_TEST_PEAK: peak } },
  );
  const ms = Date.now() - t0;
  assert.equal(r.status, 3, `${date}: ${r.stderr}${r.signal ? ` (${r.signal} after ${ms} ms)` : ''}`);
  const summary = JSON.parse(fs.readFileSync(path.join(outbox, 'reports', D, 'summary.json'), 'utf8')) as DaySummary;
  return { status: r.status, stderr: r.stderr, summary, ms, max_rss_bytes: Number(fs.readFileSync(peak, 'utf8')) };
}

function copyInbox(from: string, to: string): string {
  fs.mkdirSync(to, { recursive: true });
  for (const f of fs.readdirSync(from)) fs.copyFileSync(path.join(from, f), path.join(to, f));
  return to;
}

/** A file of `bytes` that takes no disk: a hole. */
function sparse(file: string, bytes: number): void {
  fs.closeSync(fs.openSync(file, 'w'));
  fs.truncateSync(file, bytes);
}

function refusals(store: string, D: string): { name: string; sha256: string; code: string; detail: string }[] {
  const db = openStore(store, { readonly: true });
  try {
    return db
      .prepare(
        "SELECT name, sha256, refusal_code AS code, refusal_detail AS detail FROM files WHERE batch_date = ? AND outcome = 'REFUSED' ORDER BY id",
      )
      .all(D) as never;
  } finally {
    db.close();
  }
}

/** The summary's money and records: what the sparse files must not change. */
function theNight(s: DaySummary) {
  return { records: s.records, cleared: s.cleared, settlement: s.settlement, imported: s.files.imported, journal: s.journal };
}

const UPLOAD_4GB = 'TXN_UPLOAD_41010101_41010000_20251230_0009.pb';
const UPLOAD_64GB = 'TXN_UPLOAD_41010101_41010000_20251230_0010.pb';
const BANK_4GB = 'BANK_10000001_20251230_0001.csv';
const BANK_64GB = 'BANK_10000001_20251230_0002.csv';

describe('sparse files of 4 and 64 GB in the inbox', () => {
  const probe = path.join(root, 'probe');
  let sparseWorks = true;
  try {
    sparse(probe, 64 * GB);
    sparseWorks = fs.statSync(probe).blocks * 512 < MB;
  } catch {
    sparseWorks = false;
  }

  it('the nights close, the files are refused F01 unread (but the 4 GB upload, within the limit), and memory stays within 50 MB', {
    skip: !sparseWorks && 'no sparse files on this file system',
  }, (t) => {
    assert(4 * GB <= MAX_FILE_BYTES && 64 * GB > MAX_FILE_BYTES && 4 * GB > MAX_BANK_FILE_BYTES, 'the sizes straddle the limits');
    // Without them.
    const plain = path.join(root, 'plain.db');
    const plain1 = night(plain, path.join(EXAMPLE_DIR, 'inbox', '20251230'), '2025-12-30');
    const plain2 = night(plain, path.join(EXAMPLE_DIR, 'inbox', '20251231'), '2025-12-31');

    // With them: night 1 all four beside the example's files.
    const store = path.join(root, 'sparse.db');
    const inbox1 = copyInbox(path.join(EXAMPLE_DIR, 'inbox', '20251230'), path.join(root, 'inbox1'));
    sparse(path.join(inbox1, UPLOAD_4GB), 4 * GB);
    sparse(path.join(inbox1, UPLOAD_64GB), 64 * GB);
    sparse(path.join(inbox1, BANK_4GB), 4 * GB);
    sparse(path.join(inbox1, BANK_64GB), 64 * GB);
    const with1 = night(store, inbox1, '2025-12-30');
    assert.equal(with1.summary.files.refused, plain1.summary.files.refused + 4);
    assert.deepEqual(theNight(with1.summary), theNight(plain1.summary));
    const refused1 = refusals(store, '20251230').filter((f) => [UPLOAD_4GB, UPLOAD_64GB, BANK_4GB, BANK_64GB].includes(f.name));
    assert.deepEqual(
      refused1.map((f) => [f.name, f.code]),
      [
        [UPLOAD_4GB, 'F01'],
        [UPLOAD_64GB, 'F01'],
        [BANK_4GB, 'F01'],
        [BANK_64GB, 'F01'],
      ],
    );
    const [u4, u64, b4, b64] = refused1;
    assert.match(u4!.sha256, /^[0-9a-f]{64}$/, 'within the limit, the file is read (and hashed)');
    assert.equal(u64!.sha256, '', 'over the limit: not hashed');
    assert.equal(u64!.detail, `the file is ${64 * GB} bytes, more than the ${MAX_FILE_BYTES} an exchange file may have: not read`);
    assert.deepEqual([b4!.sha256, b64!.sha256], ['', ''], 'bank statements over the limit: not hashed');
    assert.equal(b64!.detail, `line 0: the file is ${64 * GB} bytes, more than the ${MAX_BANK_FILE_BYTES} a statement may have: not read`);

    // Night 2: the example's night 2 and the files over the limit again, whose names were seen: still not hashed.
    const inbox2 = copyInbox(path.join(EXAMPLE_DIR, 'inbox', '20251231'), path.join(root, 'inbox2'));
    for (const [name, bytes] of [
      [UPLOAD_64GB, 64 * GB],
      [BANK_4GB, 4 * GB],
      [BANK_64GB, 64 * GB],
    ] as const)
      sparse(path.join(inbox2, name), bytes);
    const with2 = night(store, inbox2, '2025-12-31');
    assert.equal(with2.summary.files.refused, plain2.summary.files.refused + 3);
    assert.deepEqual(theNight(with2.summary), theNight(plain2.summary));
    assert.deepEqual(
      refusals(store, '20251231')
        .filter((f) => [UPLOAD_64GB, BANK_4GB, BANK_64GB].includes(f.name))
        .map((f) => [f.name, f.code, f.sha256]),
      [
        [UPLOAD_64GB, 'F01', ''],
        [BANK_4GB, 'F01', ''],
        [BANK_64GB, 'F01', ''],
      ],
    );
    assert(with2.ms < 60_000, `night 2 took ${with2.ms} ms: a 64 GB file was read`);

    const grew = (a: Night, b: Night) => (b.max_rss_bytes - a.max_rss_bytes) / MB;
    const report = `peak RSS: night 1 ${Math.round(plain1.max_rss_bytes / MB)} -> ${Math.round(with1.max_rss_bytes / MB)} MB, night 2 ${Math.round(plain2.max_rss_bytes / MB)} -> ${Math.round(with2.max_rss_bytes / MB)} MB`;
    t.diagnostic(report);
    assert(grew(plain1, with1) < 50, report);
    assert(grew(plain2, with2) < 50, report);
  });
});
