// An approval and a batch never interleave (batch-cli.md, "Common options"; clearing-
// rules.md, "Corrections"): started together, real processes, at several offsets,
// the approval lands either before the close (then that night posts it) or after it
// (then the next night does), and the day `approve` prints is the day whose batch
// posts it; a refused one, run again, says the same. Never an approval for a day that
// closed without it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { EXAMPLE_DIR } from '../spec-vectors';

const LCT = path.join(__dirname, '../../../bin/lct.js');
const ENV = { ...process.env, LCT_NOW: '20260102020000', LCT_DB: '', LCT_CONFIG: '' };
const KEYS = path.join(EXAMPLE_DIR, 'keys.json');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

let dir = '';
let config = '';
let template = '';
let emptyInbox = '';

function lct(args: string[]): Run {
  return spawnSync(process.execPath, [LCT, ...args], { encoding: 'utf8', env: ENV });
}

function start(args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [LCT, ...args], { env: ENV });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

const batchArgs = (store: string, iso: string, inbox: string, outbox: string) => [
  'batch',
  '--date',
  iso,
  '--inbox',
  inbox,
  '--outbox',
  outbox,
  '--db',
  store,
  '--config',
  config,
  '--keys',
  KEYS,
  '--json',
];
const approveArgs = (store: string) => ['correct', 'approve', 'C1', '--by', 'Zhang Min', '--db', store, '--config', config];

function copyStore(from: string, to: string): string {
  fs.copyFileSync(from, to);
  for (const suffix of ['-wal', '-shm']) if (fs.existsSync(from + suffix)) fs.copyFileSync(from + suffix, to + suffix);
  return to;
}

function correction(store: string): { status: string; effective_date: string | null } {
  const db = new Database(store, { readonly: true, fileMustExist: true });
  try {
    return db.prepare("SELECT status, effective_date FROM corrections WHERE id = 'C1'").get() as {
      status: string;
      effective_date: string | null;
    };
  } finally {
    db.close();
  }
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-approve-race-'));
  emptyInbox = path.join(dir, 'empty');
  fs.mkdirSync(emptyInbox);
  config = path.join(dir, 'participants.json');
  const p = JSON.parse(fs.readFileSync(path.join(EXAMPLE_DIR, 'participants.json'), 'utf8'));
  p.operators = [
    { name: 'Li Wei', may: ['propose'] },
    { name: 'Zhang Min', may: ['propose', 'approve'] },
  ];
  fs.writeFileSync(config, JSON.stringify(p));
  template = path.join(dir, 'template.db');
  const night1 = lct(batchArgs(template, '2025-12-30', path.join(EXAMPLE_DIR, 'inbox', '20251230'), path.join(dir, 'out-1')));
  assert.equal(night1.status, 3, night1.stderr);
  const proposed = lct([
    'correct',
    'adjust',
    '--participant',
    '41010102',
    '--amount-fen',
    '777',
    '--account',
    'expense:adjustments',
    '--note',
    'refund of a faulty gate',
    '--by',
    'Li Wei',
    '--db',
    template,
    '--config',
    config,
  ]);
  assert.equal(proposed.status, 0, proposed.stderr);
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('an approval started with a batch lands before its close or after it, and says which day posts it', { timeout: 120_000 }, async () => {
  const seen = new Set<string>();
  const how: string[] = [];
  for (const [k, delay_ms] of [0, 150, 400, 700, 1000, 1500].entries()) {
    const store = copyStore(template, path.join(dir, `try-${k}.db`));
    const outbox = path.join(dir, `out-${k}`);
    const batch = start(batchArgs(store, '2025-12-31', path.join(EXAMPLE_DIR, 'inbox', '20251231'), outbox));
    await new Promise((r) => setTimeout(r, delay_ms));
    let approve = await start(approveArgs(store));
    const night = await batch;
    // Whichever was refused (exit 1, the store held by the other) is run again now.
    how.push(approve.status === 1 ? 'approve refused' : night.status === 1 ? 'batch refused' : 'both ran');
    if (approve.status === 1) {
      assert.match(approve.stderr, /^lct: the store is held by 'batch --date 2025-12-31/, `try ${k}: ${approve.stderr}`);
      approve = lct(approveArgs(store));
    }
    assert.equal(approve.status, 0, `try ${k}: ${approve.stderr}`);
    let closed = night;
    if (night.status === 1) {
      assert.match(night.stderr, /^lct: the store is held by 'correct approve C1/, `try ${k}: ${night.stderr}`);
      closed = lct(batchArgs(store, '2025-12-31', path.join(EXAMPLE_DIR, 'inbox', '20251231'), outbox));
    }
    assert.equal(closed.status, 3, `try ${k}: ${closed.stderr}`);
    const day = /effective (\d{4}-\d\d-\d\d): posted by that day's batch/.exec(approve.stdout)?.[1];
    assert.ok(day === '2025-12-31' || day === '2026-01-01', `try ${k}: ${approve.stdout}`);
    seen.add(day);
    const statement = fs.readFileSync(path.join(outbox, 'reports', '20251231', 'report.txt'), 'utf8');
    if (day === '2025-12-31') {
      assert.deepEqual(correction(store), { status: 'posted', effective_date: '20251231' }, `try ${k}: posted by the night it named`);
      assert.match(statement, /Corrections posted: 1\n/);
    } else {
      assert.deepEqual(correction(store), { status: 'approved', effective_date: '20260101' }, `try ${k}: waits for the next night`);
      assert.match(statement, /Corrections posted: 0\n/, `try ${k}: the closed night did not post it`);
      const next = lct(batchArgs(store, '2026-01-01', emptyInbox, path.join(dir, `out-${k}-next`)));
      assert.ok(next.status === 0 || next.status === 3, next.stderr);
      assert.deepEqual(correction(store), { status: 'posted', effective_date: '20260101' }, `try ${k}: posted by the night it named`);
    }
  }
  process.stderr.write(`approve-race: ${how.join(', ')}; days ${[...seen].join(', ')}\n`);
  // The offsets span the night: the first approvals come before its close, the last after it.
  assert.ok(seen.has('2026-01-01'), `some approval came after the close: ${[...seen]}`);
});
