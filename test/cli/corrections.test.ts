// `lct correct` through the real CLI (child processes) on the worked example's first
// night: proposals, approvals and rejections with --json, the effective day, the list;
// then every refusal the spec names, each exit 1 with one line and nothing recorded,
// and bad usage exit 2.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/db';
import { EXAMPLE_DIR } from '../spec-vectors';

const LCT = path.join(__dirname, '../../../bin/lct.js');
const NOW = '20251231093000';
let dir = '';
let db = '';
let config = '';

function lct(args: string[], opts: { db?: string; config?: string; now?: string } = {}) {
  const r = spawnSync(process.execPath, [LCT, ...args, '--db', opts.db ?? db, '--config', opts.config ?? config], {
    encoding: 'utf8',
    env: { ...process.env, LCT_NOW: opts.now ?? NOW, LCT_DB: '', LCT_CONFIG: '' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Everything the corrections keep: a refusal must leave it as it was. */
function recorded(): string {
  const d = new Database(db, { readonly: true });
  try {
    return JSON.stringify([
      d.prepare('SELECT * FROM corrections ORDER BY n').all(),
      d.prepare('SELECT * FROM correction_events ORDER BY seq').all(),
      d.prepare("SELECT id, status, reason, cleared_date FROM record_view WHERE status = 'SUSPENDED' ORDER BY id").all(),
      d.prepare('SELECT id, closed_date FROM recon_items ORDER BY id').all(),
    ]);
  } finally {
    d.close();
  }
}

const SUSPENDED = 'TXN_UPLOAD_41010101_41010000_20251230_0003.pb#5'; // 100 fen at 41010101/410101010000003
const ACCEPTED = 'TXN_UPLOAD_41010101_41010000_20251230_0003.pb#4';
const FROM_NATIONAL = 'INTEROP_IN_00000001_41010000_20251230_0001.pb#0'; // our card, suspended, brought by the national centre
const OTHER_SUSPENDED = 'TXN_UPLOAD_41010102_41010000_20251230_0003.pb#18';
let openItem = '';

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-correct-'));
  db = path.join(dir, 'lct.db');
  config = path.join(dir, 'participants.json');
  const p = JSON.parse(fs.readFileSync(path.join(EXAMPLE_DIR, 'participants.json'), 'utf8'));
  p.operators = [
    { name: 'Li Wei', may: ['propose'] },
    { name: 'Zhang Min', may: ['propose', 'approve'] },
    { name: 'Wang Fang', may: ['approve'] },
  ];
  fs.writeFileSync(config, JSON.stringify(p));
  const r = spawnSync(
    process.execPath,
    [
      LCT,
      'batch',
      '--date',
      '2025-12-30',
      '--inbox',
      path.join(EXAMPLE_DIR, 'inbox', '20251230'),
      '--outbox',
      path.join(dir, 'out'),
      '--db',
      db,
      '--config',
      config,
      '--keys',
      path.join(EXAMPLE_DIR, 'keys.json'),
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 3, r.stderr);
  const d = new Database(db, { readonly: true });
  openItem = d.prepare('SELECT id FROM recon_items WHERE closed_date IS NULL ORDER BY id LIMIT 1').pluck().get() as string;
  d.close();
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

const json = (r: { stdout: string }) => JSON.parse(r.stdout);

test('propose, approve, reject and list, with the correction object of batch-cli.md', () => {
  const c1 = lct([
    'correct',
    'adjust',
    '--participant',
    '41010102',
    '--amount-fen',
    '500',
    '--account',
    'expense:adjustments',
    '--note',
    'our own error on the 29th',
    '--by',
    'Li Wei',
    '--item',
    openItem,
    '--json',
  ]);
  assert.equal(c1.status, 0, c1.stderr);
  assert.deepEqual(json(c1), {
    id: 'C1',
    kind: 'adjustment',
    status: 'proposed',
    participant: '41010102',
    account: 'expense:adjustments',
    amount_fen: 500,
    record: null,
    item: openItem,
    note: 'our own error on the 29th',
    proposed_by: 'Li Wei',
    proposed_at: NOW,
    decided_by: null,
    decided_at: null,
    effective_date: null,
    entry_id: null,
    decision_note: null,
  });

  // A negative amount: the agent owes the centre more.
  const c2 = lct([
    'correct',
    'adjust',
    '--participant',
    '41010201',
    '--amount-fen',
    '-300',
    '--account',
    'income:fees',
    '--note',
    'commission paid twice',
    '--by',
    'Zhang Min',
  ]);
  assert.equal(c2.status, 0, c2.stderr);
  assert.match(c2.stdout, /^proposed C2: adjustment of 41010201 by -300 fen against income:fees/);

  const c3 = lct(['correct', 'release', SUSPENDED, '--note', 'the loss report came too late', '--by', 'Zhang Min', '--json']);
  assert.equal(c3.status, 0, c3.stderr);
  assert.deepEqual(
    (({ id, kind, participant, account, amount_fen, record, status }) => ({ id, kind, participant, account, amount_fen, record, status }))(
      json(c3),
    ),
    { id: 'C3', kind: 'release', participant: '41010101', account: null, amount_fen: 100, record: SUSPENDED, status: 'proposed' },
  );

  const approved = lct(['correct', 'approve', 'C1', '--by', 'Wang Fang'], { now: '20251231100000' });
  assert.equal(approved.status, 0, approved.stderr);
  assert.match(approved.stdout, /^approved C1: .*effective 2025-12-31/, 'approve prints the effective day: the first day not yet closed');
  const approvedJson = lct(['correct', 'approve', 'C3', '--by', 'Wang Fang', '--note', 'checked with the issuer', '--json'], {
    now: '20251231100500',
  });
  assert.equal(approvedJson.status, 0, approvedJson.stderr);
  assert.deepEqual(
    (({ status, decided_by, decided_at, effective_date, decision_note, entry_id }) => ({
      status,
      decided_by,
      decided_at,
      effective_date,
      decision_note,
      entry_id,
    }))(json(approvedJson)),
    {
      status: 'approved',
      decided_by: 'Wang Fang',
      decided_at: '20251231100500',
      effective_date: '2025-12-31',
      decision_note: 'checked with the issuer',
      entry_id: null,
    },
  );
  // The proposer may reject (withdraw) their own proposal: a rejection moves nothing.
  const rejected = lct(['correct', 'reject', 'C2', '--by', 'Zhang Min', '--note', 'not proven', '--json']);
  assert.equal(rejected.status, 0, rejected.stderr);
  assert.deepEqual([json(rejected).status, json(rejected).decided_by, json(rejected).effective_date], ['rejected', 'Zhang Min', null]);

  const list = lct(['correct', 'list', '--json']);
  assert.equal(list.status, 0, list.stderr);
  assert.deepEqual(
    json(list).map((c: { id: string; status: string }) => [c.id, c.status]),
    [
      ['C1', 'approved'],
      ['C2', 'rejected'],
      ['C3', 'approved'],
    ],
    'oldest first',
  );
  assert.deepEqual(
    json(lct(['correct', 'list', '--status', 'approved', '--json'])).map((c: { id: string }) => c.id),
    ['C1', 'C3'],
  );
  assert.deepEqual(json(lct(['correct', 'list', '--status', 'posted', '--json'])), []);
  const text = lct(['correct', 'list']);
  assert.equal(text.status, 0);
  assert.match(text.stdout, /C2: adjustment of 41010201 by -300 fen against income:fees \[rejected\]/);
  assert.match(text.stdout, /3 correction\(s\)\n$/);
});

test('every refusal the spec names: exit 1, one line saying why, nothing recorded', () => {
  const adjust = (over: Record<string, string>) => {
    const o: Record<string, string> = {
      '--participant': '41010101',
      '--amount-fen': '100',
      '--account': 'expense:adjustments',
      '--note': 'n',
      '--by': 'Li Wei',
      ...over,
    };
    return ['correct', 'adjust', ...Object.entries(o).flat()];
  };
  const release = (ref: string, by = 'Li Wei', more: string[] = []) => ['correct', 'release', ref, '--note', 'n', '--by', by, ...more];
  const cases: [string, string[], RegExp][] = [
    ['an operator not listed', adjust({ '--by': 'Nobody' }), /operator Nobody is not listed in the participants file/],
    ['an operator without the right to propose', adjust({ '--by': 'Wang Fang' }), /operator Wang Fang may not propose corrections/],
    ['an unknown participant', adjust({ '--participant': '41019999' }), /41019999 is not an acquirer, an agent or the national centre/],
    ['the centre is no participant to adjust', adjust({ '--participant': '41010000' }), /41010000 is not an acquirer/],
    ['an unknown account', adjust({ '--account': 'bank:settlement' }), /bank:settlement is not a counter account/],
    ['an unknown item', adjust({ '--item': 'bank:REMOTE_ONLY:nothing' }), /no reconciliation item bank:REMOTE_ONLY:nothing/],
    ['an unknown record (no such file)', release('TXN_UPLOAD_41019999_41010000_20251230_0001.pb#0'), /no record TXN_UPLOAD_41019999/],
    ['an unknown record (past the end of its file)', release('TXN_UPLOAD_41010101_41010000_20251230_0003.pb#999'), /no record/],
    ['a record that is not SUSPENDED', release(ACCEPTED), /is ACCEPTED, not SUSPENDED/],
    ['a record that came from the national centre', release(FROM_NATIONAL), /came from the national centre \(INTEROP_IN\)/],
    ['a record already being released', release(SUSPENDED), /already has a release, C3 \(approved\)/],
    ['a release naming an unknown item', release(OTHER_SUSPENDED, 'Li Wei', ['--item', 'x']), /no reconciliation item x/],
    ['a release by an operator without the right', release(OTHER_SUSPENDED, 'Wang Fang'), /may not propose/],
    ['an approval by an operator not listed', ['correct', 'approve', 'C4', '--by', 'Nobody'], /operator Nobody is not listed/],
    ['an approval by an operator without the right', ['correct', 'approve', 'C4', '--by', 'Li Wei'], /operator Li Wei may not approve/],
    [
      'an approval by the proposer',
      ['correct', 'approve', 'C4', '--by', 'Zhang Min'],
      /C4 was proposed by Zhang Min: another operator must approve it/,
    ],
    ['an unknown correction', ['correct', 'approve', 'C99', '--by', 'Wang Fang'], /no correction C99/],
    [
      'an approval of an approved correction',
      ['correct', 'approve', 'C1', '--by', 'Zhang Min'],
      /C1 is already approved \(decided by Wang Fang/,
    ],
    ['an approval of a rejected correction', ['correct', 'approve', 'C2', '--by', 'Wang Fang'], /C2 is already rejected/],
    ['a rejection of an approved correction', ['correct', 'reject', 'C1', '--by', 'Zhang Min', '--note', 'n'], /C1 is already approved/],
    ['a rejection by an operator without the right', ['correct', 'reject', 'C4', '--by', 'Li Wei', '--note', 'n'], /Li Wei may not reject/],
  ];
  // C4: a proposal by Zhang Min, for the decisions above.
  const unchanged = recorded();
  const c4 = lct(adjust({ '--by': 'Zhang Min', '--amount-fen': '7' }));
  assert.equal(c4.status, 0, c4.stderr);
  assert.notEqual(recorded(), unchanged, 'a proposal is recorded (the check below can see a change)');
  for (const [name, args, why] of cases) {
    const before = recorded();
    const r = lct(args);
    assert.equal(r.status, 1, `${name}: exit ${r.status}, ${r.stderr}`);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, `${name}: one line: ${r.stderr}`);
    assert.match(r.stderr, /^lct: refused: /, name);
    assert.match(r.stderr, why, name);
    assert.equal(r.stdout, '', name);
    assert.equal(recorded(), before, `${name}: nothing recorded`);
  }
});

test('bad usage and a bad participants file: exit 2, one line, nothing recorded', () => {
  const badConfig = path.join(dir, 'bad-operators.json');
  const p = JSON.parse(fs.readFileSync(config, 'utf8'));
  p.operators[1].may = ['propose', 'sign'];
  fs.writeFileSync(badConfig, JSON.stringify(p));
  const base = ['correct', 'adjust', '--participant', '41010101', '--account', 'income:fees', '--note', 'n', '--by', 'Li Wei'];
  const cases: [string, string[], RegExp, { config?: string; db?: string }?][] = [
    ['a zero amount', [...base, '--amount-fen', '0'], /--amount-fen 0: not a non-zero integer/],
    ['a fractional amount', [...base, '--amount-fen', '1.5'], /--amount-fen 1.5/],
    ['an amount that is no number', [...base, '--amount-fen', '12abc'], /--amount-fen 12abc/],
    ['an amount beyond exact integers', [...base, '--amount-fen', '9007199254740993'], /--amount-fen 9007199254740993/],
    ['no amount', base, /--amount-fen/],
    [
      'a blank note',
      ['correct', 'adjust', '--participant', '41010101', '--account', 'income:fees', '--note', ' ', '--by', 'Li Wei', '--amount-fen', '5'],
      /--note: must not be empty/,
    ],
    ['a rejection without a note', ['correct', 'reject', 'C4', '--by', 'Wang Fang'], /--note/],
    ['an approval without a name', ['correct', 'approve', 'C4'], /--by/],
    ['a malformed correction id', ['correct', 'approve', 'c4', '--by', 'Wang Fang'], /c4: not a correction id/],
    [
      'a malformed record id',
      ['correct', 'release', 'TXN_UPLOAD_x.pb', '--note', 'n', '--by', 'Li Wei'],
      /not a record id \(FILE_NAME#INDEX/,
    ],
    ['a negative record index', ['correct', 'release', 'F.pb#-1', '--note', 'n', '--by', 'Li Wei'], /not a record id/],
    ['an unknown status', ['correct', 'list', '--status', 'pending'], /--status pending: not one of proposed, approved, rejected, posted/],
    ['an unknown option', ['correct', 'list', '--colour'], /unknown option/],
    [
      'an operator with an unknown right',
      [...base, '--amount-fen', '5'],
      /bad-operators\.json: operators\[1\]\.may\[1\]: not propose or approve/,
      { config: badConfig },
    ],
    [
      'a missing participants file',
      [...base, '--amount-fen', '5'],
      /nowhere\.json: cannot read the participants file: no such file/,
      { config: path.join(dir, 'nowhere.json') },
    ],
    ['a missing store', [...base, '--amount-fen', '5'], /no such store/, { db: path.join(dir, 'none.db') }],
  ];
  for (const [name, args, why, opts] of cases) {
    const before = recorded();
    const r = lct(args, opts ?? {});
    assert.equal(r.status, 2, `${name}: exit ${r.status}, ${r.stderr}`);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, `${name}: one line: ${r.stderr}`);
    assert.match(r.stderr, why, name);
    assert.doesNotMatch(r.stderr, /\n\s+at /, `${name}: no stack trace`);
    assert.equal(recorded(), before, `${name}: nothing recorded`);
  }
  assert.ok(!fs.existsSync(path.join(dir, 'none.db')), 'a missing store is not created');
});

test("on a store that has run no day, an approval takes effect on the next batch's day", () => {
  const fresh = path.join(dir, 'fresh.db');
  openStore(fresh).close();
  const proposed = lct(
    ['correct', 'adjust', '--participant', '00000001', '--amount-fen', '250', '--account', 'float:cards', '--note', 'n', '--by', 'Li Wei'],
    { db: fresh },
  );
  assert.equal(proposed.status, 0, proposed.stderr);
  const approved = lct(['correct', 'approve', 'C1', '--by', 'Zhang Min'], { db: fresh });
  assert.equal(approved.status, 0, approved.stderr);
  assert.match(approved.stdout, /effective the next batch's day/);
  assert.equal(json(lct(['correct', 'list', '--json'], { db: fresh }))[0].effective_date, null);
});
