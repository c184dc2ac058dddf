// Corrections in the store: the history is append only and a correction only moves
// forward, whatever SQL is tried; and what the batch of the effective day will do
// (phase 2), done here by hand on a real store: approvedFor gives clearDay the day's
// approved corrections, the entries balance and chain, markPosted marks them posted,
// the released record ACCEPTED and the named item closed by the approver.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clearDay } from '../../src/core/clearing';
import type { Operator } from '../../src/core/corrections';
import {
  type Authority,
  type CorrectionOutcome,
  approvedFor,
  correctionHistory,
  decideCorrection,
  firstDayNotClosed,
  getCorrection,
  markPosted,
  proposeAdjustment,
  proposeRelease,
} from '../../src/store/corrections';
import { type Db, openStore } from '../../src/store/db';
import { appendEntries, verifyJournal } from '../../src/store/journal';
import { getItem } from '../../src/store/recon-items';
import { EXAMPLE_DIR, exampleRegistry } from '../core/example-config';

const LCT = path.join(__dirname, '../../../bin/lct.js');
const OPERATORS: Operator[] = [
  { name: 'Li Wei', may: ['propose'] },
  { name: 'Zhang Min', may: ['propose', 'approve'] },
  { name: 'Wang Fang', may: ['approve'] },
];
const auth: Authority = { operators: OPERATORS, registry: exampleRegistry() };
const AT = '20251231083000';

let dir = '';
let db: Db;

/** One act in its own write transaction, as the command runs it; the outcome must be ok. */
function act(f: () => CorrectionOutcome): string {
  const outcome = db.transaction(f).immediate();
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.refusal.message);
  return outcome.correction.id;
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-corrections-store-'));
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
      path.join(dir, 'lct.db'),
      '--config',
      path.join(EXAMPLE_DIR, 'participants.json'),
      '--keys',
      path.join(EXAMPLE_DIR, 'keys.json'),
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 3, r.stderr);
  db = openStore(path.join(dir, 'lct.db'));
});

after(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const SUSPENDED_FILE = 'TXN_UPLOAD_41010101_41010000_20251230_0003.pb';

describe('the history of corrections', () => {
  it('only moves forward, never changes what was proposed or decided, and is never deleted', () => {
    const a = act(() =>
      proposeAdjustment(
        db,
        auth,
        { by: 'Li Wei', participant_id: '41010102', account: 'expense:adjustments', amount_fen: 500, note: 'our error', item_id: null },
        AT,
      ),
    );
    const b = act(() =>
      proposeAdjustment(
        db,
        auth,
        { by: 'Li Wei', participant_id: '41010201', account: 'income:fees', amount_fen: -300, note: 'twice', item_id: null },
        AT,
      ),
    );
    act(() => decideCorrection(db, auth, { decision: 'approve', id: a, by: 'Zhang Min', note: null }, AT));
    act(() => decideCorrection(db, auth, { decision: 'reject', id: b, by: 'Wang Fang', note: 'not proven' }, AT));
    const forward = /only moves forward/;
    const refused: [string, RegExp][] = [
      [`UPDATE corrections SET amount_fen = 5000 WHERE id = '${a}'`, forward],
      [`UPDATE corrections SET note = 'other' WHERE id = '${a}'`, forward],
      [
        `UPDATE corrections SET status = 'proposed', decided_by = NULL, decided_at = NULL, effective_date = NULL WHERE id = '${a}'`,
        forward,
      ],
      [`UPDATE corrections SET status = 'rejected' WHERE id = '${a}'`, forward],
      [`UPDATE corrections SET decided_by = 'Wang Fang' WHERE id = '${a}'`, forward],
      [`UPDATE corrections SET status = 'approved', decided_by = 'Zhang Min' WHERE id = '${b}'`, forward],
      [
        `UPDATE corrections SET status = 'posted', entry_id = 'x', posted_at = '${AT}', effective_date = '20251231' WHERE id = '${b}'`,
        forward,
      ],
      [`DELETE FROM corrections WHERE id = '${b}'`, /never deleted/],
      ['DELETE FROM corrections', /never deleted/],
      [`UPDATE correction_events SET note = 'x' WHERE correction_id = '${a}'`, /append only/],
      [`DELETE FROM correction_events WHERE correction_id = '${a}'`, /append only/],
      [
        `INSERT INTO corrections (n, id, kind, participant_id, account, amount_fen, note, proposed_by, proposed_at, status, decided_by, decided_at)
         VALUES (99, 'C99', 'adjustment', '41010101', 'income:fees', 1, 'x', 'Li Wei', '${AT}', 'approved', 'Zhang Min', '${AT}')`,
        /begins as a proposal/,
      ],
      [
        `INSERT INTO corrections (n, id, kind, participant_id, account, amount_fen, note, proposed_by, proposed_at, status)
         VALUES (99, 'C7', 'adjustment', '41010101', 'income:fees', 1, 'x', 'Li Wei', '${AT}', 'proposed')`,
        /CHECK constraint failed/,
      ],
    ];
    const before = JSON.stringify([db.prepare('SELECT * FROM corrections').all(), db.prepare('SELECT * FROM correction_events').all()]);
    for (const [sql, why] of refused) assert.throws(() => db.exec(sql), why, sql);
    assert.equal(
      JSON.stringify([db.prepare('SELECT * FROM corrections').all(), db.prepare('SELECT * FROM correction_events').all()]),
      before,
      'nothing changed',
    );
    // An approval by the proposer is refused by the schema too, not only by the ladder.
    const c = act(() =>
      proposeAdjustment(
        db,
        auth,
        { by: 'Zhang Min', participant_id: '41010101', account: 'income:fees', amount_fen: 7, note: 'fee', item_id: null },
        AT,
      ),
    );
    assert.throws(
      () => db.exec(`UPDATE corrections SET status = 'approved', decided_by = 'Zhang Min', decided_at = '${AT}' WHERE id = '${c}'`),
      /CHECK constraint failed/,
    );
    act(() => decideCorrection(db, auth, { decision: 'reject', id: c, by: 'Zhang Min', note: 'withdrawn by its proposer' }, AT));

    assert.deepEqual(
      correctionHistory(db, a).map((e) => [e.event, e.operator, e.note, e.business_date]),
      [
        ['proposed', 'Li Wei', 'our error', null],
        ['approved', 'Zhang Min', null, '20251231'],
      ],
    );
    assert.deepEqual(
      correctionHistory(db, b).map((e) => [e.event, e.operator, e.note]),
      [
        ['proposed', 'Li Wei', 'twice'],
        ['rejected', 'Wang Fang', 'not proven'],
      ],
    );
  });

  it('ids count on after refusals and rejections: none is reused', () => {
    const ids = (db.prepare('SELECT id FROM corrections ORDER BY n').pluck().all() as string[]).join(' ');
    assert.equal(ids, 'C1 C2 C3');
    const refused = db
      .transaction(() =>
        proposeAdjustment(
          db,
          auth,
          { by: 'Nobody', participant_id: '41010101', account: 'income:fees', amount_fen: 1, note: 'x', item_id: null },
          AT,
        ),
      )
      .immediate();
    assert.equal(refused.ok, false);
    const next = act(() =>
      proposeAdjustment(
        db,
        auth,
        {
          by: 'Li Wei',
          participant_id: '00000001',
          account: 'float:cards',
          amount_fen: 250,
          note: 'a record never cleared',
          item_id: null,
        },
        AT,
      ),
    );
    assert.equal(next, 'C4');
  });
});

describe('posting by the batch of the effective day (what phase 2 wires)', () => {
  it('approvedFor gives clearDay the day’s approved corrections; markPosted records them, the record and the item', () => {
    assert.equal(firstDayNotClosed(db), '20251231');
    const item = db
      .prepare("SELECT id FROM recon_items WHERE closed_date IS NULL AND kind = 'uploads' ORDER BY id LIMIT 1")
      .pluck()
      .get() as string;
    act(() => decideCorrection(db, auth, { decision: 'approve', id: 'C4', by: 'Wang Fang', note: 'proven by the national centre' }, AT));
    const release = act(() =>
      proposeRelease(
        db,
        auth,
        { by: 'Li Wei', file_name: SUSPENDED_FILE, index: 5, note: 'the loss report came too late', item_id: item },
        AT,
      ),
    );
    act(() => decideCorrection(db, auth, { decision: 'approve', id: release, by: 'Zhang Min', note: null }, AT));

    assert.deepEqual(approvedFor(db, '20251230'), { adjustments: [], releases: [] }, 'nothing takes effect on a closed day');
    const approved = approvedFor(db, '20251231');
    const recordId = db.prepare('SELECT first_record_id + 5 FROM files WHERE name = ?').pluck().get(SUSPENDED_FILE) as number;
    assert.deepEqual(approved, {
      adjustments: [
        { id: 'C1', participant_id: '41010102', account: 'expense:adjustments', amount_fen: 500 },
        { id: 'C4', participant_id: '00000001', account: 'float:cards', amount_fen: 250 },
      ],
      releases: [{ id: 'C5', participant_id: '41010101', merchant_id: '410101010000003', amount_fen: 100, record_id: recordId }],
    });

    const none = { count: 0, gross_fen: 0 };
    const day = clearDay({
      date: '20251231',
      registry: auth.registry,
      purchases: [],
      loads: [],
      interop_in: none,
      interop_out: none,
      suspended: none,
      corrections: approved,
    });
    db.transaction(() => {
      appendEntries(db, day.entries);
      markPosted(db, '20251231', day.posted, '20260101013000');
    })();
    assert.deepEqual(verifyJournal(db).ok, true);

    const c1 = getCorrection(db, 'C1')!;
    assert.deepEqual([c1.status, c1.effective_date, c1.entry_id, c1.decided_by], ['posted', '20251231', '20251231/adjust/C1', 'Zhang Min']);
    assert.equal(getCorrection(db, 'C2')!.status, 'rejected', 'a rejected correction is never posted');
    assert.equal(getCorrection(db, 'C5')!.entry_id, '20251231/release/C5');
    const record = db.prepare('SELECT status, reason, cleared_date, suspense_date FROM record_view WHERE id = ?').get(recordId);
    assert.deepEqual({ ...(record as object) }, { status: 'ACCEPTED', reason: '', cleared_date: '20251231', suspense_date: '20251230' });
    const closed = getItem(db, item)!;
    assert.deepEqual(
      [closed.closed_date, closed.closed_by, closed.close_note],
      ['20251231', 'Zhang Min', 'the loss report came too late'],
      'resolved by the approver, with the correction’s note',
    );
    assert.deepEqual(
      correctionHistory(db, 'C5').map((e) => [e.event, e.operator, e.business_date, e.entry_id]),
      [
        ['proposed', 'Li Wei', null, null],
        ['approved', 'Zhang Min', '20251231', null],
        ['posted', null, '20251231', '20251231/release/C5'],
      ],
    );
    // Posted once and never again.
    assert.deepEqual(approvedFor(db, '20260101'), { adjustments: [], releases: [] });
    assert.throws(() => db.exec("UPDATE corrections SET entry_id = 'other' WHERE id = 'C1'"), /only moves forward/);
  });

  it('markPosted refuses to leave an approved correction of the day unposted', () => {
    act(() =>
      proposeAdjustment(
        db,
        auth,
        { by: 'Li Wei', participant_id: '41010103', account: 'expense:adjustments', amount_fen: 9, note: 'goodwill', item_id: null },
        AT,
      ),
    );
    act(() => decideCorrection(db, auth, { decision: 'approve', id: 'C6', by: 'Wang Fang', note: null }, AT));
    assert.throws(() => db.transaction(() => markPosted(db, '20251231', [], AT))(), /1 approved correction\(s\) of 20251231 left unposted/);
    assert.equal(getCorrection(db, 'C6')!.status, 'approved');
  });
});
