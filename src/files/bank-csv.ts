// The bank's statement of the payments it executed (exchange-files.md, "Bank
// statement (CSV)"): UTF-8 CSV, a fixed header row, one payment a line. A statement
// is taken whole or refused whole: one malformed line refuses it, with the line's
// number (the header row is line 1) and what is wrong with it. Whether a well-formed
// line matches an instruction the centre issued is reconciliation's business, not
// this reader's.
//
// The file is read a chunk at a time from a file descriptor and judged a line at a
// time, so memory stays flat whatever the file holds: a line longer than any real
// one, or a file bigger than any real statement (a sparse 64 GB file takes no disk),
// is refused (F01 by the importer) without being read further. Each line's bytes
// are decoded on their own: "not UTF-8" names the line whose bytes are not, and a
// failure to read the file is thrown as itself (the machine's failure, not the
// bank's), naming the file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkBankStatementName, isCalendarDate } from './names';

export const BANK_CSV_COLUMNS = ['value_date', 'instruction_id', 'payer_id', 'payee_id', 'amount_fen', 'bank_ref'] as const;
export const BANK_CSV_HEADER = BANK_CSV_COLUMNS.join(',');

/** Read buffer size. */
export const BANK_CHUNK_BYTES = 64 * 1024;
/** The longest line accepted, line break excluded: a real line is under 100 bytes. */
export const MAX_BANK_LINE_BYTES = 4096;
/** The largest statement accepted: one line per settlement instruction is a few hundred lines a day. */
export const MAX_BANK_FILE_BYTES = 16 << 20;

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

/** Why a statement is refused: the line (0: the file as a whole) and what is wrong there. */
export type BankRefusal = { ok: false; line: number; detail: string };

/** What the file's name says, once the content passed. */
interface NamedStatement {
  ok: true;
  /** From the file's name; '' (and seq 0) when the name does not follow the pattern: see name_mismatch. */
  bank_id: string;
  date: string;
  seq: number;
  /** Set when the name is not BANK_<bank_id>_<YYYYMMDD>_<NNNN>.csv (an import refuses it F05). */
  name_mismatch?: string;
}

export type BankStatement = (NamedStatement & { lines: BankLine[] }) | BankRefusal;

/** The streamed reading's result: as BankStatement, with the number of lines instead of the lines. */
export type BankStatementScan = (NamedStatement & { line_count: number }) | BankRefusal;

export interface BankScanOptions {
  chunk_bytes?: number;
  max_line_bytes?: number;
  max_file_bytes?: number;
  /** Reads from the file (fs.readSync); tests put a failing one in its place. */
  read?: (fd: number, buffer: Buffer, offset: number, length: number, position: number) => number;
}

const INSTITUTION_ID = /^[0-9]{8}$/;
const INSTRUCTION_ID = /^([0-9]{8})-([0-9]{8})$/;
const INTEGER = /^-?[0-9]+$/;

/**
 * Reads and checks a bank statement in one streaming pass, handing each line to
 * onLine as it passes. The content is judged first: a malformed statement is
 * { ok: false } whatever its name (and whatever onLine received must then be
 * discarded); a well-formed one carries the name's parts, or name_mismatch. Throws
 * only when the file cannot be opened or read.
 */
export function scanBankStatement(filePath: string, onLine: (line: BankLine) => void, opts: BankScanOptions = {}): BankStatementScan {
  const read = opts.read ?? fs.readSync;
  const max_file_bytes = opts.max_file_bytes ?? MAX_BANK_FILE_BYTES;
  let parsed: { ok: true; line_count: number } | BankRefusal;
  let fd: number;
  try {
    fd = fs.openSync(filePath, 'r');
  } catch (err) {
    throw unreadable(filePath, err);
  }
  try {
    const bytes = fs.fstatSync(fd).size;
    if (bytes > max_file_bytes) {
      return { ok: false, line: 0, detail: `the file is ${bytes} bytes, more than the ${max_file_bytes} a statement may have: not read` };
    }
    parsed = parseLines(
      (buffer, position) => {
        try {
          return read(fd, buffer, 0, buffer.length, position);
        } catch (err) {
          throw unreadable(filePath, err);
        }
      },
      onLine,
      { ...opts, max_file_bytes },
    );
  } finally {
    fs.closeSync(fd);
  }
  if (!parsed.ok) return parsed;
  const name = checkBankStatementName(path.basename(filePath));
  if (!name.ok) {
    return {
      ok: true,
      bank_id: '',
      date: '',
      seq: 0,
      name_mismatch: `name does not follow the pattern: ${name.detail}`,
      line_count: parsed.line_count,
    };
  }
  return { ok: true, bank_id: name.name.bank_id, date: name.name.date, seq: name.name.seq, line_count: parsed.line_count };
}

function unreadable(filePath: string, err: unknown): Error {
  return new Error(`${filePath}: cannot be read: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/**
 * Reads and checks a bank statement, its lines gathered (a statement is a few
 * hundred lines; scanBankStatement streams them instead).
 */
export function readBankStatement(filePath: string, opts: BankScanOptions = {}): BankStatement {
  const lines: BankLine[] = [];
  const scan = scanBankStatement(filePath, (l) => lines.push(l), opts);
  if (!scan.ok) return scan;
  const { line_count, ...named } = scan;
  if (line_count !== lines.length) throw new Error(`bank statement: ${line_count} lines counted, ${lines.length} delivered`);
  return { ...named, lines };
}

/** Parses a statement's bytes. */
export function parseBankStatement(bytes: Uint8Array): { ok: true; lines: BankLine[] } | BankRefusal {
  const lines: BankLine[] = [];
  const parsed = parseLines(
    (buffer, position) => {
      const n = Math.max(0, Math.min(buffer.length, bytes.length - position));
      buffer.set(bytes.subarray(position, position + n));
      return n;
    },
    (l) => lines.push(l),
    { max_file_bytes: Number.POSITIVE_INFINITY },
  );
  return parsed.ok ? { ok: true, lines } : parsed;
}

/**
 * Splits what `read` gives into lines at each LF byte and judges them one by one. A
 * LF byte is never part of a UTF-8 sequence, so the split is right before decoding.
 * Memory: one chunk and one line.
 */
function parseLines(
  read: (buffer: Buffer, position: number) => number,
  onLine: (line: BankLine) => void,
  opts: { chunk_bytes?: number; max_line_bytes?: number; max_file_bytes: number },
): { ok: true; line_count: number } | BankRefusal {
  const max_line_bytes = opts.max_line_bytes ?? MAX_BANK_LINE_BYTES;
  const buf = Buffer.allocUnsafe(opts.chunk_bytes ?? BANK_CHUNK_BYTES);
  // A line that straddles chunks is gathered here.
  const carry = Buffer.allocUnsafe(max_line_bytes);
  let carried = 0;
  let position = 0;
  const judge = new LineJudge(onLine);
  for (;;) {
    const n = read(buf, position);
    if (n === 0) break;
    position += n;
    // A file that grows while it is read, or has no size (a device): the limit holds all the same.
    if (position > opts.max_file_bytes) {
      return { ok: false, line: 0, detail: `the file is more than the ${opts.max_file_bytes} bytes a statement may have` };
    }
    const chunk = buf.subarray(0, n);
    let start = 0;
    for (;;) {
      const found = chunk.indexOf(0x0a, start);
      const end = found === -1 ? n : found;
      if (carried + (end - start) > max_line_bytes) {
        return { ok: false, line: judge.line + 1, detail: `longer than ${max_line_bytes} bytes` };
      }
      if (end === n) {
        chunk.copy(carry, carried, start, n);
        carried += n - start;
        break;
      }
      let bytes: Uint8Array = chunk.subarray(start, end);
      if (carried > 0) {
        chunk.copy(carry, carried, start, end);
        bytes = carry.subarray(0, carried + (end - start));
        carried = 0;
      }
      const refusal = judge.next(bytes);
      if (refusal !== null) return refusal;
      start = end + 1;
    }
  }
  // The last line, when no line break ends it.
  if (carried > 0) {
    const refusal = judge.next(carry.subarray(0, carried));
    if (refusal !== null) return refusal;
  }
  if (judge.line === 0) return { ok: false, line: 1, detail: `no header row: expected ${BANK_CSV_HEADER}` };
  return { ok: true, line_count: judge.line - 1 };
}

/** Judges the lines in order: the header row, then one payment a line. */
class LineJudge {
  /** The number of the last line judged (the header row is line 1). */
  line = 0;
  // ignoreBOM: a BOM is kept, to be dropped at the start of line 1 only.
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

  constructor(private readonly onLine: (line: BankLine) => void) {}

  next(bytes: Uint8Array): BankRefusal | null {
    const line = ++this.line;
    let text: string;
    try {
      text = this.decoder.decode(bytes);
    } catch {
      return { ok: false, line, detail: 'not UTF-8' };
    }
    if (line === 1) {
      const header = stripCr(text.startsWith('\ufeff') ? text.slice(1) : text);
      if (header === BANK_CSV_HEADER) return null;
      return {
        ok: false,
        line: 1,
        detail: header === '' ? `no header row: expected ${BANK_CSV_HEADER}` : `the header row is not ${BANK_CSV_HEADER}`,
      };
    }
    const parsed = parseRow(stripCr(text), line);
    if (!parsed.ok) return parsed;
    this.onLine(parsed.value);
    return null;
  }
}

/** One payment line, checked field by field in the header's order. */
function parseRow(row: string, line: number): { ok: true; value: BankLine } | BankRefusal {
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
  return {
    ok: true,
    value: { line, value_date, instruction_id, payer_id, payee_id, amount_fen: amount_fen === 0 ? 0 : amount_fen, bank_ref },
  };
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
