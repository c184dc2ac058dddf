// What every step of a batch needs: the store, the configuration, the prepared
// TAC keys and the blacklist as imported so far.
import type { Db } from '../store/db';
import type { Participants, Keys } from '../core/config-types';
import type { BlacklistEntry } from '../core/types';
import { buildRegistry, type Registry } from '../core/registry';
import { TacKeyCache } from '../core/tac';
import { TerminalRefs } from './record-import';

export type Progress = (message: string) => void;

export interface BatchContext {
  db: Db;
  participants: Participants;
  registry: Registry;
  tac: TacKeyCache;
  /** issuer_id|card_no -> the card's entries in import order. */
  blacklist: Map<string, BlacklistEntry[]>;
  terminals: TerminalRefs;
  /**
   * Tonight's records of local cards that hold their keys, as this process imported
   * them: `issuer_id/card_no` -> [id, card_seq, balance_before_fen, balance_after_fen, ...].
   * The card-float walk reads them from here instead of reading the night back.
   */
  nightCards: NightCards;
  /** The day being run, YYYYMMDD. */
  date: string;
  progress: Progress;
}

export class NightCards {
  readonly byCard = new Map<string, number[]>();
  /** The first record id this process imported; earlier ids of the batch came from an interrupted run. */
  firstId: number | null = null;

  add(pending: Map<string, number[]>, firstId: number | null): void {
    if (this.firstId === null && firstId !== null) this.firstId = firstId;
    for (const [k, flat] of pending) {
      const list = this.byCard.get(k);
      if (list) list.push(...flat);
      else this.byCard.set(k, flat);
    }
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
    registry: buildRegistry(participants),
    tac: new TacKeyCache(keys),
    blacklist: loadBlacklist(db),
    terminals: new TerminalRefs(db),
    nightCards: new NightCards(),
    date,
    progress,
  };
}
