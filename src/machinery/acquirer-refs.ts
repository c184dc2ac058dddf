// Numbers for an acquirer's terminals and merchants (the store's terminals and
// merchants tables): terminal keys are made of a terminal's number
// (src/store/record-keys.ts), and a record's row names its merchant by number. Kept
// in memory for the night, so that no record builds a key string or asks the store
// to number its terminal or merchant.
import type { Db } from '../store/db';

/** A file's new numbers go if it rolls back. */
export class AcquirerRefs {
  /** acquirer_id -> terminal_id (or merchant_id) -> number: two lookups of the decoder's strings, no key built per record. */
  private readonly known = new Map<string, Map<string, number>>();
  private pending: [string, string][] = [];
  private next: number;
  private readonly insert;

  /** table: terminals (of terminal_id) or merchants (of merchant_id). */
  constructor(db: Db, table: 'terminals' | 'merchants') {
    const column = table === 'terminals' ? 'terminal_id' : 'merchant_id';
    for (const [id, acquirer_id, of] of db
      .prepare(`SELECT id, acquirer_id, ${column} FROM ${table}`)
      .raw(true)
      .iterate() as IterableIterator<[number, string, string]>) {
      this.remember(acquirer_id, of, id);
    }
    this.next = ((db.prepare(`SELECT MAX(id) FROM ${table}`).pluck().get() as number | null) ?? 0) + 1;
    this.insert = db.prepare(`INSERT INTO ${table} (id, acquirer_id, ${column}) VALUES (?, ?, ?)`);
  }

  private remember(acquirer_id: string, of: string, id: number): void {
    let known = this.known.get(acquirer_id);
    if (known === undefined) this.known.set(acquirer_id, (known = new Map()));
    known.set(of, id);
  }

  /** The number, inserting it (inside the caller's transaction) when new. */
  refOf(acquirer_id: string, of: string): number {
    let id = this.lookup(acquirer_id, of);
    if (id === undefined) {
      id = this.next++;
      this.insert.run(id, acquirer_id, of);
      this.remember(acquirer_id, of, id);
      this.pending.push([acquirer_id, of]);
    }
    return id;
  }

  lookup(acquirer_id: string, of: string): number | undefined {
    return this.known.get(acquirer_id)?.get(of);
  }

  commit(): void {
    this.pending = [];
  }

  /** The file's transaction rolled back: forget the numbers it gave out. */
  rollback(): void {
    for (const [acquirer_id, of] of this.pending) this.known.get(acquirer_id)?.delete(of);
    this.next -= this.pending.length;
    this.pending = [];
  }
}
