// `lct ledger verify` must catch an edit of any entry or posting made behind
// lct's back (here with SQL, as an operator with the sqlite3 shell would), and
// the journal refuses UPDATE and DELETE through its own triggers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/db';
import { appendEntries, verifyJournal } from '../../src/store/journal';
import type { JournalEntry } from '../../src/core/clearing';

function entry(id: string, date: string, amount: number): JournalEntry {
  return {
    id,
    business_date: date,
    kind: 'test',
    memo: `test entry ${id}`,
    postings: [
      { account: 'float:cards', debit_fen: amount, credit_fen: 0 },
      { account: 'payable:acquirer:41010101', debit_fen: 0, credit_fen: amount },
    ],
  };
}

function freshStore(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-tamper-'));
  const file = path.join(dir, 'lct.db');
  const db = openStore(file);
  db.transaction(() => appendEntries(db, [entry('d1/a', '20251230', 100), entry('d1/b', '20251230', 250), entry('d2/a', '20251231', 7)]))();
  assert.deepEqual(verifyJournal(db), { ok: true, entries: 3, postings: 6 });
  db.close();
  return file;
}

/** Edits the store as the sqlite3 shell would: the triggers dropped first, as a determined editor would. */
function tamper(file: string, sql: string): void {
  const raw = new Database(file);
  raw.exec(`DROP TRIGGER entries_append_only_u; DROP TRIGGER entries_append_only_d;
            DROP TRIGGER postings_append_only_u; DROP TRIGGER postings_append_only_d; ${sql}`);
  raw.close();
}

const edits: [string, string][] = [
  [
    'a posting amount on both sides',
    'UPDATE postings SET debit_fen = 101 WHERE entry_seq = 1 AND line = 0; UPDATE postings SET credit_fen = 101 WHERE entry_seq = 1 AND line = 1',
  ],
  ['one side of a posting', 'UPDATE postings SET debit_fen = 999 WHERE entry_seq = 2 AND line = 0'],
  ['an account name', "UPDATE postings SET account = 'income:fees' WHERE entry_seq = 3 AND line = 1"],
  ['an entry memo', "UPDATE entries SET memo = 'nothing to see' WHERE seq = 2"],
  ['an entry date', "UPDATE entries SET business_date = '20251229' WHERE seq = 3"],
  ['a deleted entry', 'DELETE FROM postings WHERE entry_seq = 2; DELETE FROM entries WHERE seq = 2'],
  ['a deleted posting pair', 'DELETE FROM postings WHERE entry_seq = 1'],
  ['a stored hash', `UPDATE entries SET hash = '${'a'.repeat(64)}' WHERE seq = 3`],
];

for (const [what, sql] of edits) {
  test(`ledger verify catches an edit: ${what}`, () => {
    const file = freshStore();
    tamper(file, sql);
    const db = openStore(file);
    const r = verifyJournal(db);
    db.close();
    assert.equal(r.ok, false, what);
  });
}

test('the journal refuses UPDATE and DELETE', () => {
  const file = freshStore();
  const db = openStore(file);
  assert.throws(() => db.prepare('UPDATE postings SET debit_fen = 1').run(), /append only/);
  assert.throws(() => db.prepare('DELETE FROM entries').run(), /append only/);
  db.close();
});

test('posting the same entry id twice posts once; with other content it is a conflict', () => {
  const file = freshStore();
  const db = openStore(file);
  assert.equal(db.transaction(() => appendEntries(db, [entry('d1/a', '20251230', 100)]))(), 0);
  assert.throws(() => db.transaction(() => appendEntries(db, [entry('d1/a', '20251230', 101)]))(), /other content/);
  assert.deepEqual(verifyJournal(db), { ok: true, entries: 3, postings: 6 });
  db.close();
});
