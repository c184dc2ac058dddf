// Reconciliation over five nights of a synthetic city (clearing-rules.md,
// "Reconciliation", "The ledger"; batch-cli.md, reconciliation.json). Between
// nights the national centre answers our INTEROP_OUT (rejections, a wrong amount, a
// verdict for a record never sent, two records left unanswered) and the bank
// executes our SETTLEMENT (a payment missing, a wrong amount, an instruction never
// issued); later a bank line for the missing payment and the verdicts for the
// unanswered records arrive late, and operators resolve two items. Every night the
// national and bank items open in the store must be exactly those that a plain
// model (support.ts) derives from the files the counterparties sent,
// settlement:in-transit must hold the instructions not yet confirmed, the journal
// must verify, and reconciliation.json must agree with the store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateScenario } from '../../fixtures/scenario';
import {
  answerInteropOut,
  executeSettlement,
  rejectCardsEndingIn7,
  type InteropAnswer,
  type SettlementExecution,
} from '../../fixtures/counterparties';
import type { Verdict } from '../../src/core/types';
import { verdictOf } from '../../src/core/types';
import { addDays } from '../../src/core/calendar';
import type { DaySummary, ReconciliationReport } from '../../src/core/reports';
import { openStore, type Db } from '../../src/store/db';
import { verifyJournal, accountBalances } from '../../src/store/journal';
import { getItem, openItemsAt } from '../../src/store/recon-items';
import { listItems, resolveItem } from '../../src/inquiry/inquiries';
import {
  ReconModel,
  assertReportAgreesWithStore,
  balanceOf,
  interopOutName,
  loadConfig,
  newItemReasons,
  nextSeqIn,
  readRecords,
  readReport,
  runNight,
  storeOpenKeys,
  writeBankStatement,
  writeInteropResult,
  type Config,
} from './support';

const NIGHTS = 5;
const RECORDS = 1000;
const UNANSWERED = 2;

interface Night {
  D: string;
  summary: DaySummary;
  report: ReconciliationReport;
  /** national/bank item keys open at the end of D: the store's and the model's. */
  store_open: string[];
  model_open: string[];
  in_transit_fen: number;
  model_in_transit_fen: number;
  verify_ok: boolean;
  /** Whether reconciliation.json agreed with the store right after the night (amounts of open float items change later). */
  report_problem: string | null;
  /** New national and bank items, by "kind CATEGORY": as the summary gives them, and as the model opened them. */
  new_items: Map<string, number>;
  model_new_items: Map<string, number>;
  /** Accounts that must be empty after the day's instructions are issued. */
  nonzero_payables: string[];
}

let work: string;
let db: Db;
let cfg: Config;
let dates: string[];
const nights: Night[] = [];
let answers: (InteropAnswer | null)[] = [];
let payments: (SettlementExecution | null)[] = [];
let model: ReconModel;
let lateBankLine: { file: string; instruction_id: string } | null = null;
let lateAnswer: { file: string; refs: string[]; verdicts: Verdict[] } | null = null;
let mismatchItemId = '';
let mismatchRecordId = 0;
let unknownBankItemId = '';
const resolutions: { id: string; by: string; note: string; effective: string; after_night: string }[] = [];

before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-recon-scenario-'));
  const scenario = generateScenario(work, { seed: 'recon-scenario', days: NIGHTS, records: RECORDS });
  dates = scenario.days.map((d) => d.date);
  cfg = loadConfig(work);
  db = openStore(path.join(work, 'lct.db'));
  model = new ReconModel(cfg);
  const inbox = (D: string) => path.join(work, 'inbox', D);
  const outbox = (D: string) => path.join(work, 'outbox', D);

  answers = [null];
  payments = [null];
  for (let n = 0; n < NIGHTS; n++) {
    const D = dates[n]!;
    if (n > 0) {
      const prev = outbox(dates[n - 1]!);
      // The national centre: rejections every night (cards ending in 7); on the
      // second night also a wrong amount, a verdict for a record never sent, and the
      // last records of the first INTEROP_OUT left unanswered.
      answers.push(
        answerInteropOut(prev, inbox(D), {
          date: D,
          reject: rejectCardsEndingIn7,
          wrong_amount: n === 1,
          unknown_verdict: n === 1,
          unanswered: n === 1 ? UNANSWERED : 0,
        }),
      );
      // The bank: the first night's first instruction goes unpaid and an unknown
      // instruction is reported; the second night's last one is paid wrong.
      payments.push(executeSettlement(prev, inbox(D), { date: D, missing: n === 1, wrong_amount: n === 2, unknown_instruction: n === 1 }));
    }
    if (n === 3) {
      // The missing payment of the first night arrives, late (after its D+2), in a
      // second statement of night 4.
      const missing = payments[1]!.missing_instruction!;
      const ins = readRecords(
        path.join(outbox(dates[0]!), `SETTLEMENT_${cfg.centre}_${cfg.bank}_${dates[0]}_0001.pb`),
        'SETTLEMENT',
      ).records.find((i) => i.instruction_id === missing)!;
      const file = writeBankStatement(inbox(D), cfg, D, nextSeqIn(inbox(D), 'BANK', D), [
        {
          value_date: D,
          instruction_id: ins.instruction_id,
          payer_id: ins.payer_id,
          payee_id: ins.payee_id,
          amount_fen: ins.amount_fen,
          bank_ref: 'LATE0001',
        },
      ]);
      lateBankLine = { file, instruction_id: missing };
    }
    if (n === 4) {
      // The national centre finally answers the records it left unanswered (after
      // their D+3): the first is accepted, the rest go by the usual rule.
      const ref_file = interopOutName(cfg, dates[0]!);
      const sent = readRecords(path.join(outbox(dates[0]!), ref_file), 'INTEROP_OUT').records;
      const verdicts: Verdict[] = [];
      for (let index = sent.length - UNANSWERED; index < sent.length; index++) {
        const r = sent[index]!;
        const code = index === sent.length - UNANSWERED ? null : rejectCardsEndingIn7(r);
        verdicts.push(verdictOf(index, r, r.amount_fen, code === null ? 'ACCEPTED' : 'REJECTED', code ?? ''));
      }
      const file = writeInteropResult(inbox(D), cfg, D, nextSeqIn(inbox(D), 'INTEROP_RESULT', D), ref_file, verdicts);
      lateAnswer = { file, refs: verdicts.map((v) => `${ref_file}#${v.index}`), verdicts };
    }

    model.night(D, inbox(D));
    const summary = runNight(db, cfg, D, inbox(D), outbox(D));
    model.wrote(D, outbox(D));
    const balances = accountBalances(db, D);
    const report = readReport(outbox(D), D);
    let report_problem: string | null = null;
    try {
      assertReportAgreesWithStore(db, D, report, summary);
    } catch (err) {
      report_problem = (err as Error).message;
    }
    nights.push({
      D,
      summary,
      report,
      report_problem,
      new_items: newItemReasons(summary),
      model_new_items: model.openedOn(D),
      store_open: storeOpenKeys(db, D),
      model_open: model.openAt(D),
      in_transit_fen: balanceOf(db, 'settlement:in-transit', D),
      model_in_transit_fen: model.inTransitFen(),
      verify_ok: verifyJournal(db).ok,
      nonzero_payables: balances.filter((b) => /^(payable|receivable):/.test(b.account) && b.balance_fen !== 0).map((b) => b.account),
    });

    // Operators, between nights: after night 3 the national AMOUNT_MISMATCH is
    // resolved, its record released to be cleared at our amount; after night 4 the
    // bank's line for an instruction never issued is resolved as a bank error.
    if (n === 2) {
      const item = openItemsAt(db, D, { kind: 'national' }).find((i) => i.category === 'AMOUNT_MISMATCH')!;
      mismatchItemId = item.id;
      mismatchRecordId = (JSON.parse(item.ours_json) as { record_id: number }).record_id;
      const r = resolveItem(db, item.id, 'Wang Fang', 'national centre confirmed our amount; clear it', `${addDay(D)}091500`, {
        clearRecord: true,
      });
      assert.ok(r.ok, JSON.stringify(r));
      if (!r.ok) throw new Error('unreachable');
      resolutions.push({
        id: item.id,
        by: 'Wang Fang',
        note: 'national centre confirmed our amount; clear it',
        effective: r.effective,
        after_night: D,
      });
      model.resolved(`national|AMOUNT_MISMATCH|${item.ref}`, r.effective);
    }
    if (n === 3) {
      const unknown = payments[1]!.unknown_instruction!;
      const item = openItemsAt(db, D, { kind: 'bank' }).find((i) => i.category === 'REMOTE_ONLY' && i.ref === unknown)!;
      unknownBankItemId = item.id;
      const r = resolveItem(db, item.id, 'Li Lei', 'bank error: reversed by the bank, ref RV-77', `${addDay(D)}100000`);
      assert.ok(r.ok, JSON.stringify(r));
      if (!r.ok) throw new Error('unreachable');
      resolutions.push({
        id: item.id,
        by: 'Li Lei',
        note: 'bank error: reversed by the bank, ref RV-77',
        effective: r.effective,
        after_night: D,
      });
      model.resolved(`bank|REMOTE_ONLY|${item.ref}`, r.effective);
    }
  }
});

after(() => {
  db?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function addDay(D: string): string {
  return addDays(D, 1);
}

test('the counterparties did what was asked of them', () => {
  const first = answers[1]!.files.find((f) => f.verdicts > 0)!;
  assert.equal(first.unanswered, UNANSWERED);
  assert.ok(first.wrong_amount_index !== undefined);
  assert.equal(first.unknown_verdict, true);
  assert.ok(answers.slice(1).reduce((s, a) => s + a!.files.reduce((t, f) => t + f.rejected, 0), 0) > 0, 'some rejections');
  assert.ok(payments[1]!.missing_instruction && payments[1]!.unknown_instruction);
  assert.ok(payments[2]!.wrong_amount_instruction);
});

test('each night, the national and bank items open are exactly what the counterparties did', () => {
  for (const n of nights) assert.deepEqual(n.store_open, n.model_open, `end of ${n.D}`);
  // The faults are there when they should be (the model could be wrong the same way as the code).
  const ref = (i: number) => `${interopOutName(cfg, dates[0]!)}#${i}`;
  const first = answers[1]!.files.find((f) => f.verdicts > 0)!;
  const at = (k: number) => new Set(nights[k]!.store_open);
  assert.ok(at(1).has(`national|AMOUNT_MISMATCH|${ref(first.wrong_amount_index!)}`));
  assert.ok(at(1).has(`national|REMOTE_ONLY|${ref(first.verdicts - 1 + first.unanswered)}`), 'the verdict for a record never sent');
  assert.ok(at(1).has(`bank|REMOTE_ONLY|${payments[1]!.unknown_instruction}`));
  assert.ok(at(2).has(`bank|AMOUNT_MISMATCH|${payments[2]!.wrong_amount_instruction}`));
  assert.ok(
    !at(1).has(`bank|LOCAL_ONLY|${payments[2]!.wrong_amount_instruction}`) &&
      !at(3).has(`bank|LOCAL_ONLY|${payments[2]!.wrong_amount_instruction}`),
    'a wrong line is a mismatch, not a missing payment',
  );
});

test('a night that opens national or bank items says so and exits 3', () => {
  for (const n of nights) {
    assert.deepEqual(n.new_items, n.model_new_items, `${n.D}: the summary's new items`);
    if (n.model_new_items.size > 0) assert.equal(n.summary.exit_code, 3, n.D);
  }
});

test('a missing bank payment is LOCAL_ONLY exactly at the end of D+2, and a late line closes it', () => {
  const id = `bank:LOCAL_ONLY:${payments[1]!.missing_instruction}`;
  assert.ok(payments[1]!.missing_instruction!.startsWith(dates[0]!), 'the instruction is of the first night');
  const openAt = (k: number) => openItemsAt(db, dates[k]!, { kind: 'bank' }).some((i) => i.id === id);
  assert.deepEqual([0, 1, 2, 3, 4].map(openAt), [false, false, true, false, false]);
  const item = getItem(db, id)!;
  assert.equal(item.opened_date, dates[2]);
  assert.equal(item.closed_date, dates[3]);
  assert.equal(item.closed_by, 'data');
  assert.ok(lateBankLine && item.close_note?.includes(lateBankLine.file), `closed by the late line: ${item.close_note}`);
  // It was paid: bank:settlement moved by it on night 4.
  assert.ok(
    nights[2]!.report.open_items.some((i) => i.id === id),
    'listed in the D+2 report',
  );
  assert.ok(!nights[3]!.report.open_items.some((i) => i.id === id));
});

test('unanswered INTEROP_OUT records are LOCAL_ONLY at the end of D+3 and close when answered', () => {
  const ids = lateAnswer!.refs.map((r) => `national:LOCAL_ONLY:${r}`);
  for (const id of ids) {
    const openAt = (k: number) => openItemsAt(db, dates[k]!, { kind: 'national' }).some((i) => i.id === id);
    assert.deepEqual([0, 1, 2, 3, 4].map(openAt), [false, false, false, true, false], id);
    const item = getItem(db, id)!;
    assert.equal(item.opened_date, dates[3]);
    assert.equal(item.closed_date, dates[4]);
    assert.equal(item.closed_by, 'data');
  }
  // The late verdicts take effect: the accepted record is cleared on night 5, a rejected one never.
  const outDate = dates[0]!;
  for (const v of lateAnswer!.verdicts) {
    const r = db
      .prepare('SELECT status, cleared_date, national_status FROM record_view WHERE exported_date = ? AND export_idx = ?')
      .get(outDate, v.index) as {
      status: string;
      cleared_date: string | null;
      national_status: string;
    };
    assert.equal(r.national_status, v.status);
    if (v.status === 'ACCEPTED') assert.equal(r.cleared_date, dates[4]);
    else assert.deepEqual([r.status, r.cleared_date], ['REJECTED', null]);
  }
});

test('settlement:in-transit holds the instructions not yet confirmed by the bank, every night', () => {
  for (const n of nights) {
    assert.equal(n.in_transit_fen, n.model_in_transit_fen, `end of ${n.D}`);
    assert.deepEqual(n.nonzero_payables, [], `end of ${n.D}: every payable and receivable emptied into in-transit`);
  }
  // Not trivially zero: unconfirmed instructions of both signs are outstanding at the end.
  assert.notEqual(nights[NIGHTS - 1]!.in_transit_fen, 0);
});

test('the journal verifies every night', () => {
  for (const n of nights) assert.ok(n.verify_ok, `end of ${n.D}`);
  assert.deepEqual(verifyJournal(db).ok, true);
});

test('an operator resolution closes the item, keeps name and note, and takes effect on the next open day', () => {
  for (const r of resolutions) {
    const item = getItem(db, r.id)!;
    assert.equal(item.closed_date, r.effective);
    assert.equal(r.effective, addDay(r.after_night), 'the first day not yet closed');
    assert.equal(item.closed_by, r.by);
    assert.equal(item.close_note, r.note);
    const log = db.prepare('SELECT operator, note FROM operator_log WHERE target = ?').all(r.id) as { operator: string; note: string }[];
    assert.deepEqual(log, [{ operator: r.by, note: r.note }]);
    const listed = listItems(db, { all: true }).find((i) => i.id === r.id)!;
    assert.deepEqual([listed.closed_by, listed.note, listed.closed], [r.by, r.note, r.effective]);
    assert.ok(!listItems(db, {}).some((i) => i.id === r.id), 'no longer listed as open');
    // The closed day's report still lists it: it was open at its end.
    const k = dates.indexOf(r.after_night);
    assert.ok(nights[k]!.report.open_items.some((i) => i.id === r.id));
    assert.ok(!nights[k + 1]!.report.open_items.some((i) => i.id === r.id));
    // Resolving it again is refused.
    const again = resolveItem(db, r.id, 'Zhao Min', 'again', '20990101000000');
    assert.equal(again.ok, false);
  }
  // The released record was held until the resolution, then cleared at our amount.
  assert.ok(mismatchItemId && unknownBankItemId);
  const rec = db.prepare('SELECT cleared_date, national_status FROM record_view WHERE id = ?').get(mismatchRecordId) as {
    cleared_date: string;
    national_status: string;
  };
  assert.deepEqual(rec, { cleared_date: dates[3], national_status: 'ACCEPTED' });
});

test('reconciliation.json agrees with the store and with what was matched each night', () => {
  for (const n of nights) {
    assert.equal(n.report_problem, null, `end of ${n.D}`);
    const tally = model.tallies.get(n.D)!;
    assert.equal(n.report.kinds.bank.matched, tally.bank_matched, `${n.D} bank.matched`);
    assert.equal(n.summary.national_rejected, tally.national_rejected, `${n.D} national_rejected`);
  }
});

// The spec counts under `matched` what matched on day D: a record that an operator
// released from a national AMOUNT_MISMATCH (resolve --clear-record) matched nothing
// on the day the release takes effect, so it is not counted then.
test("national.matched counts the verdicts that matched on the day, not an operator's release", () => {
  for (const n of nights) {
    assert.equal(n.report.kinds.national.matched, model.tallies.get(n.D)!.national_matched, `${n.D} national.matched`);
  }
});
