// The names beside the codes, as the spec gives them (clearing-rules.md, "Validating a
// record"; exchange-files.md, "Refusing a file whole", Transaction.txn_type,
// StatementLine.category): one table each, for every output a person reads.
import { type RecordReason, TXN_COMPOSITE_PURCHASE, TXN_LOAD, TXN_PURCHASE } from './types';

export const RECORD_REASON_NAMES: Readonly<Record<RecordReason, string>> = {
  E01: 'MALFORMED',
  E02: 'UNKNOWN_TERMINAL',
  E08: 'TYPE_NOT_ALLOWED',
  E04: 'ARITHMETIC',
  E07: 'LIMIT',
  E06: 'DATE_WINDOW',
  E05: 'TAC',
  E03: 'DUPLICATE',
  E09: 'KEY_CONFLICT',
  S01: 'BLACKLISTED',
};

export const FILE_REFUSAL_NAMES: Readonly<Record<string, string>> = {
  F01: 'UNREADABLE',
  F02: 'TRAILER_MISMATCH',
  F03: 'CONFLICT',
  F04: 'WRONG_PARTY',
  F05: 'NAME_MISMATCH',
};

/** Statement line categories (exchange-files.md, StatementLine.category). */
export const CATEGORY_NAMES: Readonly<Record<number, string>> = {
  1: 'purchases',
  2: 'loads',
  3: 'interop in',
  4: 'interop out',
  5: 'adjustments',
};

/** txn_type 2, 6, 9 by name; any other number as "type N". */
export function txnTypeName(txn_type: number): string {
  if (txn_type === TXN_LOAD) return 'load';
  if (txn_type === TXN_PURCHASE) return 'purchase';
  if (txn_type === TXN_COMPOSITE_PURCHASE) return 'composite purchase';
  return `type ${txn_type}`;
}
