// Migration 7 undone, for the tests that take a store built by today's code back to
// an older schema: the first schema's wide records table again, each row's fields
// read back from its file's kept bytes.
import type Database from 'better-sqlite3';
import { KeptRecords, readRecord } from '../../src/store/kept-files';
import { MIGRATIONS } from '../../src/store/migrations';

export function undoNarrowRecords(db: Database.Database): void {
  const kept = new KeptRecords(db);
  const rows = (db.prepare('SELECT * FROM record_view ORDER BY id').all() as Record<string, unknown>[]).map(
    (row): Record<string, unknown> => ({
      ...row,
      ...readRecord(db, kept, row.id as number),
    }),
  );
  const firstSchema = MIGRATIONS[0] as string;
  const wide = /CREATE TABLE records \([\s\S]*?\) STRICT;/.exec(firstSchema)![0];
  const indexes = firstSchema.match(/CREATE INDEX records_(?:export|national) [^;]*;/g)!;
  db.exec(`DROP VIEW record_view; DROP TABLE records; DROP TABLE exports; DROP TABLE merchants; DROP TABLE kept_blocks;
           ALTER TABLE files DROP COLUMN kept; ${wide} ${indexes.join(' ')}`);
  const columns = (db.prepare('PRAGMA table_info(records)').all() as { name: string }[]).map((c) => c.name);
  const insert = db.prepare(`INSERT INTO records (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
  for (const row of rows) insert.run(Object.fromEntries(columns.map((c) => [c, row[c] ?? null])));
}
