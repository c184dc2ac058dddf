// The names people read beside the codes (clearing-rules.md and exchange-files.md):
// reason codes, refusal codes, transaction types, statement categories and
// reconciliation categories. An operator reads "E09 KEY_CONFLICT", never a bare "E09".
import { CATEGORY_NAMES, FILE_REFUSAL_NAMES, RECORD_REASON_NAMES } from '../core/code-names';
import { RECORD_REASONS } from '../core/types';

export { CATEGORY_NAMES, txnTypeName } from '../core/code-names';

/** "E09 KEY_CONFLICT"; a national centre's code "N:N05" as "N:N05 rejected by the national centre"; an unknown code as it is. */
export function reasonName(code: string): string {
  if (code in RECORD_REASON_NAMES) return `${code} ${RECORD_REASON_NAMES[code as keyof typeof RECORD_REASON_NAMES]}`;
  if (code.startsWith('N:')) return `${code} rejected by the national centre`;
  return code;
}

/** The record reason codes in the order validation applies them. */
export const REASONS_IN_RULE_ORDER: readonly string[] = RECORD_REASONS;

/** "F02 TRAILER_MISMATCH". */
export function refusalName(code: string): string {
  const name = FILE_REFUSAL_NAMES[code];
  return name === undefined ? code : `${code} ${name}`;
}

export function categoryName(category: number): string {
  return CATEGORY_NAMES[category] ?? `category ${category}`;
}

/** Reconciliation categories in words an operator can act on. */
export function reconCategoryName(category: string): string {
  switch (category) {
    case 'LOCAL_ONLY':
      return 'LOCAL_ONLY (ours, not theirs)';
    case 'REMOTE_ONLY':
      return 'REMOTE_ONLY (theirs, not ours)';
    case 'AMOUNT_MISMATCH':
      return 'AMOUNT_MISMATCH';
    case 'SEQ_GAP':
      return 'SEQ_GAP (missing card counter)';
    case 'BALANCE_BREAK':
      return 'BALANCE_BREAK';
    default:
      return category;
  }
}
