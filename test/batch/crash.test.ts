// A real child process running `lct batch` is killed (SIGKILL) at many points
// of a night; the store must still verify, and rerunning the same command must
// give exactly what an uninterrupted run gives: the same files, byte for byte,
// the same summary and the same ledger. The second night posts corrections
// approved before it (adjustments, one settling an item, and a release): a kill
// anywhere in it, then the rerun, posts each exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { generateScenario } from '../../fixtures/scenario';
import { parseParticipants } from '../../src/core/config';
import { buildRegistry } from '../../src/core/registry';
import { openStore } from '../../src/store/db';
import { type Authority, type CorrectionOutcome, decideCorrection, proposeAdjustment, proposeRelease } from '../../src/store/corrections';

const LCT = path.join(__dirname, '../../../bin/lct.js');
const NOW = { LCT_NOW: '20260106020000' };

interface Night {
  iso: string;
  inbox: string;
}

function args(dir: string, store: string, night: Night, outbox: string): string[] {
  return [
    LCT,
    'batch',
    '--date',
    night.iso,
    '--inbox',
    night.inbox,
    '--outbox',
    outbox,
    '--json',
    '--db',
    store,
    '--config',
    path.join(dir, 'participants.json'),
    '--keys',
    path.join(dir, 'keys.json'),
  ];
}

/** Odd attempts run the stateless rules on the worker thread, even ones on the main thread alone. */
const THREAD = (on: boolean) => ({ LCT_VALIDATION_THREAD: on ? 'on' : 'off' });

function runToEnd(
  dir: string,
  store: string,
  night: Night,
  outbox: string,
  thread = false,
): { status: number | null; stdout: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, args(dir, store, night, outbox), {
    encoding: 'utf8',
    env: { ...process.env, ...NOW, ...THREAD(thread) },
  });
  return { status: r.status, stdout: r.stdout, ms: Date.now() - t0 };
}

function killAfter(dir: string, store: string, night: Night, outbox: string, ms: number, thread: boolean): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args(dir, store, night, outbox), {
      env: { ...process.env, ...NOW, ...THREAD(thread) },
      stdio: 'ignore',
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Every final file of an outbox (temporary files of a killed run excluded) with its digest. */
function digests(outbox: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (!/\.tmp-\d+$/.test(e.name))
        out[path.relative(outbox, p)] = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(outbox);
  return out;
}

function ledger(store: string, verb: string[]): { status: number | null; stdout: string } {
  const r = spawnSync(process.execPath, [LCT, 'ledger', ...verb, '--db', store], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout };
}

/**
 * The operators' corrections between night 1 and night 2, the same on every store:
 * an acquirer's adjustment (+) that settles the first open item, an agent's (-), the
 * national centre's, the release of night 1's first suspended TXN_UPLOAD record, all
 * approved; and one more proposal that is rejected. Made as the `correct` commands
 * make them, each act in one write transaction.
 */
function correctBeforeNight2(dir: string, store: string): void {
  const parsed = parseParticipants(JSON.parse(fs.readFileSync(path.join(dir, 'participants.json'), 'utf8')));
  assert.ok(parsed.ok);
  const p = parsed.value;
  const auth: Authority = { operators: p.operators, registry: buildRegistry(p) };
  const [clerk, supervisor] = [p.operators[0]!.name, p.operators[1]!.name];
  const db = openStore(store);
  try {
    const act = (f: () => CorrectionOutcome): string => {
      const r = db.transaction(f).immediate();
      assert.ok(r.ok, r.ok ? '' : r.refusal.message);
      return r.correction.id;
    };
    const at = '20260106013000';
    const item = db.prepare('SELECT id FROM recon_items WHERE closed_date IS NULL ORDER BY id LIMIT 1').pluck().get() as string;
    const suspended = db
      .prepare(
        `SELECT f.name, r.idx FROM record_view r JOIN files f ON f.id = r.file_id
          WHERE r.status = 'SUSPENDED' AND r.source = 'TXN_UPLOAD' ORDER BY r.id LIMIT 1`,
      )
      .get() as { name: string; idx: number };
    assert.ok(item !== undefined && suspended !== undefined, 'night 1 left an open item and a suspended record');
    const adjust = (participant_id: string, amount_fen: number, account: string, item_id: string | null = null) =>
      act(() => proposeAdjustment(db, auth, { by: clerk, participant_id, amount_fen, account, note: 'crash test', item_id }, at));
    const ids = [
      adjust(p.acquirers[0]!.id, 12345, 'expense:adjustments', item),
      adjust(p.agents[0]!.id, -678, 'income:fees'),
      adjust(p.national.id, 910, 'suspense:blacklist'),
      act(() =>
        proposeRelease(db, auth, { by: clerk, file_name: suspended.name, index: suspended.idx, note: 'crash test', item_id: null }, at),
      ),
    ];
    for (const id of ids) act(() => decideCorrection(db, auth, { decision: 'approve', id, by: supervisor, note: null }, at));
    const rejected = adjust(p.acquirers[1]!.id, 1, 'expense:adjustments');
    act(() => decideCorrection(db, auth, { decision: 'reject', id: rejected, by: supervisor, note: 'no' }, at));
  } finally {
    db.close();
  }
}

test('SIGKILL at any point of a batch, then a rerun, gives the uninterrupted outcome', { timeout: 240_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-crash-'));
  const scenario = generateScenario(dir, { seed: 'crash', days: 2, records: 6000 });
  const nights: Night[] = scenario.days.map((d) => ({
    iso: `${d.date.slice(0, 4)}-${d.date.slice(4, 6)}-${d.date.slice(6, 8)}`,
    inbox: path.join(dir, 'inbox', d.date),
  }));

  // The uninterrupted reference.
  const refStore = path.join(dir, 'ref.db');
  const reference = nights.map((n, i) => {
    const outbox = path.join(dir, 'ref-out', String(i));
    if (i === 1) correctBeforeNight2(dir, refStore);
    const r = runToEnd(dir, refStore, n, outbox);
    assert.ok(r.status === 0 || r.status === 3, `reference night ${n.iso} exit ${r.status}`);
    return { summary: r.stdout, files: digests(outbox), balances: ledger(refStore, ['balances', '--json']).stdout, ms: r.ms };
  });

  // Night 2 posted the corrections: the acquirer's adjustment is a category-5 line, the
  // settled item is closed, and the rejected one is nowhere.
  {
    const db = openStore(refStore, { readonly: true });
    try {
      assert.deepEqual(db.prepare('SELECT id, status FROM corrections ORDER BY n').raw().all(), [
        ['C1', 'posted'],
        ['C2', 'posted'],
        ['C3', 'posted'],
        ['C4', 'posted'],
        ['C5', 'rejected'],
      ]);
      assert.equal(db.prepare("SELECT COUNT(*) FROM statement_lines WHERE category = 5 AND ref <> ''").pluck().get(), 3);
      assert.equal(
        db.prepare("SELECT COUNT(*) FROM recon_items WHERE closed_by = (SELECT decided_by FROM corrections WHERE id = 'C1')").pluck().get(),
        1,
      );
    } finally {
      db.close();
    }
  }

  // Kill points spread over each night's duration, the first ones very early.
  const attempts: { night: number; ms: number }[] = [];
  for (const night of [0, 1]) {
    const span = reference[night]!.ms;
    for (const f of [0.15, 0.3, 0.45, 0.6, 0.75, 0.9]) attempts.push({ night, ms: Math.round(span * f) });
  }
  let interrupted = 0;
  const killedWith = new Map<string, number>();
  for (const [a, at] of attempts.entries()) {
    const store = path.join(dir, `crash-${a}.db`);
    const outboxOf = (i: number) => path.join(dir, `crash-out-${a}`, String(i));
    const thread = a % 2 === 1;
    for (let i = 0; i < at.night; i++) runToEnd(dir, store, nights[i]!, outboxOf(i), thread);
    if (at.night === 1) correctBeforeNight2(dir, store);
    await killAfter(dir, store, nights[at.night]!, outboxOf(at.night), at.ms, thread);
    if (fs.existsSync(store)) {
      const v = ledger(store, ['verify']);
      assert.equal(v.status, 0, `attempt ${a}: the store verifies after the kill at ${at.ms} ms`);
    }
    if (at.night === 1 && fs.existsSync(store)) {
      // Killed before the close committed, the corrections are still approved (the
      // rerun posts them); after it, posted (the rerun only writes the files).
      const db = openStore(store, { readonly: true });
      const statuses = db.prepare("SELECT DISTINCT status FROM corrections WHERE status <> 'rejected'").pluck().all() as string[];
      db.close();
      assert.equal(statuses.length, 1, `attempt ${a}: the close posts all of the night's corrections or none (${statuses.join(', ')})`);
      killedWith.set(statuses[0]!, (killedWith.get(statuses[0]!) ?? 0) + 1);
    }
    const partial = fs.existsSync(outboxOf(at.night)) ? digests(outboxOf(at.night)) : {};
    if (Object.keys(partial).length < Object.keys(reference[at.night]!.files).length) interrupted++;
    for (let i = at.night; i < nights.length; i++) {
      if (i === 1 && at.night === 0) correctBeforeNight2(dir, store);
      const r = runToEnd(dir, store, nights[i]!, outboxOf(i), thread);
      assert.equal(r.stdout, reference[i]!.summary, `attempt ${a} (kill at ${at.ms} ms of night ${at.night}): night ${i} summary`);
      assert.deepEqual(digests(outboxOf(i)), reference[i]!.files, `attempt ${a}: night ${i} files`);
      assert.equal(ledger(store, ['balances', '--json']).stdout, reference[i]!.balances, `attempt ${a}: night ${i} ledger`);
    }
    assert.equal(ledger(store, ['verify']).status, 0);
  }
  // The kills must really have landed inside runs, not only after them.
  assert.ok(interrupted >= attempts.length / 2, `${interrupted} of ${attempts.length} kills interrupted a run`);
  assert.ok((killedWith.get('approved') ?? 0) >= 1, `some kills of night 2 came before its corrections were posted: ${[...killedWith]}`);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a rerun of a closed day changes nothing in the store and rewrites byte-identical files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-rerun-'));
  const scenario = generateScenario(dir, { seed: 'rerun', days: 2, records: 600 });
  const nights = scenario.days.map((d) => ({
    iso: `${d.date.slice(0, 4)}-${d.date.slice(4, 6)}-${d.date.slice(6, 8)}`,
    inbox: path.join(dir, 'inbox', d.date),
  }));
  const store = path.join(dir, 'lct.db');
  const first = runToEnd(dir, store, nights[0]!, path.join(dir, 'a'));
  const second = runToEnd(dir, store, nights[1]!, path.join(dir, 'b'));
  // Every table's rows, digested per table (the whole dump passes spawnSync's 1 MB buffer).
  const dump = () => {
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `
      const D=require(${JSON.stringify(require.resolve('better-sqlite3'))}); const db=new D(${JSON.stringify(store)},{readonly:true});
      const h=require('node:crypto'); const out={};
      for (const {name} of db.prepare("select name from sqlite_master where type='table' order by name").all()) {
        const rows=db.prepare('select * from "'+name+'"').all();
        out[name]=rows.length+' '+h.createHash('sha256').update(JSON.stringify(rows)).digest('hex');
      }
      console.log(JSON.stringify(out));`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  const before = dump();
  // Rerun night 1 (closed, and a later day is closed too: a closed day reruns at any
  // time, clearing-rules.md "The business day") and night 2 (closed, last).
  const again1 = runToEnd(dir, store, nights[0]!, path.join(dir, 'a2'));
  assert.equal(again1.status, first.status, 'a closed day before a closed later day reruns');
  assert.equal(again1.stdout, first.stdout);
  assert.deepEqual(digests(path.join(dir, 'a2')), digests(path.join(dir, 'a')), 'night 1 rewritten byte for byte');
  const again2 = runToEnd(dir, store, nights[1]!, path.join(dir, 'b2'));
  assert.equal(again2.status, second.status);
  assert.equal(again2.stdout, second.stdout);
  assert.deepEqual(digests(path.join(dir, 'b2')), digests(path.join(dir, 'b')));
  assert.equal(dump(), before, 'the store is unchanged by the reruns');
  assert.ok(first.status === 0 || first.status === 3);
  fs.rmSync(dir, { recursive: true, force: true });
});
