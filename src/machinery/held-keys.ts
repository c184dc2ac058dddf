// Held keys for a chunk of records (the prefetch): before the rules run on a chunk,
// everything they will ask of history is fetched at once, and tonight's earlier
// records are at hand in memory (night-keys.ts). The rules then ask through the
// HeldKeys shape of src/core/validate.ts and never learn how keys are found.
//
// History's held records are found by the key runs (src/store/key-runs.ts). A record's key is
// looked for there only when the worker's probe found it (validation-pipe.ts) or,
// when nobody probed, when the filter over history's keys says "maybe"; the chunk's
// candidates are read in two queries (one per key). Tonight's records are found by
// their keys in NightKeys and read by id, inside the file's transaction (this file's
// earlier records included).
import type { BlacklistEntry, ImportFields, Transaction } from '../core/types';
import type { HeldKeys } from '../core/validate';
import type { Db } from '../store/db';
import type { KeptRecords } from '../store/kept-files';
import { HOLDS_KEYS } from '../store/record-columns';
import { cardKey, terminalKey } from '../store/record-keys';
import type { CardBlacklist } from './card-blacklist';
import type { KeyFilters } from './key-tables';
import { KeyRuns } from '../store/key-runs';
import type { NightKeys } from './night-keys';
import type { NightCards } from './night-cards';
import { HISTORY_CARD, HISTORY_TERMINAL } from './ring';
import { NOT_PROBED, ReadAgainWhole, type ChunkVerdicts } from './stateless-verdicts';
import { DecodeError } from '../files/wire';
import type { AcquirerRefs } from './acquirer-refs';

/**
 * A held record of tonight, read from its kept bytes. One of the file being imported
 * may have been read in part, while the worker judged it: it was vouched for by no
 * one yet, and a record that does not decode whole sends the file to be read again
 * whole (every other record tonight or before decoded whole when its file committed).
 */
function readWhole(read: () => Transaction | undefined): Transaction | undefined {
  try {
    return read();
  } catch (err) {
    if (err instanceof DecodeError) throw new ReadAgainWhole();
    throw err;
  }
}

/** Adds row to the list under key. */
function addUnder(map: Map<number, Transaction[]>, key: number, row: Transaction): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [row]);
  else list.push(row);
}

/**
 * The held keys of one file's chunks, one chunk at a time: prefetch(chunk), then for
 * each record select(i) before the rules ask about it. Also the record's packed keys,
 * for the insert.
 */
export class ChunkHeldKeys implements HeldKeys {
  private chunk: readonly ImportFields[] = [];
  private readonly cardKeys: number[] = [];
  private readonly terminalRefs: (number | undefined)[] = [];
  /**
   * History's held records under the chunk's keys, by key (a number: the record's own
   * key is at hand, where a text would be built for every record asked about); the
   * fields decide among records of one key.
   */
  private readonly byCard = new Map<number, Transaction[]>();
  private readonly byTerminal = new Map<number, Transaction[]>();
  /** The record the rules are judging, and its card key (the blacklist only needs the card's part). */
  private current: ImportFields | null = null;
  /** What the read-ahead read (kept, so that the reads are not optimized away). */
  touched = 0;
  private currentKey = 0;
  /** Its terminal's number, when the prefetch found one (a number given stays the terminal's). */
  private currentTerminal: number | undefined = undefined;
  private readonly heldByCard;
  private readonly heldByTerminal;
  private readonly heldById;

  constructor(
    db: Db,
    private readonly night: NightKeys,
    private readonly filters: KeyFilters,
    private readonly terminals: AcquirerRefs,
    private readonly blacklist: CardBlacklist,
    private readonly kept: KeptRecords,
    /** Tonight's card runs, read ahead too (null once the walk took them). */
    private readonly cards: NightCards | null = null,
  ) {
    const history = new KeyRuns(db);
    const heldAmong = db
      .prepare(`SELECT file_id, idx FROM records WHERE id IN (SELECT value FROM json_each(?)) AND ${HOLDS_KEYS}`)
      .raw(true);
    const heldBy = (kind: 'card' | 'terminal', keys: number[]): [number, number][] => {
      const ids = history.idsOf(kind, keys);
      return ids.length === 0 ? [] : (heldAmong.all(JSON.stringify(ids)) as [number, number][]);
    };
    this.heldByCard = (keys: number[]) => heldBy('card', keys);
    this.heldByTerminal = (keys: number[]) => heldBy('terminal', keys);
    const heldAt = db.prepare(`SELECT file_id, idx FROM records WHERE id = ? AND ${HOLDS_KEYS}`).raw(true);
    this.heldById = (id: number): Transaction | undefined => {
      this.beforeRowRead();
      const at = heldAt.get(id) as [number, number] | undefined;
      return at === undefined ? undefined : readWhole(() => kept.get(at[0], at[1]));
    };
  }

  /**
   * Called before a row of tonight is read: the importer inserts the rows it holds
   * back for a many-row INSERT (a held record of the chunk may be among them).
   */
  beforeRowRead: () => void = () => {};

  /** The held records at the rows' (file_id, idx), read back from their files' kept bytes. */
  private readAll(rows: [number, number][]): Transaction[] {
    return rows.map(([file, idx]) => {
      const r = this.kept.get(file, idx);
      if (r === undefined) throw new Error(`held keys: the store keeps no bytes of record ${idx} of file ${file}`);
      return r;
    });
  }

  /** Fetches what history holds under the chunk's keys. A record the stateless rules rejected is asked nothing. */
  prefetch(chunk: readonly ImportFields[], verdicts: ChunkVerdicts): void {
    this.chunk = chunk;
    this.current = null;
    const n = chunk.length;
    this.cardKeys.length = n;
    this.terminalRefs.length = n;
    const maybeCards: number[] = [];
    const maybeTerminals: number[] = [];
    let touched = 0;
    for (let i = 0; i < n; i++) {
      const r = chunk[i]!;
      const card = cardKey(r.issuer_id, r.card_no, r.card_seq);
      const ref = this.terminals.lookup(r.acquirer_id, r.terminal_id);
      this.cardKeys[i] = card;
      this.terminalRefs[i] = ref;
      if (verdicts.rejected[i] !== undefined) continue;
      // Tonight's tables, read ahead (touch): the lookups below and the record's own find these lines in cache.
      touched += this.night.byCard.touch(card) + (this.cards?.touch(card) ?? 0);
      if (ref !== undefined) touched += this.night.byTerminal.touch(terminalKey(ref, r.terminal_seq));
      const probe = verdicts.history[i]!;
      if (probe === NOT_PROBED ? this.filters.card.mayHave(card) : (probe & HISTORY_CARD) !== 0) maybeCards.push(card);
      if (ref === undefined) continue; // a terminal never numbered holds no key
      const terminal = terminalKey(ref, r.terminal_seq);
      if (probe === NOT_PROBED ? this.filters.terminal.mayHave(terminal) : (probe & HISTORY_TERMINAL) !== 0) maybeTerminals.push(terminal);
    }
    this.touched = touched;
    this.byCard.clear();
    this.byTerminal.clear();
    if (maybeCards.length > 0) {
      for (const row of this.readAll(this.heldByCard(maybeCards))) {
        addUnder(this.byCard, cardKey(row.issuer_id, row.card_no, row.card_seq), row);
      }
    }
    if (maybeTerminals.length > 0) {
      for (const row of this.readAll(this.heldByTerminal(maybeTerminals))) {
        const ref = this.terminals.lookup(row.acquirer_id, row.terminal_id);
        if (ref !== undefined) addUnder(this.byTerminal, terminalKey(ref, row.terminal_seq), row);
      }
    }
  }

  /** Record i of the chunk is the one the rules judge now. */
  select(i: number): void {
    this.current = this.chunk[i]!;
    this.currentKey = this.cardKeys[i]!;
    this.currentTerminal = this.terminalRefs[i];
  }

  /** Record i's card key (src/store/record-keys.ts). */
  cardKeyOf(i: number): number {
    return this.cardKeys[i]!;
  }

  /** Record i's terminal key, numbering its terminal (in the file's transaction) if it is new. */
  terminalKeyOf(i: number): number {
    const r = this.chunk[i]!;
    return terminalKey(this.terminalRefs[i] ?? this.terminals.refOf(r.acquirer_id, r.terminal_id), r.terminal_seq);
  }

  byCardKey(issuer_id: string, card_no: string, card_seq: number): Transaction | undefined {
    const key = this.cardKeyFor(issuer_id, card_no, card_seq);
    const held = this.byCard.size === 0 ? undefined : this.byCard.get(key);
    if (held !== undefined) {
      // The last read of the same card and counter, as a map by their text would keep.
      for (let i = held.length - 1; i >= 0; i--) {
        const r = held[i]!;
        if (r.card_seq === card_seq && r.card_no === card_no && r.issuer_id === issuer_id) return r;
      }
    }
    return this.night.byCard.find(key, (id) => {
      const r = this.heldById(id);
      return r && r.card_seq === card_seq && r.card_no === card_no && r.issuer_id === issuer_id ? r : undefined;
    });
  }

  byTerminalKey(acquirer_id: string, terminal_id: string, terminal_seq: number): Transaction | undefined {
    // The record's own terminal's number from the prefetch; else asked now: an earlier
    // record of the chunk may have numbered the terminal since.
    const c = this.current;
    const own = c !== null && c.terminal_id === terminal_id && c.acquirer_id === acquirer_id ? this.currentTerminal : undefined;
    const ref = own ?? this.terminals.lookup(acquirer_id, terminal_id);
    if (ref === undefined) return undefined; // a terminal never numbered holds no key
    const key = terminalKey(ref, terminal_seq);
    const held = this.byTerminal.size === 0 ? undefined : this.byTerminal.get(key);
    if (held !== undefined) {
      for (let i = held.length - 1; i >= 0; i--) {
        const r = held[i]!;
        if (r.terminal_seq === terminal_seq && r.terminal_id === terminal_id && r.acquirer_id === acquirer_id) return r;
      }
    }
    return this.night.byTerminal.find(key, (id) => {
      const r = this.heldById(id);
      return r && r.terminal_seq === terminal_seq && r.terminal_id === terminal_id && r.acquirer_id === acquirer_id ? r : undefined;
    });
  }

  /** The card's BLACKLIST entries (ValidationContext.blacklistOf). */
  readonly blacklistOf = (issuer_id: string, card_no: string): readonly BlacklistEntry[] | undefined =>
    this.blacklist.of(
      issuer_id,
      card_no,
      this.current !== null && this.current.card_no === card_no && this.current.issuer_id === issuer_id
        ? this.currentKey
        : cardKey(issuer_id, card_no, 0),
    );

  /** Validation asks about the record's own card: its key is at hand. */
  private cardKeyFor(issuer_id: string, card_no: string, card_seq: number): number {
    const c = this.current;
    return c !== null && c.card_no === card_no && c.issuer_id === issuer_id && c.card_seq === card_seq
      ? this.currentKey
      : cardKey(issuer_id, card_no, card_seq);
  }
}
