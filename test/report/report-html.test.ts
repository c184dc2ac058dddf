// reports/YYYYMMDD/report.html: the page as a pure function of its data (every
// section, yuan, names, escaping, nothing from elsewhere), the store's gatherer on
// the spec's worked example run by the real batch (a closed day's page does not
// change when later days close), and the page in headless Chromium: no console
// error, every chart drawn with a size, no request but the page itself, and nothing
// wider than an A4 page when printed.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { renderDayReportHtml } from '../../src/report/day-report';
import type { DayReportData, ExceptionsJson, ReconciliationJson, SummaryJson } from '../../src/report/day-report-data';
import { dayReportData, writeDayReportHtml } from '../../src/store/day-report-data';
import { senderInName } from '../../src/files/names';
import { parseParticipants } from '../../src/core/config';
import type { Participants } from '../../src/core/config-types';
import { openStore } from '../../src/store/db';
import { EXAMPLE_DIR } from '../spec-vectors';

const LCT = path.join(__dirname, '../../../bin/lct.js');
const CHROMIUM = '/usr/bin/chromium';
const SECTIONS = [
  'headline',
  'verdicts',
  'cleared',
  'settlement',
  'corrections',
  'reconciliation',
  'float',
  'exceptions',
  'refused',
  'trends',
];
const HOSTILE = `<img src=x onerror="alert(1)"></table>&'\u0001`;

// ---- a day made up for the pure tests: one of everything, and hostile text where files put text

function party(id: string, name: string | null = `Name of ${id}`) {
  return { id, name };
}

function madeUpDay(overrides: Partial<DayReportData> = {}): DayReportData {
  const summary: SummaryJson = {
    date: '2026-01-08',
    files: { imported: 27, skipped: 1, refused: 2 },
    records: { accepted: 3099, rejected: 51, suspended: 16, pending_interop: 168 },
    national_rejected: 10,
    cleared: { count: 3221, gross_fen: 12_345_678 },
    settlement: { instructions: 2, pay_out_fen: 6_921_916, collect_fen: 123_450 },
    open_mismatches: 4,
    exit_code: 3,
    exit_reasons: ['2 refused file(s)', '4 key conflict(s)'],
  };
  const record = (card_seq: number, txn_type: number, amount_fen: number) => ({
    card_no: '41010001428667000653',
    card_seq,
    txn_type,
    amount_fen,
    terminal_id: '0B296E444CDF',
    terminal_seq: 670818,
    acquirer: party('41010101', '郑州公交 Bus Group'),
    merchant: party('410101010000001', 'Depot No.1'),
    occurred_at: '20260108050709',
  });
  return {
    date: '2026-01-08',
    centre: party('41010000', 'Zhengzhou City Card Clearing Centre'),
    summary,
    journal: { entries: 101, head: 'ab'.repeat(32) },
    verdicts: [
      { status: 'ACCEPTED', reason: '', count: 3099 },
      { status: 'PENDING_INTEROP', reason: '', count: 168 },
      { status: 'REJECTED', reason: 'E01', count: 3 },
      { status: 'REJECTED', reason: 'E09', count: 48 },
      { status: 'SUSPENDED', reason: 'S01', count: 16 },
    ],
    national_rejections: [{ reason: 'N05', count: 10 }],
    statement_lines: [
      {
        participant: party('41010101', HOSTILE),
        participant_kind: 'transit acquirer',
        category: 1,
        merchant: party('410101010000001', 'Depot No.1'),
        count: 1358,
        gross_fen: 12_345_67,
        fee_fen: 617,
        net_fen: 12_339_50,
        fee_rate: '0.0005',
      },
      {
        participant: party('41010201', 'ICBC top-up'),
        participant_kind: 'top-up agent',
        category: 2,
        merchant: party('410120100000001', 'ICBC Jinshui'),
        count: 10,
        gross_fen: 123_450,
        fee_fen: 0,
        net_fen: -123_450,
        fee_rate: '0',
      },
    ],
    instructions: [
      {
        instruction_id: '20260108-41010101',
        business_date: '2026-01-08',
        payer: party('41010000'),
        payee: party('41010101', HOSTILE),
        amount_fen: 12_339_50,
        confirmed: null,
      },
      {
        instruction_id: '20260107-41010201',
        business_date: '2026-01-07',
        payer: party('41010201', 'ICBC top-up'),
        payee: party('41010000'),
        amount_fen: 99_999,
        confirmed: { on: '2026-01-08', value_date: '2026-01-08', bank_ref: 'B6010808' },
      },
    ],
    kinds: {
      uploads: { matched: 0, local_only: 0, remote_only: 1, amount_mismatch: 0 },
      national: { matched: 132, local_only: 0, remote_only: 0, amount_mismatch: 0 },
      bank: { matched: 9, local_only: 1, remote_only: 0, amount_mismatch: 1 },
      float: {
        ledger_movement_fen: -3_694_349,
        cards_movement_fen: -3_588_400,
        difference_fen: 105_949,
        explained_fen: 105_949,
        seq_gaps: 1,
        balance_breaks: 0,
      },
    },
    open_items: [
      {
        id: 'bank:LOCAL_ONLY:20260105-00000001',
        kind: 'bank',
        category: 'LOCAL_ONLY',
        ref: '20260105-00000001',
        participant: party('00000001', 'National Interop Centre'),
        opened: '2026-01-07',
        age_days: 1,
        at_stake_fen: 615_914,
        missing_records: null,
      },
      {
        id: 'bank:AMOUNT_MISMATCH:BANK_10000001_20260107_0001.csv#10',
        kind: 'bank',
        category: 'AMOUNT_MISMATCH',
        ref: '20260106-41010202',
        participant: party('41010202', null),
        opened: '2026-01-05',
        age_days: 3,
        at_stake_fen: 3_109_619,
        missing_records: null,
      },
      {
        id: 'uploads:REMOTE_ONLY:41010101/0B296E444CDF:669257-670125',
        kind: 'uploads',
        category: 'REMOTE_ONLY',
        ref: '41010101/0B296E444CDF',
        participant: party('41010101'),
        opened: '2026-01-08',
        age_days: 0,
        at_stake_fen: null,
        missing_records: 869,
      },
      {
        id: 'float:SEQ_GAP:41010001/41010001002642855037:24680-24680',
        kind: 'float',
        category: 'SEQ_GAP',
        ref: '41010001/41010001002642855037',
        participant: null,
        opened: '2026-01-08',
        age_days: 0,
        at_stake_fen: 105_949,
        missing_records: null,
      },
    ],
    exceptions: {
      key_conflicts: [{ record: record(18404, 6, 51), held: record(18404, 9, 50) }],
      suspended: [record(28409, 6, 100)],
      blacklisted_loads: [record(28410, 2, 5000)],
      card_seq_gaps: 1,
      balance_breaks: 0,
      terminal_seq_gaps: 1,
    },
    refused_files: [
      {
        file: 'TXN_UPLOAD_41010101_41010000_20260108_0004.pb',
        sender: party('41010101'),
        code: 'F02',
        detail: `total_amount_fen 824, ${HOSTILE}`,
      },
      { file: 'NOT_A_NAME.pb', sender: { id: '', name: null }, code: 'F05', detail: 'name does not follow the pattern' },
    ],
    trend: [
      { date: '2026-01-06', records: 2971, cleared_gross_fen: 9_704_666, open_items: 352 },
      { date: '2026-01-07', records: 2710, cleared_gross_fen: 11_853_482, open_items: 792 },
      { date: '2026-01-08', records: 3334, cleared_gross_fen: 12_345_678, open_items: 4 },
    ],
    ...overrides,
  };
}

function emptyDay(): DayReportData {
  const day = madeUpDay();
  return {
    ...day,
    summary: {
      ...day.summary,
      files: { imported: 0, skipped: 0, refused: 0 },
      records: { accepted: 0, rejected: 0, suspended: 0, pending_interop: 0 },
      national_rejected: 0,
      cleared: { count: 0, gross_fen: 0 },
      settlement: { instructions: 0, pay_out_fen: 0, collect_fen: 0 },
      open_mismatches: 0,
      exit_code: 0,
      exit_reasons: [],
    },
    journal: null,
    verdicts: [],
    national_rejections: [],
    statement_lines: [],
    instructions: [],
    open_items: [],
    exceptions: { key_conflicts: [], suspended: [], blacklisted_loads: [], card_seq_gaps: 0, balance_breaks: 0, terminal_seq_gaps: 0 },
    refused_files: [],
    trend: [{ date: '2026-01-08', records: 0, cleared_gross_fen: 0, open_items: 0 }],
  };
}

/** The page's text content, roughly: tags dropped, the five entities decoded. */
function textOf(html: string): string {
  return html
    .replace(/<style>[\s\S]*?<\/style>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!)
    .replace(/\s+/g, ' ');
}

/** The cells of the table that follows `heading` (the first table after it), as text. */
function tableAfter(html: string, heading: string): string[][] {
  const at = html.indexOf(heading);
  assert(at >= 0, `heading ${heading}`);
  const table = html.slice(html.indexOf('<table>', at), html.indexOf('</table>', at));
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => textOf(c[1]!).trim()),
  );
}

test('the page has every section, a header row on every table, a chart in every section that draws one', () => {
  const html = renderDayReportHtml(madeUpDay());
  for (const id of SECTIONS) assert(html.includes(`<section id="${id}">`), `section ${id}`);
  const tables = html.match(/<table>/g)!.length;
  assert.equal(html.match(/<table><thead><tr><th/g)!.length, tables, 'every table starts with its header row');
  assert(tables >= 12, `tables: ${tables}`);
  // verdicts 2, cleared 2, settlement 1, reconciliation 1, float 1, trends 3
  assert.equal(html.match(/<svg /g)!.length, 10);
  assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
});

test('amounts are yuan with two decimals under headers that name the unit; dates are YYYY-MM-DD', () => {
  const html = renderDayReportHtml(madeUpDay());
  const cleared = tableAfter(html, 'Cleared gross by category</figcaption>');
  assert.deepEqual(cleared[0], ['Category', 'Lines', 'Records', 'Gross (yuan)', 'Fee (yuan)', 'Net (yuan)']);
  assert.deepEqual(cleared[1], ['1 purchases', '1', '1,358', '12,345.67', '6.17', '12,339.50']);
  assert.deepEqual(cleared[2], ['2 loads', '1', '10', '1,234.50', '0.00', '-1,234.50']);
  assert.deepEqual(cleared[3], ['All categories', '2', '1,368', '13,580.17', '6.17', '11,105.00']);
  assert.match(html, /<span class="neg">-1,234\.50<\/span>/, 'a negative amount is marked');
  // Every header of a column of money names the unit.
  for (const th of html.match(/<th[^>]*>[^<]*<\/th>/g)!) {
    if (/Gross|Fee|Net|Amount|At stake/.test(th)) assert.match(th, /\(yuan\)/, th);
  }
  const text = textOf(html);
  assert(!text.includes('12345678'), 'no amount is shown in fen');
  assert(text.includes('123,456.78'), 'the cleared gross in yuan');
  assert(text.includes('-36,943.49'), 'the float, negative');
  const trend = tableAfter(html, 'Open reconciliation items at the close</figcaption>');
  assert.deepEqual(trend[0], ['Day', 'Records', 'Cleared gross (yuan)', 'Open items']);
  assert.deepEqual(trend[1], ['2026-01-08', '3,334', '123,456.78', '4'], 'newest day first');
  assert(text.includes('2026-01-08 05:07:09'), 'a moment as YYYY-MM-DD hh:mm:ss');
});

test('names beside ids; reason codes, refusal codes and transaction types by name', () => {
  const text = textOf(renderDayReportHtml(madeUpDay()));
  for (const s of [
    'ICBC top-up 41010201',
    'Zhengzhou City Card Clearing Centre 41010000',
    '郑州公交 Bus Group 41010101',
    '41010202 not a participant',
    'E01 MALFORMED',
    'E09 KEY_CONFLICT',
    'S01 BLACKLISTED',
    'E05 TAC',
    'N:N05 rejected by the national centre',
    'F02 TRAILER_MISMATCH',
    'F05 NAME_MISMATCH',
    'composite purchase',
    'load',
    'none in the file name',
    'confirmed 2026-01-08 (value date 2026-01-08, bank ref B6010808)',
    'awaiting the bank',
  ]) {
    assert(text.includes(s), s);
  }
});

test('text from participants and their files is escaped: no markup of theirs reaches the page', () => {
  const html = renderDayReportHtml(madeUpDay());
  assert.doesNotMatch(html, /<img|onerror="|<\/table>&/);
  assert(html.includes('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&lt;/table&gt;&amp;&#39;\u2401'));
  assert.equal(html.match(/<table>/g)!.length, html.match(/<\/table>/g)!.length);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the check is that none are left
  assert.doesNotMatch(html, /[\u0000-\u0009\u000b-\u001f\u007f]/, 'no control character but the newlines between parts');
});

test('the page needs nothing but itself: no script, no link, no source, no url, and a policy that fetches nothing', () => {
  const html = renderDayReportHtml(madeUpDay());
  for (const tag of html.match(/<[a-z][^>]*>/gi)!) {
    assert.doesNotMatch(tag, /^<(script|link|iframe|img|object|embed|base)\b/i, tag);
    assert.doesNotMatch(tag, /\s(src|href|srcset|action|data)=/i, tag);
  }
  assert.doesNotMatch(html.match(/<style>[\s\S]*<\/style>/)![0], /url\(|@import/);
  assert.deepEqual(
    [...new Set(html.match(/https?:\/\/[^\s"')]+/g))],
    ['http://www.w3.org/2000/svg'],
    'the only address is the SVG namespace, never fetched',
  );
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">/);
  assert.match(html, /@page \{ size: A4;/);
  assert.match(html, /@media print/);
});

test('reconciliation: open items by kind and category, with their age and the money at stake', () => {
  const html = renderDayReportHtml(madeUpDay());
  const rows = tableAfter(html, 'Open items by kind and category, by age</figcaption>');
  assert.deepEqual(rows[0], ['Kind', 'Category', 'Open', 'Opened today', 'Oldest (days)', 'At stake (yuan)', 'Records missing']);
  const byKind = new Map(rows.slice(1).map((r) => [`${r[0]} ${r[1]}`, r.slice(2)]));
  assert.deepEqual(byKind.get('uploads (terminal completeness) REMOTE_ONLY (theirs, not ours)'), ['1', '1', '0', 'unknown', '869']);
  assert.deepEqual(byKind.get('bank AMOUNT_MISMATCH'), ['1', '0', '3', '31,096.19', '']);
  assert.deepEqual(byKind.get('bank LOCAL_ONLY (ours, not theirs)'), ['1', '0', '1', '6,159.14', '']);
  assert.deepEqual(byKind.get('card float SEQ_GAP (missing card counter)'), ['1', '1', '0', '1,059.49', '']);
  assert.deepEqual(rows[rows.length - 1], ['All open items', '', '4', '2', '3', '38,314.82', '']);
  const oldest = tableAfter(html, 'The oldest open items');
  assert.equal(oldest[1]![0], 'bank AMOUNT_MISMATCH', 'the oldest first');
});

test('a store with 200,000 open items: the page counts them all and lists the oldest 20', () => {
  const base = madeUpDay().open_items[2]!;
  const items = Array.from({ length: 200_000 }, (_, i) => ({ ...base, id: `uploads:REMOTE_ONLY:x:${i}-${i}`, age_days: i % 40 }));
  const html = renderDayReportHtml(madeUpDay({ open_items: items }));
  const rows = tableAfter(html, 'Open items by kind and category, by age</figcaption>');
  assert.deepEqual(rows[rows.length - 1]!.slice(0, 5), ['All open items', '', '200,000', '5,000', '39']);
  assert.equal(tableAfter(html, 'The oldest open items').length, 1 + 20);
  assert.match(textOf(html), /The oldest open items \(20 of 200,000; all: reconciliation\.json, or lct recon items\)/);
});

test('a day with nothing still draws every chart, each with a box that says so', () => {
  const html = renderDayReportHtml(emptyDay());
  assert.equal(html.match(/<svg /g)!.length, 10);
  for (const m of html.matchAll(/<svg [^>]*width="([\d.]+)" height="([\d.]+)"/g)) assert(Number(m[1]) > 0 && Number(m[2]) > 0);
  const text = textOf(html);
  for (const s of [
    'No file was refused.',
    'nothing cleared today',
    'no instruction today',
    'no open item',
    'no records tonight',
    'Done: nothing needs a person.',
  ]) {
    assert(text.includes(s), s);
  }
});

test('bad data is a bug, not a page: a date that is not YYYY-MM-DD, trends out of order', () => {
  assert.throws(() => renderDayReportHtml(madeUpDay({ date: '20260108' })), /YYYY-MM-DD/);
  const t = madeUpDay().trend;
  assert.throws(() => renderDayReportHtml(madeUpDay({ trend: [t[1]!, t[0]!] })), /in order/);
});

test('the sender a file name gives, also when the rest of the name is broken', () => {
  assert.equal(senderInName('TXN_UPLOAD_41010101_41010000_20260108_0004.pb'), '41010101');
  assert.equal(senderInName('INTEROP_IN_RESULT_00000001_41010000_20260108_0001.pb'), '00000001');
  assert.equal(senderInName('TXN_UPLOAD_41010201_41010000_20251230_003.pb'), '41010201');
  assert.equal(senderInName('BANK_10000001_20251231_0001.csv'), '10000001');
  assert.equal(senderInName('TXN_UPLOAD_4101010_41010000_20260108_0004.pb'), '');
  assert.equal(senderInName('README.txt'), '');
});

// ---- the worked example, run by the real batch

interface ExampleStore {
  work: string;
  db: string;
  participants: Participants;
  /** The page of night 1 written right after night 1 closed, before night 2 ran. */
  night1Before: string;
  /** The page of night 1 as the batch itself wrote it. */
  night1ByBatch: string;
}

function runNight(work: string, db: string, date: string): void {
  const D = date.replace(/-/g, '');
  const r = spawnSync(
    process.execPath,
    [
      LCT,
      'batch',
      '--date',
      date,
      '--inbox',
      path.join(EXAMPLE_DIR, 'inbox', D),
      '--outbox',
      path.join(work, 'outbox', D),
      '--db',
      db,
      '--config',
      path.join(EXAMPLE_DIR, 'participants.json'),
      '--keys',
      path.join(EXAMPLE_DIR, 'keys.json'),
      '--json',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 3, `lct batch ${date}: ${r.stderr}`);
}

function reportsOf(work: string, D: string): { summary: SummaryJson; reconciliation: ReconciliationJson; exceptions: ExceptionsJson } {
  const dir = path.join(work, 'outbox', D, 'reports', D);
  const read = (name: string) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
  return { summary: read('summary.json'), reconciliation: read('reconciliation.json'), exceptions: read('exceptions.json') };
}

/** Writes D's page beside its JSON reports, as the outbox will; returns the page. */
function writePage(store: Pick<ExampleStore, 'work' | 'db' | 'participants'>, D: string): string {
  const db = openStore(store.db, { readonly: true });
  try {
    const r = reportsOf(store.work, D);
    const file = writeDayReportHtml(
      db,
      store.participants,
      D,
      r.summary,
      r.reconciliation,
      r.exceptions,
      path.join(store.work, 'outbox', D, 'reports', D),
    );
    return fs.readFileSync(file, 'utf8');
  } finally {
    db.close();
  }
}

let example: ExampleStore | undefined;
after(() => {
  if (example) fs.rmSync(example.work, { recursive: true, force: true });
});
function exampleStore(): ExampleStore {
  if (example) return example;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-report-'));
  const db = path.join(work, 'lct.db');
  const parsed = parseParticipants(JSON.parse(fs.readFileSync(path.join(EXAMPLE_DIR, 'participants.json'), 'utf8')));
  assert(parsed.ok);
  const participants = parsed.value;
  runNight(work, db, '2025-12-30');
  const night1ByBatch = fs.readFileSync(path.join(work, 'outbox', '20251230', 'reports', '20251230', 'report.html'), 'utf8');
  const night1Before = writePage({ work, db, participants }, '20251230');
  runNight(work, db, '2025-12-31');
  example = { work, db, participants, night1Before, night1ByBatch };
  return example;
}

function expectedNight(D: string): {
  summary: SummaryJson;
  inbox: { name: string; outcome: string; code?: string }[];
  reconciliation: { kinds: { bank: { matched: number } } };
} {
  return JSON.parse(fs.readFileSync(path.join(EXAMPLE_DIR, 'expected', `${D}.json`), 'utf8'));
}

test('the worked example: a closed day written again after the next day closed is the same page, byte for byte', () => {
  const store = exampleStore();
  const again = writePage(store, '20251230');
  assert.equal(again, store.night1Before);
  // And night 1's instructions were still unconfirmed at its end, though night 2's bank statement confirmed some.
  assert.equal((again.match(/awaiting the bank<\/span>/g) ?? []).length, 9);
});

test('the worked example: the batch writes the page itself, and a rerun of the last closed day writes it again byte for byte', () => {
  const store = exampleStore();
  assert.equal(store.night1ByBatch, store.night1Before, "the batch's page is the gatherer's");
  const page = path.join(store.work, 'outbox', '20251231', 'reports', '20251231', 'report.html');
  const first = fs.readFileSync(page, 'utf8');
  fs.rmSync(page);
  runNight(store.work, store.db, '2025-12-31');
  assert.equal(fs.readFileSync(page, 'utf8'), first);
});

test("the worked example: the gatherer's figures agree with the day's summary and the spec's expected outcome", () => {
  const store = exampleStore();
  const D = '20251231';
  const db = openStore(store.db, { readonly: true });
  let data: DayReportData;
  try {
    const r = reportsOf(store.work, D);
    data = dayReportData(db, store.participants, D, r.summary, r.reconciliation, r.exceptions);
  } finally {
    db.close();
  }
  const expected = expectedNight(D);
  // Rejections and suspensions by reason code come from the store's records: they add up to the summary's counts.
  const byStatus = (s: string) => data.verdicts.filter((v) => v.status === s).reduce((n, v) => n + v.count, 0);
  assert.deepEqual(
    {
      accepted: byStatus('ACCEPTED'),
      rejected: byStatus('REJECTED'),
      suspended: byStatus('SUSPENDED'),
      pending_interop: byStatus('PENDING_INTEROP'),
    },
    expected.summary.records,
  );
  const rejections = data.verdicts.filter((v) => v.status === 'REJECTED');
  assert(rejections.length >= 5 && rejections.every((v) => /^E0\d$/.test(v.reason)), 'rejections by their E codes');
  assert.deepEqual(
    data.verdicts.filter((v) => v.status === 'SUSPENDED').map((v) => v.reason),
    ['S01'],
  );
  assert.equal(
    data.national_rejections.reduce((n, v) => n + v.count, 0),
    expected.summary.national_rejected,
  );
  assert.deepEqual(
    data.refused_files.map((f) => [f.file, f.code]),
    expected.inbox.filter((f) => f.outcome === 'refused').map((f) => [f.name, f.code]),
    'refused files in import order, with their codes',
  );
  const upload = data.refused_files.find((f) => f.file === 'TXN_UPLOAD_41010101_41020000_20251231_0001.pb')!;
  assert.deepEqual(upload.sender, { id: '41010101', name: store.participants.acquirers.find((a) => a.id === '41010101')!.name });
  assert(upload.detail.length > 0);

  // Settlement: each of today's instructions is its participant's net over its statement lines.
  const today = data.instructions.filter((i) => i.business_date === '2025-12-31');
  assert.equal(today.length, expected.summary.settlement.instructions);
  for (const i of today) {
    const centrePays = i.payer.id === data.centre.id;
    const p = centrePays ? i.payee : i.payer;
    const net = data.statement_lines.filter((l) => l.participant.id === p.id).reduce((s, l) => s + l.net_fen, 0);
    assert.equal(net, centrePays ? i.amount_fen : -i.amount_fen, i.instruction_id);
    assert.notEqual(p.name, null, `${p.id} has its name`);
    assert.equal(i.confirmed, null, "today's instructions wait for the bank");
  }
  // Night 2's bank statement confirmed 7 of night 1's 9 instructions; the other two still wait.
  const earlier = data.instructions.filter((i) => i.business_date === '2025-12-30');
  assert.equal(earlier.filter((i) => i.confirmed?.on === '2025-12-31').length, expected.reconciliation.kinds.bank.matched);
  assert.equal(earlier.filter((i) => i.confirmed === null).length, 2);

  // Open items: every one listed, aged from the day it opened.
  assert.equal(data.open_items.length, expected.summary.open_mismatches);
  for (const i of data.open_items) assert.equal(i.age_days, i.opened === '2025-12-31' ? 0 : 1, i.id);
  const bank = data.open_items.filter((i) => i.kind === 'bank');
  assert(bank.length >= 2 && bank.every((i) => i.at_stake_fen !== null && i.at_stake_fen > 0), 'bank items carry their amount');
  const gaps = data.open_items.filter((i) => i.kind === 'uploads');
  assert(
    gaps.every((i) => i.at_stake_fen === null && (i.missing_records ?? 0) >= 1),
    'terminal gaps: records missing, amount unknown',
  );
  const float = data.open_items.filter((i) => i.kind === 'float');
  assert(float.some((i) => (i.at_stake_fen ?? 0) > 0));

  assert.deepEqual(
    data.trend.map((t) => [t.date, t.cleared_gross_fen, t.open_items]),
    ['20251230', '20251231'].map((d) => {
      const s = expectedNight(d).summary;
      return [s.date, s.cleared.gross_fen, s.open_mismatches];
    }),
  );
  assert.equal(data.journal?.head.length, 64);
});

// ---- in the browser

interface PageFindings {
  errors: string[];
  requests: string[];
  charts: { width: number; height: number }[];
  printOverflow_px: number;
  markup: number;
}

async function openInChromium(files: string[]): Promise<PageFindings[]> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const out: PageFindings[] = [];
    for (const file of files) {
      const page = await context.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      const charts = await page.$$eval('svg', (svgs) =>
        svgs.map((s) => {
          const r = s.getBoundingClientRect();
          return { width: r.width, height: r.height };
        }),
      );
      const markup = await page.$$eval('script, img, iframe, link, object, embed', (els) => els.length);
      // Printed on A4 (210 mm less the page's 11 mm margins, at 96 px an inch): nothing may stick out.
      await page.setViewportSize({ width: Math.floor(((210 - 22) / 25.4) * 96), height: 1000 });
      await page.emulateMedia({ media: 'print' });
      // A string: this project's TypeScript has no DOM library.
      const printOverflow_px = (await page.evaluate(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      )) as number;
      out.push({ errors, requests, charts, printOverflow_px, markup });
      await page.close();
    }
    return out;
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

test('in headless Chromium: no console error, every chart drawn with a size, no request but the page, nothing wider than A4', async (t) => {
  if (!fs.existsSync(CHROMIUM)) {
    if (process.env.LCT_REQUIRE_BROWSER)
      assert.fail(`${CHROMIUM} is absent and LCT_REQUIRE_BROWSER is set: install chromium (apt-get install -y chromium fonts-noto-cjk)`);
    t.skip(`${CHROMIUM} is absent: the browser test of report.html did not run (set LCT_REQUIRE_BROWSER=1 to make this a failure)`);
    return;
  }
  const store = exampleStore();
  writePage(store, '20251231');
  const real = path.join(store.work, 'outbox', '20251231', 'reports', '20251231', 'report.html');
  const madeUp = path.join(store.work, 'made-up-report.html');
  fs.writeFileSync(madeUp, renderDayReportHtml(madeUpDay()));
  const empty = path.join(store.work, 'empty-report.html');
  fs.writeFileSync(empty, renderDayReportHtml(emptyDay()));
  const pages = [real, madeUp, empty];
  const findings = await openInChromium(pages);
  findings.forEach((f, i) => {
    const which = path.basename(pages[i]!);
    assert.deepEqual(f.errors, [], `${which}: console errors`);
    assert.deepEqual(f.requests, [pathToFileURL(pages[i]!).href], `${which}: the only request is the page itself`);
    assert.equal(f.charts.length, 10, `${which}: every chart is on the page`);
    for (const c of f.charts) assert(c.width > 0 && c.height > 0, `${which}: a chart of size ${c.width} x ${c.height}`);
    assert.equal(f.markup, 0, `${which}: no script, image, frame or link element (the hostile names stayed text)`);
    assert(f.printOverflow_px <= 0, `${which}: ${f.printOverflow_px} px wider than an A4 page`);
  });
});
