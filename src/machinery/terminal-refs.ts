// The terminals' numbers (the store's terminals table), which terminal keys are made
// of (src/store/record-keys.ts): kept in memory for the night, so that no record
// builds a key string or asks the store to number its terminal.
import type { Db } from '../store/db';

/** Terminal numbering: a terminal key is terminals.id * 2^32 + terminal_seq. A file's new numbers go if it rolls back. */
export class TerminalRefs {
  /** acquirer_id -> terminal_id -> number: two lookups of the decoder's strings, no key built per record. */
  private readonly known = new Map<string, Map<string, number>>();
  private pending: [string, string][] = [];
  private next: number;
  private readonly insert;

  constructor(db: Db) {
    for (const row of db.prepare('SELECT id, acquirer_id, terminal_id FROM terminals').iterate() as IterableIterator<{
      id: number;
      acquirer_id: string;
      terminal_id: string;
    }>) {
      this.remember(row.acquirer_id, row.terminal_id, row.id);
    }
    this.next = ((db.prepare('SELECT MAX(id) FROM terminals').pluck().get() as number | null) ?? 0) + 1;
    this.insert = db.prepare('INSERT INTO terminals (id, acquirer_id, terminal_id) VALUES (?, ?, ?)');
  }

  private remember(acquirer_id: string, terminal_id: string, id: number): void {
    let terminals = this.known.get(acquirer_id);
    if (terminals === undefined) this.known.set(acquirer_id, (terminals = new Map()));
    terminals.set(terminal_id, id);
  }

  /** The terminal's number, inserting it (inside the caller's transaction) when new. */
  refOf(acquirer_id: string, terminal_id: string): number {
    let id = this.lookup(acquirer_id, terminal_id);
    if (id === undefined) {
      id = this.next++;
      this.insert.run(id, acquirer_id, terminal_id);
      this.remember(acquirer_id, terminal_id, id);
      this.pending.push([acquirer_id, terminal_id]);
    }
    return id;
  }

  lookup(acquirer_id: string, terminal_id: string): number | undefined {
    return this.known.get(acquirer_id)?.get(terminal_id);
  }

  commit(): void {
    this.pending = [];
  }

  /** The file's transaction rolled back: forget the numbers it gave out. */
  rollback(): void {
    for (const [acquirer_id, terminal_id] of this.pending) this.known.get(acquirer_id)?.delete(terminal_id);
    this.next -= this.pending.length;
    this.pending = [];
  }
}
