// Nothing in the inbox is passed over in silence (issue 11): a symbolic link to a
// file is imported as that file, under the link's name; any other entry that is not a
// file (a directory, a FIFO, a socket, a link to nothing, to a directory or in a loop)
// is listed in the day's summary and report.txt and makes the day exit 3, and a FIFO
// is never opened (it would hold up the night); a file the machine cannot read stops
// the night with one line naming it (exit 1), nothing of it kept, and the rerun
// finishes the night as if nothing had happened. Every night is the real `lct batch`
// in a child process.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { openStore } from '../../src/store/db';
import type { DaySummary } from '../../src/core/reports';
import { generateScenario } from '../../fixtures/scenario';
import { EXAMPLE_DIR } from '../spec-vectors';
import { CLEAN_ENV, KEYS, LCT, PARTICIPANTS } from '../cli/example-store';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-inbox-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const NIGHT1 = path.join(EXAMPLE_DIR, 'inbox', '20251230');
const NOW = { LCT_NOW: '20251231020000' };

interface Night {
  status: number | null;
  stdout: string;
  stderr: string;
  summary: DaySummary | null;
  outbox: string;
  store: string;
}

/** `lct batch` for day `date` (YYYY-MM-DD) on `inbox`, in its own store and outbox under `name`, unless `store` is given. */
function batch(
  name: string,
  inbox: string,
  opts: { date?: string; config?: string; keys?: string; env?: Record<string, string>; node?: string[]; store?: string } = {},
): Night {
  const date = opts.date ?? '2025-12-30';
  const D = date.replace(/-/g, '');
  const store = opts.store ?? path.join(root, `${name}.db`);
  const outbox = path.join(root, `${name}-out`);
  const r = spawnSync(
    process.execPath,
    [
      ...(opts.node ?? []),
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
      opts.config ?? PARTICIPANTS,
      '--keys',
      opts.keys ?? KEYS,
      '--json',
    ],
    // A FIFO opened by mistake would block the child for ever: the timeout makes that a failure.
    { encoding: 'utf8', timeout: 120_000, env: { ...CLEAN_ENV, ...NOW, ...opts.env } },
  );
  const summaryPath = path.join(outbox, 'reports', D, 'summary.json');
  const summary = r.status === 0 || r.status === 3 ? (JSON.parse(fs.readFileSync(summaryPath, 'utf8')) as DaySummary) : null;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, summary, outbox, store };
}

/** A copy of an inbox's files in a new folder. */
function copyInbox(name: string, from = NIGHT1): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir);
  for (const f of fs.readdirSync(from)) fs.copyFileSync(path.join(from, f), path.join(dir, f));
  return dir;
}

/** The summary without what the inbox's odd entries change. */
function withoutIgnored(s: DaySummary): Omit<DaySummary, 'ignored_entries' | 'exit_reasons' | 'exit_code'> {
  const { ignored_entries: _i, exit_reasons: _r, exit_code: _c, ...rest } = s;
  return rest;
}

function storeFiles(store: string): { name: string; outcome: string; sha256: string; refusal_code: string | null }[] {
  const db = openStore(store, { readonly: true });
  try {
    return db.prepare('SELECT name, outcome, sha256, refusal_code FROM files ORDER BY id').all() as never;
  } finally {
    db.close();
  }
}

let baseline: Night | undefined;
/** Night 1 of the worked example, as it arrived. */
function night1(): Night {
  baseline ??= batch('baseline', NIGHT1);
  assert.equal(baseline.status, 3, baseline.stderr);
  return baseline;
}

describe('inbox entries', () => {
  it('an empty inbox exits 0; the same with a directory in it exits 3, the directory named', () => {
    const empty = path.join(root, 'empty');
    fs.mkdirSync(empty);
    const clean = batch('empty', empty);
    assert.equal(clean.status, 0, clean.stderr);
    assert.deepEqual(clean.summary!.ignored_entries, []);
    fs.mkdirSync(path.join(empty, 'TXN_UPLOAD_41010101_41010000_20251230_0001.pb'));
    const withDir = batch('empty-dir', empty);
    assert.equal(withDir.status, 3, withDir.stderr);
    assert.deepEqual(withDir.summary!.ignored_entries, [{ name: 'TXN_UPLOAD_41010101_41010000_20251230_0001.pb', what: 'directory' }]);
    assert.deepEqual(withDir.summary!.exit_reasons, ['1 inbox entry(ies) not a file, not imported']);
    assert.deepEqual(withoutIgnored(withDir.summary!), withoutIgnored(clean.summary!));
    assert.match(withDir.stdout, /"ignored_entries":\[\{"name":"TXN_UPLOAD_41010101_41010000_20251230_0001\.pb","what":"directory"\}\]/);
  });

  it('an inbox holding only a symbolic link to an upload imports it under the link name, with the bytes it leads to', () => {
    const elsewhere = path.join(root, 'elsewhere');
    fs.mkdirSync(elsewhere);
    const name = 'TXN_UPLOAD_41010101_41010000_20251230_0001.pb';
    fs.copyFileSync(path.join(NIGHT1, name), path.join(elsewhere, 'upload.bin'));
    const inbox = path.join(root, 'only-link');
    fs.mkdirSync(inbox);
    fs.symlinkSync(path.join(elsewhere, 'upload.bin'), path.join(inbox, name));
    const linked = batch('only-link', inbox);
    assert(linked.status === 0 || linked.status === 3, linked.stderr);
    assert.equal(linked.summary!.files.imported, 1);
    assert(linked.summary!.records.accepted > 0);
    assert.deepEqual(linked.summary!.ignored_entries, []);
    const sha = crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(NIGHT1, name)))
      .digest('hex');
    assert.deepEqual(storeFiles(linked.store), [{ name, outcome: 'IMPORTED', sha256: sha, refusal_code: null }]);
    // The same file as a plain file gives the same night.
    const plain = path.join(root, 'only-plain');
    fs.mkdirSync(plain);
    fs.copyFileSync(path.join(NIGHT1, name), path.join(plain, name));
    assert.deepEqual(batch('only-plain', plain).summary, linked.summary);
  });

  it('every kind of entry that is not a file is listed, in import order, and no FIFO is opened; the rest of the night is as without them', async () => {
    const base = night1();
    const inbox = copyInbox('odd');
    // One upload arrives as a link to the file, from outside the inbox.
    const linkedName = 'TXN_UPLOAD_41010102_41010000_20251230_0002.pb';
    const outside = path.join(root, 'odd-outside');
    fs.mkdirSync(outside);
    fs.renameSync(path.join(inbox, linkedName), path.join(outside, linkedName));
    fs.symlinkSync(path.join(outside, linkedName), path.join(inbox, linkedName));
    fs.mkdirSync(path.join(inbox, 'INTEROP_IN_00000001_41010000_20251230_0009.pb'));
    for (const fifo of ['TXN_UPLOAD_41010101_41010000_20251230_0077.pb', 'TXN_UPLOAD_41010101_41010000_20260101_0001.pb']) {
      const made = spawnSync('mkfifo', [path.join(inbox, fifo)]);
      assert.equal(made.status, 0, 'mkfifo');
    }
    fs.symlinkSync(path.join(root, 'no-such-file'), path.join(inbox, 'BANK_10000001_20251230_0009.csv'));
    fs.symlinkSync(root, path.join(inbox, 'TXN_UPLOAD_41010202_41010000_20251230_0009.pb'));
    fs.symlinkSync('loop-b', path.join(inbox, 'loop-a'));
    fs.symlinkSync('loop-a', path.join(inbox, 'loop-b'));
    fs.mkdirSync(path.join(inbox, '.partial')); // a name starting with '.' is not the inbox's
    const server = net.createServer();
    server.listen(path.join(inbox, 'upload.sock'));
    await once(server, 'listening');
    let odd: Night;
    try {
      odd = batch('odd', inbox);
    } finally {
      server.close();
    }
    assert.equal(odd.status, 3, odd.stderr);
    const expected = [
      { name: 'INTEROP_IN_00000001_41010000_20251230_0009.pb', what: 'directory' },
      { name: 'TXN_UPLOAD_41010101_41010000_20251230_0077.pb', what: 'FIFO' },
      { name: 'TXN_UPLOAD_41010101_41010000_20260101_0001.pb', what: 'FIFO' },
      { name: 'TXN_UPLOAD_41010202_41010000_20251230_0009.pb', what: 'symbolic link to a directory' },
      { name: 'BANK_10000001_20251230_0009.csv', what: 'symbolic link to nothing' },
      { name: 'loop-a', what: 'symbolic link in a loop' },
      { name: 'loop-b', what: 'symbolic link in a loop' },
      { name: 'upload.sock', what: 'socket' },
    ];
    assert.deepEqual(odd.summary!.ignored_entries, expected);
    const ignoredReason = '8 inbox entry(ies) not a file, not imported';
    assert(odd.summary!.exit_reasons.includes(ignoredReason), odd.summary!.exit_reasons.join('; '));
    assert.deepEqual(
      odd.summary!.exit_reasons.filter((r) => r !== ignoredReason),
      base.summary!.exit_reasons,
    );
    assert.deepEqual(
      withoutIgnored(odd.summary!),
      withoutIgnored(base.summary!),
      'the files, records and money of the night are unchanged',
    );
    assert.deepEqual(
      storeFiles(odd.store).map((f) => [f.name, f.outcome, f.sha256]),
      storeFiles(base.store).map((f) => [f.name, f.outcome, f.sha256]),
      'the linked upload is imported under its name, with its bytes',
    );
    const report = fs.readFileSync(path.join(odd.outbox, 'reports', '20251230', 'report.txt'), 'utf8');
    assert.match(report, /Inbox entries that are not files, not imported: 8\n/);
    for (const e of expected) assert(report.includes(`  ${e.name}  (${e.what})\n`), `${e.name} in report.txt`);
    assert.match(report, /needs a person: 8 inbox entry\(ies\) not a file, not imported/);
  });
});

/** The one error line of a failed run (after its progress lines), checked to be the last and no stack trace. */
function errorLine(r: Night): string {
  const lines = r.stderr.trimEnd().split('\n');
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(lines.filter((l) => !/^\[ *\d+\.\d s\] /.test(l)).length, 1, r.stderr);
  return lines[lines.length - 1]!;
}

/** Every file under dir (relative name -> SHA-256), for comparing two outboxes. */
function digests(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

function dayStatus(store: string, D: string): string | undefined {
  const db = openStore(store, { readonly: true });
  try {
    return db.prepare('SELECT status FROM days WHERE date = ?').pluck().get(D) as string | undefined;
  } finally {
    db.close();
  }
}

/** Records in the store that no imported file accounts for (a file's records kept without the file). */
function strayRecords(store: string): number {
  const db = openStore(store, { readonly: true });
  try {
    const records = db.prepare('SELECT COUNT(*) FROM records').pluck().get() as number;
    const counted = db
      .prepare("SELECT COALESCE(SUM(record_count), 0) FROM files WHERE outcome = 'IMPORTED' AND kind IN ('TXN_UPLOAD', 'INTEROP_IN')")
      .pluck()
      .get() as number;
    return records - counted;
  } finally {
    db.close();
  }
}

/** Whether this machine refuses root a read (a write-only file of /proc/sys): a real EACCES, as root. */
function rootCannotRead(file: string): boolean {
  try {
    fs.readFileSync(file);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EACCES';
  }
}

const WRITE_ONLY = '/proc/sys/vm/drop_caches';

describe('a file the machine cannot read', () => {
  it('EACCES: exit 1 with one line naming it, nothing of it kept; the rerun without it closes the night as if it had never been there', {
    skip: !rootCannotRead(WRITE_ONLY) && `${WRITE_ONLY} is readable here`,
  }, () => {
    const base = night1();
    const inbox = copyInbox('eacces');
    const name = 'TXN_UPLOAD_41010103_41010000_20251230_0009.pb';
    fs.symlinkSync(WRITE_ONLY, path.join(inbox, name));
    const failed = batch('eacces', inbox);
    assert.equal(failed.status, 1, failed.stderr);
    assert.equal(errorLine(failed), `lct: failed: ${path.join(inbox, name)}: cannot be read: EACCES: permission denied`);
    assert.equal(dayStatus(failed.store, '20251230'), 'OPEN');
    const kept = storeFiles(failed.store);
    assert(kept.length > 0, 'the files before it are kept');
    assert(!kept.some((f) => f.name === name), 'no trace of it');
    assert.equal(strayRecords(failed.store), 0);
    fs.unlinkSync(path.join(inbox, name));
    const rerun = batch('eacces', inbox, { store: failed.store });
    assert.equal(rerun.status, 3, rerun.stderr);
    assert.deepEqual(rerun.summary, base.summary);
    assert.deepEqual(digests(rerun.outbox), digests(base.outbox));
  });

  it('EIO in the middle of a big upload: exit 1, its stored records rolled back; the rerun gives what an uninterrupted night gives', () => {
    const city = path.join(root, 'eio-city');
    const manifest = generateScenario(city, { seed: 'unreadable', days: 1, records: 20_000 });
    const D = manifest.days[0]!.date;
    const date = `${D.slice(0, 4)}-${D.slice(4, 6)}-${D.slice(6)}`;
    const inbox = path.join(city, 'inbox', D);
    const uploads = fs
      .readdirSync(inbox)
      .filter((n) => n.startsWith('TXN_UPLOAD_'))
      .map((n) => ({ n, bytes: fs.statSync(path.join(inbox, n)).size }));
    const big = uploads.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    // Well past the first 4,096 records, which the import stores before it reads on.
    assert(big.bytes > 4_200 * 140, `${big.n}: ${big.bytes} bytes`);
    const hook = path.join(root, 'eio.js');
    fs.writeFileSync(
      hook,
      `// Reads of one file come 16 KiB at a time, as a disk may give them, and fail (EIO) from a byte on.
const fs = require('node:fs');
const path = require('node:path');
const name = process.env.LCT_TEST_EIO_FILE;
const at = Number(process.env.LCT_TEST_EIO_AT);
const fds = new Set();
const { openSync, closeSync, readSync } = fs;
fs.openSync = (p, ...rest) => {
  const fd = openSync(p, ...rest);
  if (path.basename(String(p)) === name) fds.add(fd);
  return fd;
};
fs.closeSync = (fd) => {
  fds.delete(fd);
  return closeSync(fd);
};
fs.readSync = (fd, buffer, offset, length, position) => {
  if (!fds.has(fd)) return readSync(fd, buffer, offset, length, position);
  if (typeof position === 'number' && position >= at) {
    throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', errno: -5, syscall: 'read' });
  }
  return readSync(fd, buffer, offset, Math.min(length, 16384), position);
};
`,
    );
    // The generated night is in 2026: the clock must say it has begun (clearing-rules.md, "The business day").
    const clock = { LCT_NOW: `${D}230000` };
    const config = { date, config: path.join(city, 'participants.json'), keys: path.join(city, 'keys.json'), env: clock };
    const clean = batch('eio-clean', inbox, config);
    assert(clean.status === 0 || clean.status === 3, clean.stderr);
    const failed = batch('eio', inbox, {
      ...config,
      node: ['--require', hook],
      env: { ...clock, LCT_TEST_EIO_FILE: big.n, LCT_TEST_EIO_AT: String(big.bytes - 2048), LCT_VALIDATION_THREAD: 'off' },
    });
    assert.equal(failed.status, 1, failed.stderr);
    assert.equal(errorLine(failed), `lct: failed: ${path.join(inbox, big.n)}: cannot be read: EIO: i/o error`);
    assert.equal(dayStatus(failed.store, D), 'OPEN');
    assert(!storeFiles(failed.store).some((f) => f.name === big.n), 'no trace of the file');
    assert.equal(strayRecords(failed.store), 0, 'none of its records kept');
    const rerun = batch('eio', inbox, { ...config, store: failed.store });
    assert.equal(rerun.status, clean.status, rerun.stderr);
    assert.deepEqual(rerun.summary, clean.summary);
    assert.deepEqual(digests(rerun.outbox), digests(clean.outbox));
  });
});
