// The shapes of a closed day's reports (batch-cli.md): reports/YYYYMMDD/summary.json
// (also what `lct batch --json` prints), reconciliation.json and exceptions.json. The
// batch computes them when the day closes and keeps them with the day; the outbox,
// the text report and the command line only read them.

export interface DaySummary {
  date: string;
  files: { imported: number; skipped: number; refused: number };
  records: { accepted: number; rejected: number; suspended: number; pending_interop: number };
  national_rejected: number;
  cleared: { count: number; gross_fen: number };
  settlement: { instructions: number; pay_out_fen: number; collect_fen: number };
  open_mismatches: number;
  /** Every file D's batch refused, in import order (batch-cli.md). */
  refused_files: RefusedFile[];
  /**
   * Inbox entries that are not files (directories, FIFOs, links to nothing...): never
   * imported, listed so that a person looks. Absent from days closed before lct listed them.
   */
  ignored_entries?: IgnoredEntry[];
  /** The journal at the day's close: published with the reports, it anchors the chain outside the store. */
  journal: JournalHead;
  exit_code: 0 | 3;
  exit_reasons: string[];
}

/** A file refused whole (exchange-files.md, "Refusing a file whole"), as the summary names it. */
export interface RefusedFile {
  /** The file's name in the inbox. */
  file: string;
  /** The sender the file's name gives; empty when the name gives none. */
  sender: string;
  /** F01 … F05 */
  code: string;
  /** What was wrong, for people. */
  detail: string;
}

/** An entry of the inbox that is not a file, and what it is instead ('directory', 'FIFO', 'symbolic link to nothing', ...). */
export interface IgnoredEntry {
  name: string;
  what: string;
}

/** The journal's extent: how many entries it holds and the hash of the last one (the genesis hash when it is empty). */
export interface JournalHead {
  entries: number;
  head: string;
}

export interface KindCounts {
  matched: number;
  local_only: number;
  remote_only: number;
  amount_mismatch: number;
}

export interface ReconciliationReport {
  date: string;
  kinds: {
    uploads: KindCounts;
    national: KindCounts;
    bank: KindCounts;
    float: {
      ledger_movement_fen: number;
      cards_movement_fen: number;
      difference_fen: number;
      explained_fen: number;
      seq_gaps: number;
      balance_breaks: number;
    };
  };
  open_items: ReportItem[];
}

export interface ReportItem {
  id: string;
  kind: string;
  category: string;
  opened: string;
  ref: string;
  participant_id: string | null;
  ours: unknown;
  theirs: unknown;
}

export interface ExceptionsReport {
  date: string;
  key_conflicts: { record: unknown; held: unknown }[];
  suspended: unknown[];
  blacklisted_loads: unknown[];
  card_seq_gaps: ReportItem[];
  balance_breaks: ReportItem[];
  terminal_seq_gaps: ReportItem[];
  /** The files the day's batch refused, as in the summary: a refused file needs a person too. */
  refused_files: RefusedFile[];
}
