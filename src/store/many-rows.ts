// One INSERT of many rows: a statement's run costs more than its row's work in
// SQLite, so a night's rows go in a few dozen to a statement (records at import, the
// card float at the walk, the export marks). The statement for n rows is made the
// first time n rows come, and kept.
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

/**
 * Rows held back and inserted `atOnce` to a statement (manyRowInsert): add() a row's
 * values, flush() the rest, and before anything reads the table where a row held
 * back could be.
 */
export class ManyRows {
  private readonly insert;
  private readonly values: unknown[] = [];

  constructor(
    db: Db,
    into: string,
    row: string,
    private readonly width: number,
    private readonly atOnce: number,
    tail = '',
  ) {
    this.insert = manyRowInsert(db, into, row, width, tail);
  }

  add(...row: unknown[]): void {
    if (row.length !== this.width) throw new Error(`many rows: a row of ${row.length} values, not ${this.width}`);
    for (const v of row) this.values.push(v);
    if (this.values.length === this.atOnce * this.width) this.flush();
  }

  flush(): void {
    if (this.values.length === 0) return;
    this.insert(this.values);
    this.values.length = 0;
  }
}
