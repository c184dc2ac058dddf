// The journal heads published with each day's reports (summary.json's `journal`)
// anchor the hash chain outside the store. Someone who can write the store can cut
// the last day off the journal, or move money between accounts and hash the whole
// chain again, and make the store agree with itself: `lct ledger verify` alone
// cannot see that, `lct ledger verify --heads DIR` given the reports of the
// original run must, naming the day. Everything runs through the real command line
// on the spec's worked example (two nights).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { chainHash, GENESIS_HASH } from '../../src/core/clearing';
import { openStore } from '../../src/store/db';
import { appendEntries, readEntry, verifyJournal } from '../../src/store/journal';
import { MIGRATIONS } from '../../src/store/migrations';
import { undoNarrowRecords } from '../store/undo-narrow-records';
import { undoKeyRuns } from '../store/undo-key-runs';
import { EXAMPLE_DIR as EXAMPLE } from '../spec-vectors';

const LCT = path.join(__dirname, '../../../bin/lct.js');
const NIGHTS = ['20251230', '20251231'];
const FIRST = NIGHTS[0]!;
const LAST = NIGHTS[1]!;

function lct(args: string[]) {
  const r = spawnSync(process.execPath, [LCT, ...args], { encoding: 'utf8' });
  assert.equal(r.stderr.includes('    at '), false, `no stack trace: ${r.stderr}`);
  return r;
}

function batch(work: string, D: string) {
  return lct([
    'batch',
    '--date',
    `${D.slice(0, 4)}-${D.slice(4, 6)}-${D.slice(6)}`,
    '--inbox',
    path.join(EXAMPLE, 'inbox', D),
    '--outbox',
    path.join(work, 'outbox', D),
    '--db',
    path.join(work, 'lct.db'),
    '--config',
    path.join(EXAMPLE, 'participants.json'),
    '--keys',
    path.join(EXAMPLE, 'keys.json'),
    '--json',
  ]);
}

let pristine = '';
before(() => {
  pristine = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-heads-'));
  for (const D of NIGHTS) assert.equal(batch(pristine, D).status, 3, `night ${D} runs`);
});
after(() => fs.rmSync(pristine, { recursive: true, force: true }));

/** A copy of the two nights' store and outbox: each test tampers with its own. */
function copyOfRun(): { work: string; db: string; outbox: string } {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-heads-copy-'));
  fs.cpSync(pristine, work, { recursive: true });
  return { work, db: path.join(work, 'lct.db'), outbox: path.join(work, 'outbox') };
}

function verify(db: string, ...more: string[]) {
  return lct(['ledger', 'verify', '--db', db, ...more]);
}

/** The store's record of each closed day's close, as the attacker reads it. */
function closes(raw: Database.Database): Map<string, { entries: number; head: string }> {
  const rows = raw.prepare("SELECT date, summary_json FROM days WHERE status = 'CLOSED' ORDER BY date").all() as {
    date: string;
    summary_json: string;
  }[];
  return new Map(rows.map((r) => [r.date, (JSON.parse(r.summary_json) as { journal: { entries: number; head: string } }).journal]));
}

/**
 * Edits the store as someone with the sqlite3 shell would: the append-only triggers
 * dropped, the edit made, the triggers put back, so that nothing looks touched.
 */
function tamper(file: string, edit: (raw: Database.Database) => void): void {
  const raw = new Database(file);
  const triggers = raw
    .prepare(
      "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%append_only%' AND tbl_name IN ('entries', 'postings')",
    )
    .all() as {
    name: string;
    sql: string;
  }[];
  assert.equal(triggers.length, 4);
  raw.transaction(() => {
    for (const t of triggers) raw.exec(`DROP TRIGGER ${t.name}`);
    edit(raw);
    for (const t of triggers) raw.exec(t.sql);
  })();
  raw.close();
}

/** Attack 1: the last day's entries deleted and its recorded head nulled (the finding of issue 11). */
function cutLastDay(raw: Database.Database): void {
  const kept = closes(raw).get(FIRST)!.entries;
  raw.prepare('DELETE FROM postings WHERE entry_seq > ?').run(kept);
  const cut = raw.prepare('DELETE FROM entries WHERE seq > ?').run(kept);
  assert.ok(cut.changes > 0, 'the last day posted entries');
  raw.prepare('UPDATE days SET journal_head = NULL WHERE date = ?').run(LAST);
}

/** ... and, thoroughly, the store's own record of the last close made to agree with what is left. */
function cutLastDayAndCover(raw: Database.Database): void {
  cutLastDay(raw);
  const first = closes(raw).get(FIRST)!;
  raw
    .prepare("UPDATE days SET journal_head = ?, summary_json = json_set(summary_json, '$.journal', json(?)) WHERE date = ?")
    .run(first.head, JSON.stringify(first), LAST);
}

/**
 * Attack 2: 50000 fen moved from float:cards to income:fees in the first entry of day D
 * that has that much on float:cards (the entry still balances), then every hash from
 * there on computed again with the chain's own algorithm, and every recorded head with it.
 */
function moveMoneyAndRehash(D: string) {
  return (raw: Database.Database): void => {
    const target = raw
      .prepare(
        `SELECT p.entry_seq AS seq, p.line AS line, p.debit_fen AS debit_fen, p.credit_fen AS credit_fen
           FROM postings p JOIN entries e ON e.seq = p.entry_seq
          WHERE e.business_date = ? AND p.account = 'float:cards' AND (p.debit_fen >= 50000 OR p.credit_fen >= 50000)
          ORDER BY p.entry_seq LIMIT 1`,
      )
      .get(D) as { seq: number; line: number; debit_fen: number; credit_fen: number } | undefined;
    assert.ok(target, `day ${D} has a float:cards posting of 500 yuan or more`);
    const side = target.debit_fen >= 50000 ? 'debit_fen' : 'credit_fen';
    raw.prepare(`UPDATE postings SET ${side} = ${side} - 50000 WHERE entry_seq = ? AND line = ?`).run(target.seq, target.line);
    const lines = raw.prepare('SELECT MAX(line) + 1 FROM postings WHERE entry_seq = ?').pluck().get(target.seq) as number;
    raw
      .prepare(`INSERT INTO postings (entry_seq, line, account, debit_fen, credit_fen) VALUES (?, ?, 'income:fees', ?, ?)`)
      .run(target.seq, lines, side === 'debit_fen' ? 50000 : 0, side === 'credit_fen' ? 50000 : 0);
    // The whole chain hashed again from the edited entry on.
    const position = new Map<number, string>();
    let prev =
      target.seq === 1
        ? GENESIS_HASH
        : (raw
            .prepare('SELECT hash FROM entries WHERE seq = ?')
            .pluck()
            .get(target.seq - 1) as string);
    const seqs = raw.prepare('SELECT seq FROM entries WHERE seq >= ? ORDER BY seq').pluck().all(target.seq) as number[];
    for (const seq of seqs) {
      const hash = chainHash(prev, readEntry(raw, seq));
      raw.prepare('UPDATE entries SET prev_hash = ?, hash = ? WHERE seq = ?').run(prev, hash, seq);
      position.set(seq, hash);
      prev = hash;
    }
    for (const [date, close] of closes(raw)) {
      const head = position.get(close.entries);
      if (head === undefined) continue;
      raw
        .prepare("UPDATE days SET journal_head = ?, summary_json = json_set(summary_json, '$.journal.head', ?) WHERE date = ?")
        .run(head, head, date);
    }
  };
}

function balanceOf(db: string, account: string): number {
  const r = lct(['ledger', 'balances', '--json', '--db', db]);
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { account: string; balance_fen: number }[]).find((b) => b.account === account)?.balance_fen ?? 0;
}

test('summary.json publishes the journal at each close, and an untampered store holds every published head', () => {
  const { db, outbox, work } = copyOfRun();
  const raw = new Database(db, { readonly: true });
  const recorded = closes(raw);
  const total = raw.prepare('SELECT COUNT(*) FROM entries').pluck().get() as number;
  const lastHash = raw.prepare('SELECT hash FROM entries ORDER BY seq DESC LIMIT 1').pluck().get() as string;
  const headOfFirst = raw.prepare('SELECT hash FROM entries WHERE seq = ?').pluck().get(recorded.get(FIRST)!.entries) as string;
  raw.close();
  const published = NIGHTS.map(
    (D) =>
      JSON.parse(fs.readFileSync(path.join(outbox, D, 'reports', D, 'summary.json'), 'utf8')).journal as { entries: number; head: string },
  );
  assert.ok(published[0]!.entries > 0 && published[1]!.entries > published[0]!.entries, 'both nights posted');
  assert.deepEqual(published[1], { entries: total, head: lastHash }, 'the last close: the whole journal');
  assert.equal(published[0]!.head, headOfFirst, "the first close's head is entry number `entries` of the chain");
  assert.deepEqual(published, [recorded.get(FIRST), recorded.get(LAST)], 'the published heads are the ones the store recorded');

  const ok = verify(db, '--heads', outbox);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /heads of 2 published day\(s\) 2025-12-30 \.\. 2025-12-31 hold/);
  const json = verify(db, '--heads', outbox, '--json');
  assert.equal(json.status, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout).heads, { ok: true, days: 2 });
  // The reports folder itself, or one day's outbox, will do as well.
  assert.equal(verify(db, '--heads', path.join(outbox, LAST, 'reports')).status, 0);

  // A rerun of the closed last day rewrites the same summary.json, byte for byte.
  const file = path.join(outbox, LAST, 'reports', LAST, 'summary.json');
  const before = fs.readFileSync(file);
  assert.equal(batch(work, LAST).status, 3);
  assert.deepEqual(fs.readFileSync(file), before);
  fs.rmSync(work, { recursive: true, force: true });
});

test('the last day cut off the journal and its head nulled: verify catches it, and so does --heads, naming the day', () => {
  const { db, outbox, work } = copyOfRun();
  tamper(db, cutLastDay);
  const plain = verify(db);
  assert.equal(plain.status, 1, plain.stdout);
  assert.match(plain.stderr, /closed day 2025-12-31/);
  const r = verify(db, '--heads', outbox);
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /closed day 2025-12-31/);
  fs.rmSync(work, { recursive: true, force: true });
});

test("the last day cut off and the store's record of its close made to agree: only --heads catches it, naming the day", () => {
  const { db, outbox, work } = copyOfRun();
  const total = balanceOf(db, 'float:cards');
  tamper(db, cutLastDayAndCover);
  assert.notEqual(balanceOf(db, 'float:cards'), total, 'the ledger lost a day');
  const plain = verify(db);
  assert.equal(plain.status, 0, `the store agrees with itself: ${plain.stderr}`);
  const r = verify(db, '--heads', outbox);
  assert.equal(r.status, 1, r.stdout);
  const summary = path.join(outbox, LAST, 'reports', LAST, 'summary.json');
  assert.equal(
    r.stderr.trim(),
    `lct: ledger verify --heads: day 2025-12-31 (${summary}): entries: 45 at the day's close, but the store's journal holds 19`,
  );
  const json = verify(db, '--heads', outbox, '--json');
  assert.equal(json.status, 1);
  assert.deepEqual(JSON.parse(json.stdout).heads, {
    ok: false,
    date: LAST,
    source: summary,
    problem: "entries: 45 at the day's close, but the store's journal holds 19",
  });
  fs.rmSync(work, { recursive: true, force: true });
});

test('the last day removed from the store altogether: --heads names it missing', () => {
  const { db, outbox, work } = copyOfRun();
  tamper(db, (raw) => {
    cutLastDay(raw);
    raw.prepare('DELETE FROM days WHERE date = ?').run(LAST);
  });
  assert.equal(verify(db).status, 0, 'the store agrees with itself');
  const r = verify(db, '--heads', outbox);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^lct: ledger verify --heads: day 2025-12-31 \(.*summary\.json\): day missing from the store\n$/);
  fs.rmSync(work, { recursive: true, force: true });
});

for (const [D, iso] of [
  [FIRST, '2025-12-30'],
  [LAST, '2025-12-31'],
] as const) {
  test(`500 yuan moved from float:cards to income:fees on ${iso} and the whole chain re-hashed: only --heads catches it, naming ${iso}`, () => {
    const { db, outbox, work } = copyOfRun();
    const fees = balanceOf(db, 'income:fees');
    const float = balanceOf(db, 'float:cards');
    tamper(db, moveMoneyAndRehash(D));
    const moved = balanceOf(db, 'income:fees') - fees;
    assert.equal(Math.abs(moved), 50000, 'the money moved to income:fees');
    assert.equal(balanceOf(db, 'float:cards') - float, -moved, 'from float:cards');
    const plain = verify(db);
    assert.equal(plain.status, 0, `the re-hashed chain is intact: ${plain.stderr}`);
    const r = verify(db, '--heads', outbox);
    assert.equal(r.status, 1, r.stdout);
    const summary = path.join(outbox, D, 'reports', D, 'summary.json');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.ok(lines[0]!.startsWith(`lct: ledger verify --heads: day ${iso} (${summary}): head differs: `), lines[0]);
    const json = JSON.parse(verify(db, '--heads', outbox, '--json').stdout);
    assert.equal(json.ok, true, 'the chain itself holds');
    assert.equal(json.heads.date, D);
    fs.rmSync(work, { recursive: true, force: true });
  });
}

const badShapes: [string, (s: Record<string, unknown>) => string, RegExp][] = [
  ['not JSON', (s) => JSON.stringify(s).slice(0, 40), /: not JSON \(/],
  ['an array', () => '[]', /: not a JSON object$/],
  [
    'no journal',
    (s) => {
      delete s.journal;
      return JSON.stringify(s);
    },
    /: journal: missing or not an object$/,
  ],
  [
    'entries a string',
    (s) => JSON.stringify({ ...s, journal: { entries: '45', head: 'a'.repeat(64) } }),
    /: journal\.entries: "45" is not/,
  ],
  ['entries negative', (s) => JSON.stringify({ ...s, journal: { entries: -1, head: 'a'.repeat(64) } }), /: journal\.entries: -1 is not/],
  [
    'entries fractional',
    (s) => JSON.stringify({ ...s, journal: { entries: 4.5, head: 'a'.repeat(64) } }),
    /: journal\.entries: 4\.5 is not/,
  ],
  ['head too short', (s) => JSON.stringify({ ...s, journal: { entries: 45, head: 'abc' } }), /: journal\.head: "abc" is not 64/],
  ['head in capitals', (s) => JSON.stringify({ ...s, journal: { entries: 45, head: 'A'.repeat(64) } }), /: journal\.head: "A+" is not 64/],
  [
    'date of another day',
    (s) => JSON.stringify({ ...s, date: '2025-12-30' }),
    /: date: "2025-12-30", but the file is in the folder of 2025-12-31$/,
  ],
];

test('a published summary.json of a bad shape is a one-line error naming the file and the field (exit 1)', () => {
  const { db, outbox, work } = copyOfRun();
  const file = path.join(outbox, LAST, 'reports', LAST, 'summary.json');
  const good = fs.readFileSync(file, 'utf8');
  for (const [what, rewrite, message] of badShapes) {
    fs.writeFileSync(file, rewrite(JSON.parse(good) as Record<string, unknown>));
    const r = verify(db, '--heads', outbox);
    assert.equal(r.status, 1, `${what}: ${r.stderr}`);
    assert.equal(r.stdout, '', what);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `${what}: ${r.stderr}`);
    assert.ok(lines[0]!.startsWith(`lct: ${file}: `), `${what}: ${lines[0]}`);
    assert.match(lines[0]!, message, what);
  }
  fs.rmSync(work, { recursive: true, force: true });
});

test('two reports of one day that disagree are refused, naming both; a wrong folder is a usage error', () => {
  const { db, outbox, work } = copyOfRun();
  const copy = path.join(work, 'archive', 'reports', LAST);
  fs.mkdirSync(copy, { recursive: true });
  const summary = JSON.parse(fs.readFileSync(path.join(outbox, LAST, 'reports', LAST, 'summary.json'), 'utf8'));
  fs.writeFileSync(path.join(copy, 'summary.json'), JSON.stringify({ ...summary, journal: { ...summary.journal, entries: 44 } }));
  const r = verify(db, '--heads', work);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^lct: .*summary\.json: journal differs from .*summary\.json, another report of day 2025-12-31\n$/);
  // The same day twice with the same journal is no conflict.
  fs.writeFileSync(path.join(copy, 'summary.json'), JSON.stringify(summary));
  assert.equal(verify(db, '--heads', work).status, 0);

  const missing = verify(db, '--heads', path.join(work, 'no-such-folder'));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^lct: --heads .*no-such-folder: no such directory\n$/);
  const empty = path.join(work, 'empty');
  fs.mkdirSync(empty);
  const none = verify(db, '--heads', empty);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /no reports\/YYYYMMDD\/summary\.json under it/);
  fs.rmSync(work, { recursive: true, force: true });
});

test("migration 3 gives an older store's closed days the journal their close recorded", () => {
  // Three closes on a bare store: one with the journal still empty, two after postings;
  // a fourth whose head is no longer in the journal gets nothing, so verify names it.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-heads-migrate-'));
  const file = path.join(dir, 'lct.db');
  let db = openStore(file);
  const posting = (id: string, date: string) => ({
    id,
    business_date: date,
    kind: 'test',
    memo: id,
    postings: [
      { account: 'float:cards', debit_fen: 100, credit_fen: 0 },
      { account: 'payable:acquirer:41010101', debit_fen: 0, credit_fen: 100 },
    ],
  });
  const close = db.prepare("INSERT INTO days (date, status, summary_json, journal_head) VALUES (?, 'CLOSED', ?, ?)");
  const head = () => db.prepare('SELECT hash FROM entries ORDER BY seq DESC LIMIT 1').pluck().get() as string;
  close.run('20251228', JSON.stringify({ date: '2025-12-28', exit_code: 0 }), null);
  db.transaction(() => appendEntries(db, [posting('a', '20251229'), posting('b', '20251229')]))();
  const head2 = head();
  close.run('20251229', JSON.stringify({ date: '2025-12-29', exit_code: 0 }), head2);
  db.transaction(() => appendEntries(db, [posting('c', '20251230')]))();
  const head3 = head();
  close.run('20251230', JSON.stringify({ date: '2025-12-30', exit_code: 0 }), head3);
  close.run('20251231', JSON.stringify({ date: '2025-12-31', exit_code: 0 }), 'f'.repeat(64));
  // Back to the schema before migration 3: the later migrations' tables go too, so
  // that they can run again.
  undoKeyRuns(db);
  undoNarrowRecords(db);
  db.exec(`DROP TABLE day_configs; ALTER TABLE days DROP COLUMN config_hash; ALTER TABLE files DROP COLUMN answer_to;
           DROP TABLE writer_lock; DROP TABLE correction_events; DROP TABLE corrections;
           CREATE TABLE statement_lines_2 AS SELECT business_date, participant_id, category, merchant_id, count, gross_fen, fee_fen,
             net_fen, fee_rate FROM statement_lines;
           DROP TABLE statement_lines; ALTER TABLE statement_lines_2 RENAME TO statement_lines;`);
  db.pragma('user_version = 2');
  db.close();

  db = openStore(file);
  assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  const journals = db.prepare('SELECT date, summary_json FROM days ORDER BY date').all() as { date: string; summary_json: string }[];
  assert.deepEqual(
    journals.map((d) => JSON.parse(d.summary_json)),
    [
      { date: '2025-12-28', exit_code: 0, journal: { entries: 0, head: GENESIS_HASH } },
      { date: '2025-12-29', exit_code: 0, journal: { entries: 2, head: head2 } },
      { date: '2025-12-30', exit_code: 0, journal: { entries: 3, head: head3 } },
      { date: '2025-12-31', exit_code: 0 },
    ],
  );
  const v = verifyJournal(db);
  assert.equal(v.ok, false);
  assert.match(v.ok ? '' : v.problem, /closed day 2025-12-31: the store's summary of the day records no journal head/);
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
