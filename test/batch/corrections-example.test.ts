// Corrections posted by the real batch (issue 9 phase 2), on the spec's worked example:
// after night 1, operators propose an adjustment for an acquirer (+, naming the
// terminal gap it settles), one for an agent (-), one for the national centre, one
// that is rejected, one left unapproved, and the release of a SUSPENDED TXN_UPLOAD
// record; night 2 is then run with the real command line. Every figure expected below
// is the spec's expected outcome for night 2 (expected/20251231.json) moved by hand by
// the corrections, as the comments work out; nothing is read back from lct to make the
// expectation. Then: what operators see (report.txt, report.html's gatherer, record
// explain, card history, recon items --all, file inspect), a rerun of the closed
// night that posts nothing twice, and an approval after the night that takes effect
// on the next day.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { scanExchangeFile } from '../../src/files/reader';
import { openStore } from '../../src/store/db';
import { dayReportData } from '../../src/store/day-report-data';
import { renderDayReportHtml } from '../../src/report/day-report';
import { EXAMPLE_DIR } from '../spec-vectors';
import { parseKeys, parseParticipants } from '../../src/core/config';
import { makeContext } from '../../src/batch/context';
import { importInbox } from '../../src/batch/import-files';

const LCT = path.join(__dirname, '../../../bin/lct.js');
const KEYS = path.join(EXAMPLE_DIR, 'keys.json');

let dir = '';
let db = '';
let config = '';
const out = (D: string) => path.join(dir, 'out', D);

function lct(args: string[], now = '20251231093000') {
  const r = spawnSync(process.execPath, [LCT, ...args, '--db', db, '--config', config], {
    encoding: 'utf8',
    env: { ...process.env, LCT_NOW: now, LCT_DB: '', LCT_CONFIG: '' },
  });
  assert.doesNotMatch(r.stderr, /\n\s+at /, `no stack trace: ${r.stderr}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function batch(iso: string, outbox = out(iso.replace(/-/g, ''))) {
  const D = iso.replace(/-/g, '');
  return lct(
    ['batch', '--date', iso, '--inbox', path.join(EXAMPLE_DIR, 'inbox', D), '--outbox', outbox, '--keys', KEYS, '--json'],
    `${D}235900`,
  );
}

function records(file: string): Record<string, unknown>[] {
  const list: Record<string, unknown>[] = [];
  const scan = scanExchangeFile(file, (r) => list.push(r as unknown as Record<string, unknown>));
  assert.equal(scan.unreadable ?? scan.trailer_mismatch ?? scan.name_mismatch, undefined, file);
  return list;
}

function digests(d: string): Record<string, string> {
  const outd: Record<string, string> = {};
  for (const e of fs.readdirSync(d, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    outd[path.relative(d, p)] = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
  }
  return outd;
}

const RELEASED = 'TXN_UPLOAD_41010101_41010000_20251230_0003.pb#5'; // 100 fen, acquirer 41010101, merchant 410101010000003
const RELEASED_CARD = '41010001345277871484';
const GAP_ITEM = 'uploads:REMOTE_ONLY:41010112/5AF0DFD8A064:539830-539830'; // a record terminal 5AF0DFD8A064 never delivered
const C1_NOTE = 'terminal 5AF0DFD8A064 lost record 539830: the receipt proves a 23.50 yuan lunch';
const STATEMENT = (p: string) => `CLEARING_STATEMENT_41010000_${p}_20251231_0001.pb`;

let night2: { status: number | null; stdout: string; stderr: string };

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-corrections-example-'));
  db = path.join(dir, 'lct.db');
  config = path.join(dir, 'participants.json');
  const p = JSON.parse(fs.readFileSync(path.join(EXAMPLE_DIR, 'participants.json'), 'utf8'));
  p.operators = [
    { name: 'Li Wei', may: ['propose'] },
    { name: 'Zhang Min', may: ['propose', 'approve'] },
    { name: 'Wang Fang', may: ['approve'] },
  ];
  fs.writeFileSync(config, JSON.stringify(p));
  const night1 = batch('2025-12-30');
  assert.equal(night1.status, 3, night1.stderr);

  const ok = (r: { status: number | null; stderr: string }) => assert.equal(r.status, 0, r.stderr);
  const adjust = (participant: string, fen: number, account: string, note: string, by: string, more: string[] = []) =>
    ok(
      lct([
        'correct',
        'adjust',
        '--participant',
        participant,
        '--amount-fen',
        String(fen),
        '--account',
        account,
        '--note',
        note,
        '--by',
        by,
        ...more,
      ]),
    );
  // C1: the acquirer proves a purchase its terminal never delivered: paid out of the card float, and the gap's item settled.
  adjust('41010112', 2350, 'float:cards', C1_NOTE, 'Li Wei', ['--item', GAP_ITEM]);
  // C2: the agent's commission was paid twice: the agent owes the centre 3 yuan more.
  adjust('41010201', -300, 'income:fees', 'commission paid twice on the 29th', 'Li Wei');
  // C3: our card's purchase elsewhere, suspended, paid to the national centre after all (decisions.md: an INTEROP_IN record is released this way).
  adjust('00000001', 700, 'suspense:blacklist', 'INTEROP_IN_00000001_41010000_20251230_0001.pb#0: loss reported too late', 'Zhang Min');
  // C4: rejected. C5: the release. C6: never approved before night 2.
  adjust('41010103', 999, 'expense:adjustments', 'goodwill for a fare dispute', 'Li Wei');
  ok(lct(['correct', 'release', RELEASED, '--note', 'blacklisted by mistake', '--by', 'Li Wei']));
  adjust('41010102', 5000, 'expense:adjustments', 'refund of a faulty gate', 'Li Wei');
  for (const [id, by] of [
    ['C1', 'Zhang Min'],
    ['C2', 'Wang Fang'],
    ['C3', 'Wang Fang'],
    ['C5', 'Zhang Min'],
  ]) {
    const r = lct(['correct', 'approve', id!, '--by', by!]);
    ok(r);
    assert.match(r.stdout, /effective 2025-12-31: posted by that day's batch/, `approve ${id} prints its day: the first not yet closed`);
  }
  ok(lct(['correct', 'reject', 'C4', '--by', 'Zhang Min', '--note', 'a fare dispute is the operator’s own']));

  night2 = batch('2025-12-31');
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('night 2: the summary counts the released record as cleared and settles the corrections', () => {
  assert.equal(night2.status, 3, night2.stderr);
  const s = JSON.parse(night2.stdout);
  // expected/20251231.json: cleared 198 records, 572,854 fen; + the released record of 100 fen.
  assert.deepEqual(s.cleared, { count: 199, gross_fen: 572954 });
  // The night's records are counted by their verdict at import, as without corrections.
  assert.deepEqual(s.records, { accepted: 193, rejected: 41, suspended: 6, pending_interop: 11 });
  // pay out 253,682 + 2,350 (C1 to 41010112) + 99 (41010101: its group's net 1,795 -> 1,894)
  // collect 343,654 - 700 (C3: the national centre owes less) + 300 (C2: the agent owes more)
  assert.deepEqual(s.settlement, { instructions: 9, pay_out_fen: 256131, collect_fen: 343254 });
  // 84 open at the end of the night, less the terminal gap C1 settled.
  assert.equal(s.open_mismatches, 83);
});

test('night 2: each participant statement carries its corrections (category 5, ref) and nothing else changed', () => {
  const lines = (p: string) => records(path.join(out('20251231'), STATEMENT(p)));
  const adjustment = (p: string, ref: string, fen: number) => ({
    participant_id: p,
    merchant_id: '',
    category: 5,
    count: 1,
    gross_fen: fen,
    fee_fen: 0,
    net_fen: fen,
    fee_rate: '0',
    ref,
  });
  // 41010112: its four purchase lines as expected, then C1.
  const l12 = lines('41010112');
  assert.equal(l12.length, 5);
  assert.deepEqual(l12[4], adjustment('41010112', 'C1', 2350));
  assert.deepEqual(
    l12.slice(0, 4).map((l) => [l.merchant_id, l.net_fen, l.ref]),
    [
      ['410111200000CAN', 23221, undefined],
      ['410111200000FLT', 2986, undefined],
      ['410111200000HMN', 5467, undefined],
      ['410111200000TEA', 19497, undefined],
    ],
  );
  // 41010201: three load lines, then C2.
  const l201 = lines('41010201');
  assert.deepEqual(l201.at(-1), adjustment('41010201', 'C2', -300));
  assert.deepEqual(
    l201.slice(0, 3).map((l) => l.net_fen),
    [-7984, -137443, -83832],
  );
  // 00000001: interop in and out, then C3.
  const lnat = lines('00000001');
  assert.deepEqual(
    lnat.map((l) => [l.category, l.net_fen, l.ref ?? '']),
    [
      [3, 11350, ''],
      [4, -48973, ''],
      [5, 700, 'C3'],
    ],
  );
  // 41010101: the released record joins merchant 410101010000003's group: 15 -> 16 records,
  // gross 1,800 -> 1,900, fee round_half_up(1,900 x 0.0030 = 5.7) = 6 (it was 5), net 1,894.
  const l101 = lines('41010101');
  assert.deepEqual(
    l101.map((l) => [l.merchant_id, l.category, l.count, l.gross_fen, l.fee_fen, l.net_fen]),
    [
      ['410101010000001', 1, 27, 3300, 10, 3290],
      ['410101010000002', 1, 18, 1900, 5, 1895],
      ['410101010000003', 1, 16, 1900, 6, 1894],
      ['410101010000004', 1, 13, 1650, 5, 1645],
    ],
  );
  // C4 was rejected: 41010103's statement is the expected one; C6 was never approved: 41010102's too.
  assert.deepEqual(
    lines('41010103').map((l) => [l.category, l.net_fen]),
    [
      [1, 13330],
      [1, 8950],
      [1, 8727],
    ],
  );
  assert.ok(
    lines('41010102').every((l) => l.category === 1),
    'an unapproved proposal posts nothing',
  );
  // The trailer's total is the participant's net.
  const total = (p: string) => scanExchangeFile(path.join(out('20251231'), STATEMENT(p)), () => {}).trailer!.total_amount_fen;
  assert.deepEqual(['00000001', '41010101', '41010112', '41010201'].map(total), [-37623 + 700, 8625 + 99, 51171 + 2350, -229259 - 300]);
});

test('night 2: the instructions pay and collect the nets with the corrections in them', () => {
  const got = records(path.join(out('20251231'), 'SETTLEMENT_41010000_10000001_20251231_0001.pb')).map((i) => [
    i.instruction_id,
    i.payer_id,
    i.payee_id,
    i.amount_fen,
  ]);
  assert.deepEqual(got, [
    ['20251231-00000001', '00000001', '41010000', 36923], // 37,623 - 700 (C3)
    ['20251231-41010101', '41010000', '41010101', 8724], // 8,625 + 99 (C5's record, less the group's new fee)
    ['20251231-41010102', '41010000', '41010102', 27436],
    ['20251231-41010103', '41010000', '41010103', 31007],
    ['20251231-41010111', '41010000', '41010111', 90164],
    ['20251231-41010112', '41010000', '41010112', 53521], // 51,171 + 2,350 (C1)
    ['20251231-41010113', '41010000', '41010113', 45279],
    ['20251231-41010201', '41010201', '41010000', 229559], // 229,259 + 300 (C2)
    ['20251231-41010202', '41010202', '41010000', 76772],
  ]);
});

test('night 2: the ledger holds each correction once, balanced, and every payable and receivable is zero', () => {
  const b = spawnSync(process.execPath, [LCT, 'ledger', 'balances', '--date', '2025-12-31', '--json', '--db', db], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const balances = Object.fromEntries(
    (JSON.parse(b.stdout) as { account: string; balance_fen: number }[])
      .filter((x) => x.balance_fen !== 0)
      .map((x) => [x.account, x.balance_fen]),
  );
  assert.deepEqual(balances, {
    'bank:settlement': 222794,
    'expense:agent-commission': 1574,
    'expense:interop-fees': 147,
    // -249,646 + 2,350: C1 debits the float (card value spent, never cleared)
    'float:cards': -247296,
    // -1,787 - 300 (C2) - 1 (the released record's group: fee 5 -> 6)
    'income:fees': -2088,
    // 52,916 - 2,449 (more paid out) - 700 + 300 (collected less, more)
    'settlement:in-transit': 50067,
    // -25,998 + 100 (C5 released) + 700 (C3)
    'suspense:blacklist': -25198,
  });
  const store = openStore(db, { readonly: true });
  try {
    const entry = (id: string) =>
      store
        .prepare(
          'SELECT p.account, p.debit_fen, p.credit_fen FROM entries e JOIN postings p ON p.entry_seq = e.seq WHERE e.id = ? ORDER BY p.line',
        )
        .all(id);
    assert.deepEqual(entry('20251231/adjust/C1'), [
      { account: 'float:cards', debit_fen: 2350, credit_fen: 0 },
      { account: 'payable:acquirer:41010112', debit_fen: 0, credit_fen: 2350 },
    ]);
    assert.deepEqual(entry('20251231/adjust/C2'), [
      { account: 'receivable:agent:41010201', debit_fen: 300, credit_fen: 0 },
      { account: 'income:fees', debit_fen: 0, credit_fen: 300 },
    ]);
    assert.deepEqual(entry('20251231/adjust/C3'), [
      { account: 'suspense:blacklist', debit_fen: 700, credit_fen: 0 },
      { account: 'payable:national', debit_fen: 0, credit_fen: 700 },
    ]);
    assert.deepEqual(entry('20251231/release/C5'), [
      { account: 'suspense:blacklist', debit_fen: 100, credit_fen: 0 },
      { account: 'payable:acquirer:41010101', debit_fen: 0, credit_fen: 100 },
    ]);
    assert.equal(
      store.prepare("SELECT COUNT(*) FROM entries WHERE id LIKE '%/adjust/%' OR id LIKE '%/release/%'").pluck().get(),
      4,
      'C4 (rejected) and C6 (proposed) posted nothing',
    );
    const list = (
      store.prepare('SELECT id, status, effective_date, entry_id FROM corrections ORDER BY n').all() as Record<string, unknown>[]
    ).map((c) => [c.id, c.status, c.effective_date, c.entry_id]);
    assert.deepEqual(list, [
      ['C1', 'posted', '20251231', '20251231/adjust/C1'],
      ['C2', 'posted', '20251231', '20251231/adjust/C2'],
      ['C3', 'posted', '20251231', '20251231/adjust/C3'],
      ['C4', 'rejected', null, null],
      ['C5', 'posted', '20251231', '20251231/release/C5'],
      ['C6', 'proposed', null, null],
    ]);
    const record = store
      .prepare(
        'SELECT r.status, r.reason, r.verdict_status, r.cleared_date, r.suspense_date FROM record_view r JOIN files f ON f.id = r.file_id WHERE f.name = ? AND r.idx = 5',
      )
      .get(RELEASED.split('#')[0]);
    assert.deepEqual(record, {
      status: 'ACCEPTED',
      reason: '',
      verdict_status: 'SUSPENDED',
      cleared_date: '20251231',
      suspense_date: '20251230',
    });
    const item = store.prepare('SELECT closed_date, closed_by, close_note FROM recon_items WHERE id = ?').get(GAP_ITEM);
    assert.deepEqual(
      item,
      { closed_date: '20251231', closed_by: 'Zhang Min', close_note: C1_NOTE },
      'closed as resolved by the approver, with the note',
    );
  } finally {
    store.close();
  }
  const v = spawnSync(process.execPath, [LCT, 'ledger', 'verify', '--db', db], { encoding: 'utf8' });
  assert.equal(v.status, 0, v.stderr + v.stdout);
});

test('operators see the corrections: report.txt, report.html, record explain, card history, recon items --all, file inspect', () => {
  const txt = fs.readFileSync(path.join(out('20251231'), 'reports', '20251231', 'report.txt'), 'utf8');
  assert.match(txt, /Corrections posted: 4\n/);
  assert.match(txt, /C1 +adjustment +41010112 +23\.50 +float:cards +Li Wei +Zhang Min +20251231\/adjust\/C1/);
  assert.match(txt, /C2 +adjustment +41010201 +-3\.00 +income:fees +Li Wei +Wang Fang/);
  assert.match(txt, /C3 +adjustment +00000001 +7\.00 +suspense:blacklist +Zhang Min +Wang Fang/);
  assert.match(txt, /C5 +release +41010101 +1\.00 +suspense:blacklist +Li Wei +Zhang Min +20251231\/release\/C5/);
  assert.match(txt, new RegExp(`C1 note: ${C1_NOTE}\\n +settles reconciliation item ${GAP_ITEM}`));
  assert.match(txt, new RegExp(`C5 note: blacklisted by mistake\\n +released record ${RELEASED}`));
  assert.doesNotMatch(txt, /^ +C[46] /m, 'neither the rejected nor the unapproved correction');
  const night1Txt = fs.readFileSync(path.join(out('20251230'), 'reports', '20251230', 'report.txt'), 'utf8');
  assert.match(night1Txt, /Corrections posted: 0\n/);

  const store = openStore(db, { readonly: true });
  try {
    const reports = path.join(out('20251231'), 'reports', '20251231');
    const read = (f: string) => JSON.parse(fs.readFileSync(path.join(reports, f), 'utf8'));
    const data = dayReportData(
      store,
      JSON.parse(fs.readFileSync(config, 'utf8')),
      '20251231',
      read('summary.json'),
      read('reconciliation.json'),
      read('exceptions.json'),
    );
    assert.deepEqual(
      data.corrections?.map((c) => [
        c.id,
        c.kind,
        c.participant.name,
        c.amount_fen,
        c.account,
        c.proposed_by,
        c.approved_by,
        c.record,
        c.item,
      ]),
      [
        ['C1', 'adjustment', 'Songshan Dining Acquiring', 2350, 'float:cards', 'Li Wei', 'Zhang Min', null, GAP_ITEM],
        ['C2', 'adjustment', 'ICBC Zhengzhou top-up', -300, 'income:fees', 'Li Wei', 'Wang Fang', null, null],
        ['C3', 'adjustment', 'National Transport Card Interop Centre', 700, 'suspense:blacklist', 'Zhang Min', 'Wang Fang', null, null],
        ['C5', 'release', 'Zhengzhou Bus Group', 100, 'suspense:blacklist', 'Li Wei', 'Zhang Min', RELEASED, null],
      ],
    );
    const html = renderDayReportHtml(data);
    const section = /<section id="corrections">.*?<\/section>/s.exec(html)?.[0] ?? '';
    assert.match(section, /<h2>Corrections posted<\/h2>/);
    assert.equal(section.match(/<tr>/g)?.length, 5, 'a header row and one row per correction');
    assert.match(section, /commission paid twice on the 29th/);
  } finally {
    store.close();
  }

  const explain = lct(['record', 'explain', RELEASED, '--json']);
  assert.equal(explain.status, 0, explain.stderr);
  const story = JSON.parse(explain.stdout);
  assert.deepEqual(
    [story.verdict.status, story.now.status, story.cleared_date, story.suspense_date],
    ['SUSPENDED', 'ACCEPTED', '20251231', '20251230'],
  );
  assert.deepEqual(
    [story.release.id, story.release.status, story.release.proposed_by, story.release.decided_by, story.release.entry_id],
    ['C5', 'posted', 'Li Wei', 'Zhang Min', '20251231/release/C5'],
  );
  assert.deepEqual(
    story.entries.map((e: { id: string }) => e.id),
    ['20251230/suspense', '20251231/clear/41010101', '20251231/release/C5', '20251231/settle/41010101'],
    'its entries in the order they were posted',
  );
  const explainText = lct(['record', 'explain', RELEASED]);
  assert.match(
    explainText.stdout,
    /release +correction C5, proposed by Li Wei at .*: blacklisted by mistake\n +approved by Zhang Min at .*; posted by the batch of 2025-12-31 in 20251231\/release\/C5/,
  );
  assert.match(explainText.stdout, /cleared +2025-12-31, out of suspense \(suspended on 2025-12-30, released by C5\)/);

  const card = lct(['card', 'history', RELEASED_CARD]);
  assert.equal(card.status, 0, card.stderr);
  assert.match(card.stdout, /3951 .* ACCEPTED \(S01 released by C5\) +2025-12-31/);
  const cardJson = JSON.parse(lct(['card', 'history', RELEASED_CARD, '--json']).stdout);
  assert.deepEqual(
    cardJson.records.map((r: { card_seq: number; release: { id: string } | null }) => [r.card_seq, r.release?.id ?? null]),
    [
      [3950, null],
      [3951, 'C5'],
      [3952, null],
      [3953, null],
    ],
  );

  const items = lct(['recon', 'items', '--all', '--ref', '41010112/5AF0DFD8A064']);
  assert.equal(items.status, 0, items.stderr);
  assert.match(items.stdout, /closed 2025-12-31 by Zhang Min \(correction C1\)/);
  const itemsJson = JSON.parse(lct(['recon', 'items', '--all', '--json']).stdout) as { id: string; correction: string | null }[];
  assert.deepEqual(
    itemsJson.filter((i) => i.correction !== null).map((i) => [i.id, i.correction]),
    [[GAP_ITEM, 'C1']],
    'only the item a correction closed names one',
  );

  const inspect = spawnSync(process.execPath, [LCT, 'file', 'inspect', path.join(out('20251231'), STATEMENT('41010112'))], {
    encoding: 'utf8',
  });
  assert.equal(inspect.status, 0, inspect.stderr);
  assert.match(inspect.stdout, /fee_rate +ref\n/, 'the ref column is there though the first line has none');
  assert.match(inspect.stdout, / 5 +1 +2350 +0 +2350 +0 +C1\n/);
});

test('a rerun of night 2 posts nothing again and writes the same files; a later approval takes effect on the next day, whose statement it is alone on', () => {
  const before = digests(out('20251231'));
  const again = batch('2025-12-31', path.join(dir, 'rerun'));
  assert.equal(again.status, night2.status);
  assert.equal(again.stdout, night2.stdout);
  assert.deepEqual(digests(path.join(dir, 'rerun')), before);
  const approve = lct(['correct', 'approve', 'C6', '--by', 'Wang Fang']);
  assert.equal(approve.status, 0, approve.stderr);
  assert.match(approve.stdout, /effective 2026-01-01: posted by that day's batch/, 'after the close: the next day');
  const store = openStore(db, { readonly: true });
  try {
    assert.equal(store.prepare("SELECT COUNT(*) FROM statement_lines WHERE ref <> ''").pluck().get(), 3);
    assert.equal(store.prepare("SELECT status FROM corrections WHERE id = 'C6'").pluck().get(), 'approved');
  } finally {
    store.close();
  }
  // Night 3 has no files: C6 is 41010102's only line, and it still gets its statement and instruction.
  const empty = path.join(dir, 'empty-inbox');
  fs.mkdirSync(empty, { recursive: true });
  const night3 = lct(
    ['batch', '--date', '2026-01-01', '--inbox', empty, '--outbox', out('20260101'), '--keys', KEYS, '--json'],
    '20260101235900',
  );
  assert.ok(night3.status === 0 || night3.status === 3, night3.stderr);
  assert.deepEqual(records(path.join(out('20260101'), 'CLEARING_STATEMENT_41010000_41010102_20260101_0001.pb')), [
    {
      participant_id: '41010102',
      merchant_id: '',
      category: 5,
      count: 1,
      gross_fen: 5000,
      fee_fen: 0,
      net_fen: 5000,
      fee_rate: '0',
      ref: 'C6',
    },
  ]);
  assert.deepEqual(
    records(path.join(out('20260101'), 'SETTLEMENT_41010000_10000001_20260101_0001.pb')).map((i) => [
      i.instruction_id,
      i.payee_id,
      i.amount_fen,
    ]),
    [['20260101-41010102', '41010102', 5000]],
  );
  assert.deepEqual(JSON.parse(night3.stdout).settlement, { instructions: 1, pay_out_fen: 5000, collect_fen: 0 });
});

// A day interrupted after its import is still open: a release approved now takes effect
// on it (the first day not closed), of a record that day imported. The rerun clears the
// record that night, and the day's summary still counts it as suspended by its verdict
// (docs/decisions.md, "Corrections"): the expected night 1, with the record cleared.
test('a record imported and released on the same day counts as suspended and as cleared on that day', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-same-day-release-'));
  const store = path.join(work, 'lct.db');
  try {
    const participants = parseParticipants(JSON.parse(fs.readFileSync(config, 'utf8')));
    const keys = parseKeys(JSON.parse(fs.readFileSync(KEYS, 'utf8')), ['41010001']);
    assert.ok(participants.ok && keys.ok);
    // The batch of 2025-12-30, killed after its import: the day open, its records stored.
    const d = openStore(store);
    try {
      d.prepare("INSERT INTO days (date, status) VALUES ('20251230', 'OPEN')").run();
      const ctx = makeContext(d, participants.value, keys.value, '20251230', () => {});
      try {
        importInbox(ctx, path.join(EXAMPLE_DIR, 'inbox', '20251230'), 'off');
      } finally {
        ctx.tonight.close();
      }
    } finally {
      d.close();
    }
    const run = (args: string[], now = '20251231010000') => {
      const r = spawnSync(process.execPath, [LCT, ...args, '--db', store, '--config', config], {
        encoding: 'utf8',
        env: { ...process.env, LCT_NOW: now, LCT_DB: '', LCT_CONFIG: '' },
      });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    assert.equal(run(['correct', 'release', RELEASED, '--note', 'blacklisted by mistake', '--by', 'Li Wei']).status, 0);
    const approved = run(['correct', 'approve', 'C1', '--by', 'Zhang Min']);
    assert.equal(approved.status, 0, approved.stderr);
    assert.match(approved.stdout, /effective 2025-12-30: posted by that day's batch/, 'the open day is the first not yet closed');

    const outbox = path.join(work, 'out');
    const r = run([
      'batch',
      '--date',
      '2025-12-30',
      '--inbox',
      path.join(EXAMPLE_DIR, 'inbox', '20251230'),
      '--outbox',
      outbox,
      '--keys',
      KEYS,
      '--json',
    ]);
    assert.equal(r.status, 3, r.stderr);
    const s = JSON.parse(r.stdout);
    // expected/20251230.json, with the released record cleared: 180 -> 181 records, 509,424 -> 509,524 fen;
    // its group 410101010000003: gross 2,350 -> 2,450, fee round_half_up(7.35) = 7 as before, so 41010101 is paid 100 more.
    assert.deepEqual(s.records, { accepted: 180, rejected: 39, suspended: 5, pending_interop: 11 }, 'still suspended by its verdict');
    assert.deepEqual(s.cleared, { count: 181, gross_fen: 509524 });
    assert.deepEqual(s.settlement, { instructions: 9, pay_out_fen: 161158, collect_fen: 346796 });
    const x = JSON.parse(fs.readFileSync(path.join(outbox, 'reports', '20251230', 'exceptions.json'), 'utf8'));
    assert.equal(x.suspended.length, 5, "the day's exceptions still list it");
    const line = records(path.join(outbox, 'CLEARING_STATEMENT_41010000_41010101_20251230_0001.pb')).find(
      (l) => l.merchant_id === '410101010000003',
    );
    assert.deepEqual([line?.count, line?.gross_fen, line?.fee_fen, line?.net_fen], [20, 2450, 7, 2443]);
    const b = spawnSync(process.execPath, [LCT, 'ledger', 'balances', '--json', '--db', store], { encoding: 'utf8' });
    const balances = Object.fromEntries(
      (JSON.parse(b.stdout) as { account: string; balance_fen: number }[])
        .filter((x) => x.balance_fen !== 0)
        .map((x) => [x.account, x.balance_fen]),
    );
    // Into suspense with the day's suspended records (-6,600), out again with the release (+100).
    assert.deepEqual(balances, {
      'expense:agent-commission': 887,
      'float:cards': -179342,
      'income:fees': -683,
      'settlement:in-transit': 185638,
      'suspense:blacklist': -6500,
    });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

// An approved correction is posted by the batch of its effective day, never skipped:
// when the participants file no longer lists its participant, the close stops (exit
// 1, one line naming the correction) and keeps nothing; listed again, the rerun posts it.
test('a correction approved for a participant the file no longer lists stops the close until it is listed again', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-unlisted-'));
  const store = path.join(work, 'lct.db');
  const without = path.join(work, 'without.json');
  try {
    const p = JSON.parse(fs.readFileSync(config, 'utf8'));
    p.agents = p.agents.filter((a: { id: string }) => a.id !== '41010202');
    fs.writeFileSync(without, JSON.stringify(p));
    const run = (args: string[], conf = config) => {
      const r = spawnSync(process.execPath, [LCT, ...args, '--db', store, '--config', conf, '--keys', KEYS], {
        encoding: 'utf8',
        env: { ...process.env, LCT_NOW: '20260101010000', LCT_DB: '', LCT_CONFIG: '' },
      });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const night = (iso: string, conf = config) =>
      run(
        [
          'batch',
          '--date',
          iso,
          '--inbox',
          path.join(EXAMPLE_DIR, 'inbox', iso.replace(/-/g, '')),
          '--outbox',
          path.join(work, iso),
          '--json',
        ],
        conf,
      );
    assert.equal(night('2025-12-30').status, 3);
    const proposed = run([
      'correct',
      'adjust',
      '--participant',
      '41010202',
      '--amount-fen',
      '-250',
      '--account',
      'income:fees',
      '--note',
      'n',
      '--by',
      'Li Wei',
    ]);
    assert.equal(proposed.status, 0, proposed.stderr);
    assert.equal(run(['correct', 'approve', 'C1', '--by', 'Zhang Min']).status, 0);

    const stopped = night('2025-12-31', without);
    assert.equal(stopped.status, 1, stopped.stderr);
    assert.equal(
      stopped.stderr
        .split('\n')
        .filter((l) => l.startsWith('lct:'))
        .join('\n'),
      'lct: failed: correction C1 is approved for 41010202, which the participants file no longer lists: list it again (or it cannot be posted), then rerun the day',
    );
    const d = openStore(store, { readonly: true });
    try {
      assert.equal(d.prepare("SELECT status FROM days WHERE date = '20251231'").pluck().get(), 'OPEN', 'the day stays open');
      assert.equal(d.prepare("SELECT status FROM corrections WHERE id = 'C1'").pluck().get(), 'approved');
      assert.equal(
        d.prepare("SELECT COUNT(*) FROM entries WHERE business_date = '20251231'").pluck().get(),
        0,
        'nothing of the close kept',
      );
    } finally {
      d.close();
    }
    const rerun = night('2025-12-31');
    assert.equal(rerun.status, 3, rerun.stderr);
    const lines = records(path.join(work, '2025-12-31', 'CLEARING_STATEMENT_41010000_41010202_20251231_0001.pb'));
    assert.deepEqual(lines.at(-1)?.ref, 'C1');
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});
