// Migration 2 moves the key indexes off the records table into the key tables. A
// store written by the first schema (rebuilt here from a real one: same records,
// the old indexes, user_version 1) must come out of the migration with key tables
// holding exactly the closed days' keys, each in its night's partition, and an open
// day's records left for its close.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { generateScenario } from '../../fixtures/scenario';
import { addDays } from '../../src/core/calendar';
import { openStore } from '../../src/store/db';
import { MIGRATIONS } from '../../src/store/migrations';
import { runBatch } from '../../src/batch/run';
import { loadConfig } from '../recon/support';

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
  const cardKeys = keys('SELECT card_key, record_id FROM card_keys ORDER BY 1, 2');
  const terminalKeys = keys('SELECT terminal_key, record_id FROM terminal_keys ORDER BY 1, 2');
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

  // Back to the first schema.
  db.exec(`DROP TABLE card_keys; DROP TABLE terminal_keys; DROP TABLE key_filters; DROP TABLE writer_lock;
           CREATE INDEX records_card_key ON records(card_key); CREATE INDEX records_terminal_key ON records(terminal_key);`);
  // Undo migration 4 (corrections; statement_lines keyed by ref) as well.
  const lines = keys('SELECT * FROM statement_lines ORDER BY 1, 2, 3, 4');
  assert.ok(lines.length > 0);
  db.exec(`DROP TABLE correction_events; DROP TABLE corrections;
           CREATE TABLE statement_lines_1 AS SELECT business_date, participant_id, category, merchant_id, count, gross_fen, fee_fen,
             net_fen, fee_rate FROM statement_lines;
           DROP TABLE statement_lines; ALTER TABLE statement_lines_1 RENAME TO statement_lines;`);
  db.prepare("UPDATE days SET status = 'OPEN' WHERE date = ?").run(secondDay);
  db.pragma('user_version = 1');
  db.close();

  db = openStore(storePath);
  assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'records_%_key'").pluck().all();
  assert.deepEqual(indexes, [], 'the old key indexes are gone');
  assert.deepEqual(keys('SELECT * FROM statement_lines ORDER BY 1, 2, 3, 4'), lines, "migration 4 keeps the statement lines, ref ''");
  const open = new Set(openIds.map((r) => (JSON.parse(r) as number[])[0]));
  const closedOnly = (list: string[]) => list.filter((r) => !open.has((JSON.parse(r) as number[])[1]!));
  assert.deepEqual(keys('SELECT card_key, record_id FROM card_keys ORDER BY 1, 2'), closedOnly(cardKeys));
  assert.deepEqual(keys('SELECT terminal_key, record_id FROM terminal_keys ORDER BY 1, 2'), closedOnly(terminalKeys));
  const wrongNight = db
    .prepare(
      'SELECT COUNT(*) FROM card_keys k JOIN records r ON r.id = k.record_id JOIN files f ON f.id = r.file_id WHERE k.night <> CAST(f.batch_date AS INTEGER)',
    )
    .pluck()
    .get();
  assert.equal(wrongNight, 0, "each key is in its record's night");
  db.close();
});
