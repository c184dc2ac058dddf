// The vocabulary of the clearing centre, as plain data. Field names follow the
// exchange files (snake_case, exchange-files.md) so that a record read from a file
// is the record the core reasons about, with no mapping layer in between.
// Amounts are integer fen. Nothing in src/core imports from outside src/core.

export const FILE_TYPES = [
  'TXN_UPLOAD',
  'TXN_ACK',
  'INTEROP_OUT',
  'INTEROP_RESULT',
  'INTEROP_IN',
  'INTEROP_IN_RESULT',
  'BLACKLIST',
  'CLEARING_STATEMENT',
  'SETTLEMENT',
] as const;
export type FileType = (typeof FILE_TYPES)[number];

/** The proto enum value of each file type (exchange-files.md, "File types"). */
export const FILE_TYPE_NUMBER: Record<FileType, number> = {
  TXN_UPLOAD: 1,
  TXN_ACK: 2,
  INTEROP_OUT: 3,
  INTEROP_RESULT: 4,
  INTEROP_IN: 5,
  INTEROP_IN_RESULT: 6,
  BLACKLIST: 7,
  CLEARING_STATEMENT: 8,
  SETTLEMENT: 9,
};

export interface Header {
  format_version: number;
  file_type: FileType;
  sender_id: string;
  receiver_id: string;
  business_date: string; // YYYYMMDD
  file_seq: number;
  created_at: string; // YYYYMMDDhhmmss
  ref_file: string;
  ref_reason: string;
}

export interface Trailer {
  record_count: number;
  total_amount_fen: number;
  sha256: Uint8Array; // 32 bytes
}

export interface Transaction {
  issuer_id: string;
  card_no: string;
  card_type: number;
  txn_type: number;
  amount_fen: number;
  balance_before_fen: number;
  balance_after_fen: number;
  card_seq: number;
  terminal_id: string;
  terminal_seq: number;
  acquirer_id: string;
  merchant_id: string;
  occurred_at: string;
  tac: string;
  batch_no: string;
  line_id: string;
  station_id: string;
}

/**
 * What the import's main thread reads of a record when the worker reads the whole
 * file too: the keys, amounts, balances and parties that the rules needing history
 * and the record's row take. The rest (card_type, occurred_at, tac, batch_no,
 * line_id, station_id) stays in the file's bytes until something asks for the whole
 * record: a held record to compare (E03), a listed card's time (S01), a stateless rule
 * the worker could not answer for, a pending record (the INTEROP_OUT), a sample read
 * back.
 */
export const IMPORT_FIELDS = [
  'issuer_id',
  'card_no',
  'txn_type',
  'amount_fen',
  'balance_before_fen',
  'balance_after_fen',
  'card_seq',
  'terminal_id',
  'terminal_seq',
  'acquirer_id',
  'merchant_id',
] as const satisfies readonly (keyof Transaction)[];
export type ImportFields = Pick<Transaction, (typeof IMPORT_FIELDS)[number]>;

/** A Transaction's fields in the order of exchange-files.md (and of the records table's columns). */
export const TRANSACTION_FIELDS = [
  'issuer_id',
  'card_no',
  'card_type',
  'txn_type',
  'amount_fen',
  'balance_before_fen',
  'balance_after_fen',
  'card_seq',
  'terminal_id',
  'terminal_seq',
  'acquirer_id',
  'merchant_id',
  'occurred_at',
  'tac',
  'batch_no',
  'line_id',
  'station_id',
] as const satisfies readonly (keyof Transaction)[];

/** txn_type (exchange-files.md): a load at an agent, a purchase, a composite purchase. */
export const TXN_LOAD = 2;
export const TXN_PURCHASE = 6;
export const TXN_COMPOSITE_PURCHASE = 9;

export type Status = 'ACCEPTED' | 'REJECTED' | 'SUSPENDED' | 'PENDING_INTEROP';
export const STATUS_NUMBER: Record<Status, number> = {
  ACCEPTED: 1,
  REJECTED: 2,
  SUSPENDED: 3,
  PENDING_INTEROP: 4,
};

/**
 * The statuses whose records hold their card key and terminal key (clearing-rules.md,
 * E03 and E09): every status but REJECTED. Every SQL string that asks which records
 * hold keys is built from this list (src/store/record-columns.ts).
 */
export const KEY_HOLDING_STATUSES = ['ACCEPTED', 'SUSPENDED', 'PENDING_INTEROP'] as const satisfies readonly Status[];

export function holdsKeys(status: Status): boolean {
  return (KEY_HOLDING_STATUSES as readonly Status[]).includes(status);
}

export interface Verdict {
  index: number;
  issuer_id: string;
  card_no: string;
  card_seq: number;
  terminal_id: string;
  terminal_seq: number;
  amount_fen: number;
  status: Status;
  reason: string; // '' for ACCEPTED and PENDING_INTEROP; 'E05', 'S01', 'N:N05'
}

/** The verdict an answer file gives record `index`: the record's identity, the amount, and its status. */
export function verdictOf(index: number, r: Transaction, amount_fen: number, status: Status, reason: string): Verdict {
  return {
    index,
    issuer_id: r.issuer_id,
    card_no: r.card_no,
    card_seq: r.card_seq,
    terminal_id: r.terminal_id,
    terminal_seq: r.terminal_seq,
    amount_fen,
    status,
    reason,
  };
}

export interface BlacklistEntry {
  issuer_id: string;
  card_no: string;
  action: number; // BLACKLIST_ADD, or 2: remove
  effective_at: string;
  reason: string;
}

/** BlacklistEntry.action of an entry that lists the card (exchange-files.md); 2 takes it off. */
export const BLACKLIST_ADD = 1;

export type StatementCategory = 1 | 2 | 3 | 4 | 5;
export const CATEGORY_PURCHASES = 1;
export const CATEGORY_LOADS = 2;
export const CATEGORY_INTEROP_IN = 3;
export const CATEGORY_INTEROP_OUT = 4;
export const CATEGORY_ADJUSTMENTS = 5;

export interface StatementLine {
  participant_id: string;
  merchant_id: string;
  category: StatementCategory;
  count: number;
  gross_fen: number;
  fee_fen: number;
  net_fen: number;
  fee_rate: string;
  /**
   * Category 5: the correction id (`C12`). Absent on every other line, which is what
   * the wire's empty default means: lines made before the field existed, and the
   * spec's own examples, carry no such key.
   */
  ref?: string;
}

export interface SettlementInstruction {
  instruction_id: string; // YYYYMMDD-<participant_id>
  payer_id: string;
  payee_id: string;
  amount_fen: number;
  business_date: string;
}

/** Any record type that may appear in an exchange file, by file type. */
export interface RecordOf {
  TXN_UPLOAD: Transaction;
  TXN_ACK: Verdict;
  INTEROP_OUT: Transaction;
  INTEROP_RESULT: Verdict;
  INTEROP_IN: Transaction;
  INTEROP_IN_RESULT: Verdict;
  BLACKLIST: BlacklistEntry;
  CLEARING_STATEMENT: StatementLine;
  SETTLEMENT: SettlementInstruction;
}

/** Record-level reason codes, in the order validation applies them (clearing-rules.md). */
export const RECORD_REASONS = ['E01', 'E02', 'E08', 'E04', 'E07', 'E06', 'E05', 'E03', 'E09', 'S01'] as const;
export type RecordReason = (typeof RECORD_REASONS)[number];

/** File-level refusal codes, in the order of precedence when several apply. */
export const FILE_REFUSALS = ['F01', 'F05', 'F04', 'F02', 'F03'] as const;
export type FileRefusalCode = (typeof FILE_REFUSALS)[number];

export interface FileRefusal {
  code: FileRefusalCode;
  /** 1-based frame number where the file broke (Header = frame 1), when it applies. */
  frame?: number;
  detail: string;
}
