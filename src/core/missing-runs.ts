// Numbers that should have arrived and did not (a terminal's terminal_seq, a card's
// card_seq) become reconciliation items: one per missing number, except that a run
// of more than LONG_RUN consecutive missing numbers is one item (clearing-rules.md,
// "Reconciliation"), so a terminal reset to 1 or a card reissued opens one item, not
// thousands.

/** A run of more than this many consecutive missing numbers is one item. */
export const LONG_RUN = 500;

/** The items, as [first, last] ranges, for the numbers lo..hi (inclusive), all missing. */
export function missingItems(lo: number, hi: number): [number, number][] {
  if (hi - lo + 1 > LONG_RUN) return [[lo, hi]];
  return Array.from({ length: Math.max(0, hi - lo + 1) }, (_, i): [number, number] => [lo + i, lo + i]);
}
