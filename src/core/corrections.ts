// Corrections (clearing-rules.md, "Corrections"): the four-eyes rules as a ladder of
// refusals, and the postings of a day's approved corrections, as data. The store
// looks up the facts (the operator's rights come from the participants file, the
// record, the item and the correction from the store) and writes what is decided
// here; clearDay (clearing.ts) puts the postings into the day's books.
//
// Decisions where the spec is silent (docs/decisions.md, "Corrections"):
// - A release is posted as its own entry `D/release/<id>` (Dr suspense:blacklist,
//   Cr the acquirer's payable, the record's amount); the fee is on the group's gross
//   in the acquirer's `D/clear/<id>` entry like any other purchase's.
// - Any operator who may approve may reject, the proposer included: a rejection
//   moves nothing, so it needs no second pair of eyes.
// - A record can have one release at a time: a second proposal while one is proposed
//   or approved is refused (it would pay the record twice).
// - Naming a reconciliation item that is already closed is refused: the correction
//   would settle nothing.

import { strict as assert } from 'node:assert';
import { addDays } from './calendar';
import type { Participants } from './config-types';
import { ACCOUNT, type JournalEntry, PostingList, assertBalanced, payableAcquirer, receivableAgent } from './ledger';
import type { Registry } from './registry';
import { CATEGORY_ADJUSTMENTS, type StatementLine } from './types';

export type Operator = Participants['operators'][number];
export type OperatorRight = Operator['may'][number];

export type CorrectionKind = 'adjustment' | 'release';
export const CORRECTION_STATUSES = ['proposed', 'approved', 'rejected', 'posted'] as const;
export type CorrectionStatus = (typeof CORRECTION_STATUSES)[number];

/** The accounts an adjustment may move money against, in the spec's order. */
export const COUNTER_ACCOUNTS: readonly string[] = [
  ACCOUNT.float_cards,
  ACCOUNT.income_fees,
  ACCOUNT.suspense_blacklist,
  ACCOUNT.expense_adjustments,
];

const CORRECTION_ID = /^C([1-9][0-9]*)$/;

export function isCorrectionId(id: string): boolean {
  return CORRECTION_ID.test(id) && Number.isSafeInteger(correctionNumber(id));
}

/** 12 for `C12`: ids are ordered by it (C2 before C10). */
export function correctionNumber(id: string): number {
  const m = CORRECTION_ID.exec(id);
  assert(m !== null, `not a correction id: ${id}`);
  return Number(m[1]);
}

export function compareCorrectionIds(a: string, b: string): number {
  return correctionNumber(a) - correctionNumber(b);
}

/**
 * The effective day of a correction approved now: the first day not yet closed. That
 * is the open day if one is open (an interrupted batch), else the day after the last
 * closed day; null on a store that has closed no day and has none open: the next
 * batch's day, whichever it will be (the first batch of a store may be for any day).
 */
export function effectiveDay(open_day: string | null, last_closed_day: string | null): string | null {
  if (open_day !== null) {
    assert(last_closed_day === null || open_day > last_closed_day, 'effectiveDay: an open day before a closed one');
    return open_day;
  }
  return last_closed_day === null ? null : addDays(last_closed_day, 1);
}

// ---------------------------------------------------------------------------
// Refusals: every way a proposal or a decision can be refused has a name. Each ladder
// below checks them in its order; the first that applies is the answer.

export type CorrectionRefusalCode =
  | 'OPERATOR_NOT_LISTED'
  | 'OPERATOR_MAY_NOT'
  | 'CORRECTION_UNKNOWN'
  | 'ALREADY_DECIDED'
  | 'OWN_PROPOSAL'
  | 'PARTICIPANT_UNKNOWN'
  | 'ACCOUNT_UNKNOWN'
  | 'RECORD_UNKNOWN'
  | 'RECORD_NOT_SUSPENDED'
  | 'RECORD_NOT_FROM_ACQUIRER'
  | 'RECORD_RELEASE_PENDING'
  | 'ITEM_UNKNOWN'
  | 'ITEM_CLOSED'
  | 'ITEM_CLAIMED';

export interface CorrectionRefusal {
  code: CorrectionRefusalCode;
  /** One line for the operator, saying why. */
  message: string;
}

function refuse(code: CorrectionRefusalCode, message: string): CorrectionRefusal {
  return { code, message };
}

function operatorRefusal(operators: readonly Operator[], by: string, right: OperatorRight, what: string): CorrectionRefusal | undefined {
  const operator = operators.find((o) => o.name === by);
  if (operator === undefined) return refuse('OPERATOR_NOT_LISTED', `operator ${by} is not listed in the participants file`);
  if (!operator.may.includes(right))
    return refuse('OPERATOR_MAY_NOT', `operator ${by} may not ${what} (may: ${operator.may.join(', ') || 'nothing'})`);
  return undefined;
}

/** A reconciliation item as a proposal needs to know it; undefined when there is none of that id. */
export interface ItemFacts {
  closed_date: string | null;
  closed_by: string | null;
  /** Another correction, proposed or approved, that names the item: it would be settled twice. */
  claimed_by: string | null;
}

function itemRefusal(item_id: string | null, item: ItemFacts | undefined): CorrectionRefusal | undefined {
  if (item_id === null) return undefined;
  if (item === undefined) return refuse('ITEM_UNKNOWN', `no reconciliation item ${item_id}`);
  if (item.closed_date !== null)
    return refuse(
      'ITEM_CLOSED',
      `reconciliation item ${item_id} was closed on ${item.closed_date} by ${item.closed_by}: nothing left to settle`,
    );
  if (item.claimed_by !== null)
    return refuse('ITEM_CLAIMED', `reconciliation item ${item_id} is already named by ${item.claimed_by}: one correction settles it`);
  return undefined;
}

/** Whose account an adjustment moves: an acquirer, an agent or the national centre; undefined for anyone else. */
export function participantAccount(registry: Registry, participant_id: string): string | undefined {
  if (participant_id === registry.national_id) return ACCOUNT.payable_national;
  const p = registry.participant(participant_id);
  if (p === undefined) return undefined;
  return p.role === 'acquirer' ? payableAcquirer(participant_id) : receivableAgent(participant_id);
}

export interface AdjustmentProposal {
  by: string;
  participant_id: string;
  account: string;
  item_id: string | null;
}

/** Why an adjustment may not be proposed, or undefined when it may. */
export function adjustmentRefusal(
  operators: readonly Operator[],
  registry: Registry,
  p: AdjustmentProposal,
  item: ItemFacts | undefined,
): CorrectionRefusal | undefined {
  return (
    operatorRefusal(operators, p.by, 'propose', 'propose corrections') ??
    (participantAccount(registry, p.participant_id) === undefined
      ? refuse('PARTICIPANT_UNKNOWN', `${p.participant_id} is not an acquirer, an agent or the national centre of the participants file`)
      : undefined) ??
    (COUNTER_ACCOUNTS.includes(p.account)
      ? undefined
      : refuse('ACCOUNT_UNKNOWN', `${p.account} is not a counter account of an adjustment (${COUNTER_ACCOUNTS.join(', ')})`)) ??
    itemRefusal(p.item_id, item)
  );
}

/** A record as a release needs to know it. */
export interface RecordFacts {
  /** FILE_NAME#INDEX. */
  ref: string;
  /** The type of the file that brought it: TXN_UPLOAD or INTEROP_IN. */
  source: string;
  status: string;
  acquirer_id: string;
  merchant_id: string;
  amount_fen: number;
}

function recordRefusal(registry: Registry, record: RecordFacts): CorrectionRefusal | undefined {
  if (record.status !== 'SUSPENDED') return refuse('RECORD_NOT_SUSPENDED', `record ${record.ref} is ${record.status}, not SUSPENDED`);
  // A release clears the record in its acquirer's category-1 group; our card's record
  // that the national centre brought has no acquirer of ours. Its money is released
  // with an adjustment of the national centre against suspense:blacklist instead.
  if (record.source !== 'TXN_UPLOAD')
    return refuse(
      'RECORD_NOT_FROM_ACQUIRER',
      `record ${record.ref} came from the national centre (${record.source}), not from an acquirer: release its amount with an adjustment of ${registry.national_id} against suspense:blacklist`,
    );
  // Only a local card's purchase is ever suspended (S01), so its acquirer is an
  // acquirer of the file that admitted it; a file edited since may have dropped it.
  if (
    registry.participant(record.acquirer_id)?.role !== 'acquirer' ||
    registry.merchantRate(record.acquirer_id, record.merchant_id) === undefined
  )
    return refuse(
      'PARTICIPANT_UNKNOWN',
      `record ${record.ref}: merchant ${record.merchant_id} of acquirer ${record.acquirer_id} is not in the participants file`,
    );
  return undefined;
}

export interface ReleaseProposal {
  by: string;
  /** As given: FILE_NAME#INDEX. */
  record_ref: string;
  item_id: string | null;
}

/** Why a release may not be proposed, or undefined when it may. `pending`: a release of the same record proposed or approved. */
export function releaseRefusal(
  operators: readonly Operator[],
  registry: Registry,
  p: ReleaseProposal,
  record: RecordFacts | undefined,
  pending: { id: string; status: CorrectionStatus } | undefined,
  item: ItemFacts | undefined,
): CorrectionRefusal | undefined {
  return (
    operatorRefusal(operators, p.by, 'propose', 'propose corrections') ??
    (record === undefined ? refuse('RECORD_UNKNOWN', `no record ${p.record_ref}`) : undefined) ??
    (pending !== undefined
      ? refuse('RECORD_RELEASE_PENDING', `record ${record!.ref} already has a release, ${pending.id} (${pending.status})`)
      : undefined) ??
    recordRefusal(registry, record!) ??
    itemRefusal(p.item_id, item)
  );
}

/** A stored correction as a decision needs to know it. */
export interface CorrectionFacts {
  id: string;
  kind: CorrectionKind;
  status: CorrectionStatus;
  participant_id: string;
  proposed_by: string;
  decided_by: string | null;
  decided_at: string | null;
  /** The reconciliation item it settles, if any. */
  item_id?: string | null;
}

export interface Decision {
  decision: 'approve' | 'reject';
  id: string;
  by: string;
}

/**
 * Why a decision may not be taken, or undefined when it may. An approval checks again
 * what the proposal checked about the money's destination (`record` for a release)
 * and the item it settles (`item`: later data, an operator or another correction may
 * have settled it since), because the participants file, the record or the item may
 * have changed since.
 */
export function decisionRefusal(
  operators: readonly Operator[],
  registry: Registry,
  d: Decision,
  correction: CorrectionFacts | undefined,
  record: RecordFacts | undefined,
  item?: ItemFacts,
): CorrectionRefusal | undefined {
  const refusal =
    operatorRefusal(operators, d.by, 'approve', `${d.decision} corrections`) ??
    (correction === undefined ? refuse('CORRECTION_UNKNOWN', `no correction ${d.id}`) : undefined) ??
    (correction!.status !== 'proposed'
      ? refuse(
          'ALREADY_DECIDED',
          `${d.id} is already ${correction!.status} (decided by ${correction!.decided_by} at ${correction!.decided_at})`,
        )
      : undefined);
  if (refusal !== undefined || d.decision === 'reject') return refusal;
  const c = correction!;
  if (c.proposed_by === d.by) return refuse('OWN_PROPOSAL', `${d.id} was proposed by ${d.by}: another operator must approve it`);
  const itemNow = itemRefusal(c.item_id ?? null, item);
  if (itemNow !== undefined) return itemNow;
  if (c.kind === 'adjustment') {
    if (participantAccount(registry, c.participant_id) === undefined)
      return refuse(
        'PARTICIPANT_UNKNOWN',
        `${c.participant_id} is no longer an acquirer, an agent or the national centre of the participants file`,
      );
    return undefined;
  }
  assert(record !== undefined, `decisionRefusal: the record of release ${c.id} is gone from the store`);
  return recordRefusal(registry, record);
}

// ---------------------------------------------------------------------------
// Posting: what day D's approved corrections put into D's books.

/** An approved adjustment, as clearDay posts it. */
export interface AdjustmentInput {
  id: string;
  participant_id: string;
  /** One of COUNTER_ACCOUNTS. */
  account: string;
  /** Non-zero, signed like a statement line's net: > 0 the centre owes the participant more. */
  amount_fen: number;
}

/** An approved release of a SUSPENDED record, as clearDay posts it. */
export interface ReleaseInput {
  id: string;
  /** The record's acquirer and merchant: its category-1 group. */
  participant_id: string;
  merchant_id: string;
  amount_fen: number;
}

/** Day D's approved corrections. */
export interface CorrectionsInput {
  adjustments: AdjustmentInput[];
  releases: ReleaseInput[];
}

/** Crashes unless the corrections are ones the store could have approved: checked ids, participants, accounts, amounts. */
export function assertCorrections(registry: Registry, input: CorrectionsInput): void {
  const ids = new Set<string>();
  for (const c of [...input.adjustments, ...input.releases]) {
    assert(isCorrectionId(c.id), `corrections: ${c.id} is not a correction id`);
    assert(!ids.has(c.id), `corrections: ${c.id} given twice`);
    ids.add(c.id);
  }
  for (const a of input.adjustments) {
    assert(participantAccount(registry, a.participant_id) !== undefined, `corrections: ${a.id}: ${a.participant_id} cannot be adjusted`);
    assert(COUNTER_ACCOUNTS.includes(a.account), `corrections: ${a.id}: ${a.account} is not a counter account`);
    assert(Number.isSafeInteger(a.amount_fen) && a.amount_fen !== 0, `corrections: ${a.id}: amount must be a non-zero integer`);
  }
  for (const r of input.releases) {
    assert(registry.participant(r.participant_id)?.role === 'acquirer', `corrections: ${r.id}: ${r.participant_id} is not an acquirer`);
    assert(registry.merchantRate(r.participant_id, r.merchant_id) !== undefined, `corrections: ${r.id}: not its merchant`);
    assert(Number.isSafeInteger(r.amount_fen) && r.amount_fen > 0, `corrections: ${r.id}: amount must be > 0`);
  }
}

/** The adjustment's line on its participant's statement: category 5, ref = its id. */
export function adjustmentLine(a: AdjustmentInput): StatementLine {
  return {
    participant_id: a.participant_id,
    merchant_id: '',
    category: CATEGORY_ADJUSTMENTS,
    count: 1,
    gross_fen: a.amount_fen,
    fee_fen: 0,
    net_fen: a.amount_fen,
    fee_rate: '0',
    ref: a.id,
  };
}

/**
 * `D/adjust/<id>`: the participant's account credited by amount_fen and the counter
 * account debited; the other way round when the amount is negative.
 */
export function adjustmentEntry(date: string, registry: Registry, a: AdjustmentInput): JournalEntry {
  const account = participantAccount(registry, a.participant_id);
  assert(account !== undefined, `adjustmentEntry: ${a.participant_id} cannot be adjusted`);
  const p = new PostingList();
  if (a.amount_fen > 0) p.move(a.account, account, a.amount_fen);
  else p.move(account, a.account, -a.amount_fen);
  const e: JournalEntry = {
    id: `${date}/adjust/${a.id}`,
    business_date: date,
    kind: 'adjustment',
    memo: `correction ${a.id} on ${date}: ${a.amount_fen > 0 ? '+' : ''}${a.amount_fen} fen to ${a.participant_id} against ${a.account}`,
    postings: p.postings,
  };
  assertBalanced(e);
  return e;
}

/**
 * `D/release/<id>`: the released record's amount goes to its acquirer out of
 * suspense:blacklist, where it waited since the record was suspended (the card's
 * value left the float then). The fee is the group's, in the acquirer's clearing entry.
 */
export function releaseEntry(date: string, r: ReleaseInput): JournalEntry {
  const e: JournalEntry = {
    id: `${date}/release/${r.id}`,
    business_date: date,
    kind: 'release',
    memo: `correction ${r.id} on ${date}: a suspended record of ${r.amount_fen} fen released to acquirer ${r.participant_id} (${r.merchant_id})`,
    postings: new PostingList().move(ACCOUNT.suspense_blacklist, payableAcquirer(r.participant_id), r.amount_fen).postings,
  };
  assertBalanced(e);
  return e;
}
