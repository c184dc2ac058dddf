// The card-float walk (clearing-rules.md, "Reconciliation", card float): a local
// card's non-rejected records in card_seq order; a missing counter is a SEQ_GAP, a
// balance_before that differs from the previous balance_after with no gap is a
// BALANCE_BREAK, and the balance jump across each is what it explains of the float.
// Pure: the batch gathers a card's records and writes what the walk finds.
//
// A night walks a million cards, so a card's records come as one flat array of
// numbers, RUN_WIDTH to a record, not as objects.

import { strict as assert } from 'node:assert';
import { missingItems } from './missing-runs';

/** Offsets in a record's run: [id, card_seq, balance_before_fen, balance_after_fen]. */
export const RUN_ID = 0;
export const RUN_SEQ = 1;
export const RUN_BEFORE = 2;
export const RUN_AFTER = 3;
export const RUN_WIDTH = 4;

export interface CardFloatFinding {
  category: 'SEQ_GAP' | 'BALANCE_BREAK';
  /** The missing counters (SEQ_GAP), or the two counters across the break (BALANCE_BREAK). */
  range_lo: number;
  range_hi: number;
  /** The balance jump across it; a gap split into several items carries it on its first. */
  amount_fen: number;
  /** The record before the gap or break, and the one after (shared by the items of one gap). */
  before: { card_seq: number; balance_after_fen: number; record_id: number };
  after: { card_seq: number; balance_before_fen: number; record_id: number };
}

/** A card's first record, when it lies before the runs walked. */
export interface CardHead {
  id: number;
  seq: number;
  before: number;
}

export interface CardWalk {
  findings: CardFloatFinding[];
  /** The card's first record (by counter) and its last: what the cards say of the float. */
  first_id: number;
  first_seq: number;
  first_before_fen: number;
  last_id: number;
  last_seq: number;
  last_after_fen: number;
  /** Last balance_after minus first balance_before. */
  movement_fen: number;
}

const NONE: CardFloatFinding[] = [];
/** The order of a card's one record. */
const ONE: readonly number[] = Object.freeze([0]);

/** Records a card's walk orders by insertion: a night's card has a handful. */
const FEW_RECORDS = 32;

/** The runs' offsets in counter order (a stable order: equal counters keep their places). */
function byCounter(runs: readonly number[], n: number): number[] {
  const order: number[] = new Array(n);
  if (n > FEW_RECORDS) {
    for (let i = 0; i < n; i++) order[i] = i * RUN_WIDTH;
    return order.sort((x, y) => runs[x + RUN_SEQ]! - runs[y + RUN_SEQ]!);
  }
  for (let i = 0; i < n; i++) {
    const at = i * RUN_WIDTH;
    const seq = runs[at + RUN_SEQ]!;
    let j = i;
    for (; j > 0 && runs[order[j - 1]! + RUN_SEQ]! > seq; j--) order[j] = order[j - 1]!;
    order[j] = at;
  }
  return order;
}

/**
 * Walks one card's runs (any order; at least one record) in counter order. `first`:
 * the card's first record when it lies before the runs (the walk then starts from
 * history's last record, and the movement still counts from the card's first).
 */
export function walkCard(runs: readonly number[], first?: CardHead): CardWalk {
  assert(runs.length > 0 && runs.length % RUN_WIDTH === 0, 'walkCard: runs are whole records, at least one');
  const n = runs.length / RUN_WIDTH;
  const order = n === 1 ? ONE : byCounter(runs, n);
  let findings = NONE;
  for (let k = 1; k < n; k++) {
    const a = order[k - 1]!;
    const b = order[k]!;
    const jump = runs[b + RUN_BEFORE]! - runs[a + RUN_AFTER]!;
    const gap = runs[b + RUN_SEQ]! > runs[a + RUN_SEQ]! + 1;
    if (!gap && jump === 0) continue;
    if (findings === NONE) findings = [];
    const before = { card_seq: runs[a + RUN_SEQ]!, balance_after_fen: runs[a + RUN_AFTER]!, record_id: runs[a + RUN_ID]! };
    const after = { card_seq: runs[b + RUN_SEQ]!, balance_before_fen: runs[b + RUN_BEFORE]!, record_id: runs[b + RUN_ID]! };
    if (gap) {
      missingItems(before.card_seq + 1, after.card_seq - 1).forEach(([lo, hi], i) => {
        findings.push({ category: 'SEQ_GAP', range_lo: lo, range_hi: hi, amount_fen: i === 0 ? jump : 0, before, after });
      });
    } else {
      findings.push({ category: 'BALANCE_BREAK', range_lo: before.card_seq, range_hi: after.card_seq, amount_fen: jump, before, after });
    }
  }
  const o = order[0]!;
  const head = first ?? { id: runs[o + RUN_ID]!, seq: runs[o + RUN_SEQ]!, before: runs[o + RUN_BEFORE]! };
  const last = order[n - 1]!;
  return {
    findings,
    first_id: head.id,
    first_seq: head.seq,
    first_before_fen: head.before,
    last_id: runs[last + RUN_ID]!,
    last_seq: runs[last + RUN_SEQ]!,
    last_after_fen: runs[last + RUN_AFTER]!,
    movement_fen: runs[last + RUN_AFTER]! - head.before,
  };
}
