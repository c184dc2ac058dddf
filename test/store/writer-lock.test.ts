// The writer lock on its own: who holds the store, when a holder counts as gone, and
// that the lock is let go whatever the work does. The races between real commands are
// in test/cli/writer-lock.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { openStore, type Db } from '../../src/store/db';
import { withWriterLock, type WriterLockHolder } from '../../src/store/writer-lock';
import { runBatch, type BatchOutcome } from '../../src/batch/run';
import type { ParallelMode } from '../../src/machinery/tonight';
import { EXAMPLE_DIR } from '../spec-vectors';
import { loadConfig } from '../recon/support';

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

// The other connection of the next test, on its own thread: each time it is asked
// (control[0] = 1) it takes SQLite's write lock, says so (2), keeps it HOLD_MS, lets
// it go and counts it (control[1]), and is idle again (0); 3 ends it.
const MOMENT_HOLDER = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.store);
db.pragma('busy_timeout = 5000');
const control = new Int32Array(workerData.control);
for (;;) {
  Atomics.wait(control, 0, 0);
  if (Atomics.load(control, 0) === 3) break;
  db.exec('BEGIN IMMEDIATE');
  Atomics.store(control, 0, 2);
  Atomics.notify(control, 0);
  Atomics.wait(control, 2, 0, workerData.hold_ms);
  db.exec('COMMIT');
  Atomics.add(control, 1, 1);
  if (Atomics.compareExchange(control, 0, 2, 0) === 3) break;
  Atomics.notify(control, 0);
}
db.close();
`;

/**
 * Runs the worked example's first night on a new store holding the writer lock, while
 * (hold_ms > 0) another connection takes SQLite's write lock for hold_ms at every step
 * the batch reports between its transactions: what a refused writer's acquisition (or
 * its migration step on a new store) does for a moment, stretched so that the batch's
 * next transaction surely meets it.
 */
async function nightBesideMoments(
  name: string,
  parallel: ParallelMode,
  hold_ms: number,
): Promise<{ outcome: BatchOutcome; moments: number }> {
  const store = path.join(dir, `${name}.db`);
  const holder = openStore(store);
  const cfg = loadConfig(EXAMPLE_DIR);
  const control = new Int32Array(new SharedArrayBuffer(12));
  if (hold_ms === 0) Atomics.store(control, 0, 3);
  const worker = new Worker(MOMENT_HOLDER, {
    eval: true,
    workerData: { sqlite: require.resolve('better-sqlite3'), store, control: control.buffer, hold_ms },
  });
  const exited = new Promise<number>((resolve) => worker.on('exit', resolve));
  const waitWhile = (state: number) => {
    for (let waited_ms = 0; Atomics.load(control, 0) === state; waited_ms += 100) {
      assert.ok(waited_ms < 10_000, 'the other connection answers');
      Atomics.wait(control, 0, state, 100);
    }
  };
  try {
    const outcome = withWriterLock(holder, request, () =>
      runBatch({
        db: holder,
        participants: cfg.participants,
        keys: cfg.keys,
        date: '20251230',
        inboxDir: path.join(EXAMPLE_DIR, 'inbox', '20251230'),
        outboxDir: path.join(dir, `${name}-out`),
        now: () => '20260102020000',
        parallel,
        progress: () => {
          // Inside a transaction the batch holds the write lock itself: the moment would wait for it.
          if (hold_ms === 0 || holder.inTransaction) return;
          waitWhile(2);
          Atomics.store(control, 0, 1);
          Atomics.notify(control, 0);
          waitWhile(1);
        },
      }),
    );
    assert.equal(outcome.kind, 'ran');
    return { outcome: (outcome as { value: BatchOutcome }).value, moments: Atomics.load(control, 1) };
  } finally {
    if (hold_ms > 0) waitWhile(2);
    Atomics.store(control, 0, 3);
    Atomics.notify(control, 0);
    await exited;
    holder.close();
  }
}

/** Every file of an outbox with its digest. */
function digests(outbox: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(outbox, p)] = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(outbox);
  return out;
}

test("the holder's batch waits out another connection's moment of SQLite's write lock, whatever step it meets: it runs to the end as if alone", async () => {
  // The day's files of a night that ran alone.
  const alone = await nightBesideMoments('alone', 'off', 0);
  assert.equal(alone.outcome.kind, 'done');
  for (const parallel of ['off', 'on'] as const) {
    // A read then a write in a deferred transaction fails at once when another
    // connection has taken the write lock in between: SQLite cannot wait there.
    const { outcome, moments } = await nightBesideMoments(`moments-${parallel}`, parallel, 150);
    assert.ok(moments >= 10, `the batch met the other connection between its steps (${moments} times)`);
    assert.equal(outcome.kind, 'done');
    assert.deepEqual(outcome.kind === 'done' && outcome.summary, alone.outcome.kind === 'done' && alone.outcome.summary);
    assert.deepEqual(digests(path.join(dir, `moments-${parallel}-out`)), digests(path.join(dir, 'alone-out')));
  }
});
