// The records table as SQL sees it (migration 7): a narrow row per record, with the
// record's own fields kept once, in its file's bytes (kept-files.ts). The row holds
// what the night's SQL selects, groups and updates on: keys, amount, txn_type, the
// merchant's number, the verdict and the status as numbers. Every SQL string that
// needs a status or a source is built from these, so that the table, the core's
// vocabulary and the queries cannot drift. `record_view` (migration 7) shows the same
// rows with the codes named and the merchant spelled out, for the queries that read
// few rows.
import { KEY_HOLDING_STATUSES, STATUS_NUMBER, type Status } from '../core/types';

/** status_code and verdict_code: the Status enum of proto/lct.proto. */
export const STATUS_CODE: Readonly<Record<Status, number>> = STATUS_NUMBER;

const STATUS_OF_CODE = new Map((Object.keys(STATUS_CODE) as Status[]).map((s) => [STATUS_CODE[s], s]));

/** A status code's name, as record_view shows it (once per record of a TXN_ACK: a lookup). */
export function statusOfCode(code: number): Status {
  const status = STATUS_OF_CODE.get(code);
  if (status === undefined) throw new Error(`records: ${code} is no status code`);
  return status;
}

/** source_code: which kind of file brought the record. */
export const SOURCE_CODE = { TXN_UPLOAD: 1, INTEROP_IN: 2 } as const;
export type RecordSource = keyof typeof SOURCE_CODE;

/** `status_code = <ACCEPTED's code>`: a condition on the records table. */
export function statusIs(status: Status, column = 'status_code'): string {
  return `${column} = ${STATUS_CODE[status]}`;
}

/** `source_code = <its code>`. */
export function sourceIs(source: RecordSource, column = 'source_code'): string {
  return `${column} = ${SOURCE_CODE[source]}`;
}

/** A status code column named, as SQL: `CASE ... END`. */
export function statusName(column: string): string {
  return `CASE ${column} ${(Object.keys(STATUS_CODE) as Status[]).map((s) => `WHEN ${STATUS_CODE[s]} THEN '${s}'`).join(' ')} END`;
}

/** The records that hold their keys (KEY_HOLDING_STATUSES), as a condition on the records table. */
export const HOLDS_KEYS = `status_code IN (${KEY_HOLDING_STATUSES.map((s) => STATUS_CODE[s]).join(', ')})`;
