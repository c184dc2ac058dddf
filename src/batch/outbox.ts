// Step 5: the files a closed day writes, rebuilt from the store alone, so that a
// rerun (or a run resumed after a crash) writes the same bytes. The plan (which
// files, their names and what goes in each: src/store/outbox-plan.ts) is computed
// first, then each file is written to a temporary name and renamed. The digest of
// every file is kept; a rebuilt file that differs from the first one is a bug, and
// stops the run.
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/db';
import { planOutbox, writableBeforeClose, type DayRow, type Ids } from '../store/outbox-plan';
import { correctionsPostedOn } from '../store/corrections';
import type { DaySummary, ExceptionsReport, ReconciliationReport } from '../core/reports';
import { writeExchangeFile } from '../files/writer';
import type { Transaction } from '../core/types';
import type { AheadFiles, WrittenAheadFile } from '../machinery/written-ahead';
import { renderReport } from './report-text';
import type { Participants } from '../core/config-types';
import { writeDayReportHtml } from '../store/day-report-data';

export interface WrittenDay {
  files: { name: string; records: number; bytes: number }[];
  reportDir: string;
}

export class RebuildMismatch extends Error {}

/**
 * Writes every file of a closed day into the outbox, and its reports (report.html
 * names the participants: from `participants`, as the batch was given them). With
 * `ahead`, the worker has been writing the files the import settles (TXN_ACK,
 * INTEROP_IN_RESULT) by the same plan, at temporary paths: the other files are
 * written here first, then the ones it has not claimed are claimed one at a time
 * and written here too (from the counter it claims from), and its own are only
 * renamed into place (after the same check against the digests kept).
 * `exceptional`: the night's records not simply accepted or pending, when the batch
 * knows them (Tonight.exceptionalIds): the day's report reads their rows alone.
 */
export function writeOutbox(
  db: Db,
  D: string,
  participants: Participants,
  ids: Ids,
  outboxDir: string,
  ahead: AheadFiles | null = null,
  exported: (() => Iterable<Transaction>) | null = null,
  exceptional: readonly number[] | null = null,
): WrittenDay {
  const day = db.prepare('SELECT * FROM days WHERE date = ?').get(D) as DayRow;
  const plan = planOutbox(db, day, ids, exported);
  fs.mkdirSync(outboxDir, { recursive: true });
  type Result = { sha256_hex: string; records: number; bytes: number; early?: WrittenAheadFile };
  const results: (Result | undefined)[] = plan.map(() => undefined);
  const write = (i: number): void => {
    const f = plan[i]!;
    const w = writeExchangeFile(path.join(outboxDir, f.name), f.header, f.records() as Iterable<never>, { fsync: false });
    results[i] = { sha256_hex: w.sha256_hex, records: w.trailer.record_count, bytes: w.bytes };
  };
  if (ahead !== null) {
    const aheadAt = plan.flatMap((f, i) => (writableBeforeClose(f) ? [i] : []));
    for (let i = 0; i < plan.length; i++) if (!writableBeforeClose(plan[i]!)) write(i);
    for (let k = ahead.take(); k < aheadAt.length; k = ahead.take()) write(aheadAt[k]!);
  }
  const early = ahead?.written() ?? new Map<string, WrittenAheadFile>();
  // Only now: the worker has stopped, and its files are known (kept, to be renamed).
  removeStaleTemporaries(outboxDir, new Set([...early.values()].map((f) => f.path)));
  for (let i = 0; i < plan.length; i++) {
    if (results[i] !== undefined) continue;
    const f = early.get(plan[i]!.name);
    if (f) results[i] = { ...f, early: f };
    else write(i); // without the worker, or one it did not write
  }
  const known = db.prepare('SELECT sha256 FROM outputs WHERE business_date = ? AND name = ?').pluck();
  const remember = db.prepare('INSERT OR IGNORE INTO outputs (business_date, name, sha256) VALUES (?, ?, ?)');
  const written: WrittenDay['files'] = [];
  const digests: [string, string][] = [];
  plan.forEach((f, i) => {
    const result = results[i]!;
    const before = known.get(D, f.name) as string | undefined;
    if (before !== undefined && before !== result.sha256_hex) {
      throw new RebuildMismatch(`${f.name}: rebuilt file differs from the one first written (${before})`);
    }
    if (result.early) fs.renameSync(result.early.path, path.join(outboxDir, f.name));
    digests.push([f.name, result.sha256_hex]);
    written.push({ name: f.name, records: result.records, bytes: result.bytes });
  });
  const reportDir = path.join(outboxDir, 'reports', D);
  fs.mkdirSync(reportDir, { recursive: true });
  removeStaleTemporaries(reportDir);
  const summary = JSON.parse(day.summary_json) as DaySummary;
  const reconciliation = JSON.parse(day.reconciliation_json) as ReconciliationReport;
  const exceptions = JSON.parse(day.exceptions_json) as ExceptionsReport;
  writeTextAtomically(path.join(reportDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeTextAtomically(path.join(reportDir, 'reconciliation.json'), `${JSON.stringify(reconciliation, null, 2)}\n`);
  writeTextAtomically(path.join(reportDir, 'exceptions.json'), `${JSON.stringify(exceptions, null, 2)}\n`);
  writeTextAtomically(
    path.join(reportDir, 'report.txt'),
    renderReport(summary, reconciliation, exceptions, written, correctionsPostedOn(db, D)),
  );
  writeDayReportHtml(db, participants, D, summary, reconciliation, exceptions, reportDir, exceptional);
  db.transaction(() => {
    for (const [name, sha] of digests) remember.run(D, name, sha);
  }).immediate();
  return { files: written, reportDir };
}

/**
 * A run killed while writing leaves `<name>.tmp-<pid>` (and `<name>.ahead-<pid>`, a
 * file written ahead of the close) behind: ours to remove, nobody else's. `keep`: the
 * paths this run wrote ahead, still to be renamed.
 */
export function removeStaleTemporaries(dir: string, keep: ReadonlySet<string> = new Set()): void {
  if (!fs.existsSync(dir)) return;
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    if (/\.(?:tmp|ahead)-\d+$/.test(name) && !keep.has(p)) fs.rmSync(p, { force: true });
  }
}

export function writeTextAtomically(filePath: string, text: string): void {
  const tmp = `${filePath}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, filePath);
}
