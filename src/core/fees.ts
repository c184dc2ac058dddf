// Fees, commissions and the interop fee: round_half_up(gross x rate) to a whole fen
// (clearing-rules.md, "Clearing a day"). This is the only place where decimals meet
// money, through a Decimal of its own, so that no other setting of decimal.js (and no
// binary float) can reach an amount.

import { strict as assert } from 'node:assert';
import Decimal from 'decimal.js';

// 40 significant digits hold every product exactly: a gross below 2^53 has at most 16
// digits and a rate at most 6 decimals, so the product has at most 22 significant
// digits. The one rounding is the explicit one to whole fen below.
const FeeDecimal = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });

/** The longest fraction a rate may have (clearing-rules.md, "The participants file"). */
export const RATE_DECIMALS_MAX = 6;

const DECIMAL_PATTERN = /^-?[0-9]+(\.[0-9]+)?$/;
// 0 <= rate < 1, written with a single leading zero: "0", "0.0030", "0.004375".
const RATE_PATTERN = /^0(\.[0-9]{1,6})?$/;

/**
 * Why a text is not a rate, or undefined when it is one. Used by the participants file's
 * parser, so that the file and the fee function agree on what a rate is.
 */
export function rateProblem(rate: unknown): string | undefined {
  if (typeof rate !== 'string' || !DECIMAL_PATTERN.test(rate)) return 'not a decimal';
  if (RATE_PATTERN.test(rate)) return undefined;
  if (rate.startsWith('-')) return 'negative';
  const dot = rate.indexOf('.');
  if (dot >= 0 && rate.length - dot - 1 > RATE_DECIMALS_MAX) return `more than ${RATE_DECIMALS_MAX} decimal places`;
  if (/^0[0-9]/.test(rate)) return 'not a decimal (leading zero)';
  return 'not below 1';
}

export function isRate(rate: unknown): rate is string {
  return rateProblem(rate) === undefined;
}

/**
 * round_half_up(gross_fen x rate) in whole fen: 0.5 fen rounds up. Rounds exactly once.
 * A fee is never more than the gross it is charged on, because rate < 1.
 */
export function feeFen(gross_fen: number, rate: string): number {
  assert(Number.isSafeInteger(gross_fen) && gross_fen >= 0, `feeFen: gross_fen must be a safe integer >= 0, got ${gross_fen}`);
  assert(isRate(rate), `feeFen: not a rate: ${rate}`);
  const product = new FeeDecimal(gross_fen).times(new FeeDecimal(rate));
  const fee_fen = product.toDecimalPlaces(0, FeeDecimal.ROUND_HALF_UP).toNumber();
  assert(Number.isSafeInteger(fee_fen) && fee_fen >= 0 && fee_fen <= gross_fen, 'feeFen: fee out of range');
  return fee_fen;
}
