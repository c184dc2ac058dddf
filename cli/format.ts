// How lct writes for people, one convention everywhere a person reads (JSON keeps
// integer fen and the spec's field names): dates YYYY-MM-DD, times
// YYYY-MM-DD hh:mm:ss, amounts in yuan with two decimals and the unit in the column
// header, transaction types and reason codes by name, names beside ids, and a header
// row on every table.
import { printable } from '../src/core/printable';
import { compactToIsoDate, isCompactDate, isCompactTimestamp } from '../src/core/calendar';
import { FILE_REFUSAL_NAMES, RECORD_RULES } from '../src/inquiry/rules';

export { yuan } from '../src/core/yuan';
export { txnTypeName } from '../src/core/code-names';

/** A missing value in a table cell or a line. */
export const NONE = '-';

/** YYYYMMDD -> YYYY-MM-DD; anything else is shown as it is (escaped). */
export function isoDate(compact: string | null | undefined): string {
  if (compact === null || compact === undefined || compact === '') return NONE;
  return isCompactDate(compact) ? compactToIsoDate(compact) : escapeControl(compact);
}

/** YYYYMMDDhhmmss -> YYYY-MM-DD hh:mm:ss; anything else is shown as it is (escaped). */
export function isoTime(compact: string | null | undefined): string {
  if (compact === null || compact === undefined || compact === '') return NONE;
  if (!isCompactTimestamp(compact)) return escapeControl(compact);
  return `${compactToIsoDate(compact.slice(0, 8))} ${compact.slice(8, 10)}:${compact.slice(10, 12)}:${compact.slice(12, 14)}`;
}

/** A reason code with its name: `E05 TAC`, `S01 BLACKLISTED`, `F02 TRAILER_MISMATCH`, `N:N05 (national centre)`. */
export function reasonName(code: string | null | undefined): string {
  if (code === null || code === undefined || code === '') return '';
  const rule = RECORD_RULES[code];
  if (rule !== undefined) return rule.slice(0, rule.indexOf(':'));
  const refusal = FILE_REFUSAL_NAMES[code];
  if (refusal !== undefined) return `${code} ${refusal}`;
  if (code.startsWith('N:')) return `${escapeControl(code)} (national centre)`;
  return escapeControl(code);
}

/** A status and its reason: `REJECTED E05 TAC`, `ACCEPTED`. */
export function verdictName(status: string, reason: string | null | undefined): string {
  const r = reasonName(reason);
  return r === '' ? status : `${status} ${r}`;
}

/**
 * Control characters in text that came from outside (files, notes) shown as visible
 * escapes, so that a record cannot move the cursor or clear the operator's screen:
 * the house's one rule, src/core/printable.ts.
 */
export function escapeControl(s: string): string {
  return printable(s);
}

export interface Column {
  header: string;
  /** Amounts and counts are right-aligned, text left-aligned. */
  align?: 'left' | 'right';
}

/**
 * A table with a header row; columns as wide as their widest cell, two spaces
 * apart, trailing blanks trimmed. Cells are escaped.
 */
export function table(columns: Column[], rows: string[][], indent = ''): string[] {
  const cells = rows.map((r) => r.map((c) => escapeControl(c)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    indent +
    columns
      .map((c, i) => {
        const v = r[i] ?? '';
        return c.align === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)];
}

/** `n thing(s)` with the plural spelled out. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
