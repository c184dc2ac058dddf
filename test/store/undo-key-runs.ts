// Migration 8 undone, for the tests that take a store built by today's code back to
// an older schema: the key tables of migration 2 again, a row per key, filled from
// the key runs.
import type Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/store/migrations';
import { historyKeys } from './history-keys';

export function undoKeyRuns(db: Database.Database): void {
  const card = historyKeys(db, 'card');
  const terminal = historyKeys(db, 'terminal');
  const tables = (MIGRATIONS[1] as string).match(/CREATE TABLE (?:card|terminal)_keys \([\s\S]*?\) STRICT, WITHOUT ROWID;/g)!;
  db.exec(`DROP TABLE key_runs; ${tables.join(' ')}`);
  const insertCard = db.prepare('INSERT INTO card_keys (night, card_key, record_id) VALUES (?, ?, ?)');
  const insertTerminal = db.prepare('INSERT INTO terminal_keys (night, terminal_key, record_id) VALUES (?, ?, ?)');
  for (const t of card) insertCard.run(...t);
  for (const t of terminal) insertTerminal.run(...t);
}
