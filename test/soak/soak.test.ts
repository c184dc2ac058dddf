// The soak's short run (fixtures/soak.ts): two seeds of four nights with every fault
// kind the engine is expected to survive today, two sabotaged runs that the soak must
// catch, naming the step and the command that replays it, and the store's write-fault
// hook that its disk-full faults use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { FAULT_KINDS, failureReport, runSoak, statsLine, type FaultKind, type SoakResult } from '../../fixtures/soak';
import { StoreError, openStore } from '../../src/store/db';

/**
 * Kinds left out of the short run until their fix lands (run them with
 * `npm run soak -- --seed N --days K --faults ...`):
 * - sender-7-digits: a refused upload whose header sender_id has 7 digits makes the
 *   outbox fail after the day closed (issue 11, finding 1);
 * - concurrent: there is no writer lock yet, and two batches of one night started
 *   together can both import a file: the second is refused F03, and the night's
 *   reports differ from the reference's (seed 3, for one).
 */
const NOT_YET_FIXED: readonly FaultKind[] = [];
const FAULTS = FAULT_KINDS.filter((k) => !NOT_YET_FIXED.includes(k));

function explain(r: SoakResult): string {
  return r.ok ? `seed ${r.seed} passed` : failureReport(r).join('\n');
}

test('two seeds of four nights: every invariant holds after every step, and the faults were really tried', async (t) => {
  // Seeds picked so that between them every centre fault is tried (the choices are the seed's, not the machine's).
  const runs = await Promise.all([3, 5].map((seed) => runSoak({ seed, days: 4, records: 80, faults: FAULTS, writer_lock: true })));
  for (const r of runs) {
    t.diagnostic(statsLine(r));
    assert.ok(r.ok, explain(r));
  }
  const sum = (f: (r: SoakResult) => number) => runs.reduce((s, r) => s + f(r), 0);
  assert.ok(sum((r) => r.stats.kills.tried) >= 1, 'a batch was SIGKILLed');
  assert.ok(sum((r) => r.stats.disk_full.landed) >= 1, 'a write failed with disk full and was recovered from');
  assert.ok(sum((r) => r.stats.reruns) >= 2, 'closed nights were rerun');
  assert.ok(sum((r) => r.stats.resolves) >= 1, 'an operator resolved an item');
  assert.ok(sum((r) => r.stats.readers) >= 1, 'lct ledger verify ran alongside a batch');
  assert.ok(sum((r) => r.stats.hostile_files) >= 2, 'hostile files were added');
  for (const r of runs) assert.equal(fs.existsSync(r.dir), false, 'a run that passed leaves nothing behind');
});

test('a faulty outbox file is caught at the step that compares it, with the command that replays the run', async () => {
  let sabotaged = '';
  const r = await runSoak({
    seed: 1,
    days: 1,
    records: 40,
    faults: [],
    after_step: (s) => {
      if (s.action.startsWith('attempt 1')) {
        const outbox = path.join(s.root, 'outbox', s.date);
        sabotaged = fs.readdirSync(outbox).find((n) => n.startsWith('SETTLEMENT_'))!;
        fs.appendFileSync(path.join(outbox, sabotaged), 'x');
      }
    },
  });
  try {
    assert.equal(r.ok, false);
    assert.ok(sabotaged !== '');
    const f = r.failure!;
    assert.equal(f.centre, 'faulty');
    assert.match(f.action, /^compare with the reference/);
    assert.match(f.problem, new RegExp(`^outbox 20260105: ${sabotaged} differs`));
    const lines = failureReport(r);
    assert.match(lines[0]!, new RegExp(`^soak: FAILED: seed 1, step ${f.step} \\(faulty centre, night 2026-01-05: compare`));
    assert.equal(lines[lines.length - 1], 'soak: replay: npm run soak -- --seed 1 --days 1 --records 40 --faults none');
    assert.ok(fs.existsSync(r.dir), 'a failed run keeps its directory');
  } finally {
    fs.rmSync(r.dir, { recursive: true, force: true });
  }
});

test('a record cleared twice is caught by the invariants right after the step that did it', async () => {
  const r = await runSoak({
    seed: 2,
    days: 1,
    records: 40,
    faults: [],
    after_step: (s) => {
      if (!s.action.startsWith('attempt 1')) return;
      // What a double import would leave: a second copy of a cleared record.
      const db = new Database(path.join(s.root, 'lct.db'));
      const columns = (db.prepare('PRAGMA table_info(records)').all() as { name: string }[]).map((c) => c.name).filter((c) => c !== 'id');
      db.prepare(`INSERT INTO records (${columns}) SELECT ${columns} FROM records WHERE cleared_date IS NOT NULL LIMIT 1`).run();
      db.close();
    },
  });
  try {
    assert.equal(r.ok, false);
    const f = r.failure!;
    assert.match(f.action, /^attempt 1: batch/);
    assert.match(f.problem, /cleared twice|records are cleared on it, its summary says/);
  } finally {
    fs.rmSync(r.dir, { recursive: true, force: true });
  }
});

test("the store's write-fault hook: the Nth write fails as a full disk does, and its transaction keeps nothing", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-write-fault-'));
  const saved = process.env.LCT_FAULT_WRITE_FAIL_AFTER;
  try {
    process.env.LCT_FAULT_WRITE_FAIL_AFTER = '3';
    const db = openStore(path.join(dir, 'a.db')); // the migrations are not counted
    db.prepare('CREATE TABLE t (x INTEGER) STRICT').run(); // write 1
    const insert = db.prepare('INSERT INTO t (x) VALUES (?)');
    const count = db.prepare('SELECT COUNT(*) FROM t').pluck(); // a reader: never counted
    const both = db.transaction(() => {
      insert.run(1); // write 2
      insert.run(2); // write 3: fails
    });
    assert.throws(both, (err: Error & { code?: string }) => err.message === 'database or disk is full' && err.code === 'SQLITE_FULL');
    assert.equal(count.get(), 0, 'the failed transaction kept nothing');
    insert.run(3); // write 4: the disk has room again
    assert.equal(count.get(), 1);
    db.close();

    process.env.LCT_FAULT_WRITE_FAIL_AFTER = 'soon';
    assert.throws(() => openStore(path.join(dir, 'b.db')), StoreError);
    delete process.env.LCT_FAULT_WRITE_FAIL_AFTER;
    const plain = openStore(path.join(dir, 'c.db'));
    assert.equal(plain.prepare, Database.prototype.prepare, 'unset, nothing is wrapped');
    plain.close();
  } finally {
    if (saved === undefined) delete process.env.LCT_FAULT_WRITE_FAIL_AFTER;
    else process.env.LCT_FAULT_WRITE_FAIL_AFTER = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
