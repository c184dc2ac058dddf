// The operators' commands on the worked example's store, through the real CLI:
// they answer from the store, with --json, and a resolution is kept.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { EXAMPLE_DIR } from '../spec-vectors';

const LCT = path.join(__dirname, '../../../bin/lct.js');
let dir = '';
let db = '';

function lct(args: string[]) {
  const r = spawnSync(process.execPath, [LCT, ...args, '--db', db], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-operator-'));
  db = path.join(dir, 'lct.db');
  for (const d of ['20251230', '20251231']) {
    const r = spawnSync(
      process.execPath,
      [
        LCT,
        'batch',
        '--date',
        `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}`,
        '--inbox',
        path.join(EXAMPLE_DIR, 'inbox', d),
        '--outbox',
        path.join(dir, 'out', d),
        '--db',
        db,
        '--config',
        path.join(EXAMPLE_DIR, 'participants.json'),
        '--keys',
        path.join(EXAMPLE_DIR, 'keys.json'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 3, r.stderr);
  }
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('recon items lists the open bank items, and resolve closes one with a name and a note, once', () => {
  const items = JSON.parse(lct(['recon', 'items', '--kind', 'bank', '--json']).stdout) as {
    id: string;
    category: string;
    closed: string | null;
  }[];
  assert.deepEqual(items.map((i) => i.category).sort(), ['AMOUNT_MISMATCH', 'REMOTE_ONLY']);
  const unknown = items.find((i) => i.category === 'REMOTE_ONLY')!;
  const r = lct(['recon', 'resolve', unknown.id, '--by', 'Li Wei', '--note', 'bank error, reversed by the bank', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).effective, '20260101', 'effective on the first day not yet closed');
  const open = JSON.parse(lct(['recon', 'items', '--kind', 'bank', '--json']).stdout) as { id: string }[];
  assert.deepEqual(
    open.map((i) => i.id),
    items.filter((i) => i.id !== unknown.id).map((i) => i.id),
  );
  const all = JSON.parse(lct(['recon', 'items', '--kind', 'bank', '--all', '--json']).stdout) as {
    id: string;
    closed_by: string;
    note: string;
  }[];
  const closed = all.find((i) => i.id === unknown.id)!;
  assert.equal(closed.closed_by, 'Li Wei');
  assert.equal(closed.note, 'bank error, reversed by the bank');
  const again = lct(['recon', 'resolve', unknown.id, '--by', 'Li Wei', '--note', 'again']);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /was closed on 20260101 by Li Wei/);
});

test('recon items filters by day and participant', () => {
  const night1 = JSON.parse(lct(['recon', 'items', '--date', '2025-12-30', '--all', '--json']).stdout) as { opened: string }[];
  assert.equal(night1.length, 29, 'the 29 items the worked example opens on night 1');
  assert.ok(night1.every((i) => i.opened === '20251230'));
  const bus = JSON.parse(lct(['recon', 'items', '--participant', '41010101', '--json']).stdout) as { participant_id: string }[];
  assert.ok(bus.length > 0 && bus.every((i) => i.participant_id === '41010101'));
});

test('exceptions shows a closed day, and refuses a day not closed', () => {
  const x = JSON.parse(lct(['exceptions', '--date', '2025-12-31', '--json']).stdout);
  assert.equal(x.key_conflicts.length, 4);
  assert.equal(x.suspended.length, 6);
  const r = lct(['exceptions', '--date', '2026-01-05']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /not closed/);
});

test('card history gives the records in counter order with their verdicts', () => {
  const h = JSON.parse(lct(['card', 'history', '41010001782772436122', '--json']).stdout) as {
    records: { card_seq: number; status: string }[];
  };
  const seqs = h.records.map((r) => r.card_seq);
  assert.deepEqual(
    seqs,
    [...seqs].sort((a, b) => a - b),
  );
  assert.ok(h.records.filter((r) => r.status === 'SUSPENDED').length >= 2);
  const text = lct(['card', 'history', '41010001:41010001782772436122']);
  assert.equal(text.status, 0);
  assert.match(text.stdout, /SUSPENDED/);
  assert.equal(lct(['card', 'history', '123']).status, 2);
});

test('record explain tells the verdict, the rule, the file and the entries it was posted in', () => {
  const rejected = JSON.parse(lct(['record', 'explain', 'TXN_UPLOAD_41010101_41010000_20251230_0001.pb#1', '--json']).stdout);
  assert.equal(rejected.verdict.reason, 'E06');
  assert.match(rejected.verdict.rule, /DATE_WINDOW/);
  assert.equal(rejected.cleared_date, null);
  const cleared = JSON.parse(lct(['record', 'explain', 'TXN_UPLOAD_41010101_41010000_20251230_0001.pb#0', '--json']).stdout);
  assert.equal(cleared.verdict.status, 'ACCEPTED');
  assert.equal(cleared.cleared_date, '20251230');
  assert.deepEqual(
    cleared.entries.map((e: { id: string }) => e.id),
    ['20251230/clear/41010101', '20251230/settle/41010101'],
  );
  const missing = lct(['record', 'explain', 'NOPE.pb#0']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no such record/);
});

test('file inspect with --config and --db answers F04 and F03 as an import would, and a resend is sound', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [LCT, 'file', 'inspect', ...args, '--json'], { encoding: 'utf8' });
  const result = (r: { stdout: string }) =>
    JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!) as { refusal: { code: string } | null; not_checked: object };
  const wrongReceiver = path.join(EXAMPLE_DIR, 'inbox', '20251230', 'TXN_UPLOAD_41010202_41020000_20251230_0001.pb');
  const f04 = run([wrongReceiver, '--config', path.join(EXAMPLE_DIR, 'participants.json')]);
  assert.equal(f04.status, 1);
  assert.equal(result(f04).refusal?.code, 'F04');
  const conflicting = path.join(EXAMPLE_DIR, 'inbox', '20251231', 'TXN_UPLOAD_41010112_41010000_20251230_0002.pb');
  const f03 = run([conflicting, '--db', db]);
  assert.equal(f03.status, 1);
  assert.equal(result(f03).refusal?.code, 'F03');
  const resend = path.join(EXAMPLE_DIR, 'inbox', '20251231', 'TXN_UPLOAD_41010111_41010000_20251230_0002.pb');
  const ok = run([resend, '--db', db, '--config', path.join(EXAMPLE_DIR, 'participants.json')]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(result(ok).refusal, null);
  assert.deepEqual(result(ok).not_checked, {});
});
