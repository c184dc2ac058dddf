// What every step of a batch needs: the store, the configuration, the prepared
// TAC keys and the blacklist as imported so far.
import type { Db } from '../store/db';
import type { Participants, Keys } from '../core/config-types';
import type { BlacklistEntry } from '../core/types';
import { buildRegistry, type Registry } from '../core/registry';
import { TacKeyCache } from '../core/tac';
import { TerminalRefs } from './record-import';
import { NightKeys } from './night-keys';
import type { ValidationPipe } from './validation-pipe';

export type Progress = (message: string) => void;

export interface BatchContext {
  db: Db;
  participants: Participants;
  /** The TAC master keys: never printed or logged. */
  keys: Keys;
  registry: Registry;
  tac: TacKeyCache;
  /** issuer_id|card_no -> the card's entries in import order. */
  blacklist: Map<string, BlacklistEntry[]>;
  terminals: TerminalRefs;
  /**
   * Tonight's records of local cards that hold their keys, as this process imported
   * them: per card, [id, card_seq, balance_before_fen, balance_after_fen, ...].
   * The card-float walk reads them from here instead of reading the night back.
   */
  nightCards: NightCards;
  /** Tonight's held keys: history's are in the store's key tables, filled when the day closes. */
  nightKeys: NightKeys;
  /** While the import runs on a big enough night: the worker thread of the stateless rules. */
  validation?: ValidationPipe | null;
  /** The day being run, YYYYMMDD. */
  date: string;
  progress: Progress;
}

export class NightCards {
  /** issuer_id -> card_no -> the card's runs: two lookups of strings the decoder made, no key built per record. */
  private readonly byIssuer = new Map<string, Map<string, number[]>>();
  /** The first record id this process imported; earlier ids of the batch came from an interrupted run. */
  firstId: number | null = null;

  append(issuer_id: string, card_no: string, id: number, card_seq: number, before_fen: number, after_fen: number): void {
    if (this.firstId === null) this.firstId = id;
    let cards = this.byIssuer.get(issuer_id);
    if (cards === undefined) this.byIssuer.set(issuer_id, (cards = new Map()));
    const flat = cards.get(card_no);
    if (flat) flat.push(id, card_seq, before_fen, after_fen);
    else cards.set(card_no, [id, card_seq, before_fen, after_fen]);
  }

  /** Each card with its runs [id, card_seq, balance_before_fen, balance_after_fen, ...]. */
  *cards(): Generator<[issuer_id: string, card_no: string, flat: number[]]> {
    for (const [issuer_id, cards] of this.byIssuer) for (const [card_no, flat] of cards) yield [issuer_id, card_no, flat];
  }

  /** A refused file's records, from id on, were rolled back: they leave the runs too. */
  forgetFrom(id: number): void {
    for (const cards of this.byIssuer.values()) {
      for (const [card, flat] of cards) {
        let n = flat.length;
        while (n > 0 && flat[n - 4]! >= id) n -= 4;
        if (n === 0) cards.delete(card);
        else flat.length = n;
      }
    }
    if (this.firstId !== null && this.firstId >= id) this.firstId = null;
  }
}

export function loadBlacklist(db: Db): Map<string, BlacklistEntry[]> {
  const byCard = new Map<string, BlacklistEntry[]>();
  const rows = db
    .prepare('SELECT issuer_id, card_no, action, effective_at, reason FROM blacklist_entries ORDER BY id')
    .iterate() as IterableIterator<BlacklistEntry>;
  for (const e of rows) {
    const k = `${e.issuer_id}|${e.card_no}`;
    const list = byCard.get(k);
    if (list) list.push(e);
    else byCard.set(k, [e]);
  }
  return byCard;
}

/** The ids of the records a day's batch imported: contiguous, because imports are sequential. */
export function batchRecordRange(db: Db, date: string): { lo: number; hi: number } {
  const row = db
    .prepare(
      `SELECT MIN(first_record_id) AS lo, MAX(first_record_id + record_count - 1) AS hi
         FROM files WHERE batch_date = ? AND outcome = 'IMPORTED' AND first_record_id IS NOT NULL`,
    )
    .get(date) as { lo: number | null; hi: number | null };
  return row.lo === null || row.hi === null ? { lo: 1, hi: 0 } : { lo: row.lo, hi: row.hi };
}

/**
 * Tonight's keys as far as an interrupted run of the same batch stored them; empty
 * on a first run. The night's ids start after every id stored before it.
 */
function loadNightKeys(db: Db, date: string): NightKeys {
  const range = batchRecordRange(db, date);
  const base = range.lo <= range.hi ? range.lo : ((db.prepare('SELECT MAX(id) FROM records').pluck().get() as number | null) ?? 0) + 1;
  const keys = new NightKeys(base, range.hi - range.lo + 1);
  const rows = db
    .prepare(
      `SELECT id, card_key, terminal_key FROM records
        WHERE id BETWEEN ? AND ? AND status IN ('ACCEPTED', 'SUSPENDED', 'PENDING_INTEROP')`,
    )
    .raw(true)
    .iterate(range.lo, range.hi) as IterableIterator<[number, number, number]>;
  for (const [id, card, terminal] of rows) keys.add(id, card, terminal);
  return keys;
}

export function makeContext(
  db: Db,
  participants: Participants,
  keys: Keys,
  date: string,
  progress: Progress,
): BatchContext {
  return {
    db,
    participants,
    keys,
    registry: buildRegistry(participants),
    tac: new TacKeyCache(keys),
    blacklist: loadBlacklist(db),
    terminals: new TerminalRefs(db),
    nightCards: new NightCards(),
    nightKeys: loadNightKeys(db, date),
    date,
    progress,
  };
}
