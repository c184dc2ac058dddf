// The day's summary (batch-cli.md, `--json` and reports/YYYYMMDD/summary.json):
// counts of what D's batch imported and cleared, read back from the store so that
// a crash and rerun give the same object as an uninterrupted run.
import { compactToIsoDate } from '../core/calendar';
import type { TonightTotals } from '../machinery/night-tally';
import { journalHead } from '../store/journal';
import type { DaySummary } from '../core/reports';
import { refusedFilesOf } from '../store/file-log';
import { batchRecordRange, keptOrRows } from '../store/batch-records';
import { statusIs } from '../store/record-columns';
import type { BatchContext } from './context';
import type { Reconciliation } from './reconcile';

export function buildSummary(ctx: BatchContext, recon: Reconciliation): DaySummary {
  const db = ctx.db;
  const D = ctx.date;
  const one = (sql: string, ...args: unknown[]) =>
    db
      .prepare(sql)
      .pluck()
      .get(...args) as number;
  const range = batchRecordRange(db, D);
  const files = {
    imported: one("SELECT COUNT(*) FROM files WHERE batch_date = ? AND outcome = 'IMPORTED'", D),
    skipped: one('SELECT COUNT(*) FROM sightings WHERE batch_date = ?', D),
    refused: one("SELECT COUNT(*) FROM files WHERE batch_date = ? AND outcome = 'REFUSED'", D),
  };
  // Tonight's records by verdict, as the import counted them (tonight's accepted ones
  // are the ones cleared today: the import writes their cleared_date), or in one pass
  // over them (a night an interrupted run began). A small night is counted both ways.
  const counted = ctx.tonight.tally.night;
  const tonight = keptOrRows(
    range,
    counted === null ? null : tonightCounted(counted),
    () => tonightInSql(ctx, range),
    "buildSummary: tonight's records",
  );
  const records = {
    accepted: tonight.accepted,
    rejected: tonight.rejected,
    suspended: tonight.suspended,
    pending_interop: tonight.pending_interop,
  };
  const clearedHere = { n: tonight.cleared_n, s: tonight.cleared_s };
  const clearedRemote = db
    .prepare(
      'SELECT COUNT(*) AS n, COALESCE(SUM(amount_fen), 0) AS s FROM record_view WHERE national_date = ? AND cleared_date = ? AND NOT (id BETWEEN ? AND ?)',
    )
    .get(D, D, range.lo, range.hi) as { n: number; s: number };
  // Released by a correction posted today: a record of an earlier night, cleared today.
  const clearedReleased = db
    .prepare(
      `SELECT COUNT(*) AS n, COALESCE(SUM(r.amount_fen), 0) AS s FROM corrections c JOIN records r ON r.id = c.record_id
        WHERE c.kind = 'release' AND c.status = 'posted' AND c.effective_date = ? AND r.cleared_date = ? AND NOT (r.id BETWEEN ? AND ?)`,
    )
    .get(D, D, range.lo, range.hi) as { n: number; s: number };
  const centre = ctx.registry.centreId;
  const settlement = db
    .prepare(
      `SELECT COUNT(*) AS instructions,
              COALESCE(SUM(CASE WHEN payer_id = @centre THEN amount_fen ELSE 0 END), 0) AS pay_out_fen,
              COALESCE(SUM(CASE WHEN payee_id = @centre THEN amount_fen ELSE 0 END), 0) AS collect_fen
         FROM instructions WHERE business_date = @d`,
    )
    .get({ centre, d: D }) as DaySummary['settlement'];
  const conflicts = tonight.conflicts;

  const reasons: string[] = [];
  if (files.refused > 0) reasons.push(`${files.refused} refused file(s)`);
  if (conflicts > 0) reasons.push(`${conflicts} key conflict(s)`);
  if (records.suspended > 0) reasons.push(`${records.suspended} suspended record(s)`);
  if (ctx.ignored_entries.length > 0) reasons.push(`${ctx.ignored_entries.length} inbox entry(ies) not a file, not imported`);
  for (const [what, n] of Object.entries(recon.opened)) reasons.push(`${n} new ${what.replace(':', ' ')} item(s)`);

  return {
    date: compactToIsoDate(D),
    files,
    records,
    national_rejected: one("SELECT COUNT(*) FROM exports WHERE national_date = ? AND national_status = 'REJECTED'", D),
    cleared: {
      count: clearedHere.n + clearedRemote.n + clearedReleased.n,
      gross_fen: clearedHere.s + clearedRemote.s + clearedReleased.s,
    },
    settlement,
    open_mismatches: recon.report.open_items.length,
    refused_files: refusedFilesOf(db, D),
    ignored_entries: ctx.ignored_entries,
    // Built last in the close, after its postings: the journal as the day leaves it.
    journal: journalHead(db),
    exit_code: reasons.length > 0 ? 3 : 0,
    exit_reasons: reasons,
  };
}

type TonightCounts = Record<'accepted' | 'rejected' | 'suspended' | 'pending_interop' | 'conflicts' | 'cleared_n' | 'cleared_s', number>;

/** One pass over tonight's records gives every count and sum the summary needs from them. */
function tonightInSql(ctx: BatchContext, range: { lo: number; hi: number }): TonightCounts {
  return ctx.db
    .prepare(
      `SELECT COALESCE(SUM(${statusIs('ACCEPTED', 'verdict_code')}), 0) AS accepted,
              COALESCE(SUM(${statusIs('REJECTED', 'verdict_code')}), 0) AS rejected,
              COALESCE(SUM(${statusIs('SUSPENDED', 'verdict_code')}), 0) AS suspended,
              COALESCE(SUM(${statusIs('PENDING_INTEROP', 'verdict_code')}), 0) AS pending_interop,
              COALESCE(SUM(verdict_reason = 'E09'), 0) AS conflicts,
              COALESCE(SUM(cleared_date = @d), 0) AS cleared_n, COALESCE(SUM(CASE WHEN cleared_date = @d THEN amount_fen ELSE 0 END), 0) AS cleared_s
         FROM records WHERE id BETWEEN @lo AND @hi`,
    )
    .get({ d: ctx.date, lo: range.lo, hi: range.hi }) as TonightCounts;
}

/** The same from the import's count: a record accepted at import is cleared by this batch. */
function tonightCounted(t: TonightTotals): TonightCounts {
  const v = t.verdicts;
  const cleared = [...t.purchases.values(), ...t.loads.values(), t.interop_in];
  return {
    accepted: v.accepted,
    rejected: v.rejected,
    suspended: v.suspended,
    pending_interop: v.pending_interop,
    conflicts: v.conflicts,
    cleared_n: cleared.reduce((n, s) => n + s.count, 0),
    cleared_s: cleared.reduce((n, s) => n + s.gross_fen, 0),
  };
}
