// What operators read after a night, on the worked example's store through the
// real CLI: recon items opens with a summary and lists a limited, sorted page with
// gaps shown as runs; bank and national items carry both sides' amounts; items can
// be resolved by filter, with --yes; every reference printed elsewhere can be
// explained; a card is found by its number alone; an open day's balances are
// refused; and people read yuan, YYYY-MM-DD and names, never fen or YYYYMMDD.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { PARTICIPANTS, errorLine, exampleStore, lctIn } from './example-store';
import { openStore } from '../../src/store/db';
import { KeptFileWriter, KeptRecords, readRecord, recordFrame } from '../../src/store/kept-files';

interface Item {
  id: string;
  kind: string;
  category: string;
  ref: string;
  participant_id: string | null;
  opened: string;
  closed: string | null;
  closed_by: string | null;
  note: string | null;
  amount_fen: number;
  ours_fen: number | null;
  theirs_fen: number | null;
  range_lo: number | null;
  range_hi: number | null;
  age_days: number;
}

let dir = '';
let db = '';
const lct = (args: string[]) => lctIn(dir, [...args, '--db', db]);
const items = (args: string[] = []): Item[] => {
  const r = lct(['recon', 'items', '--json', ...args]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Item[];
};

before(() => {
  dir = exampleStore(['20251230', '20251231']);
  db = path.join(dir, 'lct.db');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('bank and national items carry both sides in fen, and the money at stake as amount_fen', () => {
  const all = items();
  const one = (kind: string, category: string) => {
    const found = all.filter((i) => i.kind === kind && i.category === category);
    assert.equal(found.length, 1, `${kind} ${category}`);
    return found[0]!;
  };
  // The example's first bank statement pays 20251230-41010102 one yuan too much and
  // carries an instruction never issued; the national centre accepts one record at
  // another amount and answers a record never sent.
  assert.deepEqual(
    [one('bank', 'AMOUNT_MISMATCH')].map((i) => [i.ours_fen, i.theirs_fen, i.amount_fen]),
    [[28032, 28132, 100]],
  );
  assert.deepEqual(
    [one('bank', 'REMOTE_ONLY')].map((i) => [i.ours_fen, i.theirs_fen, i.amount_fen]),
    [[null, 12345, 12345]],
  );
  assert.deepEqual(
    [one('national', 'AMOUNT_MISMATCH')].map((i) => [i.ours_fen, i.theirs_fen, i.amount_fen]),
    [[400, 401, 1]],
  );
  assert.deepEqual(
    [one('national', 'REMOTE_ONLY')].map((i) => [i.ours_fen, i.theirs_fen, i.amount_fen]),
    [[null, 4321, 4321]],
  );
  // Float items keep their balance jump; ours and theirs are the balances around it.
  for (const i of all.filter((x) => x.kind === 'float')) {
    assert.ok(i.ours_fen !== null && i.theirs_fen !== null, i.id);
    if (i.category === 'BALANCE_BREAK') assert.equal(i.amount_fen, i.theirs_fen - i.ours_fen, i.id);
  }
  const text = lct(['recon', 'items', '--kind', 'bank']).stdout;
  assert.match(text, /ours \(yuan\)\s+theirs \(yuan\)\s+at stake \(yuan\)/);
  assert.match(text, /280\.32\s+281\.32\s+1\.00/);
  assert.match(text, /-\s+123\.45\s+123\.45/);
});

test('recon items opens with a summary by kind, category and participant: count, money at stake, oldest age', () => {
  const all = items();
  const text = lct(['recon', 'items']).stdout;
  const lines = text.split('\n');
  assert.match(lines[0]!, new RegExp(`^reconciliation items: ${all.length} open, as of 2025-12-31 \\(the last closed day\\)$`));
  assert.match(text, /kind\s+category\s+participant\s+items\s+at stake \(yuan\)\s+oldest \(days\)/);
  const seqGaps = all.filter((i) => i.kind === 'float' && i.category === 'SEQ_GAP');
  const stake = seqGaps.reduce((s, i) => s + Math.abs(i.amount_fen), 0);
  const yuanText = `${Math.floor(stake / 100).toLocaleString('en-US')}.${String(stake % 100).padStart(2, '0')}`;
  assert.match(text, new RegExp(`\\n  float\\s+SEQ_GAP\\s+-\\s+${seqGaps.length}\\s+${yuanText.replace('.', '\\.')}\\s+1\\n`));
  const metroGaps = all.filter((i) => i.kind === 'uploads' && i.participant_id === '41010102');
  assert.match(text, new RegExp(`\\n  uploads\\s+REMOTE_ONLY\\s+41010102\\s+${metroGaps.length}\\s+-\\s+1\\n`));
  assert.match(text, new RegExp(`\\n  total\\s+${all.length}\\s`));
  // Names beside ids when a participants file is given.
  const named = lct(['recon', 'items', '--config', PARTICIPANTS]).stdout;
  assert.match(named, /41010102 Zhengzhou Metro/);
  assert.doesNotMatch(text, /Zhengzhou Metro/, 'ids alone without a participants file');
});

test('recon items shows a page of rows, says how many more, and sorts by age or by money at stake', () => {
  const all = items();
  const text = lct(['recon', 'items']).stdout;
  const rows = text.split('\n').filter((l) => /^ {2}\d{4}-\d{2}-\d{2}\s/.test(l));
  assert.equal(rows.length, 50, 'the default page is 50 rows');
  const more = /\n50 rows of (\d+) shown; (\d+) more \(--limit N, or --limit 0 for all/.exec(text);
  assert.ok(more, text);
  assert.equal(Number(more[1]) - 50, Number(more[2]));
  const everything = lct(['recon', 'items', '--limit', '0']).stdout;
  assert.equal(everything.split('\n').filter((l) => /^ {2}\d{4}-\d{2}-\d{2}\s/.test(l)).length, Number(more[1]));
  assert.doesNotMatch(everything, /more \(--limit/);
  const five = lct(['recon', 'items', '--limit', '5']).stdout;
  assert.equal(five.split('\n').filter((l) => /^ {2}\d{4}-\d{2}-\d{2}\s/.test(l)).length, 5);
  // By age: oldest first.
  const opened = rows.map((l) => l.slice(2, 12));
  assert.deepEqual(opened, [...opened].sort());
  assert.equal(opened[0], '2025-12-30');
  // By amount: the largest money at stake first, in the listing and in JSON.
  const byAmount = items(['--sort', 'amount']);
  const stakes = byAmount.map((i) => Math.abs(i.amount_fen));
  assert.deepEqual(
    stakes,
    [...stakes].sort((a, b) => b - a),
  );
  assert.equal(byAmount.length, all.length);
  const top = lct(['recon', 'items', '--sort', 'amount', '--limit', '1']).stdout;
  assert.match(top, /items, most money at stake first/);
  assert.match(top, /\s500\.00\s+float:SEQ_GAP:41010001\/41010001890465865875:9050-9050\n/);
  // JSON lists every item unless --limit is given.
  assert.equal(items(['--limit', '3']).length, 3);
  assert.equal(lct(['recon', 'items', '--sort', 'size']).status, 2);
  assert.equal(lct(['recon', 'items', '--limit', '-1']).status, 2);
});

test('the gaps of one card or terminal are shown as runs; the items stay one per missing number', () => {
  const run = items(['--ref', '41010001/41010001042307689879', '--date', '2025-12-31']);
  assert.deepEqual(
    run.map((i) => [i.category, i.range_lo, i.range_hi]),
    [
      ['SEQ_GAP', 27437, 27437],
      ['SEQ_GAP', 27438, 27438],
      ['SEQ_GAP', 27439, 27439],
      ['SEQ_GAP', 27440, 27440],
    ],
  );
  const text = lct(['recon', 'items', '--ref', '41010001/41010001042307689879']).stdout;
  assert.match(text, /27437\.\.27440 \(4\)\s+64\.91\s+61\.91\s+-3\.00\s+float:SEQ_GAP:41010001\/41010001042307689879:27437-27437 \+3\n/);
  assert.match(text, /\n {2}float\s+SEQ_GAP\s+-\s+6\s/, 'the summary counts the items, not the rows');
  const terminal = lct(['recon', 'items', '--ref', '41010102/0C5143E6C3F3']).stdout;
  assert.match(terminal, /42097\.\.42098 \(2\)\s+-\s+-\s+-\s+uploads:REMOTE_ONLY:41010102\/0C5143E6C3F3:42097-42097 \+1\n/);
  // A run of more than 500 is one item already, shown as it is.
  const long = lct(['recon', 'items', '--ref', '41010102/0CE198F06C14', '--date', '2025-12-30']).stdout;
  assert.match(long, /409732\.\.410431 \(700\)\s+-\s+-\s+-\s+uploads:REMOTE_ONLY:41010102\/0CE198F06C14:409732-410431\n/);
  // card history shows the card's items as runs too.
  const card = lct(['card', 'history', '41010001042307689879']).stdout;
  assert.match(card, /4 counters missing \(27437\.\.27440\), balance jumps -3\.00 yuan/);
  assert.match(card, /27437\.\.27440 \(4\)\s+-3\.00\s+open\s+float:SEQ_GAP:41010001\/41010001042307689879:27437-27437 \+3/);
});

test('people read yuan, YYYY-MM-DD, types and reasons by name, and a header row on every table', () => {
  const listing = lct(['recon', 'items', '--limit', '0', '--all']).stdout;
  const exceptions = lct(['exceptions', '--date', '2025-12-31']).stdout;
  const card = lct(['card', 'history', '41010001042307689879']).stdout;
  const balances = lct(['ledger', 'balances', '--date', '2025-12-31']).stdout;
  for (const [what, text] of Object.entries({ listing, exceptions, card, balances })) {
    assert.doesNotMatch(text.replace(/\S*(?:_|:)\S*/g, ''), /\b20251\d{3}\b/, `${what}: no YYYYMMDD outside ids and file names`);
    assert.doesNotMatch(text, /\bfen\b/, `${what}: no fen`);
  }
  assert.match(exceptions, /key conflicts \(E09 KEY_CONFLICT\): 4/);
  assert.match(exceptions, /suspended \(S01 BLACKLISTED\): 6/);
  assert.match(exceptions, /record\s+card\s+card seq\s+occurred\s+type\s+amount \(yuan\)\s+acquirer/);
  assert.match(exceptions, /2025-12-31 09:15:00\s+purchase\s+7\.00/);
  assert.match(card, /card seq\s+occurred\s+type\s+amount \(yuan\)\s+before \(yuan\)\s+after \(yuan\)/);
  assert.match(card, /REJECTED E04 ARITHMETIC/);
  assert.match(card, /2025-12-30 10:01:20\s+load\s+100\.00\s+3\.91\s+103\.91/);
  assert.match(balances, /^balances at the end of 2025-12-31 \(debits - credits\)\naccount\s+balance \(yuan\)\n/);
  assert.match(balances, /\ntrial balance\s+0\.00\n$/);
  const named = lct(['ledger', 'balances', '--config', PARTICIPANTS]).stdout;
  assert.match(named, /payable:acquirer:41010101 \(Zhengzhou Bus Group\)/);
});

test('ledger balances --date refuses a day that has not closed, exit 2, one line', () => {
  for (const date of ['2026-01-05', '2025-12-29']) {
    const r = lct(['ledger', 'balances', '--date', date, '--json']);
    assert.equal(r.status, 2, date);
    assert.equal(r.stdout, '');
    assert.match(errorLine(r), new RegExp(`--date ${date}: the day has not closed \\(the last closed day is 2025-12-31\\)`));
  }
  assert.equal(lct(['ledger', 'balances', '--date', '2025-12-30', '--json']).status, 0);
});

test('card history finds a card by its number alone when one issuer has it', () => {
  // A remote card: its issuer (11000001) is not its number's first 8 digits.
  const h = lct(['card', 'history', '11003876574130871808', '--json']);
  assert.equal(h.status, 0, h.stderr);
  const history = JSON.parse(h.stdout) as { issuer_id: string; records: { id: number; file: string; file_index: number }[] };
  assert.equal(history.issuer_id, '11000001');
  assert.ok(history.records.length >= 1);
  const text = lct(['card', 'history', '11003876574130871808']);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^card 11000001:11003876574130871808: /);
  const none = lct(['card', 'history', '99999999999999999999']);
  assert.equal(none.status, 1);
  assert.match(errorLine(none), /no records of card 99999999999999999999/);
});

test('card history by number alone asks for the issuer when several issuers have the number', () => {
  // A copy of the store where a second issuer has the remote card's number too.
  const copy = path.join(dir, 'two-issuers.db');
  const s = new Database(db);
  try {
    s.exec(`VACUUM INTO '${copy}'`);
  } finally {
    s.close();
  }
  // The twin is record 119 with another issuer, in a file of its own whose kept bytes hold it.
  const c = openStore(copy);
  try {
    c.transaction(() => {
      const twin = { ...readRecord(c, new KeptRecords(c), 119)!, issuer_id: '11009999' };
      const fileId = Number(
        c
          .prepare(
            `INSERT INTO files (batch_date, name, sha256, kind, outcome, record_count, kept)
             SELECT batch_date, 'TWIN.pb', '', kind, 'IMPORTED', 1, 'RECORDS' FROM files WHERE id = (SELECT file_id FROM records WHERE id = 119)`,
          )
          .run().lastInsertRowid,
      );
      const cutter = new KeptFileWriter(c, fileId);
      cutter.frame(recordFrame(twin), true);
      cutter.finish();
      c.exec(`CREATE TEMP TABLE twin AS SELECT * FROM records WHERE id = 119;
              UPDATE twin SET id = (SELECT MAX(id) + 1 FROM records), file_id = ${fileId}, idx = 0;
              INSERT INTO records SELECT * FROM twin;
              UPDATE files SET first_record_id = (SELECT MAX(id) FROM records) WHERE id = ${fileId};`);
    })();
  } finally {
    c.close();
  }
  const r = lctIn(dir, ['card', 'history', '11003876574130871808', '--db', copy]);
  assert.equal(r.status, 2);
  assert.match(errorLine(r), /11003876574130871808: 2 issuers have this card number \(11000001, 11009999\): give ISSUER_ID:CARD_NO/);
  const one = lctIn(dir, ['card', 'history', '11000001:11003876574130871808', '--db', copy, '--json']);
  assert.equal(one.status, 0, one.stderr);
});

test('record explain accepts every reference the other commands print', () => {
  const explain = (ref: string) => {
    const r = lct(['record', 'explain', ref, '--json']);
    assert.equal(r.status, 0, `${ref}: ${r.stderr}`);
    return JSON.parse(r.stdout) as { record: { id: number }; via?: string; file: { name: string; index: number } };
  };
  const sent = items(['--kind', 'national', '--category', 'AMOUNT_MISMATCH'])[0]!;
  const byId = explain('119');
  assert.equal(byId.file.name, 'TXN_UPLOAD_41010102_41010000_20251230_0002.pb');
  assert.equal(byId.file.index, 10);
  assert.equal(explain('TXN_UPLOAD_41010102_41010000_20251230_0002.pb#10').record.id, 119, 'FILE#INDEX');
  assert.equal(sent.ref, 'INTEROP_OUT_41010000_00000001_20251230_0001.pb#0');
  assert.equal(explain(sent.ref).record.id, 119, "INTEROP_OUT#INDEX, the national item's ref");
  const viaItem = explain(sent.id);
  assert.equal(viaItem.record.id, 119, 'a national item id');
  assert.match(viaItem.via!, /the record the centre sent/);
  const gap = items(['--ref', '41010001/41010001042307689879', '--date', '2025-12-31'])[1]!;
  const after = explain(gap.id);
  assert.match(after.via!, /the record after the gap; the one before it is record 87/);
  assert.equal(after.record.id, 426);
  // The human form says how the reference led to the record, and the interop file it went in.
  const text = lct(['record', 'explain', sent.id]).stdout;
  assert.match(text, /^record 119 \(TXN_UPLOAD_41010102_41010000_20251230_0002\.pb#10\)\n {2}found by +national AMOUNT_MISMATCH item/);
  assert.match(
    text,
    /interop +sent in INTEROP_OUT_41010000_00000001_20251230_0001\.pb#0; national centre: AMOUNT_MISMATCH \(batch of 2025-12-31\)/,
  );
  // References that name no record say why, in one line, exit 1.
  const bank = items(['--kind', 'bank', '--category', 'REMOTE_ONLY'])[0]!;
  const cases: [string, RegExp][] = [
    [bank.id, /about settlement instruction 20251230-41019999, not about a record/],
    [items(['--kind', 'national', '--category', 'REMOTE_ONLY'])[0]!.id, /a record the centre never sent/],
    ['INTEROP_OUT_41010000_00000001_20251230_0001.pb#11', /a record the centre never sent/],
    ['TXN_UPLOAD_41010202_41020000_20251230_0001.pb#0', /refused whole \(F04\)/],
    ['TXN_UPLOAD_41010102_41010000_20251230_0002.pb#999', /INDEX counts from 0/],
    ['99999', /no record has this id/],
  ];
  for (const [ref, says] of cases) {
    const r = lct(['record', 'explain', ref]);
    assert.equal(r.status, 1, ref);
    assert.match(errorLine(r), says);
  }
});

test('a held record is a table of both records, the differing fields marked', () => {
  const text = lct(['record', 'explain', '275']).stdout;
  assert.doesNotMatch(text, /\{"/, 'no raw JSON');
  assert.match(text, /field\s+this record\s+held record\n/);
  assert.match(text, /card_no\s+41010001646887298294\s+41010001696770848044\s+\*\n/);
  assert.match(text, /terminal_seq\s+39749\s+39749\n/);
  assert.match(text, /amount_fen\s+3\.00 yuan\s+2\.00 yuan\s+\*\n/);
});

test('recon resolve by filter says how many it would close, and closes them only with --yes, in one go', () => {
  const filter = ['--kind', 'float', '--category', 'SEQ_GAP', '--older-than', '0'];
  const chosen = items(filter);
  assert.ok(chosen.length > 1);
  assert.ok(chosen.every((i) => i.opened === '20251230' && i.age_days === 1));
  const logBefore = operatorLog();
  const dry = lct(['recon', 'resolve', ...filter, '--by', 'Zhang Min', '--note', 'gaps of the first night, checked with the issuer']);
  assert.equal(dry.status, 2);
  assert.match(dry.stdout, new RegExp(`^${chosen.length} open items match:\\n`));
  assert.match(errorLine(dry), new RegExp(`nothing closed: add --yes to close these ${chosen.length} items`));
  assert.equal(items(filter).length, chosen.length, 'nothing closed without --yes');
  assert.equal(operatorLog(), logBefore);

  const r = lct([
    'recon',
    'resolve',
    ...filter,
    '--by',
    'Zhang Min',
    '--note',
    'gaps of the first night, checked with the issuer',
    '--yes',
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    `resolved ${chosen.length} items, effective 2026-01-01, by Zhang Min: gaps of the first night, checked with the issuer\n`,
  );
  assert.equal(items(filter).length, 0);
  const closed = items(['--all', ...filter]).filter((i) => chosen.some((c) => c.id === i.id));
  assert.equal(closed.length, chosen.length);
  for (const i of closed) {
    assert.equal(i.closed, '20260101');
    assert.equal(i.closed_by, 'Zhang Min');
    assert.equal(i.note, 'gaps of the first night, checked with the issuer');
  }
  assert.equal(operatorLog(), logBefore + chosen.length, 'one operator log line per item');
  // Other items are untouched; a filter that selects nothing closes nothing, exit 0.
  assert.ok(items(['--kind', 'float', '--category', 'SEQ_GAP']).length > 0);
  const nothing = lct(['recon', 'resolve', ...filter, '--by', 'Zhang Min', '--note', 'again', '--yes']);
  assert.equal(nothing.status, 0);
  assert.equal(nothing.stdout, 'no open item matches: nothing to close\n');
  // An id and filters together, or neither, is a usage error.
  assert.equal(lct(['recon', 'resolve', 'x', '--kind', 'bank', '--by', 'a', '--note', 'b']).status, 2);
  assert.equal(lct(['recon', 'resolve', '--by', 'a', '--note', 'b']).status, 2);
});

function operatorLog(): number {
  const s = new Database(db, { readonly: true });
  try {
    return s.prepare('SELECT COUNT(*) FROM operator_log').pluck().get() as number;
  } finally {
    s.close();
  }
}
