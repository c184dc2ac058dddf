// The rule behind each reason code, in the words of clearing-rules.md, for
// operators reading why a record was decided as it was.
export const RECORD_RULES: Record<string, string> = {
  E01: 'E01 MALFORMED: a field breaks its format in exchange-files.md',
  E02: "E02 UNKNOWN_TERMINAL: terminal not registered under the acquirer and merchant, not the sender's, or not active on the day (INTEROP_IN: the card is not local)",
  E08: 'E08 TYPE_NOT_ALLOWED: a load at an acquirer, a purchase at an agent, a load on a remote card or in an INTEROP_IN file, or an unknown txn_type',
  E04: 'E04 ARITHMETIC: balance_before and amount do not give balance_after',
  E07: 'E07 LIMIT: purchase above max_purchase_fen or below the overdraft limit, or a load above max_card_balance_fen',
  E06: 'E06 DATE_WINDOW: occurred after the business date, or more than late_window_days before it',
  E05: "E05 TAC: the local card's TAC does not verify",
  E03: 'E03 DUPLICATE: the same card or terminal counter is already held by an identical record',
  E09: 'E09 KEY_CONFLICT: the same card or terminal counter is already held by a different record',
  S01: 'S01 BLACKLISTED: a purchase on a local card blacklisted at least blacklist_grace_hours before it: suspended, not paid',
};

export { FILE_REFUSAL_NAMES } from '../core/code-names';
