// Migration 2 moves the key indexes off the records table into the key tables (and
// migration 8 packs those into runs). A store written by the first schema (rebuilt
// here from a real one: same records, the old indexes, user_version 1) must come out
// of the migrations with history's keys holding exactly the closed days' keys, each
// in its night, and an open day's records left for its close.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { generateScenario } from '../../fixtures/scenario';
import { addDays } from '../../src/core/calendar';
import { openStore } from '../../src/store/db';
import { applyMigration, MIGRATIONS } from '../../src/store/migrations';
import { undoNarrowRecords } from './undo-narrow-records';
import { historyKeys } from './history-keys';
import { runBatch } from '../../src/batch/run';
import { loadConfig } from '../recon/support';
import Database from 'better-sqlite3';

test('migration 2 fills the key tables from a first-schema store: closed days only', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-migrate-'));
  const manifest = generateScenario(dir, { seed: 'migrate', days: 2, records: 400 });
  const cfg = loadConfig(dir);
  const storePath = path.join(dir, 'lct.db');
  let db = openStore(storePath);
  for (const day of manifest.days) {
    const outcome = runBatch({
      db,
      participants: cfg.participants,
      keys: cfg.keys,
      date: day.date,
      inboxDir: path.join(dir, day.inbox_dir),
      outboxDir: path.join(dir, 'outbox', day.date),
      now: () => `${addDays(day.date, 1)}013000`,
      progress: () => {},
    });
    assert.equal(outcome.kind, 'done');
  }
  const keys = (sql: string) => (db.prepare(sql).raw().all() as unknown[][]).map((r) => JSON.stringify(r));
  // [key, id], sorted, and the night each pair is in.
  const pairs = (kind: 'card' | 'terminal') =>
    historyKeys(db, kind)
      .map(([, key, id]) => JSON.stringify([key, id]))
      .sort();
  const nightOf = (kind: 'card' | 'terminal') => historyKeys(db, kind).map(([night, , id]) => [night, id] as const);
  const cardKeys = pairs('card');
  const terminalKeys = pairs('terminal');
  assert.equal(
    cardKeys.length,
    db.prepare('SELECT COUNT(*) FROM records').pluck().get(),
    'every record of a closed day is in the card keys',
  );
  assert.equal(terminalKeys.length, cardKeys.length);
  // The second day is made open again, as an interrupted run would leave it.
  const secondDay = manifest.days[1]!.date;
  const openIds = keys(`SELECT r.id FROM records r JOIN files f ON f.id = r.file_id WHERE f.batch_date = '${secondDay}' ORDER BY 1`);
  assert.ok(openIds.length > 0);

  // Back to the first schema. First undo migration 7: the wide records table again,
  // every field read back from the kept bytes.
  undoNarrowRecords(db);
  db.exec(`DROP TABLE key_runs; DROP TABLE key_filters; DROP TABLE writer_lock;
           CREATE INDEX records_card_key ON records(card_key); CREATE INDEX records_terminal_key ON records(terminal_key);`);
  // Undo migration 4 (corrections; statement_lines keyed by ref) as well.
  const lines = keys('SELECT * FROM statement_lines ORDER BY 1, 2, 3, 4');
  assert.ok(lines.length > 0);
  db.exec(`DROP TABLE correction_events; DROP TABLE corrections;
           CREATE TABLE statement_lines_1 AS SELECT business_date, participant_id, category, merchant_id, count, gross_fen, fee_fen,
             net_fen, fee_rate FROM statement_lines;
           DROP TABLE statement_lines; ALTER TABLE statement_lines_1 RENAME TO statement_lines;`);
  // Undo migration 6 (the day's participants, the answers' receivers), keeping what it filled in to compare.
  const answerTo = keys('SELECT id, answer_to FROM files ORDER BY id');
  assert.ok(answerTo.some((r) => JSON.parse(r)[1] !== null));
  db.exec('DROP TABLE day_configs; ALTER TABLE days DROP COLUMN config_hash; ALTER TABLE files DROP COLUMN answer_to;');
  db.prepare("UPDATE days SET status = 'OPEN' WHERE date = ?").run(secondDay);
  db.pragma('user_version = 1');
  db.close();

  db = openStore(storePath);
  assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'records_%_key'").pluck().all();
  assert.deepEqual(indexes, [], 'the old key indexes are gone');
  assert.deepEqual(keys('SELECT * FROM statement_lines ORDER BY 1, 2, 3, 4'), lines, "migration 4 keeps the statement lines, ref ''");
  assert.deepEqual(keys('SELECT id, answer_to FROM files ORDER BY id'), answerTo, 'migration 6 finds who each answer went to');
  assert.equal(db.prepare('SELECT COUNT(*) FROM days WHERE config_hash IS NOT NULL').pluck().get(), 0, "no day's participants are known");
  const open = new Set(openIds.map((r) => (JSON.parse(r) as number[])[0]));
  const closedOnly = (list: string[]) => list.filter((r) => !open.has((JSON.parse(r) as number[])[1]!));
  assert.deepEqual(pairs('card'), closedOnly(cardKeys));
  assert.deepEqual(pairs('terminal'), closedOnly(terminalKeys));
  const batchDateOf = db
    .prepare('SELECT CAST(f.batch_date AS INTEGER) FROM records r JOIN files f ON f.id = r.file_id WHERE r.id = ?')
    .pluck();
  for (const kind of ['card', 'terminal'] as const) {
    const wrong = nightOf(kind).filter(([night, id]) => batchDateOf.get(id) !== night);
    assert.deepEqual(wrong, [], `each ${kind} key is in its record's night`);
  }
  db.close();
});

test('migration 6: who each answered file went to, as the outbox answered it before (and now as the name allows)', () => {
  // Found by what it does, so that the test follows it if it is renumbered.
  const six = MIGRATIONS.findIndex((m) => typeof m === 'string' && m.includes('ADD COLUMN answer_to'));
  assert.ok(six > 0);
  const db = new Database(':memory:');
  for (let i = 0; i < six; i++) applyMigration(db, i);
  const insert = db.prepare("INSERT INTO files (batch_date, name, sha256, kind, sender_id, outcome) VALUES ('20260105', ?, '', ?, ?, ?)");
  const rows: [string, string, string | null, string, string | null][] = [
    // name, kind, header's sender, outcome, answer_to wanted
    ['TXN_UPLOAD_41010101_41010000_20260105_0001.pb', 'TXN_UPLOAD', '41010101', 'IMPORTED', '41010101'],
    ['TXN_UPLOAD_41010101_41010000_20260105_0002.pb', 'TXN_UPLOAD', '4101010', 'REFUSED', '41010101'],
    ['TXN_UPLOAD_41010102_41010000_20260105_002.pb', 'TXN_UPLOAD', 'garbage', 'REFUSED', '41010102'],
    ['TXN_UPLOAD_4101010_41010000_20260105_0002.pb', 'TXN_UPLOAD', '', 'REFUSED', null],
    ['TXN_UPLOAD_41010101_41010000_20260105_0003.pb', 'TXN_UPLOAD', null, 'REFUSED', null],
    ['INTEROP_IN_00000001_41010000_20260105_0001.pb', 'INTEROP_IN', '00000001', 'IMPORTED', '00000001'],
    ['INTEROP_IN_00000001_41010000_20260105_0002.pb', 'INTEROP_IN', '41010101', 'REFUSED', '00000001'],
    ['INTEROP_IN_00000001_41010000_20260105_0003.pb', 'INTEROP_IN', null, 'REFUSED', null],
    ['BLACKLIST_41010001_41010000_20260105_0001.pb', 'BLACKLIST', '41010001', 'IMPORTED', null],
  ];
  for (const [name, kind, sender, outcome] of rows) insert.run(name, kind, sender, outcome);
  applyMigration(db, six);
  assert.deepEqual(
    db.prepare('SELECT name, answer_to FROM files ORDER BY id').raw().all(),
    rows.map(([name, , , , want]) => [name, want]),
  );
  db.close();
});
