// Migration 8 (history's keys as runs) on a store written by the code before it:
// test/data/store-before-8.db, three nights of the demo made by commit 47acde3
// (test/data/store-before-8.md says how). The key tables are read from a copy
// first, with better-sqlite3 directly; then the copy is opened with openStore, which
// migrates it, and history's keys must be exactly what the tables held, night by
// night. A card's history and the held-key lookups then read them from the runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { cardHistory } from '../../src/inquiry/inquiries';
import { openStore, type Db } from '../../src/store/db';
import { KeyRuns } from '../../src/store/key-runs';
import { applyMigration, MIGRATIONS } from '../../src/store/migrations';
import { CARD_SEQ_SPAN } from '../../src/store/record-keys';
import { KeptRecords, withFields } from '../../src/store/kept-files';
import { loadKeyFilters } from '../../src/machinery/key-tables';
import { historyKeys } from './history-keys';
import { TEST_DATA } from './test-data';

const STORE = path.join(TEST_DATA, 'store-before-8.db');

type Triple = [number, number, number];
let dir: string;
let db: Db;
const old: { card: Triple[]; terminal: Triple[] } = { card: [], terminal: [] };

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-mig8-'));
  const copy = path.join(dir, 'lct.db');
  fs.copyFileSync(STORE, copy);
  const raw = new Database(copy);
  assert.equal(raw.pragma('user_version', { simple: true }), 7, 'the fixture is a store before migration 8');
  old.card = raw.prepare('SELECT night, card_key, record_id FROM card_keys ORDER BY 1, 2, 3').raw().all() as Triple[];
  old.terminal = raw.prepare('SELECT night, terminal_key, record_id FROM terminal_keys ORDER BY 1, 2, 3').raw().all() as Triple[];
  raw.close();
  assert.ok(old.card.length > 1000 && old.terminal.length === old.card.length);
  db = openStore(copy);
});

after(() => {
  db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('every night keeps exactly the keys its key tables held', () => {
  assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  assert.deepEqual(historyKeys(db, 'card'), old.card);
  assert.deepEqual(historyKeys(db, 'terminal'), old.terminal);
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE name IN ('card_keys', 'terminal_keys')").pluck().all();
  assert.deepEqual(tables, [], 'the key tables are gone');
  // Repeated keys (a rejected duplicate carries the key it collided with) came through.
  const repeated = old.card.filter((t, i) => i > 0 && t[1] === old.card[i - 1]![1] && t[0] === old.card[i - 1]![0]);
  assert.ok(repeated.length > 0, 'the fixture has keys held twice in a night');
});

test('held-key lookups and the filters find what the tables found', () => {
  const runs = new KeyRuns(db);
  for (const kind of ['card', 'terminal'] as const) {
    const triples = old[kind];
    for (let i = 0; i < triples.length; i += 7) {
      const key = triples[i]![1];
      const expected = triples
        .filter((t) => t[1] === key)
        .map((t) => t[2])
        .sort((a, b) => a - b);
      assert.deepEqual(
        runs.idsOf(kind, [key]).sort((a, b) => a - b),
        expected,
        `${kind} key ${key}`,
      );
    }
    assert.deepEqual(runs.heldAmong(kind, [triples[0]![1], 12345]), [triples[0]![1]]);
    assert.equal(runs.count(kind), triples.length);
  }
  // Built again from the runs (as a store without saved filters would), every key is a "maybe".
  db.exec('DELETE FROM key_filters');
  const filters = loadKeyFilters(db);
  for (const [, key] of old.card) assert.ok(filters.card.mayHave(key));
  for (const [, key] of old.terminal) assert.ok(filters.terminal.mayHave(key));
});

test("a card's history reads its records from the runs", () => {
  const kept = new KeptRecords(db);
  // Cards with several records, found from the rows themselves (not the runs).
  const bases = db
    .prepare(
      `SELECT card_key - (card_key % ${CARD_SEQ_SPAN}) AS base FROM records GROUP BY base HAVING COUNT(*) >= 3 ORDER BY base LIMIT 25`,
    )
    .pluck()
    .all() as number[];
  assert.ok(bases.length >= 10);
  for (const base of bases) {
    const rows = db
      .prepare('SELECT id, file_id, idx FROM records WHERE card_key BETWEEN ? AND ? ORDER BY id')
      .all(base, base + CARD_SEQ_SPAN - 1) as {
      id: number;
      file_id: number;
      idx: number;
    }[];
    const first = withFields(kept, rows)[0]!;
    const expected = withFields(kept, rows)
      .filter((r) => r.issuer_id === first.issuer_id && r.card_no === first.card_no)
      .map((r) => r.id)
      .sort((a, b) => a - b);
    const shown = cardHistory(db, first.issuer_id, first.card_no)
      .records.map((r) => r.id)
      .sort((a, b) => a - b);
    assert.deepEqual(shown, expected, `card ${first.issuer_id}/${first.card_no}`);
  }
});

test('migration 8 reads a night of more keys than a slice, equal keys across the slices', () => {
  const mem = new Database(':memory:');
  const eight = MIGRATIONS.length - 1;
  assert.equal(typeof MIGRATIONS[eight], 'function');
  for (let i = 0; i < eight; i++) applyMigration(mem, i);
  mem.prepare("INSERT INTO days (date, status) VALUES ('20260105', 'CLOSED')").run();
  const insert = mem.prepare('INSERT INTO card_keys (night, card_key, record_id) VALUES (20260105, ?, ?)');
  // 70,000 keys, each held by three records: slices of 65,536 end inside a key's group.
  const expected: Triple[] = [];
  for (let i = 0; i < 210_000; i++) expected.push([20260105, 2 ** 40 + Math.floor(i / 3) * 7, 1_000_000 + i]);
  mem.transaction(() => {
    for (const [, key, id] of expected) insert.run(key, id);
  })();
  applyMigration(mem, eight);
  assert.deepEqual(historyKeys(mem, 'card'), expected);
  assert.deepEqual(historyKeys(mem, 'terminal'), []);
  mem.close();
});
