// The bank's statement of the payments it executed (exchange-files.md, "Bank
// statement (CSV)"): UTF-8 CSV, a fixed header row, one payment a line. A statement
// is taken whole or refused whole: one malformed line refuses it, with the line's
// number (the header row is line 1) and what is wrong with it. Whether a well-formed
// line matches an instruction the centre issued is reconciliation's business, not
// this reader's.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkBankStatementName, isCalendarDate } from './names';

export const BANK_CSV_COLUMNS = ['value_date', 'instruction_id', 'payer_id', 'payee_id', 'amount_fen', 'bank_ref'] as const;
export const BANK_CSV_HEADER = BANK_CSV_COLUMNS.join(',');

export interface BankLine {
  /** The line's number in the file; the header row is line 1. */
  line: number;
  value_date: string; // YYYYMMDD
  instruction_id: string; // YYYYMMDD-<participant_id>
  payer_id: string;
  payee_id: string;
  amount_fen: number;
  bank_ref: string;
}

export type BankStatement =
  | {
      ok: true;
      /** From the file's name; '' (and seq 0) when the name does not follow the pattern: see name_mismatch. */
      bank_id: string;
      date: string;
      seq: number;
      /** Set when the name is not BANK_<bank_id>_<YYYYMMDD>_<NNNN>.csv (an import refuses it F05). */
      name_mismatch?: string;
      lines: BankLine[];
    }
  | { ok: false; line: number; detail: string };

const INSTITUTION_ID = /^[0-9]{8}$/;
const INSTRUCTION_ID = /^([0-9]{8})-([0-9]{8})$/;
const INTEGER = /^-?[0-9]+$/;

/**
 * Reads and checks a bank statement. The content is judged first: a malformed
 * statement is { ok: false } whatever its name; a well-formed one carries the
 * name's parts, or name_mismatch.
 */
export function readBankStatement(filePath: string): BankStatement {
  const parsed = parseBankStatement(fs.readFileSync(filePath));
  if (!parsed.ok) return parsed;
  const name = checkBankStatementName(path.basename(filePath));
  if (!name.ok) {
    return {
      ok: true,
      bank_id: '',
      date: '',
      seq: 0,
      name_mismatch: `name does not follow the pattern: ${name.detail}`,
      lines: parsed.lines,
    };
  }
  return { ok: true, bank_id: name.name.bank_id, date: name.name.date, seq: name.name.seq, lines: parsed.lines };
}

/** Parses a statement's bytes. */
export function parseBankStatement(bytes: Uint8Array): { ok: true; lines: BankLine[] } | { ok: false; line: number; detail: string } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, line: 0, detail: 'the file is not UTF-8' };
  }
  if (text.startsWith('\ufeff')) text = text.slice(1);
  const rows = text.split('\n');
  // A final newline leaves one empty string behind: that is the end, not a line.
  if (rows.length > 1 && rows[rows.length - 1] === '') rows.pop();
  const header = stripCr(rows[0]);
  if (header !== BANK_CSV_HEADER) {
    return {
      ok: false,
      line: 1,
      detail: header === '' ? `no header row: expected ${BANK_CSV_HEADER}` : `the header row is not ${BANK_CSV_HEADER}`,
    };
  }
  const lines: BankLine[] = [];
  for (let i = 1; i < rows.length; i++) {
    const line = i + 1;
    const row = stripCr(rows[i]);
    if (row === '') return { ok: false, line, detail: 'empty line' };
    const fields = splitCsvRow(row);
    if (typeof fields === 'string') return { ok: false, line, detail: fields };
    if (fields.length !== BANK_CSV_COLUMNS.length) {
      return { ok: false, line, detail: `${fields.length} columns, expected ${BANK_CSV_COLUMNS.length}` };
    }
    const [value_date, instruction_id, payer_id, payee_id, amount, bank_ref] = fields;
    if (!isCalendarDate(value_date)) return { ok: false, line, detail: `value_date ${JSON.stringify(value_date)} is not a YYYYMMDD date` };
    const m = INSTRUCTION_ID.exec(instruction_id);
    if (m === null || !isCalendarDate(m[1])) {
      return { ok: false, line, detail: `instruction_id ${JSON.stringify(instruction_id)} is not YYYYMMDD-<8 digits>` };
    }
    if (!INSTITUTION_ID.test(payer_id)) return { ok: false, line, detail: `payer_id ${JSON.stringify(payer_id)} is not 8 digits` };
    if (!INSTITUTION_ID.test(payee_id)) return { ok: false, line, detail: `payee_id ${JSON.stringify(payee_id)} is not 8 digits` };
    const amount_fen = Number(amount);
    if (!INTEGER.test(amount) || !Number.isSafeInteger(amount_fen)) {
      return { ok: false, line, detail: `amount_fen ${JSON.stringify(amount)} is not an integer` };
    }
    if (bank_ref === '') return { ok: false, line, detail: 'bank_ref is empty' };
    lines.push({ line, value_date, instruction_id, payer_id, payee_id, amount_fen: amount_fen === 0 ? 0 : amount_fen, bank_ref });
  }
  return { ok: true, lines };
}

function stripCr(row: string): string {
  return row.endsWith('\r') ? row.slice(0, -1) : row;
}

/**
 * Splits one CSV row (RFC 4180: a field may be quoted, "" is a quote inside
 * quotes). A quoted field cannot hold a line break here: one row, one line.
 */
function splitCsvRow(row: string): string[] | string {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (row[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= row.length) return 'a quoted field is not closed';
        const c = row[i++];
        if (c === '"') {
          if (row[i] === '"') {
            value += '"';
            i++;
          } else break;
        } else value += c;
      }
      if (i < row.length && row[i] !== ',') return 'text after a closing quote';
      fields.push(value);
    } else {
      const comma = row.indexOf(',', i);
      const value = comma === -1 ? row.slice(i) : row.slice(i, comma);
      if (value.includes('"')) return 'a quote inside an unquoted field';
      fields.push(value);
      i = comma === -1 ? row.length : comma;
    }
    if (i >= row.length) return fields;
    i++; // the comma
    if (i === row.length) {
      fields.push('');
      return fields;
    }
  }
}

/** A statement's text, as the bank writes it: header row, one line per payment, final newline. */
export function formatBankStatement(lines: readonly Omit<BankLine, 'line'>[]): string {
  const out = [BANK_CSV_HEADER];
  for (const l of lines) {
    const fields = [l.value_date, l.instruction_id, l.payer_id, l.payee_id, String(l.amount_fen), l.bank_ref];
    out.push(fields.map(csvField).join(','));
  }
  return `${out.join('\n')}\n`;
}

function csvField(value: string): string {
  if (/[",\r\n]/.test(value)) {
    if (/[\r\n]/.test(value)) throw new RangeError(`a bank statement field cannot hold a line break: ${JSON.stringify(value)}`);
    return `"${value.replace(/"/g, '""')}"`;
  }
  return value;
}
