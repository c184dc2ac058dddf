// The day's report for people (reports/YYYYMMDD/report.txt): the same facts as
// the JSON reports, laid out for an operator reading it in the morning.
import type { DaySummary, ExceptionsReport, ReconciliationReport, RefusedFile } from '../core/reports';
import { ACCOUNT } from '../core/ledger';
import { printable } from '../core/printable';
import { yuan } from '../core/yuan';
import type { CorrectionView } from '../store/corrections';

/** Refused files named in the batch's readable summary; all of them are in summary.json and report.txt. */
const REFUSED_SHOWN_IN_SUMMARY = 20;
/** Refused files and open items named in report.txt: a page an operator reads, not a night's worth of a broken sender. */
const LISTED_IN_REPORT = 200;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

/** One refused file on one line: name, the F-code, the sender its name gives, what was wrong (outside text, escaped). */
function refusedLine(f: RefusedFile): string {
  return `${printable(f.file)}  ${f.code}  from ${f.sender === '' ? '(no sender in the name)' : f.sender}: ${printable(f.detail)}`;
}

/** The refused files, at most `limit` of them, then how many more and where they all are; none when limit is 0. */
function refusedLines(refused: readonly RefusedFile[], limit: number, indent: string, where: string): string[] {
  if (limit === 0) return [];
  const out = refused.slice(0, limit).map((f) => `${indent}${refusedLine(f)}`);
  if (refused.length > limit) out.push(`${indent}... and ${refused.length - limit} more (${where})`);
  return out;
}

/** The batch's readable summary; `refused_shown`: how many refused files it names (0: none, as report.txt lists them apart). */
export function renderSummary(s: DaySummary, refused_shown = REFUSED_SHOWN_IN_SUMMARY): string {
  // A day closed before summaries named their refused files has none to list.
  const refused = s.refused_files ?? [];
  const lines = [
    `lct batch ${s.date}: ${s.exit_code === 0 ? 'done, nothing needs a person' : 'done, needs a person'}`,
    `  files     imported ${s.files.imported}, skipped ${s.files.skipped}, refused ${s.files.refused}`,
    ...refusedLines(refused, refused_shown, '    refused: ', 'summary.json'),
    `  records   accepted ${s.records.accepted}, rejected ${s.records.rejected}, suspended ${s.records.suspended}, pending interop ${s.records.pending_interop}` +
      (s.national_rejected ? `; national centre rejected ${s.national_rejected} earlier record(s)` : ''),
    `  cleared   ${s.cleared.count} record(s), gross ${yuan(s.cleared.gross_fen)} yuan`,
    `  settle    ${s.settlement.instructions} instruction(s): pay out ${yuan(s.settlement.pay_out_fen)}, collect ${yuan(s.settlement.collect_fen)} yuan`,
    `  open reconciliation items: ${s.open_mismatches}`,
  ];
  for (const r of s.exit_reasons) lines.push(`  needs a person: ${r}`);
  return `${lines.join('\n')}\n`;
}

export function renderReport(
  s: DaySummary,
  r: ReconciliationReport,
  x: ExceptionsReport,
  written: { name: string; records: number; bytes: number }[],
  corrections: readonly CorrectionView[] = [],
): string {
  const k = r.kinds;
  const out: string[] = [renderSummary(s, 0)];
  const refused = s.refused_files ?? [];
  out.push(`Refused files: ${refused.length}`);
  out.push(...refusedLines(refused, LISTED_IN_REPORT, '  ', 'summary.json, or: lct exceptions'));
  out.push('');
  const ignored = s.ignored_entries ?? [];
  if (ignored.length > 0) {
    out.push(`Inbox entries that are not files, not imported: ${ignored.length}`);
    for (const e of ignored) out.push(`  ${printable(e.name)}  (${e.what})`);
    out.push('');
  }
  out.push('Reconciliation (items open at the end of the day; matched: today)');
  out.push(
    table([
      ['kind', 'matched', 'local only', 'remote only', 'amount mismatch'],
      ...(['uploads', 'national', 'bank'] as const).map((kind) => [
        kind,
        String(k[kind].matched),
        String(k[kind].local_only),
        String(k[kind].remote_only),
        String(k[kind].amount_mismatch),
      ]),
    ]),
  );
  const f = k.float;
  out.push('');
  out.push(
    `Card float (whole history): ledger ${yuan(f.ledger_movement_fen)}, cards ${yuan(f.cards_movement_fen)}, ` +
      `difference ${yuan(f.difference_fen)}, explained ${yuan(f.explained_fen)} by ${f.seq_gaps} sequence gap(s) and ${f.balance_breaks} balance break(s)`,
  );
  out.push('');
  out.push('Exceptions of the day');
  out.push(`  key conflicts (E09): ${x.key_conflicts.length}`);
  for (const c of x.key_conflicts) {
    const rec = c.record as Record<string, unknown>;
    const held = c.held as Record<string, unknown>;
    out.push(
      `    card ${rec.card_no} seq ${rec.card_seq} at ${rec.terminal_id}#${rec.terminal_seq} ${rec.amount_fen} fen  vs held  card ${held.card_no} seq ${held.card_seq} at ${held.terminal_id}#${held.terminal_seq} ${held.amount_fen} fen`,
    );
  }
  out.push(`  suspended (blacklisted card): ${x.suspended.length}`);
  for (const rec of x.suspended as Record<string, unknown>[])
    out.push(`    card ${rec.card_no} seq ${rec.card_seq} ${rec.amount_fen} fen at ${rec.occurred_at}`);
  out.push(`  loads on blacklisted cards: ${x.blacklisted_loads.length}`);
  for (const rec of x.blacklisted_loads as Record<string, unknown>[])
    out.push(`    card ${rec.card_no} seq ${rec.card_seq} ${rec.amount_fen} fen at ${rec.occurred_at}`);
  out.push(
    `  new card sequence gaps: ${x.card_seq_gaps.length}, new balance breaks: ${x.balance_breaks.length}, new terminal sequence gaps: ${x.terminal_seq_gaps.length}`,
  );
  out.push('');
  out.push(...correctionLines(corrections));
  out.push('');
  out.push(`Open reconciliation items: ${r.open_items.length}`);
  for (const i of r.open_items.slice(0, LISTED_IN_REPORT)) out.push(`  ${i.opened}  ${i.kind.padEnd(8)} ${i.category.padEnd(15)} ${i.ref}`);
  if (r.open_items.length > LISTED_IN_REPORT)
    out.push(`  ... and ${r.open_items.length - LISTED_IN_REPORT} more (reconciliation.json, or: lct recon items)`);
  out.push('');
  out.push(`Files written: ${written.length}`);
  for (const w of written) out.push(`  ${w.name}  ${w.records} record(s)`);
  return `${out.join('\n')}\n`;
}

/**
 * The corrections the day's batch posted (clearing-rules.md, "Corrections"): each
 * with who proposed and who approved it, the amount (signed like its participant's
 * net), the counter account (a release: suspense:blacklist, its fee the group's) and
 * the note; what it released or settled below it. Operators' names and notes are
 * shown printable: a control character in them cannot drive the reader's terminal.
 */
function correctionLines(corrections: readonly CorrectionView[]): string[] {
  const out = [`Corrections posted: ${corrections.length}`];
  if (corrections.length === 0) return out;
  const rows = [
    ['id', 'kind', 'participant', 'amount (yuan)', 'account', 'proposed by', 'approved by', 'entry'],
    ...corrections.map((c) => [
      c.id,
      c.kind,
      c.participant,
      yuan(c.amount_fen),
      c.account ?? ACCOUNT.suspense_blacklist,
      printable(c.proposed_by),
      printable(c.decided_by ?? ''),
      c.entry_id ?? '',
    ]),
  ];
  const AMOUNT = 3;
  const widths = rows[0]!.map((_, k) => Math.max(...rows.map((r) => r[k]!.length)));
  for (const r of rows)
    out.push(`  ${r.map((cell, k) => (k === AMOUNT ? cell.padStart(widths[k]!) : cell.padEnd(widths[k]!))).join('  ')}`.trimEnd());
  for (const c of corrections) {
    out.push(`  ${c.id} note: ${printable(c.note)}`);
    if (c.record !== null) out.push(`     released record ${c.record}: cleared in its acquirer's purchases of the day`);
    if (c.item !== null) out.push(`     settles reconciliation item ${c.item}`);
  }
  return out;
}
