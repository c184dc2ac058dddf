// reports/YYYYMMDD/report.html: the day on one page for the people who run the
// centre (batch-cli.md, step 5). The page needs nothing but itself: one inline
// <style>, charts as inline SVG drawn here, no script, and a Content-Security-Policy
// that forbids every fetch, so a page opened from an archive years later shows the
// same thing and tells nobody it was opened. It prints on A4.
//
// A pure function of DayReportData: the same data gives the same bytes, which a
// rerun of a closed day needs. Human conventions (issue 8): dates YYYY-MM-DD,
// amounts in yuan with two decimals and the unit in the column header, names beside
// ids, reason codes and transaction types by name, a header row on every table.
import { strict as assert } from 'node:assert';
import { categoryName, REASONS_IN_RULE_ORDER, reasonName, reconCategoryName, refusalName, txnTypeName } from './code-names';
import type {
  CorrectionFacts,
  DayReportData,
  InstructionFacts,
  OpenItemFacts,
  Party,
  RecordFacts,
  StatementLineFacts,
} from './day-report-data';
import { count, isoMoment, percent, yuan } from './figures';
import { escapeHtml as esc } from './markup';
import { barChart, lineChart, PALETTE, stackedBarChart } from './svg-charts';

/** Long lists stop here; the JSON reports and the inquiry commands hold the rest. */
export const LIST_MAX = 20;

/** Ages of open items, in days, as the chart groups them. */
const AGE_BUCKETS: readonly { name: string; max: number }[] = [
  { name: 'opened today', max: 0 },
  { name: '1–2 days', max: 2 },
  { name: '3–7 days', max: 7 },
  { name: '8–30 days', max: 30 },
  { name: 'over 30 days', max: Infinity },
];

export function renderDayReportHtml(data: DayReportData): string {
  assert(/^\d{4}-\d{2}-\d{2}$/.test(data.date), `the report's date is YYYY-MM-DD, got ${data.date}`);
  for (let i = 1; i < data.trend.length; i++) assert(data.trend[i - 1]!.date < data.trend[i]!.date, 'trend days are in order');
  const title = `lct: the day's report for ${data.date}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // Nothing may be fetched: the page is whole as written (batch-cli.md, step 5).
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<header><h1>The day's report: ${esc(data.date)}</h1>`,
    `<p class="who">${party(data.centre)}: nightly clearing, the day as the store holds it at its close. Amounts in yuan (元).</p>`,
    verdictBanner(data),
    '</header>',
    headlineSection(data),
    verdictsSection(data),
    clearedSection(data),
    settlementSection(data),
    correctionsSection(data),
    reconciliationSection(data),
    floatSection(data),
    exceptionsSection(data),
    refusedSection(data),
    trendSection(data),
    `<footer>Written by lct for ${esc(data.date)}. The same facts as data: summary.json, reconciliation.json and exceptions.json beside this page.</footer>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

const STYLE = `
:root { color: #222; background: #fff; }
body { font: 14px/1.45 system-ui, 'Segoe UI', 'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif; max-width: 760px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 3px; border-bottom: 2px solid #0072B2; }
h3 { font-size: 14px; margin: 16px 0 6px; }
p { margin: 6px 0; }
.who { color: #444; }
.banner { padding: 8px 12px; border-left: 6px solid; margin: 12px 0; }
.banner.ok { border-color: #009E73; background: #e9f7f2; }
.banner.attention { border-color: #D55E00; background: #fdf0e8; }
.banner ul { margin: 4px 0 0; padding-left: 20px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 12px; font-size: 12.5px; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #eef2f6; font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.n { white-space: nowrap; }
tfoot td { font-weight: 600; border-top: 2px solid #999; }
.id { color: #666; font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 11.5px; }
.unknown { color: #D55E00; font-style: italic; }
.mono { font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 11.5px; }
.nw { white-space: nowrap; }
td.text { overflow-wrap: anywhere; }
.note { color: #555; font-size: 12.5px; }
.neg { color: #b04000; }
figure { margin: 10px 0 14px; }
figcaption { font-size: 12.5px; color: #444; margin-bottom: 2px; }
svg.chart { display: block; width: 100%; height: auto; }
.trends { display: grid; grid-template-columns: 1fr; gap: 4px; }
footer { margin-top: 28px; color: #666; font-size: 12px; border-top: 1px solid #ddd; padding-top: 6px; }
@page { size: A4; margin: 12mm 11mm; }
@media print {
  :root { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { font-size: 9.5pt; max-width: none; margin: 0; padding: 0; }
  h2 { font-size: 12.5pt; margin-top: 14pt; break-after: avoid; }
  h3 { break-after: avoid; }
  table { font-size: 8.5pt; }
  .id, .mono { font-size: 7.5pt; }
  thead { display: table-header-group; }
  tr, figure, .banner { break-inside: avoid; }
}
`;

function verdictBanner(data: DayReportData): string {
  const reasons = data.summary.exit_reasons ?? [];
  if (data.summary.exit_code === 0) {
    return '<div class="banner ok"><strong>Done: nothing needs a person.</strong> (exit 0)</div>';
  }
  return (
    `<div class="banner attention"><strong>Done, and something needs a person</strong> (exit ${esc(String(data.summary.exit_code))}):` +
    `<ul>${reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul></div>`
  );
}

function headlineSection(data: DayReportData): string {
  const s = data.summary;
  const r = s.records;
  const total = r.accepted + r.rejected + r.suspended + r.pending_interop;
  const rows: [string, number | null, number | null][] = [
    ['Files imported', s.files.imported, null],
    ['Files skipped (resends)', s.files.skipped, null],
    ['Files refused', s.files.refused, null],
    ["Records in the night's files", total, null],
    ['— accepted', r.accepted, null],
    ['— sent on to the national centre (pending interop)', r.pending_interop, null],
    ['— suspended (blacklisted card)', r.suspended, null],
    ['— rejected', r.rejected, null],
    ['Earlier records rejected by the national centre', s.national_rejected ?? 0, null],
    ['Cleared records, and their gross', s.cleared.count, s.cleared.gross_fen],
    ['Settlement instructions', s.settlement.instructions, null],
    ['— the centre pays out', null, s.settlement.pay_out_fen],
    ['— the centre collects', null, s.settlement.collect_fen],
    ['Open reconciliation items at the close', s.open_mismatches, null],
  ];
  if (data.journal) rows.push(['Journal entries at the close', data.journal.entries, null]);
  const body = rows.map(([what, n, fen]) => [esc(what), n === null ? '' : count(n), fen === null ? '' : money(fen)]);
  const head = data.journal
    ? `<p class="note">Journal head at the close (anchors the hash chain): <span class="mono">${esc(data.journal.head)}</span></p>`
    : '';
  return section(
    'headline',
    'Headline figures',
    table([{ head: 'Figure' }, { head: 'Count', num: true }, { head: 'Amount (yuan)', num: true }], body) + head,
  );
}

function verdictsSection(data: DayReportData): string {
  const byCode = new Map<string, number>();
  let accepted = 0;
  let pending = 0;
  let suspended = 0;
  let rejected = 0;
  for (const v of data.verdicts) {
    if (v.status === 'ACCEPTED') accepted += v.count;
    else if (v.status === 'PENDING_INTEROP') pending += v.count;
    else if (v.status === 'SUSPENDED') suspended += v.count;
    else rejected += v.count;
    if (v.reason !== '') byCode.set(v.reason, (byCode.get(v.reason) ?? 0) + v.count);
  }
  const total = accepted + pending + suspended + rejected;
  const codes = [...REASONS_IN_RULE_ORDER, ...[...byCode.keys()].filter((c) => !REASONS_IN_RULE_ORDER.includes(c)).sort()];
  const national = [...data.national_rejections].sort((a, b) => (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
  const codeBars = [
    ...codes.map((c) => ({ label: reasonName(c), value: byCode.get(c) ?? 0 })),
    ...national.map((n) => ({ label: reasonName(`N:${n.reason}`), value: n.count })),
  ];
  const mix = stackedBarChart(
    total === 0 ? [] : [{ label: 'all records', parts: [accepted, pending, suspended, rejected] }],
    [{ name: 'accepted' }, { name: 'pending interop' }, { name: 'suspended' }, { name: 'rejected', colour: PALETTE[5] }],
    { title: "The night's records by verdict", format: count, empty: 'no records tonight', label_px: 140 },
  );
  const chart = barChart(codeBars, { title: 'Rejections and suspensions by reason code', format: count, label_px: 250 });
  const rows = [
    [esc('ACCEPTED'), count(accepted), percent(accepted, total)],
    [esc('PENDING_INTEROP (sent on to the national centre)'), count(pending), percent(pending, total)],
    ...codes.map((c) => [esc(reasonName(c)), count(byCode.get(c) ?? 0), percent(byCode.get(c) ?? 0, total)]),
  ];
  const nationalTable =
    national.length === 0
      ? ''
      : `<h3>Earlier records rejected by the national centre, answered tonight</h3>${table(
          [{ head: 'Reason code' }, { head: 'Records', num: true }],
          national.map((n) => [esc(reasonName(`N:${n.reason}`)), count(n.count)]),
        )}`;
  return section(
    'verdicts',
    'Verdicts',
    figure("The night's records by verdict", mix) +
      figure('Rejections (E codes) and suspensions (S01) by reason code, in the order the rules apply', chart) +
      table([{ head: 'Verdict or reason code' }, { head: 'Records', num: true }, { head: 'Share', num: true }], rows, [
        'All records',
        count(total),
        total === 0 ? '–' : '100.0%',
      ]) +
      nationalTable,
  );
}

function clearedSection(data: DayReportData): string {
  const lines = data.statement_lines;
  const categories = [...new Set(lines.map((l) => l.category))].sort((a, b) => a - b);
  const byCategory = categories.map((c) => {
    const ls = lines.filter((l) => l.category === c);
    return { category: c, lines: ls.length, ...totals(ls) };
  });
  const participants = new Map<string, { p: Party; kind: string; lines: StatementLineFacts[] }>();
  for (const l of lines) {
    const entry = participants.get(l.participant.id);
    if (entry) entry.lines.push(l);
    else participants.set(l.participant.id, { p: l.participant, kind: l.participant_kind, lines: [l] });
  }
  const byParticipant = [...participants.values()]
    .map((e) => ({ ...e, ...totals(e.lines) }))
    .sort((a, b) => b.gross_fen - a.gross_fen || (a.p.id < b.p.id ? -1 : 1));

  const categoryChart = barChart(
    byCategory.map((c) => ({ label: `${c.category} ${categoryName(c.category)}`, value: c.gross_fen })),
    { title: 'Cleared gross by category (yuan)', format: yuan, empty: 'nothing cleared today', label_px: 150 },
  );
  const participantChart = stackedBarChart(
    byParticipant.map((e) => ({
      label: partyLabel(e.p),
      parts: categories.map((c) => sumOf(e.lines.filter((l) => l.category === c).map((l) => l.gross_fen))),
    })),
    categories.map((c) => ({ name: `${c} ${categoryName(c)}` })),
    { title: 'Cleared gross by participant and category (yuan)', format: yuan, empty: 'nothing cleared today', label_px: 230 },
  );
  const all = totals(lines);
  const moneyHeads = [
    { head: 'Records', num: true },
    { head: 'Gross (yuan)', num: true },
    { head: 'Fee (yuan)', num: true },
    { head: 'Net (yuan)', num: true },
  ];
  const categoryTable = table(
    [{ head: 'Category' }, { head: 'Lines', num: true }, ...moneyHeads],
    byCategory.map((c) => [
      esc(`${c.category} ${categoryName(c.category)}`),
      count(c.lines),
      count(c.count),
      money(c.gross_fen),
      money(c.fee_fen),
      money(c.net_fen),
    ]),
    ['All categories', count(lines.length), count(all.count), money(all.gross_fen), money(all.fee_fen), money(all.net_fen)],
  );
  const participantTable = table(
    [{ head: 'Participant' }, { head: 'Kind' }, ...moneyHeads],
    byParticipant.map((e) => [party(e.p), esc(e.kind), count(e.count), money(e.gross_fen), money(e.fee_fen), money(e.net_fen)]),
    ['All participants', '', count(all.count), money(all.gross_fen), money(all.fee_fen), money(all.net_fen)],
  );
  const note =
    `<p class="note">Net is the centre's view: above zero the centre owes the participant, below zero the participant owes the centre. ` +
    `A remote card's purchase is in its acquirer's purchases and again in the national centre's interop out, so the categories add up to more ` +
    `than the day's cleared gross (${esc(yuan(data.summary.cleared.gross_fen))} yuan, each record once). Per merchant: each participant's CLEARING_STATEMENT.</p>`;
  return section(
    'cleared',
    'Cleared today',
    figure('Cleared gross by category', categoryChart) +
      categoryTable +
      figure('Cleared gross by participant, stacked by category', participantChart) +
      participantTable +
      note,
  );
}

function settlementSection(data: DayReportData): string {
  const today = data.instructions.filter((i) => i.business_date === data.date);
  const earlier = data.instructions.filter((i) => i.business_date !== data.date);
  const centre = data.centre.id;
  const signed = (i: InstructionFacts) => (i.payer.id === centre ? i.amount_fen : -i.amount_fen);
  const counterparty = (i: InstructionFacts) => (i.payer.id === centre ? i.payee : i.payer);
  const chart = barChart(
    [...today]
      .sort((a, b) => signed(b) - signed(a) || (a.instruction_id < b.instruction_id ? -1 : 1))
      .map((i) => ({
        label: partyLabel(counterparty(i)),
        value: signed(i),
      })),
    {
      title: `Settlement of ${data.date} (yuan): right of zero the centre pays, left the participant pays`,
      format: yuan,
      empty: 'no instruction today',
      label_px: 230,
    },
  );
  const confirmedToday = earlier.filter((i) => i.confirmed !== null && i.confirmed.on === data.date);
  const awaiting = data.instructions.filter((i) => i.confirmed === null);
  const row = (i: InstructionFacts) => [
    `<span class="mono nw">${esc(i.instruction_id)}</span>`,
    party(i.payer),
    party(i.payee),
    money(i.amount_fen),
    i.confirmed === null
      ? '<span class="unknown">awaiting the bank</span>'
      : esc(`confirmed ${i.confirmed.on} (value date ${i.confirmed.value_date}, bank ref ${i.confirmed.bank_ref})`),
  ];
  const heads = [{ head: 'Instruction' }, { head: 'Payer' }, { head: 'Payee' }, { head: 'Amount (yuan)', num: true }, { head: 'Bank' }];
  const summary =
    `<p>Today's ${count(today.length)} instruction(s): the centre pays out ${esc(yuan(data.summary.settlement.pay_out_fen))} yuan ` +
    `and collects ${esc(yuan(data.summary.settlement.collect_fen))} yuan. Confirmed by the bank today: ${count(confirmedToday.length)} earlier ` +
    `instruction(s), ${esc(yuan(sumOf(confirmedToday.map((i) => i.amount_fen))))} yuan. Awaiting the bank at the close: ${count(awaiting.length)} ` +
    `instruction(s), ${esc(yuan(sumOf(awaiting.map((i) => i.amount_fen))))} yuan (a payment is confirmed by a bank line that matches it exactly).</p>`;
  const earlierTable =
    earlier.length === 0
      ? '<p class="note">No earlier instruction was confirmed today or is still awaiting the bank.</p>'
      : `<h3>Earlier instructions: confirmed today, or still awaiting the bank</h3>${table(heads, earlier.map(row))}`;
  return section(
    'settlement',
    'Settlement: who pays whom',
    summary +
      figure("Today's instructions by participant", chart) +
      `<h3>Today's instructions</h3>` +
      (today.length === 0 ? '<p class="note">No instruction today: every net was zero.</p>' : table(heads, today.map(row))) +
      earlierTable,
  );
}

/**
 * The corrections posted today: each one's money is already in its participant's
 * statement and instruction above; this says who decided it and why.
 */
function correctionsSection(data: DayReportData): string {
  const list = data.corrections ?? [];
  const what = (c: CorrectionFacts) =>
    c.kind === 'release' ? `release of ${code(c.record ?? '')}` : esc(`adjustment against ${c.account}`);
  const body =
    list.length === 0
      ? '<p>No correction was posted today.</p>'
      : `<p>${count(list.length)} correction(s), each proposed by one operator and approved by another; the amounts are in the participants' statements and instructions above (above zero the centre owes the participant more). A release is paid out of suspense:blacklist, less its group's fee.</p>` +
        table(
          [
            { head: 'Correction' },
            { head: 'Participant' },
            { head: 'What' },
            { head: 'Amount (yuan)', num: true },
            { head: 'Proposed by' },
            { head: 'Approved by' },
            { head: 'Note', text: true },
          ],
          list.map((c) => [
            `<span class="mono nw">${esc(c.id)}</span>`,
            party(c.participant),
            what(c) + (c.item === null ? '' : `<br><span class="note">settles ${code(c.item)}</span>`),
            money(c.amount_fen),
            esc(c.proposed_by),
            esc(c.approved_by),
            esc(c.note),
          ]),
        );
  return section('corrections', 'Corrections posted', body);
}

function reconciliationSection(data: DayReportData): string {
  const k = data.kinds;
  const kindsTable = table(
    [
      { head: 'Kind' },
      { head: 'Matched today', num: true },
      { head: 'LOCAL_ONLY', num: true },
      { head: 'REMOTE_ONLY', num: true },
      { head: 'AMOUNT_MISMATCH', num: true },
    ],
    (['uploads', 'national', 'bank'] as const).map((kind) => [
      esc(KIND_NAMES[kind]),
      count(k[kind].matched),
      count(k[kind].local_only),
      count(k[kind].remote_only),
      count(k[kind].amount_mismatch),
    ]),
  );
  const groups = new Map<string, OpenItemFacts[]>();
  for (const i of data.open_items) {
    const key = `${i.kind}\u0000${i.category}`;
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  }
  const kindOrder = (kind: string) => {
    const n = Object.keys(KIND_NAMES).indexOf(kind);
    return n === -1 ? 99 : n;
  };
  const ordered = [...groups.values()].sort(
    (a, b) => kindOrder(a[0]!.kind) - kindOrder(b[0]!.kind) || (a[0]!.category < b[0]!.category ? -1 : 1),
  );
  const groupLabel = (g: OpenItemFacts[]) => `${g[0]!.kind} ${g[0]!.category}`;
  const ageChart = stackedBarChart(
    ordered.map((g) => ({
      label: groupLabel(g),
      parts: AGE_BUCKETS.map((_, n) => g.filter((i) => bucketOf(i.age_days) === n).length),
    })),
    AGE_BUCKETS.map((b, n) => ({ name: b.name, colour: [PALETTE[2], PALETTE[4], PALETTE[1], PALETTE[5], PALETTE[3]][n] })),
    { title: 'Open reconciliation items by kind, category and age', format: count, empty: 'no open item', label_px: 200 },
  );
  const groupTable = table(
    [
      { head: 'Kind' },
      { head: 'Category' },
      { head: 'Open', num: true },
      { head: 'Opened today', num: true },
      { head: 'Oldest (days)', num: true },
      { head: 'At stake (yuan)', num: true },
      { head: 'Records missing', num: true },
    ],
    ordered.map((g) => {
      const known = g.filter((i) => i.at_stake_fen !== null);
      const missing = g.filter((i) => i.missing_records !== null);
      return [
        esc(KIND_NAMES[g[0]!.kind as keyof typeof KIND_NAMES] ?? g[0]!.kind),
        esc(reconCategoryName(g[0]!.category)),
        count(g.length),
        count(g.filter((i) => i.age_days === 0).length),
        count(oldestAge(g)),
        known.length === 0 ? 'unknown' : money(sumOf(known.map((i) => i.at_stake_fen!))),
        missing.length === 0 ? '' : count(sumOf(missing.map((i) => i.missing_records!))),
      ];
    }),
    [
      'All open items',
      '',
      count(data.open_items.length),
      count(data.open_items.filter((i) => i.age_days === 0).length),
      data.open_items.length === 0 ? '' : count(oldestAge(data.open_items)),
      money(sumOf(data.open_items.map((i) => i.at_stake_fen ?? 0))),
      '',
    ],
  );
  const oldest = [...data.open_items]
    .sort((a, b) => b.age_days - a.age_days || (b.at_stake_fen ?? -1) - (a.at_stake_fen ?? -1) || (a.id < b.id ? -1 : 1))
    .slice(0, LIST_MAX);
  const itemsTable =
    oldest.length === 0
      ? ''
      : `<h3>The oldest open items${data.open_items.length > LIST_MAX ? ` (${LIST_MAX} of ${count(data.open_items.length)}; all: reconciliation.json, or lct recon items)` : ''}</h3>` +
        table(
          [
            { head: 'Kind, category' },
            { head: 'About' },
            { head: 'Participant' },
            { head: 'Opened' },
            { head: 'Age (days)', num: true },
            { head: 'At stake (yuan)', num: true },
            { head: 'Records missing', num: true },
          ],
          oldest.map((i) => [
            esc(`${i.kind} ${i.category}`),
            code(i.ref),
            i.participant === null ? '' : party(i.participant),
            `<span class="nw">${esc(i.opened)}</span>`,
            count(i.age_days),
            i.at_stake_fen === null ? 'unknown' : money(i.at_stake_fen),
            i.missing_records === null ? '' : count(i.missing_records),
          ]),
        );
  return section(
    'reconciliation',
    'Reconciliation',
    `<p>Matched: matched today. The other counts are the items open at the end of the day: LOCAL_ONLY, ours and not theirs; REMOTE_ONLY, theirs and not ours (for uploads the only one: a terminal's record we never got); AMOUNT_MISMATCH, both, disagreeing.</p>` +
      kindsTable +
      figure('Open items by kind and category, by age', ageChart) +
      groupTable +
      `<p class="note">At stake: the amount of the instruction, bank line or record in question (for a mismatch, the larger side); for the card float, the balance jump across the gap or break. A terminal's missing records have no known amount until they arrive.</p>` +
      itemsTable,
  );
}

const KIND_NAMES = {
  uploads: 'uploads (terminal completeness)',
  national: 'national centre',
  bank: 'bank',
  float: 'card float',
} as const;

/** The oldest age among items (a loop: a spread of a hundred thousand items would overflow the call). */
function oldestAge(items: readonly OpenItemFacts[]): number {
  let oldest = 0;
  for (const i of items) oldest = Math.max(oldest, i.age_days);
  return oldest;
}

function bucketOf(age_days: number): number {
  return AGE_BUCKETS.findIndex((b) => age_days <= b.max);
}

function floatSection(data: DayReportData): string {
  const f = data.kinds.float;
  const unexplained = f.difference_fen - f.explained_fen;
  const figures: [string, number][] = [
    ['Ledger: float:cards gained', f.ledger_movement_fen],
    ['Cards: stored value gained', f.cards_movement_fen],
    ['Difference (cards − ledger)', f.difference_fen],
    ['Explained by open gaps and breaks', f.explained_fen],
    ['Not explained', unexplained],
  ];
  const chart = barChart(
    figures.map(([label, value]) => ({ label, value })),
    { title: 'The card float over the whole history (yuan)', format: yuan, label_px: 230 },
  );
  return section(
    'float',
    'The card float: ledger against cards',
    `<p>The cards' stored value gained, by the ledger (credits minus debits of float:cards) and by the cards themselves (per card, its last balance after minus its first balance before), over the whole history to the end of the day; ` +
      `the open sequence gaps (${count(f.seq_gaps)}) and balance breaks (${count(f.balance_breaks)}) explain ${esc(percent(f.explained_fen, f.difference_fen))} of the difference.</p>` +
      figure('The card float', chart) +
      table(
        [{ head: 'Figure' }, { head: 'Amount (yuan)', num: true }],
        figures.map(([label, value]) => [esc(label), money(value)]),
      ),
  );
}

function exceptionsSection(data: DayReportData): string {
  const x = data.exceptions;
  const rows: [string, number][] = [
    ['Key conflicts (E09 KEY_CONFLICT): a counter spent twice', x.key_conflicts.length],
    ['Suspended records (S01 BLACKLISTED)', x.suspended.length],
    ['Loads on blacklisted cards (accepted)', x.blacklisted_loads.length],
    ["Cards' sequence gaps opened today", x.card_seq_gaps],
    ["Cards' balance breaks opened today", x.balance_breaks],
    ["Terminals' sequence gaps opened today", x.terminal_seq_gaps],
  ];
  const counts = table(
    [{ head: 'Exception' }, { head: 'Count', num: true }],
    rows.map(([what, n]) => [esc(what), count(n)]),
  );
  const recordHeads = [
    { head: 'Card' },
    { head: 'Counter', num: true },
    { head: 'Type' },
    { head: 'Amount (yuan)', num: true },
    { head: 'Terminal and its counter' },
    { head: 'Acquirer, merchant' },
    { head: 'Occurred' },
  ];
  const recordRow = (r: RecordFacts) => [
    `<span class="mono nw">${esc(r.card_no)}</span>`,
    count(r.card_seq),
    esc(txnTypeName(r.txn_type)),
    money(r.amount_fen),
    `<span class="mono nw">${esc(r.terminal_id)}</span> <span class="mono nw">#${esc(String(r.terminal_seq))}</span>`,
    `${party(r.acquirer)}<br>${party(r.merchant)}`,
    isoMoment(r.occurred_at)
      .split(' ')
      .map((part) => `<span class="nw">${esc(part)}</span>`)
      .join(' '),
  ];
  const list = (heading: string, records: readonly RecordFacts[]) =>
    records.length === 0
      ? ''
      : `<h3>${esc(heading)}${more(records.length)}</h3>${table(recordHeads, records.slice(0, LIST_MAX).map(recordRow))}`;
  const conflicts =
    x.key_conflicts.length === 0
      ? ''
      : `<h3>Key conflicts: tonight's record beside the one already held${more(x.key_conflicts.length)}</h3>` +
        table(
          [{ head: 'Record' }, ...recordHeads],
          x.key_conflicts.slice(0, LIST_MAX).flatMap((c) => [
            ['tonight (E09)', ...recordRow(c.record)],
            ['held', ...recordRow(c.held)],
          ]),
        );
  return section(
    'exceptions',
    'Exceptions of the day',
    counts + conflicts + list('Suspended records', x.suspended) + list('Loads on blacklisted cards', x.blacklisted_loads),
  );
}

function more(n: number): string {
  return n > LIST_MAX ? ` (${LIST_MAX} of ${count(n)}; all: exceptions.json)` : '';
}

function refusedSection(data: DayReportData): string {
  const body =
    data.refused_files.length === 0
      ? '<p>No file was refused.</p>'
      : table(
          [{ head: 'File' }, { head: 'Sender' }, { head: 'Code' }, { head: 'What was wrong', text: true }],
          data.refused_files.map((f) => [code(f.file), party(f.sender, 'none in the file name'), esc(refusalName(f.code)), esc(f.detail)]),
        );
  return section('refused', 'Refused files', body);
}

function trendSection(data: DayReportData): string {
  const t = data.trend;
  const days = t.length;
  const chart = (title: string, values: number[], format: (v: number) => string) =>
    figure(
      title,
      lineChart(
        t.map((d, i) => ({ label: d.date, value: values[i]! })),
        { title, format, height: 110, empty: 'no closed day yet' },
      ),
    );
  return section(
    'trends',
    `Trends: the last ${count(days)} closed day(s)`,
    '<div class="trends">' +
      chart(
        "Records in each night's files",
        t.map((d) => d.records),
        count,
      ) +
      chart(
        'Cleared gross (yuan)',
        t.map((d) => d.cleared_gross_fen),
        yuan,
      ) +
      chart(
        'Open reconciliation items at the close',
        t.map((d) => d.open_items),
        count,
      ) +
      '</div>' +
      table(
        [{ head: 'Day' }, { head: 'Records', num: true }, { head: 'Cleared gross (yuan)', num: true }, { head: 'Open items', num: true }],
        [...t].reverse().map((d) => [esc(d.date), count(d.records), money(d.cleared_gross_fen), count(d.open_items)]),
      ),
  );
}

// ---- small pieces of markup

interface Column {
  head: string;
  /** A number: right-aligned, never wrapped. */
  num?: boolean;
  /** Free text from outside (a refusal's detail): may break anywhere, a digest too. */
  text?: boolean;
}

/** A table with its header row; cells are markup already escaped; `foot` is a totals row. */
function table(columns: readonly Column[], rows: readonly (readonly string[])[], foot?: readonly string[]): string {
  const cls = (c: Column) => (c.num ? ' class="n"' : c.text ? ' class="text"' : '');
  for (const r of rows) assert.equal(r.length, columns.length, 'a row has a cell per column');
  const head = `<thead><tr>${columns.map((c) => `<th${cls(c)}>${esc(c.head)}</th>`).join('')}</tr></thead>`;
  const body = `<tbody>${rows.map((r) => `<tr>${r.map((cell, i) => `<td${cls(columns[i]!)}>${cell}</td>`).join('')}</tr>`).join('')}</tbody>`;
  const tail = foot ? `<tfoot><tr>${foot.map((cell, i) => `<td${cls(columns[i]!)}>${esc(cell)}</td>`).join('')}</tr></tfoot>` : '';
  return `<table>${head}${body}${tail}</table>`;
}

function section(id: string, heading: string, body: string): string {
  return `<section id="${esc(id)}"><h2>${esc(heading)}</h2>${body}</section>`;
}

function figure(caption: string, svg: string): string {
  return `<figure><figcaption>${esc(caption)}</figcaption>${svg}</figure>`;
}

/** An identifier in monospace that may wrap after its separators (file names, item refs), nowhere else. */
function code(text: string): string {
  const pieces = text.split(/(?<=[_/#.])/);
  return `<span class="mono">${pieces.map(esc).join('<wbr>')}</span>`;
}

/** An amount cell: yuan, negative ones marked. */
function money(fen: number): string {
  return fen < 0 ? `<span class="neg">${esc(yuan(fen))}</span>` : esc(yuan(fen));
}

/** A party as markup: its name, then its id; an id the participants file does not know says so; `none` for no id at all. */
function party(p: Party, none = ''): string {
  if (p.id === '') return none === '' ? '' : `<span class="unknown">${esc(none)}</span>`;
  if (p.name === null) return `<span class="id">${esc(p.id)}</span> <span class="unknown">not a participant</span>`;
  return `${esc(p.name)} <span class="id">${esc(p.id)}</span>`;
}

/** A party as chart text: the name (the tables beside the chart give the id). */
function partyLabel(p: Party): string {
  return p.name === null ? `${p.id} (not a participant)` : p.name;
}

function totals(lines: readonly StatementLineFacts[]): { count: number; gross_fen: number; fee_fen: number; net_fen: number } {
  return {
    count: sumOf(lines.map((l) => l.count)),
    gross_fen: sumOf(lines.map((l) => l.gross_fen)),
    fee_fen: sumOf(lines.map((l) => l.fee_fen)),
    net_fen: sumOf(lines.map((l) => l.net_fen)),
  };
}

function sumOf(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  assert(Number.isSafeInteger(s), 'a sum of fen stays a safe integer');
  return s;
}
