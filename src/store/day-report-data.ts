// The store's side of reports/YYYYMMDD/report.html: gathers what the page shows
// that the day's three JSON reports do not already hold (names from the
// participants file, the day's statement lines, instructions and their bank
// confirmations, the age and money of open items, the last 30 closed days), then
// hands it to the pure renderer (src/report/day-report.ts).
//
// Everything is read as of the end of day D, from facts that later days do not
// change (the frozen JSON of closed days, the day a bank line was imported, the
// frozen record of each item), so that the page of a closed day written again
// later, after other days closed, is the same page byte for byte.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import type { Participants } from '../core/config-types';
import { compactDateDayNumber, compactToIsoDate, isCompactDate } from '../core/calendar';
import { renderDayReportHtml } from '../report/day-report';
import type {
  CorrectionFacts,
  DayReportData,
  ExceptionsJson,
  InstructionFacts,
  OpenItemFacts,
  OpenItemJson,
  Party,
  ReconciliationJson,
  RecordFacts,
  RefusedFileFacts,
  StatementLineFacts,
  SummaryJson,
  TrendDay,
} from '../report/day-report-data';
import { ACCOUNT } from '../core/ledger';
import { correctionsPostedOn } from './corrections';
import type { Db } from './db';
import { STATUS_CODE, statusOfCode } from './record-columns';
import { batchRecordRange, exceptionalRows } from './batch-records';
import { refusedFilesOf } from './file-log';

/** How many closed days the trends show, D included. */
export const TREND_DAYS = 30;

/**
 * Writes reports/YYYYMMDD/report.html for the closed day D (YYYYMMDD) into reportDir:
 * to a temporary name (`report.html.tmp-<pid>`, swept by the outbox like its other
 * temporaries), then renamed. Returns the path written.
 */
export function writeDayReportHtml(
  db: Db,
  participants: Participants,
  D: string,
  summary: SummaryJson,
  reconciliation: ReconciliationJson,
  exceptions: ExceptionsJson,
  reportDir: string,
  exceptional: readonly number[] | null = null,
): string {
  const html = renderDayReportHtml(dayReportData(db, participants, D, summary, reconciliation, exceptions, exceptional));
  const target = path.join(reportDir, 'report.html');
  const tmp = `${target}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, html);
  fs.renameSync(tmp, target);
  return target;
}

/**
 * Everything the day's page shows for day D (YYYYMMDD), as of the end of D.
 * `exceptional`: the batch's records not simply accepted or pending, when the batch
 * that closed D knows them (Tonight.exceptionalIds); else they are found in the night's rows.
 */
export function dayReportData(
  db: Db,
  participants: Participants,
  D: string,
  summary: SummaryJson,
  reconciliation: ReconciliationJson,
  exceptions: ExceptionsJson,
  exceptional: readonly number[] | null = null,
): DayReportData {
  assert(isCompactDate(D), `dayReportData: D is YYYYMMDD, got ${D}`);
  const date = compactToIsoDate(D);
  assert.equal(summary.date, date, 'the summary is the day asked for');
  assert.equal(reconciliation.date, date, 'the reconciliation is the day asked for');
  const names = directoryOf(participants);
  return {
    date,
    centre: names.party(participants.centre.id),
    summary,
    journal: summary.journal ?? journalAtClose(db, D),
    verdicts: verdictsOf(db, D, summary, exceptional),
    national_rejections: db
      .prepare(
        `SELECT national_reason AS reason, COUNT(*) AS count FROM exports
          WHERE national_date = ? AND national_status = 'REJECTED' GROUP BY 1 ORDER BY 1`,
      )
      .all(D) as { reason: string; count: number }[],
    statement_lines: statementLinesOf(db, D, names),
    instructions: instructionsOf(db, D, names),
    kinds: reconciliation.kinds,
    open_items: openItemsOf(db, D, reconciliation.open_items, names),
    exceptions: {
      key_conflicts: exceptions.key_conflicts.map((c) => ({ record: recordFacts(c.record, names), held: recordFacts(c.held, names) })),
      suspended: exceptions.suspended.map((r) => recordFacts(r, names)),
      blacklisted_loads: exceptions.blacklisted_loads.map((r) => recordFacts(r, names)),
      card_seq_gaps: exceptions.card_seq_gaps.length,
      balance_breaks: exceptions.balance_breaks.length,
      terminal_seq_gaps: exceptions.terminal_seq_gaps.length,
    },
    // The summary names them since it has refused_files; a day closed before then, from the file log.
    refused_files: (summary.refused_files ?? refusedFilesOf(db, D)).map(
      (f): RefusedFileFacts => ({
        file: f.file,
        sender: f.sender === '' ? { id: '', name: null } : names.party(f.sender),
        code: f.code,
        detail: f.detail,
      }),
    ),
    corrections: correctionsOf(db, D, names),
    trend: trendOf(db, D, summary),
  };
}

interface Directory {
  party(id: string): Party;
  kind(id: string): string;
  merchant(id: string): Party;
}

/** Names and kinds of everyone the participants file lists. */
function directoryOf(p: Participants): Directory {
  const parties = new Map<string, { name: string; kind: string }>();
  parties.set(p.centre.id, { name: p.centre.name, kind: 'clearing centre' });
  parties.set(p.national.id, { name: p.national.name, kind: 'national centre' });
  parties.set(p.bank.id, { name: p.bank.name, kind: 'settlement bank' });
  for (const i of p.issuers) parties.set(i.id, { name: i.name, kind: 'local issuer' });
  for (const a of p.acquirers) parties.set(a.id, { name: a.name, kind: `${a.kind} acquirer` });
  for (const a of p.agents) parties.set(a.id, { name: a.name, kind: 'top-up agent' });
  const merchants = new Map<string, string>();
  for (const a of [...p.acquirers, ...p.agents]) for (const m of a.merchants) merchants.set(m.id, m.name);
  return {
    party: (id) => ({ id, name: parties.get(id)?.name ?? null }),
    kind: (id) => parties.get(id)?.kind ?? 'unknown',
    merchant: (id) => ({ id, name: merchants.get(id) ?? null }),
  };
}

/** The journal's length and last hash as D's close recorded them. */
function journalAtClose(db: Db, D: string): { entries: number; head: string } | null {
  const head = db.prepare('SELECT journal_head FROM days WHERE date = ?').pluck().get(D) as string | null | undefined;
  if (head === null || head === undefined) return null;
  const seq = db.prepare('SELECT seq FROM entries WHERE hash = ?').pluck().get(head) as number | undefined;
  assert(seq !== undefined, `the journal head recorded for ${D} is in the journal`);
  const entries = db.prepare('SELECT COUNT(*) FROM entries WHERE seq <= ?').pluck().get(seq) as number;
  return { entries, head };
}

/**
 * The verdicts given at import to the records of D's batch: accepted and pending from
 * the summary, which counted them; rejected and suspended by reason code from the
 * store. Only those rare rows reach the GROUP BY's sorter (the night's ids are one
 * range: the batch imports them in order), about a third of the time a grouping of
 * every row takes (measured: 130 against 400 ms for 230,000 records).
 */
function verdictsOf(db: Db, D: string, summary: SummaryJson, exceptional: readonly number[] | null): DayReportData['verdicts'] {
  const range = batchRecordRange(db, D);
  const out = [
    { status: 'ACCEPTED', reason: '', count: summary.records.accepted },
    { status: 'PENDING_INTEROP', reason: '', count: summary.records.pending_interop },
  ];
  if (range.lo > range.hi) return out;
  // On the table's code, not the view's status name: the view would name every row's.
  // Among tonight's exceptional records when the batch knows them, not the night's million.
  const rows = exceptionalRows<{ verdict_code: number; verdict_reason: string }>(
    db,
    'verdict_code, verdict_reason',
    'records r',
    `verdict_code IN (${STATUS_CODE.REJECTED}, ${STATUS_CODE.SUSPENDED})`,
    range,
    exceptional,
  );
  const counts = new Map<string, { code: number; reason: string; count: number }>();
  for (const { verdict_code: code, verdict_reason: reason } of rows) {
    const k = `${code}|${reason}`;
    const c = counts.get(k);
    if (c === undefined) counts.set(k, { code, reason, count: 1 });
    else c.count++;
  }
  const named = [...counts.values()].map(({ code, reason, count }) => ({ status: statusOfCode(code), reason, count }));
  named.sort((a, b) => (a.status < b.status ? -1 : a.status > b.status ? 1 : a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
  return [...out, ...named];
}

function statementLinesOf(db: Db, D: string, names: Directory): StatementLineFacts[] {
  const rows = db
    .prepare(
      `SELECT participant_id, merchant_id, category, count, gross_fen, fee_fen, net_fen, fee_rate FROM statement_lines
        WHERE business_date = ? ORDER BY participant_id, category, merchant_id, CAST(substr(ref, 2) AS INTEGER)`,
    )
    .all(D) as {
    participant_id: string;
    merchant_id: string;
    category: number;
    count: number;
    gross_fen: number;
    fee_fen: number;
    net_fen: number;
    fee_rate: string;
  }[];
  return rows.map((r) => ({
    participant: names.party(r.participant_id),
    participant_kind: names.kind(r.participant_id),
    category: r.category,
    merchant: r.merchant_id === '' ? { id: '', name: null } : names.merchant(r.merchant_id),
    count: r.count,
    gross_fen: r.gross_fen,
    fee_fen: r.fee_fen,
    net_fen: r.net_fen,
    fee_rate: r.fee_rate,
  }));
}

/**
 * D's instructions; earlier ones that a bank line imported by D's batch confirmed;
 * and earlier ones no bank line had confirmed by the end of D. "Confirmed by the end
 * of D" is read from the day whose batch imported the confirming line, so a later
 * confirmation does not change D's page.
 */
function instructionsOf(db: Db, D: string, names: Directory): InstructionFacts[] {
  const rows = db
    .prepare(
      `SELECT i.instruction_id, i.business_date, i.payer_id, i.payee_id, i.amount_fen,
              f.batch_date AS confirmed_on, b.value_date, b.bank_ref
         FROM instructions i
         LEFT JOIN bank_lines b ON b.id = i.confirmed_line
         LEFT JOIN files f ON f.id = b.file_id
        WHERE i.business_date <= @d AND (i.business_date = @d OR f.batch_date IS NULL OR f.batch_date >= @d)
        ORDER BY i.business_date DESC, i.instruction_id`,
    )
    .all({ d: D }) as {
    instruction_id: string;
    business_date: string;
    payer_id: string;
    payee_id: string;
    amount_fen: number;
    confirmed_on: string | null;
    value_date: string | null;
    bank_ref: string | null;
  }[];
  return rows.map((r) => ({
    instruction_id: r.instruction_id,
    business_date: compactToIsoDate(r.business_date),
    payer: names.party(r.payer_id),
    payee: names.party(r.payee_id),
    amount_fen: r.amount_fen,
    confirmed:
      r.confirmed_on === null || r.confirmed_on > D
        ? null
        : { on: compactToIsoDate(r.confirmed_on), value_date: compactToIsoDate(r.value_date!), bank_ref: r.bank_ref! },
  }));
}

/** The items open at the end of D (the reconciliation report's list), with their age and the money at stake. */
function openItemsOf(db: Db, D: string, items: readonly OpenItemJson[], names: Directory): OpenItemFacts[] {
  const today = compactDateDayNumber(D)!;
  const rangeLo = db.prepare('SELECT range_lo FROM recon_items WHERE id = ?').pluck();
  return items.map((i) => {
    const opened = compactDateDayNumber(i.opened.replace(/-/g, ''));
    assert(opened !== undefined && opened <= today, `item ${i.id}: opened ${i.opened}, on or before ${D}`);
    const ours = asObject(i.ours);
    const theirs = asObject(i.theirs);
    let at_stake_fen: number | null = null;
    let missing_records: number | null = null;
    if (i.kind === 'uploads') {
      // A terminal's record we never got: its amount is unknown until it arrives.
      missing_records = numberOr(theirs.count, null);
    } else if (i.kind === 'float') {
      const before = asObject(ours.before);
      const after = asObject(theirs.after);
      const jump = Math.abs(numberOr(after.balance_before_fen, 0) - numberOr(before.balance_after_fen, 0));
      // A run of missing counters carries its jump on its first item only (so the
      // amounts add up): the others have nothing more at stake.
      const first = i.category !== 'SEQ_GAP' || (rangeLo.get(i.id) as number | null) === numberOr(before.card_seq, -2) + 1;
      at_stake_fen = first ? jump : 0;
    } else {
      const mine = numberOr(ours.amount_fen, null);
      const yours = numberOr(theirs.amount_fen, null);
      if (i.category === 'LOCAL_ONLY') at_stake_fen = mine;
      else if (i.category === 'REMOTE_ONLY') at_stake_fen = yours;
      else at_stake_fen = mine === null ? yours : yours === null ? mine : Math.max(mine, yours);
    }
    return {
      id: i.id,
      kind: i.kind,
      category: i.category,
      ref: i.ref,
      participant: i.participant_id ? names.party(i.participant_id) : null,
      opened: i.opened,
      age_days: today - opened,
      at_stake_fen,
      missing_records,
    };
  });
}

/** The corrections D's batch posted: fixed once D closed, like the rest of the page. */
function correctionsOf(db: Db, D: string, names: Directory): CorrectionFacts[] {
  return correctionsPostedOn(db, D).map((c) => ({
    id: c.id,
    kind: c.kind,
    participant: names.party(c.participant),
    amount_fen: c.amount_fen,
    account: c.account ?? ACCOUNT.suspense_blacklist,
    record: c.record,
    item: c.item,
    note: c.note,
    proposed_by: c.proposed_by,
    approved_by: c.decided_by ?? '',
    entry_id: c.entry_id ?? '',
  }));
}

/** The last TREND_DAYS closed days up to D, from each day's summary as it was fixed at its close. */
function trendOf(db: Db, D: string, summary: SummaryJson): TrendDay[] {
  const rows = db
    .prepare(`SELECT date, summary_json FROM days WHERE status = 'CLOSED' AND date < ? ORDER BY date DESC LIMIT ?`)
    .all(D, TREND_DAYS - 1) as { date: string; summary_json: string }[];
  const day = (date: string, s: SummaryJson): TrendDay => ({
    date: compactToIsoDate(date),
    records: s.records.accepted + s.records.rejected + s.records.suspended + s.records.pending_interop,
    cleared_gross_fen: s.cleared.gross_fen,
    open_items: s.open_mismatches,
  });
  return [...rows.reverse().map((r) => day(r.date, JSON.parse(r.summary_json) as SummaryJson)), day(D, summary)];
}

/** A record of the exceptions report, with names. */
function recordFacts(value: unknown, names: Directory): RecordFacts {
  const r = asObject(value);
  const acquirer = stringOr(r.acquirer_id);
  return {
    card_no: stringOr(r.card_no),
    card_seq: numberOr(r.card_seq, 0),
    txn_type: numberOr(r.txn_type, 0),
    amount_fen: numberOr(r.amount_fen, 0),
    terminal_id: stringOr(r.terminal_id),
    terminal_seq: numberOr(r.terminal_seq, 0),
    acquirer: names.party(acquirer),
    merchant: names.merchant(stringOr(r.merchant_id)),
    occurred_at: stringOr(r.occurred_at),
  };
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function numberOr<T extends number | null>(value: unknown, fallback: T): number | T {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : fallback;
}

function stringOr(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
