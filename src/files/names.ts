// The names of the files that cross the border (exchange-files.md, "File names" and
// "Bank statement"):
//
//     <FILE_TYPE>_<sender_id>_<receiver_id>_<YYYYMMDD>_<NNNN>.pb
//     BANK_<bank_id>_<YYYYMMDD>_<NNNN>.csv
//
// sender, receiver and bank ids are 8-digit institution codes, the date a real
// calendar date, NNNN exactly four digits 0001..9999.
import { FILE_TYPES, type FileType, type Header } from '../core/types';
import { isCompactDate } from '../core/calendar';

export interface ExchangeFileName {
  file_type: FileType;
  sender_id: string;
  receiver_id: string;
  business_date: string; // YYYYMMDD
  file_seq: number; // 1..9999
}

export interface BankStatementName {
  bank_id: string;
  date: string; // YYYYMMDD
  seq: number; // 1..9999
}

export type NameCheck<T> = { ok: true; name: T } | { ok: false; detail: string };

export const EXCHANGE_NAME_PATTERN = '<FILE_TYPE>_<sender_id>_<receiver_id>_<YYYYMMDD>_<NNNN>.pb';
export const BANK_NAME_PATTERN = 'BANK_<bank_id>_<YYYYMMDD>_<NNNN>.csv';

const INSTITUTION_ID = /^[0-9]{8}$/;
const SEQ = /^[0-9]{4}$/;

/** The last file_seq a name can carry (NNNN): a day has room for this many files of one type from one sender to one receiver. */
export const MAX_FILE_SEQ = 9999;

/** True for an institution code as names and headers carry it: exactly 8 digits. */
export function isInstitutionId(id: string): boolean {
  return INSTITUTION_ID.test(id);
}

/** File types longest first, so that INTEROP_IN_RESULT_... is not taken for INTEROP_IN. */
const TYPES_LONGEST_FIRST: readonly FileType[] = [...FILE_TYPES].sort((a, b) => b.length - a.length);

/** True for a real calendar date written YYYYMMDD, in the years a file name may carry (1900..2999). */
export function isCalendarDate(yyyymmdd: string): boolean {
  if (!/^[0-9]{8}$/.test(yyyymmdd)) return false;
  const year = Number(yyyymmdd.slice(0, 4));
  return year >= 1900 && year <= 2999 && isCompactDate(yyyymmdd);
}

/** Parses an exchange file's name, or says which part breaks the pattern. */
export function checkExchangeFileName(name: string): NameCheck<ExchangeFileName> {
  if (!name.endsWith('.pb')) return { ok: false, detail: 'the extension is not .pb' };
  const file_type = TYPES_LONGEST_FIRST.find((t) => name.startsWith(`${t}_`));
  if (file_type === undefined) return { ok: false, detail: 'it does not start with a file type' };
  const parts = name.slice(file_type.length + 1, -'.pb'.length).split('_');
  if (parts.length !== 4) return { ok: false, detail: 'it does not have 5 parts separated by _' };
  const [sender_id, receiver_id, business_date, seq] = parts;
  if (!INSTITUTION_ID.test(sender_id)) return { ok: false, detail: `sender ${JSON.stringify(sender_id)} is not 8 digits` };
  if (!INSTITUTION_ID.test(receiver_id)) {
    return { ok: false, detail: `receiver ${JSON.stringify(receiver_id)} is not 8 digits` };
  }
  if (!isCalendarDate(business_date)) {
    return { ok: false, detail: `date ${JSON.stringify(business_date)} is not a YYYYMMDD date` };
  }
  if (!SEQ.test(seq) || seq === '0000') {
    return { ok: false, detail: `file_seq ${JSON.stringify(seq)} is not 4 digits 0001..9999` };
  }
  return { ok: true, name: { file_type, sender_id, receiver_id, business_date, file_seq: Number(seq) } };
}

/** The parts of an exchange file's name, or null when it does not follow the pattern. */
export function parseExchangeFileName(name: string): ExchangeFileName | null {
  const check = checkExchangeFileName(name);
  return check.ok ? check.name : null;
}

/** The name a file with this header must have. Throws on a header no name can carry (a bug). */
export function exchangeFileName(header: Pick<Header, keyof ExchangeFileName>): string {
  const name = `${header.file_type}_${header.sender_id}_${header.receiver_id}_${header.business_date}_${String(header.file_seq).padStart(
    4,
    '0',
  )}.pb`;
  const check = checkExchangeFileName(name);
  if (!check.ok || check.name.file_type !== header.file_type || check.name.file_seq !== header.file_seq) {
    throw new RangeError(`no file name can carry this header (${check.ok ? 'file_seq' : check.detail}): ${name}`);
  }
  return name;
}

/**
 * The sender a file's name gives (batch-cli.md, `refused_files`): the 8 digits right
 * after a known type (`<FILE_TYPE>_<sender_id>_...`, `BANK_<bank_id>_...`), also when
 * the rest of the name breaks the pattern, so that an operator knows whom to call
 * about a refused file; empty when the name gives none.
 */
export function senderInName(name: string): string {
  const kind = fileTypeOfName(name);
  if (kind === null) return '';
  const m = /^([0-9]{8})(?:[_.]|$)/.exec(name.slice(kind.length + 1));
  return m ? m[1]! : '';
}

/**
 * Who the TXN_ACK of an upload goes to: the header's sender when it is an
 * institution code (always, for an imported upload: it is a registered
 * participant), else the sender the file's name gives, else nobody (null): a
 * refused file whose header and name both name no institution cannot be answered,
 * only listed among the day's refused files.
 */
export function ackReceiver(header_sender_id: string, name: string): string | null {
  if (isInstitutionId(header_sender_id)) return header_sender_id;
  const named = senderInName(name);
  return named === '' ? null : named;
}

/**
 * How a name and a header disagree: the fields that differ, as
 * "file_seq 0055 in the name, 5 in the header", or [] when they agree.
 */
export function nameHeaderDisagreements(name: ExchangeFileName, header: Header): string[] {
  const out: string[] = [];
  if (name.file_type !== header.file_type) out.push(`file_type ${name.file_type} in the name, ${header.file_type} in the header`);
  if (name.sender_id !== header.sender_id) {
    out.push(`sender_id ${name.sender_id} in the name, ${JSON.stringify(header.sender_id)} in the header`);
  }
  if (name.receiver_id !== header.receiver_id) {
    out.push(`receiver_id ${name.receiver_id} in the name, ${JSON.stringify(header.receiver_id)} in the header`);
  }
  if (name.business_date !== header.business_date) {
    out.push(`business_date ${name.business_date} in the name, ${JSON.stringify(header.business_date)} in the header`);
  }
  if (name.file_seq !== header.file_seq) {
    out.push(`file_seq ${String(name.file_seq).padStart(4, '0')} in the name, ${header.file_seq} in the header`);
  }
  return out;
}

/** Parses a bank statement's name, or says which part breaks the pattern. */
export function checkBankStatementName(name: string): NameCheck<BankStatementName> {
  const m = /^BANK_([^_]*)_([^_]*)_([^_]*)\.csv$/.exec(name);
  if (m === null) return { ok: false, detail: `it is not ${BANK_NAME_PATTERN}` };
  const [, bank_id, date, seq] = m;
  if (!INSTITUTION_ID.test(bank_id)) return { ok: false, detail: `bank ${JSON.stringify(bank_id)} is not 8 digits` };
  if (!isCalendarDate(date)) return { ok: false, detail: `date ${JSON.stringify(date)} is not a YYYYMMDD date` };
  if (!SEQ.test(seq) || seq === '0000') return { ok: false, detail: `seq ${JSON.stringify(seq)} is not 4 digits 0001..9999` };
  return { ok: true, name: { bank_id, date, seq: Number(seq) } };
}

export function parseBankStatementName(name: string): BankStatementName | null {
  const check = checkBankStatementName(name);
  return check.ok ? check.name : null;
}

export function bankStatementName(name: BankStatementName): string {
  const out = `BANK_${name.bank_id}_${name.date}_${String(name.seq).padStart(4, '0')}.csv`;
  const check = checkBankStatementName(out);
  if (!check.ok || check.name.seq !== name.seq) throw new RangeError(`no bank statement name for ${JSON.stringify(name)}`);
  return out;
}

export type InboxFileKind = FileType | 'BANK';

/**
 * What a file in the inbox is by the start of its name: a file type (also for a
 * name that breaks the rest of the pattern, so that it is imported, and refused
 * F05, in its type's turn), 'BANK' for a bank statement, or null.
 */
export function fileTypeOfName(name: string): InboxFileKind | null {
  if (name.startsWith('BANK_')) return 'BANK';
  return TYPES_LONGEST_FIRST.find((t) => name.startsWith(`${t}_`)) ?? null;
}

/** The order in which a batch imports the inbox (batch-cli.md, `lct batch`, step 1). */
export const INBOX_IMPORT_ORDER: readonly InboxFileKind[] = ['BLACKLIST', 'INTEROP_RESULT', 'INTEROP_IN', 'TXN_UPLOAD', 'BANK'];

/**
 * Sorts inbox names into import order: by kind as INBOX_IMPORT_ORDER, then by name
 * (code-unit order, the same on every machine). Names of other kinds sort last.
 */
export function compareInboxNames(a: string, b: string): number {
  const rank = (name: string): number => {
    const kind = fileTypeOfName(name);
    const i = kind === null ? -1 : INBOX_IMPORT_ORDER.indexOf(kind);
    return i === -1 ? INBOX_IMPORT_ORDER.length : i;
  };
  const d = rank(a) - rank(b);
  if (d !== 0) return d;
  return a < b ? -1 : a > b ? 1 : 0;
}
