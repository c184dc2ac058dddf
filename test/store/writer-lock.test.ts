// The writer lock on its own: who holds the store, when a holder counts as gone, and
// that the lock is let go whatever the work does. The races between real commands are
// in test/cli/writer-lock.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { openStore, type Db } from '../../src/store/db';
import { withWriterLock, type WriterLockHolder } from '../../src/store/writer-lock';

let dir = '';
let storePath = '';
let db: Db;

const request = { command: 'recon resolve X --by Li Wei', now: () => '20260105021011' };

function lockRows(): { command: string; pid: number; host: string; since: string }[] {
  return db.prepare('SELECT command, pid, host, since FROM writer_lock').all() as {
    command: string;
    pid: number;
    host: string;
    since: string;
  }[];
}

function leaveLock(holder: WriterLockHolder, processStart: string | null = null): void {
  db.prepare('INSERT INTO writer_lock (id, command, pid, host, process_start, since, token) VALUES (1, ?, ?, ?, ?, ?, ?)').run(
    holder.command,
    holder.pid,
    holder.host,
    processStart,
    holder.since,
    'left-behind',
  );
}

/** The pid of a process that has ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  assert.equal(r.status, 0);
  return r.pid;
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-lock-'));
  storePath = path.join(dir, 'lct.db');
  db = openStore(storePath);
});

after(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the holder is recorded while the work runs and let go after it; the busy timeout is as it was', () => {
  const outcome = withWriterLock(db, request, () => lockRows());
  assert.deepEqual(outcome, {
    kind: 'ran',
    value: [{ command: 'recon resolve X --by Li Wei', pid: process.pid, host: os.hostname(), since: '20260105021011' }],
  });
  assert.deepEqual(lockRows(), []);
  assert.equal(db.pragma('busy_timeout', { simple: true }), 5000);
});

test('work that throws lets the lock go and its error through', () => {
  assert.throws(
    () =>
      withWriterLock(db, request, () => {
        throw new Error('disk full');
      }),
    /disk full/,
  );
  assert.deepEqual(lockRows(), []);
});

test('a live holder on this host: refused, the work never runs, the holder row stays', () => {
  const holder = { command: 'batch --date 2026-01-05', pid: process.ppid, host: os.hostname(), since: '20260105021011' };
  leaveLock(holder);
  let ran = false;
  const outcome = withWriterLock(db, request, () => (ran = true));
  assert.deepEqual(outcome, { kind: 'held', holder });
  assert.equal(ran, false);
  assert.deepEqual(lockRows(), [holder]);
  db.exec('DELETE FROM writer_lock');
});

test('a holder whose process is gone is taken over, and the taker is told', () => {
  const stale = { command: 'batch --date 2026-01-05', pid: deadPid(), host: os.hostname(), since: '20260105021011' };
  leaveLock(stale);
  const told: WriterLockHolder[] = [];
  const outcome = withWriterLock(db, { ...request, onTakeOver: (h) => told.push(h) }, () => lockRows()[0]!.pid);
  assert.deepEqual(outcome, { kind: 'ran', value: process.pid });
  assert.deepEqual(told, [stale]);
  assert.deepEqual(lockRows(), []);
});

test('a pid now used by another process (another start) is not the holder: taken over', { skip: !fs.existsSync('/proc/self/stat') }, () => {
  // This very process's pid, as if recorded by a process that ran before a reboot.
  const stale = { command: 'batch --date 2026-01-05', pid: process.pid, host: os.hostname(), since: '20260105021011' };
  leaveLock(stale, 'another-boot/12345');
  const told: WriterLockHolder[] = [];
  const outcome = withWriterLock(db, { ...request, onTakeOver: (h) => told.push(h) }, () => 'ran');
  assert.deepEqual(outcome, { kind: 'ran', value: 'ran' });
  assert.deepEqual(told, [stale]);
});

test('a holder on another host cannot be checked: refused, even with a pid that is not alive here', () => {
  const holder = { command: 'batch --date 2026-01-05', pid: deadPid(), host: `${os.hostname()}-elsewhere`, since: '20260105021011' };
  leaveLock(holder);
  assert.deepEqual(
    withWriterLock(db, request, () => 'ran'),
    { kind: 'held', holder },
  );
  db.exec('DELETE FROM writer_lock');
});

test("a writer outside lct keeping SQLite's write lock: refused after a short wait, without a holder to name", () => {
  const other = openStore(storePath);
  try {
    other.exec('BEGIN IMMEDIATE');
    const t0 = Date.now();
    const outcome = withWriterLock(db, request, () => 'ran');
    const waited_ms = Date.now() - t0;
    other.exec('ROLLBACK');
    assert.deepEqual(outcome, { kind: 'held', holder: null });
    assert.ok(waited_ms >= 2000 && waited_ms < 4500, `waited ${waited_ms} ms`);
  } finally {
    other.close();
  }
  assert.equal(db.pragma('busy_timeout', { simple: true }), 5000);
});

test("the holder's other connections (its worker threads, its checkpoint) write and read freely", () => {
  const outcome = withWriterLock(db, request, () => {
    const second = openStore(storePath);
    try {
      second
        .prepare('INSERT INTO operator_log (at, operator, action, target, note) VALUES (?, ?, ?, ?, ?)')
        .run('20260105021012', 'Li Wei', 'resolve', 'X', 'from a second connection');
      second.pragma('wal_checkpoint(PASSIVE)');
      return db.prepare('SELECT note FROM operator_log').pluck().all();
    } finally {
      second.close();
    }
  });
  assert.deepEqual(outcome, { kind: 'ran', value: ['from a second connection'] });
});

test('a holder killed but not yet reaped by its parent (a zombie) is gone: taken over', {
  skip: !fs.existsSync('/proc/self/stat'),
}, async () => {
  // The shell becomes `sleep 3` before its child `sleep 0.3` ends, and `sleep` never reaps a child.
  const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 3'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const pid = await new Promise<number>((resolve) => parent.stdout.once('data', (b: Buffer) => resolve(Number(b.toString().trim()))));
    const stat = () => fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    for (let i = 0; i < 150 && !/\) Z /.test(stat()); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(stat(), /\) Z /, 'the child is a zombie');
    const stale = { command: 'batch --date 2026-01-05', pid, host: os.hostname(), since: '20260105021011' };
    leaveLock(stale);
    const told: WriterLockHolder[] = [];
    assert.deepEqual(
      withWriterLock(db, { ...request, onTakeOver: (h) => told.push(h) }, () => 'ran'),
      { kind: 'ran', value: 'ran' },
    );
    assert.deepEqual(told, [stale]);
  } finally {
    parent.kill('SIGKILL');
  }
});
