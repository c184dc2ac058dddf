// What the day's report.html shows, as data: the day's three JSON reports as
// batch-cli.md gives them, and what the store adds (names, statement lines,
// instructions and their confirmations, the age and money of open items, the last
// 30 closed days). The store's gatherer (src/store/day-report-data.ts) fills it;
// the renderer (day-report.ts) only reads it.

/** A party named beside its id; `name` null: the id is not in the participants file. */
export interface Party {
  id: string;
  name: string | null;
}

/** A file refused by D's batch (batch-cli.md, `refused_files`). */
export interface RefusedFile {
  file: string;
  /** The sender the file's name gives; empty when the name gives none. */
  sender: string;
  code: string;
  detail: string;
}

/** reports/YYYYMMDD/summary.json; the fields batch-cli.md added later are optional here. */
export interface SummaryJson {
  date: string;
  files: { imported: number; skipped: number; refused: number };
  records: { accepted: number; rejected: number; suspended: number; pending_interop: number };
  national_rejected?: number;
  cleared: { count: number; gross_fen: number };
  settlement: { instructions: number; pay_out_fen: number; collect_fen: number };
  open_mismatches: number;
  refused_files?: readonly RefusedFile[];
  journal?: { entries: number; head: string };
  exit_code: number;
  exit_reasons?: readonly string[];
}

export interface KindCountsJson {
  matched: number;
  local_only: number;
  remote_only: number;
  amount_mismatch: number;
}

export interface FloatJson {
  ledger_movement_fen: number;
  cards_movement_fen: number;
  difference_fen: number;
  explained_fen: number;
  seq_gaps: number;
  balance_breaks: number;
}

export interface OpenItemJson {
  id: string;
  kind: string;
  category: string;
  opened: string;
  ref: string;
  participant_id?: string | null;
  ours: unknown;
  theirs: unknown;
}

/** reports/YYYYMMDD/reconciliation.json. */
export interface ReconciliationJson {
  date: string;
  kinds: { uploads: KindCountsJson; national: KindCountsJson; bank: KindCountsJson; float: FloatJson };
  open_items: readonly OpenItemJson[];
}

/** reports/YYYYMMDD/exceptions.json; records are as the store lists them. */
export interface ExceptionsJson {
  date: string;
  key_conflicts: readonly { record: unknown; held: unknown }[];
  suspended: readonly unknown[];
  blacklisted_loads: readonly unknown[];
  card_seq_gaps: readonly unknown[];
  balance_breaks: readonly unknown[];
  terminal_seq_gaps: readonly unknown[];
}

/** One line of a CLEARING_STATEMENT for D, with names. */
export interface StatementLineFacts {
  participant: Party;
  /** 'transit acquirer', 'merchant acquirer', 'top-up agent', 'national centre', or 'unknown'. */
  participant_kind: string;
  category: number;
  /** id '' where the line has no merchant (the national centre, adjustments). */
  merchant: Party;
  count: number;
  gross_fen: number;
  fee_fen: number;
  net_fen: number;
  fee_rate: string;
}

/** A settlement instruction and whether, by the end of D, a bank line confirmed it. */
export interface InstructionFacts {
  instruction_id: string;
  /** The day that issued it, YYYY-MM-DD. */
  business_date: string;
  payer: Party;
  payee: Party;
  amount_fen: number;
  confirmed: { on: string; value_date: string; bank_ref: string } | null;
}

/** A reconciliation item open at the end of D. */
export interface OpenItemFacts {
  id: string;
  kind: string;
  category: string;
  ref: string;
  participant: Party | null;
  /** YYYY-MM-DD. */
  opened: string;
  /** D minus the day it opened. */
  age_days: number;
  /** The money in question (docs/decisions.md, "The day's report"); null where nobody knows it yet. */
  at_stake_fen: number | null;
  /** Terminal gaps: how many records the terminal holds that we never got. */
  missing_records: number | null;
}

/** A record as the exceptions show it. */
export interface RecordFacts {
  card_no: string;
  card_seq: number;
  txn_type: number;
  amount_fen: number;
  terminal_id: string;
  terminal_seq: number;
  acquirer: Party;
  merchant: Party;
  /** YYYYMMDDhhmmss as the terminal gave it. */
  occurred_at: string;
}

export interface ExceptionFacts {
  key_conflicts: readonly { record: RecordFacts; held: RecordFacts }[];
  suspended: readonly RecordFacts[];
  blacklisted_loads: readonly RecordFacts[];
  card_seq_gaps: number;
  balance_breaks: number;
  terminal_seq_gaps: number;
}

export interface RefusedFileFacts {
  file: string;
  /** id '' when the file's name gives no sender. */
  sender: Party;
  code: string;
  detail: string;
}

/** A correction that D's batch posted (clearing-rules.md, "Corrections"), with names. */
export interface CorrectionFacts {
  /** C1, C2, ... */
  id: string;
  kind: 'adjustment' | 'release';
  /** An adjustment's participant; a release's acquirer. */
  participant: Party;
  /** Signed like a statement line's net: > 0 the centre owes the participant more. A release: the record's amount. */
  amount_fen: number;
  /** The counter account: an adjustment's; suspense:blacklist for a release. */
  account: string;
  /** A release: the record released, FILE_NAME#INDEX. */
  record: string | null;
  /** The reconciliation item it settles. */
  item: string | null;
  note: string;
  proposed_by: string;
  approved_by: string;
  /** The journal entry it was posted in. */
  entry_id: string;
}

/** One closed day of the trends. */
export interface TrendDay {
  /** YYYY-MM-DD. */
  date: string;
  records: number;
  cleared_gross_fen: number;
  open_items: number;
}

export interface DayReportData {
  /** D, YYYY-MM-DD. */
  date: string;
  centre: Party;
  summary: SummaryJson;
  /** The journal's entries and last hash when D closed. */
  journal: { entries: number; head: string } | null;
  /** D's batch's records by the verdict given at import (status, and reason code; '' for none). */
  verdicts: readonly { status: string; reason: string; count: number }[];
  /** Earlier records the national centre rejected, processed by D's batch, by its code. */
  national_rejections: readonly { reason: string; count: number }[];
  statement_lines: readonly StatementLineFacts[];
  /** D's instructions, earlier ones the bank confirmed on D, and earlier ones not confirmed by the end of D. */
  instructions: readonly InstructionFacts[];
  kinds: ReconciliationJson['kinds'];
  open_items: readonly OpenItemFacts[];
  exceptions: ExceptionFacts;
  refused_files: readonly RefusedFileFacts[];
  /** The corrections D's batch posted, in correction order (absent: none). */
  corrections?: readonly CorrectionFacts[];
  /** The last closed days up to and including D (at most 30), oldest first. */
  trend: readonly TrendDay[];
}
