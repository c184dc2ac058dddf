// Terminal completeness (clearing-rules.md, "Reconciliation", uploads): a terminal
// numbers its records 1, 2, 3, ...; a terminal_seq missing between the lowest and the
// highest seen for the terminal (every record of every imported upload, whatever its
// verdict) is a record the terminal holds and we never got. Pure: the batch reads the
// terminal's numbers and open items from the store, and writes what this returns.

import { strict as assert } from 'node:assert';
import { missingItems } from './missing-runs';

/** The lowest and highest terminal_seq seen for a terminal before tonight. */
export interface SeqSpan {
  min_seq: number;
  max_seq: number;
}

/** An open item of missing numbers of the terminal, range_lo..range_hi. */
export interface OpenGap {
  id: string;
  range_lo: number;
  range_hi: number;
}

export interface TerminalCompleteness {
  /** Items to open for numbers missing outside the old span, as ranges (missingItems). */
  gaps: [number, number][];
  /** Open items that a number of tonight's arrived in: each closes, and what is still missing of it opens again. */
  fills: { id: string; seq: number; reopened: [number, number][] }[];
  /** The span after tonight. */
  span: SeqSpan;
}

/**
 * One terminal's night. seqs: tonight's terminal_seqs, sorted, distinct, at least one.
 * span: the terminal's span before tonight (undefined: a terminal never seen).
 * openGaps: its open gap items; consulted only for numbers inside the old span.
 */
export function terminalCompleteness(
  seqs: readonly number[],
  span: SeqSpan | undefined,
  openGaps: readonly OpenGap[],
): TerminalCompleteness {
  assert(seqs.length > 0, 'terminalCompleteness: no numbers');
  for (let i = 1; i < seqs.length; i++) assert(seqs[i - 1]! < seqs[i]!, 'terminalCompleteness: numbers not sorted and distinct');
  const lo = seqs[0]!;
  const hi = seqs[seqs.length - 1]!;
  const gaps: [number, number][] = [];
  // The numbers a..b (inclusive) that are not among seqs are missing.
  const consider = (a: number, b: number): void => {
    let prev = a - 1;
    for (const s of seqs) {
      if (s < a) continue;
      if (s > b) break;
      if (s > prev + 1) gaps.push(...missingItems(prev + 1, s - 1));
      prev = s;
    }
    if (prev < b) gaps.push(...missingItems(prev + 1, b));
  };
  if (span === undefined) {
    consider(lo, hi);
    return { gaps, fills: [], span: { min_seq: lo, max_seq: hi } };
  }
  if (hi > span.max_seq) consider(span.max_seq + 1, hi);
  if (lo < span.min_seq) consider(lo, span.min_seq - 1);
  // Late records inside the old span fill gaps. What is still missing of a filled gap
  // lies between tonight's numbers, so no later number of tonight falls in it.
  const fills: TerminalCompleteness['fills'] = [];
  const closed = new Set<string>();
  for (const s of seqs) {
    if (s < span.min_seq || s > span.max_seq) continue;
    for (const gap of openGaps) {
      if (closed.has(gap.id) || gap.range_lo > s || gap.range_hi < s) continue;
      closed.add(gap.id);
      const filled = new Set(seqs.filter((x) => x >= gap.range_lo && x <= gap.range_hi));
      const reopened: [number, number][] = [];
      let start: number | null = null;
      for (let n = gap.range_lo; n <= gap.range_hi + 1; n++) {
        const missing = n <= gap.range_hi && !filled.has(n);
        if (missing && start === null) start = n;
        if (!missing && start !== null) {
          reopened.push(...missingItems(start, n - 1));
          start = null;
        }
      }
      fills.push({ id: gap.id, seq: s, reopened });
    }
  }
  return { gaps, fills, span: { min_seq: Math.min(lo, span.min_seq), max_seq: Math.max(hi, span.max_seq) } };
}
