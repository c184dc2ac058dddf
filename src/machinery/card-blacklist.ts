// The BLACKLIST entries imported so far, by card, as validation asks for them (S01
// and loads on listed cards): once per local record, a million times a night.
import type { Db } from '../store/db';
import type { BlacklistEntry } from '../core/types';
import { CARD_SEQ_SPAN, cardHash } from '../store/record-keys';

/**
 * The blacklist by card: issuer_id|card_no -> the card's entries in import order.
 * Every local record asks it, and few cards are listed, so a bitset over the cards'
 * hashes answers "not listed" for almost all of them without building a key string.
 */
export class CardBlacklist {
  private readonly bits = new Int32Array(1 << 15); // 2^20 bits

  constructor(readonly byCard: Map<string, BlacklistEntry[]>) {
    for (const list of byCard.values()) {
      const bit = cardHash(list[0]!.issuer_id, list[0]!.card_no) & 0xfffff;
      this.bits[bit >>> 5]! |= 1 << (bit & 31);
    }
  }

  /** The card's entries; card_key is the record's (src/store/record-keys.ts), which carries the card's hash. */
  of(issuer_id: string, card_no: string, card_key: number): BlacklistEntry[] | undefined {
    const bit = Math.floor(card_key / CARD_SEQ_SPAN) & 0xfffff;
    if ((this.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return undefined;
    return this.byCard.get(`${issuer_id}|${card_no}`);
  }
}

export function loadBlacklist(db: Db): CardBlacklist {
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
  return new CardBlacklist(byCard);
}
