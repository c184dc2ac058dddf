// Journal entries as data (clearing-rules.md, "The ledger"): double entry in integer
// fen, each entry balanced, with a deterministic id and a canonical serialization that
// the store hash-chains. The store writes them; this module only says what a valid
// entry is.

import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';

export interface Posting {
  account: string;
  /** Exactly one of debit_fen and credit_fen is > 0; the other is 0. */
  debit_fen: number;
  credit_fen: number;
}

export interface JournalEntry {
  /** Deterministic, e.g. `20251230/clear/41010101`: the same step can never post twice. */
  id: string;
  business_date: string; // YYYYMMDD
  kind: string;
  memo: string;
  postings: Posting[];
}

/** The chart of accounts; a participant's own accounts carry its id. */
export const ACCOUNT = {
  bank_settlement: 'bank:settlement',
  settlement_in_transit: 'settlement:in-transit',
  float_cards: 'float:cards',
  receivable_national: 'receivable:national',
  payable_national: 'payable:national',
  suspense_blacklist: 'suspense:blacklist',
  income_fees: 'income:fees',
  expense_agent_commission: 'expense:agent-commission',
  expense_interop_fees: 'expense:interop-fees',
  expense_adjustments: 'expense:adjustments',
} as const;

export function payableAcquirer(participant_id: string): string {
  return `payable:acquirer:${participant_id}`;
}

export function receivableAgent(participant_id: string): string {
  return `receivable:agent:${participant_id}`;
}

const FIXED_ACCOUNTS: ReadonlySet<string> = new Set(Object.values(ACCOUNT));
const PARTY_ACCOUNT = /^(payable:acquirer|receivable:agent):[0-9]{8}$/;

/** Whether a name is an account of the chart (clearing-rules.md, "The ledger"). */
export function isChartAccount(account: string): boolean {
  return FIXED_ACCOUNTS.has(account) || PARTY_ACCOUNT.test(account);
}

const HASH_HEX = /^[0-9a-f]{64}$/;

/** The hash before the first entry of a journal. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Crashes unless the entry is well formed and balanced: at least two postings, each on
 * an account of the chart with exactly one positive integer side, and debits = credits.
 * Called on every entry produced here and by the store after reading one back.
 */
export function assertBalanced(entry: JournalEntry): void {
  assert(typeof entry.id === 'string' && entry.id.length > 0, 'journal entry without an id');
  assert(/^[0-9]{8}$/.test(entry.business_date), `journal entry ${entry.id}: business_date is not YYYYMMDD`);
  assert(entry.postings.length >= 2, `journal entry ${entry.id}: fewer than two postings`);
  let debit_fen = 0n;
  let credit_fen = 0n;
  for (const p of entry.postings) {
    assert(isChartAccount(p.account), `journal entry ${entry.id}: ${p.account} is not an account of the chart`);
    assert(
      Number.isSafeInteger(p.debit_fen) && Number.isSafeInteger(p.credit_fen),
      `journal entry ${entry.id}: amounts must be integer fen`,
    );
    assert(
      (p.debit_fen > 0 && p.credit_fen === 0) || (p.credit_fen > 0 && p.debit_fen === 0),
      `journal entry ${entry.id}: a posting on ${p.account} must have exactly one positive side`,
    );
    debit_fen += BigInt(p.debit_fen);
    credit_fen += BigInt(p.credit_fen);
  }
  assert(debit_fen === credit_fen, `journal entry ${entry.id} does not balance: debits ${debit_fen}, credits ${credit_fen}`);
}

/**
 * The entry's content as one stable text: a JSON array in a fixed field order, postings
 * in their order. Same entry, same text, on any machine; this is what the hash covers.
 */
export function canonicalEntry(entry: JournalEntry): string {
  return JSON.stringify([
    entry.id,
    entry.business_date,
    entry.kind,
    entry.memo,
    entry.postings.map((p) => [p.account, p.debit_fen, p.credit_fen]),
  ]);
}

/** SHA-256(previous hash's 32 bytes || canonical content in UTF-8), as lower-case hex. */
export function chainHash(prevHashHex: string, entry: JournalEntry): string {
  assert(HASH_HEX.test(prevHashHex), 'chainHash: the previous hash must be 64 lower-case hex digits');
  return createHash('sha256').update(Buffer.from(prevHashHex, 'hex')).update(canonicalEntry(entry), 'utf8').digest('hex');
}

/** Balances (debits minus credits) of every account the entries touch, as bigint. */
export function accountBalances(entries: Iterable<JournalEntry>): Map<string, bigint> {
  const balances = new Map<string, bigint>();
  for (const entry of entries) {
    for (const p of entry.postings) {
      balances.set(p.account, (balances.get(p.account) ?? 0n) + BigInt(p.debit_fen) - BigInt(p.credit_fen));
    }
  }
  return balances;
}

/** Builds postings, leaving out zero amounts (a posting has one positive side). */
export class PostingList {
  readonly postings: Posting[] = [];

  debit(account: string, amount_fen: number): this {
    assert(Number.isSafeInteger(amount_fen) && amount_fen >= 0, `debit of ${amount_fen} on ${account}`);
    if (amount_fen > 0) this.postings.push({ account, debit_fen: amount_fen, credit_fen: 0 });
    return this;
  }

  credit(account: string, amount_fen: number): this {
    assert(Number.isSafeInteger(amount_fen) && amount_fen >= 0, `credit of ${amount_fen} on ${account}`);
    if (amount_fen > 0) this.postings.push({ account, debit_fen: 0, credit_fen: amount_fen });
    return this;
  }

  /** Debit one account and credit another with the same amount. */
  move(debit_account: string, credit_account: string, amount_fen: number): this {
    return this.debit(debit_account, amount_fen).credit(credit_account, amount_fen);
  }
}
