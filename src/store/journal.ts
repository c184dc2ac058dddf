// The journal in the store: append only (triggers refuse UPDATE and DELETE),
// every entry balanced before it is written and after it is read back, each
// entry's hash = SHA-256(previous hash || canonical content).
import type { Db } from './db';
import { assertBalanced, canonicalEntry, chainHash, GENESIS_HASH, type JournalEntry } from '../core/clearing';

export class JournalConflict extends Error {}

/**
 * Appends entries in order, inside the caller's transaction. An entry whose id is
 * already in the journal with the same content is passed over (the step was done);
 * with other content it is a conflict: history is never rewritten.
 */
export function appendEntries(db: Db, entries: readonly JournalEntry[]): number {
  const last = db.prepare('SELECT hash FROM entries ORDER BY seq DESC LIMIT 1').get() as { hash: string } | undefined;
  let prev = last?.hash ?? GENESIS_HASH;
  const existing = db.prepare('SELECT seq FROM entries WHERE id = ?').pluck();
  const insertEntry = db.prepare('INSERT INTO entries (id, business_date, kind, memo, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)');
  const insertPosting = db.prepare('INSERT INTO postings (entry_seq, line, account, debit_fen, credit_fen) VALUES (?, ?, ?, ?, ?)');
  let appended = 0;
  for (const entry of entries) {
    assertBalanced(entry);
    const seq = existing.get(entry.id) as number | undefined;
    if (seq !== undefined) {
      const stored = readEntry(db, seq);
      if (canonicalEntry(stored) !== canonicalEntry(entry)) {
        throw new JournalConflict(`journal entry ${entry.id} is already posted with other content`);
      }
      continue;
    }
    const hash = chainHash(prev, entry);
    const info = insertEntry.run(entry.id, entry.business_date, entry.kind, entry.memo, prev, hash);
    const entrySeq = Number(info.lastInsertRowid);
    entry.postings.forEach((p, line) => {
      insertPosting.run(entrySeq, line, p.account, p.debit_fen, p.credit_fen);
    });
    prev = hash;
    appended++;
  }
  return appended;
}

interface EntryRow {
  seq: number;
  id: string;
  business_date: string;
  kind: string;
  memo: string;
  prev_hash: string;
  hash: string;
}

function toEntry(row: EntryRow, postings: { account: string; debit_fen: number; credit_fen: number }[]): JournalEntry {
  return { id: row.id, business_date: row.business_date, kind: row.kind, memo: row.memo, postings };
}

export function readEntry(db: Db, seq: number): JournalEntry {
  const row = db.prepare('SELECT * FROM entries WHERE seq = ?').get(seq) as EntryRow;
  const postings = db.prepare('SELECT account, debit_fen, credit_fen FROM postings WHERE entry_seq = ? ORDER BY line').all(seq) as {
    account: string;
    debit_fen: number;
    credit_fen: number;
  }[];
  const entry = toEntry(row, postings);
  assertBalanced(entry);
  return entry;
}

export type VerifyResult = { ok: true; entries: number; postings: number } | { ok: false; entry: string; seq: number; problem: string };

/** Re-checks the whole journal: balance of each entry, the hash chain, the trial balance. */
export function verifyJournal(db: Db): VerifyResult {
  const rows = db.prepare('SELECT * FROM entries ORDER BY seq').iterate() as IterableIterator<EntryRow>;
  const postingsOf = db.prepare('SELECT account, debit_fen, credit_fen FROM postings WHERE entry_seq = ? ORDER BY line');
  let prev = GENESIS_HASH;
  let entries = 0;
  let postings = 0;
  let trial = 0n;
  for (const row of rows) {
    const lines = postingsOf.all(row.seq) as { account: string; debit_fen: number; credit_fen: number }[];
    const entry = toEntry(row, lines);
    let debits = 0n;
    let credits = 0n;
    for (const p of lines) {
      if (!Number.isSafeInteger(p.debit_fen) || !Number.isSafeInteger(p.credit_fen) || p.debit_fen < 0 || p.credit_fen < 0) {
        return { ok: false, entry: row.id, seq: row.seq, problem: `posting on ${p.account} has a bad amount` };
      }
      debits += BigInt(p.debit_fen);
      credits += BigInt(p.credit_fen);
    }
    if (lines.length < 2) return { ok: false, entry: row.id, seq: row.seq, problem: 'fewer than two postings' };
    if (debits !== credits) {
      return { ok: false, entry: row.id, seq: row.seq, problem: `debits ${debits} != credits ${credits}` };
    }
    if (row.prev_hash !== prev)
      return { ok: false, entry: row.id, seq: row.seq, problem: 'chain broken: prev_hash does not match the entry before' };
    if (chainHash(prev, entry) !== row.hash) return { ok: false, entry: row.id, seq: row.seq, problem: 'hash does not match the content' };
    prev = row.hash;
    trial += debits - credits;
    entries++;
    postings += lines.length;
  }
  // Postings that belong to no entry would escape the walk above.
  const orphans = db.prepare('SELECT COUNT(*) FROM postings WHERE entry_seq NOT IN (SELECT seq FROM entries)').pluck().get() as number;
  if (orphans > 0) return { ok: false, entry: '(none)', seq: 0, problem: `${orphans} posting(s) belong to no entry` };
  if (trial !== 0n) return { ok: false, entry: '(all)', seq: 0, problem: `trial balance is ${trial}` };
  // The chain proves nothing was changed in the middle; the heads recorded when each
  // day closed prove that nothing was cut off its end.
  const heads = db.prepare("SELECT date, journal_head FROM days WHERE status = 'CLOSED' AND journal_head IS NOT NULL").all() as {
    date: string;
    journal_head: string;
  }[];
  const hasHash = db.prepare('SELECT 1 FROM entries WHERE hash = ?').pluck();
  for (const h of heads) {
    if (!hasHash.get(h.journal_head)) {
      return { ok: false, entry: '(missing)', seq: 0, problem: `the last entry of closed day ${h.date} is gone from the journal` };
    }
  }
  return { ok: true, entries, postings };
}

export interface AccountBalance {
  account: string;
  balance_fen: number;
}

/** Balances (debits - credits) by account, as of the end of a business day (or all). */
export function accountBalances(db: Db, throughDate?: string): AccountBalance[] {
  const stmt = db.prepare(
    `SELECT p.account AS account, SUM(p.debit_fen) - SUM(p.credit_fen) AS balance
       FROM postings p JOIN entries e ON e.seq = p.entry_seq
      WHERE @through IS NULL OR e.business_date <= @through
      GROUP BY p.account ORDER BY p.account`,
  );
  stmt.safeIntegers(true);
  const rows = stmt.all({ through: throughDate ?? null }) as { account: string; balance: bigint }[];
  return rows.map((r) => {
    if (r.balance > BigInt(Number.MAX_SAFE_INTEGER) || r.balance < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new Error(`balance of ${r.account} exceeds 2^53 fen`);
    }
    return { account: r.account, balance_fen: Number(r.balance) };
  });
}
