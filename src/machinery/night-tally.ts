import type { Status } from '../core/types';

// Tonight's clearing totals and its records by verdict, counted as the import stores
// the records, so that the close reads them instead of grouping the night's records again (on a 5M night those
// GROUP BYs took 2-3 s and their sorts the night's peak memory). Only a night this
// process imported whole is counted: a rerun after a crash, whose earlier run stored
// part of the night, has the close count in SQL, as every night did before. The
// counts are what the close's SQL would give: the statuses they are taken by do not
// change between the import and the clearing (a release by a correction is posted
// after it; a national verdict only touches records sent to the centre).

/** A group's count and gross. */
export interface Sums {
  count: number;
  gross_fen: number;
}

/** What the close clears of tonight's own records. */
export interface TonightTotals {
  /** Accepted TXN_UPLOAD purchases (every type but a load), by merchant number. */
  purchases: Map<number, Sums>;
  /** Accepted TXN_UPLOAD loads, by merchant number. */
  loads: Map<number, Sums>;
  /** Accepted INTEROP_IN records. */
  interop_in: Sums;
  /** Records the import suspended. */
  suspended: Sums;
  /** Tonight's records by the verdict given at import (the day's summary), and the E09s among the rejected. */
  verdicts: { accepted: number; rejected: number; suspended: number; pending_interop: number; conflicts: number };
}

function emptyTotals(): TonightTotals {
  return {
    purchases: new Map(),
    loads: new Map(),
    interop_in: { count: 0, gross_fen: 0 },
    suspended: { count: 0, gross_fen: 0 },
    verdicts: { accepted: 0, rejected: 0, suspended: 0, pending_interop: 0, conflicts: 0 },
  };
}

function addTo(s: Sums, amount: number): boolean {
  s.count++;
  s.gross_fen += amount;
  // Past 2^53 a sum is no longer exact: the close counts in SQL instead.
  return Number.isSafeInteger(s.gross_fen);
}

function addToGroup(groups: Map<number, Sums>, merchant: number, amount: number): boolean {
  let s = groups.get(merchant);
  if (s === undefined) groups.set(merchant, (s = { count: 0, gross_fen: 0 }));
  return addTo(s, amount);
}

export class NightTally {
  private readonly totals = emptyTotals();
  /** The file being imported: merged when it commits, dropped when it rolls back. */
  private file = emptyTotals();
  /** Whether the totals are tonight's whole: false once a sum is past exact, or records were stored by another run. */
  private whole = true;

  /** A record stored: its source, its verdict's status and reason, whether it is a load, its merchant's number and amount. */
  add(source: 'TXN_UPLOAD' | 'INTEROP_IN', status: Status, reason: string, load: boolean, merchant: number, amount_fen: number): void {
    const v = this.file.verdicts;
    if (status === 'PENDING_INTEROP') v.pending_interop++;
    else if (status === 'ACCEPTED') v.accepted++;
    else if (status === 'REJECTED') v.rejected++;
    else v.suspended++;
    if (reason === 'E09') v.conflicts++;
    let exact = true;
    if (status === 'ACCEPTED') {
      if (source === 'INTEROP_IN') exact = addTo(this.file.interop_in, amount_fen);
      else exact = addToGroup(load ? this.file.loads : this.file.purchases, merchant, amount_fen);
    } else if (status === 'SUSPENDED') exact = addTo(this.file.suspended, amount_fen);
    if (!exact) this.whole = false;
  }

  fileCommitted(): void {
    const into = this.totals;
    const from = this.file;
    for (const [groups, fileGroups] of [
      [into.purchases, from.purchases],
      [into.loads, from.loads],
    ] as const) {
      for (const [m, s] of fileGroups) {
        const t = groups.get(m) ?? { count: 0, gross_fen: 0 };
        t.count += s.count;
        t.gross_fen += s.gross_fen;
        groups.set(m, t);
        if (!Number.isSafeInteger(t.gross_fen)) this.whole = false;
      }
    }
    for (const k of ['accepted', 'rejected', 'suspended', 'pending_interop', 'conflicts'] as const) into.verdicts[k] += from.verdicts[k];
    for (const k of ['interop_in', 'suspended'] as const) {
      into[k].count += from[k].count;
      into[k].gross_fen += from[k].gross_fen;
      if (!Number.isSafeInteger(into[k].gross_fen)) this.whole = false;
    }
    this.file = emptyTotals();
  }

  fileRolledBack(): void {
    this.file = emptyTotals();
  }

  /** Records of tonight were stored by an earlier, interrupted run: the totals are not the night's. */
  notWhole(): void {
    this.whole = false;
  }

  /** Tonight's totals, or null when the close must count them itself. */
  get night(): TonightTotals | null {
    return this.whole ? this.totals : null;
  }
}
