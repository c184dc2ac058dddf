// History's held keys in the store: the key tables (migration 2), one partition per
// closed night, and the filters over them (key-filter.ts), saved beside them. A
// record's keys are searched here only when a filter says "maybe".
import type { Db } from '../store/db';
import type { RecordRange } from '../store/batch-records';
import { KeyFilter } from './key-filter';

export interface KeyFilters {
  card: KeyFilter;
  terminal: KeyFilter;
}

export type KeyName = keyof KeyFilters;

const TABLES = { card: ['card_keys', 'card_key'], terminal: ['terminal_keys', 'terminal_key'] } as const;

/**
 * History's filters as the last close saved them. A store without them (a new one,
 * or one just migrated) gets them built from its key tables, once.
 */
export function loadKeyFilters(db: Db): KeyFilters {
  const load = (name: KeyName): KeyFilter => {
    const row = db.prepare('SELECT keys, bits FROM key_filters WHERE name = ?').get(name) as { keys: number; bits: Buffer } | undefined;
    if (row) return KeyFilter.fromBytes(row.bits, row.keys);
    return historyFilter(db, name, db.prepare(`SELECT COUNT(*) FROM ${TABLES[name][0]}`).pluck().get() as number);
  };
  return { card: load('card'), terminal: load('terminal') };
}

/** A filter grown for `keys` keys (KeyFilter.grownFor), holding history's keys. */
export function historyFilter(db: Db, name: KeyName, keys: number): KeyFilter {
  const filter = KeyFilter.grownFor(keys);
  addHistory(db, name, filter);
  return filter;
}

/** Every key of the name's table into filter, a night's partition at a time (whole arrays: per-row stepping cost 3 µs a key). */
export function addHistory(db: Db, name: KeyName, filter: KeyFilter): void {
  const [table, column] = TABLES[name];
  const nightKeys = db.prepare(`SELECT ${column} FROM ${table} WHERE night = ?`).pluck();
  for (const night of db.prepare('SELECT CAST(date AS INTEGER) FROM days').pluck().all() as number[]) {
    for (const key of nightKeys.all(night) as number[]) filter.add(key);
  }
}

/** Saves the filters' bits: inside the transaction that added the keys to the tables. */
export function saveKeyFilters(db: Db, filters: KeyFilters): void {
  const save = db.prepare(
    'INSERT INTO key_filters (name, keys, bits) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET keys = excluded.keys, bits = excluded.bits',
  );
  save.run('card', filters.card.keys, filters.card.bytes());
  save.run('terminal', filters.terminal.keys, filters.terminal.bytes());
}

/**
 * The key tables' ids under the keys of a json array (`?`): one seek per night's
 * partition. Every partition is a day of `days` (the close of that day made it);
 * tonight's fills when the day closes.
 */
export const CARD_KEY_IDS =
  'SELECT k.record_id FROM days d JOIN card_keys k ON k.night = CAST(d.date AS INTEGER) AND k.card_key IN (SELECT value FROM json_each(?))';
export const TERMINAL_KEY_IDS =
  'SELECT k.record_id FROM days d JOIN terminal_keys k ON k.night = CAST(d.date AS INTEGER) AND k.terminal_key IN (SELECT value FROM json_each(?))';

/**
 * Tonight's records join history's key tables, every record (rejected ones too, so
 * that a card's history finds them), as tonight's partition: sorted, appended at the
 * end of each table.
 */
export function appendNightPartition(db: Db, date: string, range: RecordRange, progress: (message: string) => void): void {
  const night = Number(date);
  progress('keys: card keys');
  db.prepare(
    'INSERT INTO card_keys (night, card_key, record_id) SELECT ?, card_key, id FROM records WHERE id BETWEEN ? AND ? ORDER BY 2, 3',
  ).run(night, range.lo, range.hi);
  // Terminal keys go in id order, unsorted: a terminal's numbers mostly rise with the
  // records' ids, so each terminal's keys arrive nearly in key order (late or
  // out-of-order files put some elsewhere; the table's key orders them all). Measured:
  // sorting them first cost more than it saved.
  progress('keys: terminal keys');
  db.prepare(
    'INSERT INTO terminal_keys (night, terminal_key, record_id) SELECT ?, terminal_key, id FROM records WHERE id BETWEEN ? AND ?',
  ).run(night, range.lo, range.hi);
}
