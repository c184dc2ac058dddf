// The records table as SQL sees it: the columns that hold a Transaction's fields,
// and which records hold their keys. Every SQL string that needs either is built
// from these, so that the table, the core's vocabulary and the queries cannot drift.
import { KEY_HOLDING_STATUSES, TRANSACTION_FIELDS } from '../core/types';

/** The Transaction's columns, in its fields' order: `SELECT ${TRANSACTION_SELECT} FROM records` reads Transactions. */
export const TRANSACTION_SELECT = TRANSACTION_FIELDS.join(', ');

/** The records that hold their keys (KEY_HOLDING_STATUSES), as a condition on the records table. */
export const HOLDS_KEYS = `status IN (${KEY_HOLDING_STATUSES.map((s) => `'${s}'`).join(', ')})`;
