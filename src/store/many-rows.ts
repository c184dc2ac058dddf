// One INSERT of many rows: a statement's run costs more than its row's work in
// SQLite, so a night's rows go in a few dozen to a statement (records at import, the
// card float at the walk). The statement for n rows is made the first time n rows
// come, and kept.
import type Database from 'better-sqlite3';

type Db = Database.Database;

/**
 * `INSERT <into> VALUES <row>, <row>, ... <tail>` for any number of rows; `values` is
 * every row's parameters one after another, `width` of them a row.
 */
export function manyRowInsert(db: Db, into: string, row: string, width: number, tail = ''): (values: unknown[]) => Database.RunResult {
  const statements = new Map<number, Database.Statement>();
  return (values) => {
    const rows = values.length / width;
    let statement = statements.get(rows);
    if (statement === undefined) {
      statement = db.prepare(`${into} VALUES ${Array.from({ length: rows }, () => row).join(', ')} ${tail}`);
      statements.set(rows, statement);
    }
    return statement.run(values);
  };
}
