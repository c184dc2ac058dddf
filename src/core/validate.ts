// One verdict per record of a TXN_UPLOAD or INTEROP_IN file (clearing-rules.md,
// "Validating a record"). The rules run in the spec's order, E01 E02 E08 E04 E07 E06
// E05 E03 E09 S01, as a plain ladder: the first that fails decides, so a record with
// several faults always gets the same code, whoever validates it.
//
// A verdict is a value, never an exception. validateRecord reads its context and
// changes nothing: the caller adds a non-REJECTED record to the held keys before it
// validates the next one. It runs once per record, millions a night, so the common
// verdicts are shared frozen objects and nothing is allocated on the accepting path.

import { strict as assert } from 'node:assert';
import type { Limits } from './config-types';
import type { BlacklistEntry, ImportFields, RecordReason, Transaction } from './types';
import { BLACKLIST_ADD, TXN_COMPOSITE_PURCHASE, TXN_LOAD, TXN_PURCHASE } from './types';
import type { Registry } from './registry';
import { isTerminalActiveOnDay } from './registry';
import type { TacVerifier } from './tac';
import { compactDateDayNumber, timestampSeconds } from './calendar';
import { isDigits, isDigitsOrUpper, isUpperHex } from './char-shapes';

export interface FileContext {
  file_type: 'TXN_UPLOAD' | 'INTEROP_IN';
  sender_id: string;
  /** The header's business date, YYYYMMDD. */
  business_date: string;
}

/**
 * The records that currently hold keys (KEY_HOLDING_STATUSES: every status but
 * REJECTED), of history and of this file so far. How they are found is the caller's
 * business: the batch asks the night's machinery (src/machinery/held-keys.ts).
 */
export interface HeldKeys {
  byCardKey(issuer_id: string, card_no: string, card_seq: number): Transaction | undefined;
  byTerminalKey(acquirer_id: string, terminal_id: string, terminal_seq: number): Transaction | undefined;
}

export interface ValidationContext {
  registry: Registry;
  limits: Limits;
  tac: TacVerifier;
  held: HeldKeys;
  /** The card's BLACKLIST entries in import order, or undefined when it has none. */
  blacklistOf(issuer_id: string, card_no: string): readonly BlacklistEntry[] | undefined;
}

export type RejectReason = Exclude<RecordReason, 'S01'>;

export type RecordVerdict =
  /** blacklisted_load: an accepted load on a card the blacklist rule holds (listed in the day's exceptions). */
  | { status: 'ACCEPTED' | 'PENDING_INTEROP'; reason: ''; blacklisted_load?: true }
  | { status: 'SUSPENDED'; reason: 'S01' }
  | {
      status: 'REJECTED';
      reason: RejectReason;
      /** The field at fault, for operators: always set for E01, and for other codes where one field is to blame. */
      field?: string;
      /** E03 and E09: the held record with the same key. */
      conflictWith?: Transaction;
    };

export type RejectedVerdict = Extract<RecordVerdict, { status: 'REJECTED' }>;

const ACCEPTED: RecordVerdict = Object.freeze({ status: 'ACCEPTED', reason: '' });
const ACCEPTED_BLACKLISTED_LOAD: RecordVerdict = Object.freeze({ status: 'ACCEPTED', reason: '', blacklisted_load: true });
const PENDING_INTEROP: RecordVerdict = Object.freeze({ status: 'PENDING_INTEROP', reason: '' });
const SUSPENDED: RecordVerdict = Object.freeze({ status: 'SUSPENDED', reason: 'S01' });

// One frozen verdict per (reason, field): verdicts without a conflicting record are
// shared, since nothing about them is particular to the record.
const sharedRejections = new Map<string, RejectedVerdict>();
function rejected(reason: RejectReason, field: string): RejectedVerdict {
  const key = `${reason}/${field}`;
  let v = sharedRejections.get(key);
  if (v === undefined) {
    v = Object.freeze({ status: 'REJECTED', reason, field }) as RejectedVerdict;
    sharedRejections.set(key, v);
  }
  return v;
}

// The formats of exchange-files.md that E01 checks (char-shapes.ts): ids of 8 digits, a
// card number of 20, a terminal of 12 hex digits, a merchant of 15 digits or letters,
// a TAC of 8 hex digits.
const UINT32_MAX = 0xffffffff;
const CARD_SEQ_MAX = 65535;

/** The first of the fields before occurred_at (in the spec's list) that breaks its format. */
function malformedIdentityField(rec: Transaction): string | undefined {
  if (!isDigits(rec.issuer_id, 8)) return 'issuer_id';
  if (!isDigits(rec.card_no, 20)) return 'card_no';
  const amount = rec.amount_fen;
  if (!Number.isInteger(amount) || amount <= 0 || amount > UINT32_MAX) return 'amount_fen';
  const seq = rec.card_seq;
  if (!Number.isInteger(seq) || seq < 1 || seq > CARD_SEQ_MAX) return 'card_seq';
  if (!isUpperHex(rec.terminal_id, 12)) return 'terminal_id';
  if (!isDigits(rec.acquirer_id, 8)) return 'acquirer_id';
  if (!isDigitsOrUpper(rec.merchant_id, 15)) return 'merchant_id';
  return undefined;
}

function isPurchase(txn_type: number): boolean {
  return txn_type === TXN_PURCHASE || txn_type === TXN_COMPOSITE_PURCHASE;
}

/** Every field of the two records is the same: a resend, not a second spend. */
export function sameRecord(a: Transaction, b: Transaction): boolean {
  return (
    a.issuer_id === b.issuer_id &&
    a.card_no === b.card_no &&
    a.card_type === b.card_type &&
    a.txn_type === b.txn_type &&
    a.amount_fen === b.amount_fen &&
    a.balance_before_fen === b.balance_before_fen &&
    a.balance_after_fen === b.balance_after_fen &&
    a.card_seq === b.card_seq &&
    a.terminal_id === b.terminal_id &&
    a.terminal_seq === b.terminal_seq &&
    a.acquirer_id === b.acquirer_id &&
    a.merchant_id === b.merchant_id &&
    a.occurred_at === b.occurred_at &&
    a.tac === b.tac &&
    a.batch_no === b.batch_no &&
    a.line_id === b.line_id &&
    a.station_id === b.station_id
  );
}

/**
 * Whether the blacklist holds the card at occurred_at: among its entries that took
 * effect at least grace_hours before occurred_at, the latest is an add; on
 * equal effective_at the later-imported entry wins. An entry whose effective_at is not
 * a real moment never takes effect (the BLACKLIST import should have refused it).
 */
export function isBlacklisted(entries: readonly BlacklistEntry[], occurred_at: string, grace_hours: number): boolean {
  if (entries.length === 0) return false;
  const at_s = timestampSeconds(occurred_at);
  assert(at_s !== undefined, `isBlacklisted: occurred_at is not a real moment: ${occurred_at}`);
  const latest_effective_s = at_s - grace_hours * 3600;
  let best: BlacklistEntry | undefined;
  let best_s = -Infinity;
  for (const e of entries) {
    const e_s = timestampSeconds(e.effective_at);
    if (e_s === undefined || e_s > latest_effective_s) continue;
    // >=: in import order, so on a tie the later-imported entry replaces the earlier.
    if (e_s >= best_s) {
      best = e;
      best_s = e_s;
    }
  }
  return best !== undefined && best.action === BLACKLIST_ADD;
}

/** A load on a local card that the blacklist rule holds: accepted, but listed in the exceptions. */
export function isLoadOnBlacklistedCard(rec: Transaction, ctx: Pick<ValidationContext, 'registry' | 'limits' | 'blacklistOf'>): boolean {
  if (rec.txn_type !== TXN_LOAD || !ctx.registry.isLocalIssuer(rec.issuer_id)) return false;
  const entries = ctx.blacklistOf(rec.issuer_id, rec.card_no);
  return entries !== undefined && isBlacklisted(entries, rec.occurred_at, ctx.limits.blacklist_grace_hours);
}

/** The verdict on one record. Pure: reads ctx, changes nothing. */
export function validateRecord(rec: Transaction, file: FileContext, ctx: ValidationContext): RecordVerdict {
  return statelessVerdict(rec, file, ctx) ?? statefulVerdict(rec, ctx, () => rec);
}

/** What the rules before E03 need: the configuration only, nothing of history. */
export type StatelessContext = Pick<ValidationContext, 'registry' | 'limits' | 'tac'>;

/**
 * The rules that need only the record, its file's header and the configuration:
 * E01 E02 E08 E04 E07 E06 E05, in order. They all come before the first rule that
 * needs history (E03), so they can run anywhere, ahead of the rest: the batch runs
 * them on a second thread. undefined: the record passed them all.
 */
/**
 * A record's balance before, from its balance after: what E04 ARITHMETIC holds every
 * record not rejected to (a load added the amount; anything else took it).
 */
export function balanceBefore(txn_type: number, amount_fen: number, balance_after_fen: number): number {
  return txn_type === TXN_LOAD ? balance_after_fen - amount_fen : balance_after_fen + amount_fen;
}

// The last business date asked and its day number: a file's records all ask the same.
let lastBusinessDate = '';
let lastBusinessDay = 0;

function businessDayOf(business_date: string): number {
  if (business_date === lastBusinessDate) return lastBusinessDay;
  const day = compactDateDayNumber(business_date);
  assert(day !== undefined, `validateRecord: the header's business_date is not a real date: ${business_date}`);
  lastBusinessDate = business_date;
  lastBusinessDay = day;
  return day;
}

export function statelessVerdict(rec: Transaction, file: FileContext, ctx: StatelessContext): RejectedVerdict | undefined {
  const registry = ctx.registry;
  const limits = ctx.limits;

  // E01 MALFORMED. The moment of occurred_at is kept: the later rules need its day.
  const bad = malformedIdentityField(rec);
  if (bad !== undefined) return rejected('E01', bad);
  const occurred_s = timestampSeconds(rec.occurred_at);
  if (occurred_s === undefined) return rejected('E01', 'occurred_at');
  if (!isUpperHex(rec.tac, 8)) return rejected('E01', 'tac');
  const occurred_day = Math.floor(occurred_s / 86400);

  const local = registry.isLocalIssuer(rec.issuer_id);
  const type = rec.txn_type;
  const interop_in = file.file_type === 'INTEROP_IN';

  // E02 UNKNOWN_TERMINAL: an upload's terminal must be the sender's, registered under
  // that merchant and active that day; an INTEROP_IN record must be one of our cards
  // (its terminal is elsewhere, not ours to know).
  let captured_by_agent = false;
  if (interop_in) {
    if (!local) return rejected('E02', 'issuer_id');
  } else {
    const t = registry.terminal(rec.terminal_id);
    if (t === undefined) return rejected('E02', 'terminal_id');
    if (rec.acquirer_id !== file.sender_id || t.participant_id !== rec.acquirer_id) return rejected('E02', 'acquirer_id');
    if (t.merchant_id !== rec.merchant_id) return rejected('E02', 'merchant_id');
    if (!isTerminalActiveOnDay(t, occurred_day)) return rejected('E02', 'occurred_at');
    captured_by_agent = t.role === 'agent';
  }

  // E08 TYPE_NOT_ALLOWED
  const load = type === TXN_LOAD;
  if (!load && !isPurchase(type)) return rejected('E08', 'txn_type');
  if (interop_in) {
    if (load) return rejected('E08', 'txn_type');
  } else {
    if (load && !captured_by_agent) return rejected('E08', 'txn_type');
    if (!load && captured_by_agent) return rejected('E08', 'txn_type');
    if (load && !local) return rejected('E08', 'issuer_id');
  }

  // E04 ARITHMETIC
  const expected_after = load ? rec.balance_before_fen + rec.amount_fen : rec.balance_before_fen - rec.amount_fen;
  if (rec.balance_after_fen !== expected_after) return rejected('E04', 'balance_after_fen');

  // E07 LIMIT
  if (load) {
    if (rec.balance_after_fen > limits.max_card_balance_fen) return rejected('E07', 'balance_after_fen');
  } else {
    if (rec.amount_fen > limits.max_purchase_fen) return rejected('E07', 'amount_fen');
    if (rec.balance_after_fen < -limits.overdraft_limit_fen) return rejected('E07', 'balance_after_fen');
  }

  // E06 DATE_WINDOW: not after the business date, at most late_window_days before it.
  const business_day = businessDayOf(file.business_date);
  if (occurred_day > business_day || business_day - occurred_day > limits.late_window_days) return rejected('E06', 'occurred_at');

  // E05 TAC: ours to check for local cards only; remote cards' are the national centre's.
  if (local && !ctx.tac.verify(rec)) return rejected('E05', 'tac');
  return undefined;
}

/**
 * The rules that need history, E03 E09 S01, for a record that passed
 * statelessVerdict: the held keys and the blacklist as of this record. They read the
 * record's ImportFields, and ask `whole` for the whole record only when a held record
 * must be compared with it, or a blacklisted card's entries with its time.
 */
export function statefulVerdict(
  rec: ImportFields,
  ctx: Pick<ValidationContext, 'registry' | 'limits' | 'held' | 'blacklistOf'>,
  whole: () => Transaction,
): RecordVerdict {
  const local = ctx.registry.isLocalIssuer(rec.issuer_id);
  const load = rec.txn_type === TXN_LOAD;
  const limits = ctx.limits;

  // E03 DUPLICATE before E09 KEY_CONFLICT: an identical held record under either key
  // makes this a resend, whatever the other key holds.
  const by_card = ctx.held.byCardKey(rec.issuer_id, rec.card_no, rec.card_seq);
  const by_terminal = ctx.held.byTerminalKey(rec.acquirer_id, rec.terminal_id, rec.terminal_seq);
  const full = by_card !== undefined || by_terminal !== undefined ? whole() : null;
  if (by_card !== undefined && sameRecord(by_card, full!)) return { status: 'REJECTED', reason: 'E03', conflictWith: by_card };
  if (by_terminal !== undefined && sameRecord(by_terminal, full!)) return { status: 'REJECTED', reason: 'E03', conflictWith: by_terminal };
  if (by_card !== undefined) return { status: 'REJECTED', reason: 'E09', field: 'card_seq', conflictWith: by_card };
  if (by_terminal !== undefined) return { status: 'REJECTED', reason: 'E09', field: 'terminal_seq', conflictWith: by_terminal };

  if (!local) return PENDING_INTEROP;

  // S01 BLACKLISTED: a purchase is held; a load is accepted but flagged.
  const entries = ctx.blacklistOf(rec.issuer_id, rec.card_no);
  if (entries !== undefined && entries.length > 0 && isBlacklisted(entries, whole().occurred_at, limits.blacklist_grace_hours)) {
    return load ? ACCEPTED_BLACKLISTED_LOAD : SUSPENDED;
  }
  return ACCEPTED;
}
