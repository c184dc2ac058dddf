// The journal in the store: append only (triggers refuse UPDATE and DELETE),
// every entry balanced before it is written and after it is read back, each
// entry's hash = SHA-256(previous hash || canonical content).
//
// The chain alone proves only that the entries agree with one another: anyone who
// can write the store can rewrite an entry and hash the rest again. What anchors it
// is each day's head (the number of entries and the last hash when the day closed),
// kept in the day's summary and published with its reports: `checkHeads` holds the
// store's chain against heads read from outside it.
import type { JournalHead } from '../core/reports';
import type { Db } from './db';
import { compactToIsoDate } from '../core/calendar';
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
    // Numbered 1..N with no gap: journalHead counts the entries by the last number.
    if (row.seq !== entries + 1)
      return { ok: false, entry: row.id, seq: row.seq, problem: `entry ${entries + 1} of the chain is numbered ${row.seq}` };
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
  // The chain proves nothing was changed in the middle; the heads the store recorded
  // when each day closed prove that nothing was cut off its end (against someone who
  // did not also rewrite those records: checkHeads with published heads is for that).
  const closes = recordedHeads(db);
  if (!closes.ok) return { ok: false, entry: '(missing)', seq: 0, problem: closes.problem };
  const held = checkHeads(db, closes.heads);
  if (!held.ok) {
    return { ok: false, entry: '(missing)', seq: 0, problem: `closed day ${compactToIsoDate(held.date)}: ${held.problem}` };
  }
  return { ok: true, entries, postings };
}

export type { JournalHead } from '../core/reports';

/**
 * The journal's extent now. The close takes it after its last posting, so it is the
 * extent at the day's close (summary.json's `journal`). Entries are numbered 1..N in
 * chain order and never deleted, so the last entry's seq is the count (verifyJournal
 * checks the numbering for gaps); counting the rows would read the whole table.
 */
export function journalHead(db: Db): JournalHead {
  const last = db.prepare('SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
  return last ? { entries: last.seq, head: last.hash } : { entries: 0, head: GENESIS_HASH };
}

/** A day's journal extent at its close, and where it was read: a published summary.json, or the store's own record. */
export interface DayHead extends JournalHead {
  date: string; // YYYYMMDD
  source: string;
}

export type HeadsResult = { ok: true; days: number } | { ok: false; date: string; source: string; problem: string };

/**
 * Holds the store's chain against the heads of some days (`lct ledger verify --heads`):
 * each day must be closed in the store, the chain must hold at least that many entries,
 * its entry number N (counted in chain order) must carry that hash, and the store's own
 * record of the close must say the same. Days are taken in date order and the first one
 * that fails is named: a rewritten history makes every later head differ too.
 * One pass over the chain, whatever the number of days.
 */
export function checkHeads(db: Db, heads: readonly DayHead[]): HeadsResult {
  const byDate = [...heads].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const wanted = new Map<number, string | undefined>(byDate.map((h) => [h.entries, undefined]));
  wanted.set(0, GENESIS_HASH);
  let length = 0;
  for (const hash of db.prepare('SELECT hash FROM entries ORDER BY seq').pluck().iterate() as IterableIterator<string>) {
    length++;
    if (wanted.has(length)) wanted.set(length, hash);
  }
  const closeOf = db.prepare('SELECT status, summary_json, journal_head FROM days WHERE date = ?');
  for (const h of byDate) {
    const fail = (problem: string): HeadsResult => ({ ok: false, date: h.date, source: h.source, problem });
    const day = closeOf.get(h.date) as { status: string; summary_json: string | null; journal_head: string | null } | undefined;
    if (!day) return fail('day missing from the store');
    if (day.status !== 'CLOSED') return fail('the day is not closed in the store');
    if (h.entries > length) return fail(`entries: ${h.entries} at the day's close, but the store's journal holds ${length}`);
    const found = wanted.get(h.entries)!;
    if (found !== h.head) return fail(`head differs: ${short(h.head)}, but entry ${h.entries} of the store's journal is ${short(found)}`);
    const recorded = recordedHead(day);
    if (typeof recorded === 'string') return fail(recorded);
    if (recorded.entries !== h.entries)
      return fail(`entries: ${h.entries} at the day's close, but the store's record of it says ${recorded.entries}`);
    if (recorded.head !== h.head)
      return fail(`head differs: ${short(h.head)}, but the store's record of the close says ${short(recorded.head)}`);
  }
  return { ok: true, days: byDate.length };
}

const HEAD_HEX = /^[0-9a-f]{64}$/;

function short(hash: string): string {
  return `${hash.slice(0, 16)}...`;
}

/**
 * What the store recorded of a closed day's close: the `journal` of its summary, which
 * must agree with the head column the close wrote beside it (NULL: the journal was
 * still empty). A problem is returned as a sentence.
 */
function recordedHead(day: { summary_json: string | null; journal_head: string | null }): JournalHead | string {
  let journal: JournalHead | undefined;
  try {
    journal = day.summary_json === null ? undefined : (JSON.parse(day.summary_json) as { journal?: JournalHead }).journal;
  } catch {
    return "the store's summary of the day is not JSON";
  }
  if (journal === undefined) return "the store's summary of the day records no journal head";
  if (!Number.isSafeInteger(journal.entries) || journal.entries < 0 || typeof journal.head !== 'string' || !HEAD_HEX.test(journal.head)) {
    return `the store's summary of the day has a malformed journal: ${JSON.stringify(journal)}`;
  }
  if (journal.head !== (day.journal_head ?? GENESIS_HASH)) {
    return `the store's summary of the day and its journal_head disagree (${short(journal.head)} against ${short(day.journal_head ?? 'NULL')})`;
  }
  return journal;
}

/**
 * The heads the store recorded for its closed days, for verifyJournal's own check. The
 * journal only grows, so a day recording fewer entries than the day closed before it
 * was cut (its head nulled, say, by someone who removed its entries).
 */
function recordedHeads(db: Db): { ok: true; heads: DayHead[] } | { ok: false; problem: string } {
  const days = db.prepare("SELECT date, summary_json, journal_head FROM days WHERE status = 'CLOSED' ORDER BY date").all() as {
    date: string;
    summary_json: string | null;
    journal_head: string | null;
  }[];
  const heads: DayHead[] = [];
  for (const day of days) {
    const recorded = recordedHead(day);
    if (typeof recorded === 'string') return { ok: false, problem: `closed day ${compactToIsoDate(day.date)}: ${recorded}` };
    const before = heads.at(-1);
    if (before && recorded.entries < before.entries) {
      return {
        ok: false,
        problem: `closed day ${compactToIsoDate(day.date)} records ${recorded.entries} entries at its close, fewer than ${compactToIsoDate(before.date)} before it (${before.entries})`,
      };
    }
    heads.push({ date: day.date, entries: recorded.entries, head: recorded.head, source: 'the store' });
  }
  return { ok: true, heads };
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
