// One writer at a time, with real processes on the worked example's store: commands
// that change the store, started together, never both pass a check that only one may
// pass. Exactly one runs while the other is refused at once (exit 1, naming the
// holder) or runs after it; whatever the interleaving, finishing the work in order
// gives the files of a store that ran alone, byte for byte, and nothing is wedged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { EXAMPLE_DIR } from '../spec-vectors';
import { openStore } from '../../src/store/db';
import { withWriterLock } from '../../src/store/writer-lock';

const LCT = path.join(__dirname, '../../../bin/lct.js');
/** The day's files are stamped with this moment, so that runs can be compared byte for byte. */
const ENV = { ...process.env, LCT_NOW: '20260102020000' };
const D1 = '2025-12-30';
const D2 = '2025-12-31';
const D3 = '2026-01-01'; // no files: a day is run all the same

let dir = '';
let emptyInbox = '';

interface Run {
  pid: number;
  status: number | null;
  stdout: string;
  stderr: string;
}

function inboxOf(iso: string): string {
  return iso === D3 ? emptyInbox : path.join(EXAMPLE_DIR, 'inbox', iso.replaceAll('-', ''));
}

function batchArgs(store: string, iso: string, outbox: string): string[] {
  return ['batch', '--date', iso, '--inbox', inboxOf(iso), '--outbox', outbox, '--json', ...configArgs(store)];
}

function configArgs(store: string): string[] {
  return ['--db', store, '--config', path.join(EXAMPLE_DIR, 'participants.json'), '--keys', path.join(EXAMPLE_DIR, 'keys.json')];
}

function resolveArgs(store: string, item: string, by: string): string[] {
  return ['recon', 'resolve', item, '--by', by, '--note', `checked by ${by}`, '--json', '--db', store];
}

/** Starts `lct` at once and hands back its pid and its end. */
function start(args: string[]): { pid: number; done: Promise<Run> } {
  const child = spawn(process.execPath, [LCT, ...args], { env: ENV });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<Run>((resolve) => child.on('close', (status) => resolve({ pid: child.pid!, status, stdout, stderr })));
  return { pid: child.pid!, done };
}

function lct(args: string[]): Run {
  const r = spawnSync(process.execPath, [LCT, ...args], { encoding: 'utf8', env: ENV });
  return { pid: r.pid, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Two commands started together. */
async function together(a: string[], b: string[]): Promise<[Run, Run]> {
  const x = start(a);
  const y = start(b);
  return Promise.all([x.done, y.done]);
}

/** The one line a refused writer prints, naming the command that holds the store and the holder's pid. */
function heldLine(command: string, pid: number): RegExp {
  const quoted = command.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    `^lct: the store is held by '${quoted}' \\(pid ${pid}\\) since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d; try again when it ends\\n$`,
  );
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

function copyStore(from: string, to: string): string {
  fs.copyFileSync(from, to);
  for (const suffix of ['-wal', '-shm']) if (fs.existsSync(from + suffix)) fs.copyFileSync(from + suffix, to + suffix);
  return to;
}

/** Reads the store beside whatever runs (WAL): the days and the writer lock. */
function storeState(store: string): { days: Record<string, string>; lock: { pid: number; command: string }[] } {
  const db = new Database(store, { readonly: true, fileMustExist: true });
  try {
    const days = Object.fromEntries(
      (db.prepare('SELECT date, status FROM days ORDER BY date').raw().all() as [string, string][]).map(([d, s]) => [d, s]),
    );
    const lock = db.prepare('SELECT pid, command FROM writer_lock').all() as { pid: number; command: string }[];
    return { days, lock };
  } finally {
    db.close();
  }
}

function itemRow(
  store: string,
  id: string,
): { closed_date: string | null; closed_by: string | null; close_note: string | null; log: number } {
  const db = new Database(store, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT closed_date, closed_by, close_note FROM recon_items WHERE id = ?').get(id) as {
      closed_date: string | null;
      closed_by: string | null;
      close_note: string | null;
    };
    const log = db.prepare('SELECT COUNT(*) FROM operator_log WHERE target = ?').pluck().get(id) as number;
    return { ...row, log };
  } finally {
    db.close();
  }
}

// Stores after the first day and after both days of the worked example, each run alone, and what each
// run printed and wrote.
let day1Store = '';
let day2Store = '';
const alone = new Map<string, { stdout: string; files: Record<string, string> }>();
let bankItem = '';

function runAlone(store: string, iso: string, outbox: string): Run {
  const r = lct(batchArgs(store, iso, outbox));
  assert.equal(r.status, 3, `${iso} alone: ${r.stderr}`);
  return r;
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-writer-lock-'));
  emptyInbox = path.join(dir, 'empty-inbox');
  fs.mkdirSync(emptyInbox);
  day1Store = path.join(dir, 'day1.db');
  const r1 = runAlone(day1Store, D1, path.join(dir, 'alone-1'));
  alone.set(D1, { stdout: r1.stdout, files: digests(path.join(dir, 'alone-1')) });
  day2Store = copyStore(day1Store, path.join(dir, 'day2.db'));
  const r2 = runAlone(day2Store, D2, path.join(dir, 'alone-2'));
  alone.set(D2, { stdout: r2.stdout, files: digests(path.join(dir, 'alone-2')) });
  const items = JSON.parse(lct(['recon', 'items', '--kind', 'bank', '--json', '--db', day2Store]).stdout) as { id: string }[];
  assert.ok(items.length > 0, 'the worked example leaves open bank items');
  bankItem = items[0]!.id;
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('while a writer holds the store, batch and resolve are refused at once naming it, record nothing; readers run', () => {
  const store = copyStore(day2Store, path.join(dir, 'held.db'));
  const outbox = path.join(dir, 'held-out');
  const db = openStore(store);
  try {
    const request = { command: 'batch --date 2026-01-01', now: () => '20260102031500' };
    const outcome = withWriterLock(db, request, () => {
      const line = `lct: the store is held by 'batch --date 2026-01-01' (pid ${process.pid}) since 2026-01-02 03:15:00; try again when it ends\n`;
      // Between the holder's transactions, and inside one (as a batch importing a file).
      for (const midTransaction of [false, true]) {
        if (midTransaction) db.exec('BEGIN IMMEDIATE');
        for (const args of [batchArgs(store, D3, outbox), resolveArgs(store, bankItem, 'Li Wei')]) {
          const t0 = Date.now();
          const r = lct(args);
          const took_ms = Date.now() - t0;
          assert.equal(r.status, 1, r.stderr);
          assert.equal(r.stderr, line);
          assert.equal(r.stdout, '');
          // At once: not after SQLite's busy timeout (5 s) behind the holder's transaction.
          assert.ok(took_ms < 4500, `${args[0]} refused after ${took_ms} ms`);
        }
        // Readers run alongside.
        assert.equal(lct(['ledger', 'verify', '--db', store]).status, 0);
        const items = lct(['recon', 'items', '--json', '--db', store]);
        assert.equal(items.status, 0, items.stderr);
        const inspect = lct(['file', 'inspect', path.join(inboxOf(D2), 'TXN_UPLOAD_41010101_41010000_20251231_0001.pb'), '--db', store]);
        assert.equal(inspect.status, 0, inspect.stderr);
        if (midTransaction) db.exec('ROLLBACK');
      }
      return 'held';
    });
    assert.deepEqual(outcome, { kind: 'ran', value: 'held' });
  } finally {
    db.close();
  }
  const state = storeState(store);
  assert.deepEqual(state.days, { 20251230: 'CLOSED', 20251231: 'CLOSED' }, 'the refused batch recorded no day');
  assert.deepEqual(state.lock, []);
  assert.equal(fs.existsSync(outbox), false, 'the refused batch wrote nothing');
  assert.deepEqual(itemRow(store, bankItem), { closed_date: null, closed_by: null, close_note: null, log: 0 });
});

test('two batches of the same day started together: one runs, the other is refused or reruns the closed day; never a phantom refusal', async (t) => {
  let refused = 0;
  for (let i = 0; i < 20; i++) {
    // Even rounds: the first night of a new store (both create it); odd: the second night.
    const iso = i % 2 === 0 ? D1 : D2;
    const store = path.join(dir, `same-${i}.db`);
    if (iso === D2) copyStore(day1Store, store);
    const outbox = path.join(dir, `same-${i}-out`);
    const x = start(batchArgs(store, iso, outbox));
    const y = start(batchArgs(store, iso, outbox));
    const runs = await Promise.all([x.done, y.done]);
    for (const [k, r] of runs.entries()) {
      const other = runs[1 - k]!;
      if (r.status === 1) {
        refused++;
        assert.match(r.stderr, heldLine(`batch --date ${iso}`, other.pid), `round ${i}`);
        assert.equal(r.stdout, '');
        assert.equal(other.status, 3, `round ${i}: the holder ran: ${other.stderr}`);
      } else {
        assert.equal(r.status, 3, `round ${i}: ${r.stderr}`);
        assert.equal(r.stdout, alone.get(iso)!.stdout, `round ${i}: the summary of a store that ran alone`);
      }
    }
    // Then in order: the day again, closed: the same summary, and the files of a store that ran alone.
    const again = lct(batchArgs(store, iso, outbox));
    assert.equal(again.stdout, alone.get(iso)!.stdout, `round ${i}: ${again.stderr}`);
    assert.deepEqual(digests(outbox), alone.get(iso)!.files, `round ${i}: the outbox`);
    assert.deepEqual(storeState(store).lock, [], `round ${i}: the lock is let go`);
  }
  // Started together, they must really have met: else this test proves nothing about the lock.
  t.diagnostic(`${refused} of 20 rounds had a writer refused`);
  assert.ok(refused >= 1, `${refused} of 20 rounds had a writer refused`);
});

test('days D and D+1 started together: D+1 never closes before D, and running on in order finishes both', async (t) => {
  const seen: string[] = [];
  // Both days run alone, in order, into one outbox.
  const refStore = copyStore(day1Store, path.join(dir, 'next-ref.db'));
  const refOut = path.join(dir, 'next-ref-out');
  const ref2 = runAlone(refStore, D2, refOut).stdout;
  const ref3 = runAlone(refStore, D3, refOut).stdout;
  const reference = digests(refOut);
  for (let i = 0; i < 4; i++) {
    const store = copyStore(day1Store, path.join(dir, `next-${i}.db`));
    const outbox = path.join(dir, `next-${i}-out`);
    const d = start(batchArgs(store, D2, outbox));
    const d1 = start(batchArgs(store, D3, outbox));
    const [rd, rd1] = await Promise.all([d.done, d1.done]);
    if (rd.status === 1) assert.match(rd.stderr, heldLine(`batch --date ${D3}`, rd1.pid), `round ${i}`);
    else assert.equal(rd.stdout, ref2, `round ${i}: D: ${rd.stderr}`);
    if (rd1.status === 1) assert.match(rd1.stderr, heldLine(`batch --date ${D2}`, rd.pid), `round ${i}`);
    else if (rd1.status === 2) assert.match(rd1.stderr, /^lct: day 20251231 was never run: run it before 20260101/, `round ${i}`);
    else assert.equal(rd1.stdout, ref3, `round ${i}: D+1: ${rd1.stderr}`);
    seen.push(`D ${rd.status}, D+1 ${rd1.status}`);
    const state = storeState(store);
    if (state.days['20260101'] === 'CLOSED') assert.equal(state.days['20251231'], 'CLOSED', `round ${i}: D+1 closed before D`);
    // On in order: each day not yet closed is run now.
    for (const [iso, ref] of [
      [D2, ref2],
      [D3, ref3],
    ] as const) {
      if (storeState(store).days[iso.replaceAll('-', '')] === 'CLOSED') continue;
      assert.equal(lct(batchArgs(store, iso, outbox)).stdout, ref, `round ${i}: ${iso} run on`);
    }
    assert.deepEqual(digests(outbox), reference, `round ${i}: the outbox`);
    assert.deepEqual(storeState(store), { days: { 20251230: 'CLOSED', 20251231: 'CLOSED', 20260101: 'CLOSED' }, lock: [] });
  }
  t.diagnostic(`exit codes: ${seen.join('; ')}`);
});

test('two operators resolving one item at once: one resolves it, the other is refused or finds it resolved; one note is kept', async (t) => {
  const seen: string[] = [];
  const reference = new Map<string, Record<string, string>>();
  for (let i = 0; i < 4; i++) {
    const store = copyStore(day2Store, path.join(dir, `resolve-${i}.db`));
    const [a, b] = await together(resolveArgs(store, bankItem, 'Li Wei'), resolveArgs(store, bankItem, 'Wang Fang'));
    const winners = [a, b].filter((r) => r.status === 0);
    assert.equal(winners.length, 1, `round ${i}: exactly one resolves: ${a.stderr} ${b.stderr}`);
    const [winner, loser] = a.status === 0 ? [a, b] : [b, a];
    const by = (JSON.parse(winner.stdout) as { item: { closed_by: string } }).item.closed_by;
    assert.equal(loser.status, 1, loser.stderr);
    const held = heldLine(`recon resolve ${bankItem} --by ${by}`, winner.pid);
    const already = new RegExp(`^lct: item ${bankItem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} was closed on 20260101 by ${by}\\n$`);
    assert.ok(held.test(loser.stderr) || already.test(loser.stderr), `round ${i}: the other is told: ${loser.stderr}`);
    seen.push(held.test(loser.stderr) ? 'refused while held' : 'found it resolved');
    assert.deepEqual(itemRow(store, bankItem), { closed_date: '20260101', closed_by: by, close_note: `checked by ${by}`, log: 1 });
    // On in order: the next night's files are those of a store where only the winner resolved it.
    if (!reference.has(by)) {
      const refStore = copyStore(day2Store, path.join(dir, `resolve-ref-${by}.db`));
      assert.equal(lct(resolveArgs(refStore, bankItem, by)).status, 0);
      runAlone(refStore, D3, path.join(dir, `resolve-ref-${by}-out`));
      reference.set(by, digests(path.join(dir, `resolve-ref-${by}-out`)));
    }
    const outbox = path.join(dir, `resolve-${i}-out`);
    runAlone(store, D3, outbox);
    assert.deepEqual(digests(outbox), reference.get(by), `round ${i}: the next night's files`);
  }
  t.diagnostic(`the other operator: ${seen.join('; ')}`);
});

test('a resolve racing the close: its effective day is never a day already closed', async (t) => {
  const seen: string[] = [];
  // Alone, in either order: resolved before the close (effective that day) or after it (the next).
  const refs = new Map<string, Record<string, string>>();
  for (const first of ['resolve', 'batch']) {
    const refStore = copyStore(day2Store, path.join(dir, `close-ref-${first}.db`));
    const refOut = path.join(dir, `close-ref-${first}-out`);
    if (first === 'resolve') assert.equal(lct(resolveArgs(refStore, bankItem, 'Li Wei')).status, 0);
    runAlone(refStore, D3, refOut);
    if (first === 'batch') assert.equal(lct(resolveArgs(refStore, bankItem, 'Li Wei')).status, 0);
    refs.set(first === 'resolve' ? '20260101' : '20260102', digests(refOut));
  }
  for (let i = 0; i < 4; i++) {
    const store = copyStore(day2Store, path.join(dir, `close-${i}.db`));
    const outbox = path.join(dir, `close-${i}-out`);
    const [batch, resolve] = await together(batchArgs(store, D3, outbox), resolveArgs(store, bankItem, 'Li Wei'));
    if (batch.status === 1) assert.match(batch.stderr, heldLine(`recon resolve ${bankItem} --by Li Wei`, resolve.pid), `round ${i}`);
    else assert.equal(batch.status, 3, batch.stderr);
    if (resolve.status === 1) assert.match(resolve.stderr, heldLine(`batch --date ${D3}`, batch.pid), `round ${i}`);
    else assert.equal(resolve.status, 0, resolve.stderr);
    if (batch.status === 1) assert.equal(resolve.status, 0, `round ${i}: the holder ran`);
    // On in order: what was refused runs now.
    if (batch.status !== 3) runAlone(store, D3, outbox);
    if (resolve.status !== 0) assert.equal(lct(resolveArgs(store, bankItem, 'Li Wei')).status, 0);
    const item = itemRow(store, bankItem);
    if (resolve.status === 0) assert.equal((JSON.parse(resolve.stdout) as { effective: string }).effective, item.closed_date);
    // The closed day's report agrees: the item is open in it exactly when it was resolved after the close.
    const report = JSON.parse(fs.readFileSync(path.join(outbox, 'reports', '20260101', 'reconciliation.json'), 'utf8')) as {
      open_items: { id: string }[];
    };
    const openInReport = report.open_items.some((o) => o.id === bankItem);
    assert.equal(openInReport, item.closed_date === '20260102', `round ${i}: resolved effective ${item.closed_date}`);
    assert.ok(refs.has(item.closed_date!), `round ${i}: effective ${item.closed_date}`);
    assert.deepEqual(digests(outbox), refs.get(item.closed_date!), `round ${i}: the files of a store that ran alone`);
    assert.equal(item.log, 1);
    seen.push(`batch ${batch.status}, resolve ${resolve.status}, effective ${item.closed_date}`);
  }
  t.diagnostic(seen.join('; '));
});

test('the lock of a SIGKILLed batch is taken over by the next command; the day is finished as if alone', async () => {
  let store = '';
  let killed: number | null = null;
  const outbox = path.join(dir, 'killed-out');
  for (let attempt = 0; attempt < 5 && killed === null; attempt++) {
    store = copyStore(day1Store, path.join(dir, `killed-${attempt}.db`));
    fs.rmSync(outbox, { recursive: true, force: true });
    const child = spawn(process.execPath, [LCT, ...batchArgs(store, D2, outbox)], { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    // The lock is taken before the import's first progress line: kill it there.
    child.stderr.on('data', (b: Buffer) => {
      if (b.toString().includes('import:')) child.kill('SIGKILL');
    });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, sig) => resolve(sig)));
    if (signal === 'SIGKILL') killed = child.pid!;
  }
  assert.notEqual(killed, null, 'a batch was killed while it held the store');
  const left = storeState(store);
  assert.deepEqual(left.lock, [{ pid: killed, command: `batch --date ${D2}` }], 'the killed batch left its lock');
  assert.equal(left.days['20251231'], 'OPEN');
  // The next day is refused for the interrupted one (exit 2), not for the lock: the lock was taken over.
  const next = lct(batchArgs(store, D3, path.join(dir, 'killed-next')));
  assert.equal(next.status, 2, next.stderr);
  assert.match(
    next.stderr,
    new RegExp(`^lct: 'batch --date ${D2}' \\(pid ${killed}\\) since [-0-9: ]+ ended without letting go of the store; taken over\\n`),
  );
  assert.match(next.stderr, /lct: day 20251231 was interrupted: rerun it before 20260101\n$/);
  const rerun = lct(batchArgs(store, D2, outbox));
  assert.equal(rerun.status, 3, rerun.stderr);
  assert.equal(rerun.stdout, alone.get(D2)!.stdout);
  assert.deepEqual(digests(outbox), alone.get(D2)!.files);
  assert.deepEqual(storeState(store).lock, []);
});
