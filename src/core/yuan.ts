// Amounts for people: integer fen shown as yuan with thousands separators
// (12345678 -> "123,456.78"). Only reports and the command line print money this way;
// every file and store keeps integer fen.
import { strict as assert } from 'node:assert';

/** Fen as yuan: 1234567 -> "12,345.67", -5 -> "-0.05". Exact: integer arithmetic only. */
export function yuan(fen: number): string {
  assert(Number.isSafeInteger(fen), `an amount in fen must be a safe integer, got ${fen}`);
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${thousands(Math.floor(abs / 100))}.${String(abs % 100).padStart(2, '0')}`;
}

/** A whole number >= 0 with thousands separators: 1234567 -> "1,234,567". */
export function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
