// `npm run demo`: a few nights of a synthetic city, run as the clearing centre
// runs them. The fixtures generator writes each night's arrivals; between nights
// this script plays the national centre (answering our INTEROP_OUT, rejecting
// some records, one wrong amount, one verdict for a record never sent) and the
// bank (executing our SETTLEMENT, with a missing payment, a wrong amount and an
// unknown instruction). Before the last night it plays the centre's two operators
// (Li Wei proposes, Zhang Min approves): an adjustment that settles the bank's
// wrong payment, and the release of a suspended record; the last night posts both.
// Each night is the real `lct batch`, run as a child process.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { generateScenario } from '../fixtures/scenario';
import { answerInteropOut, executeSettlement } from '../fixtures/counterparties';
import { openStore } from '../src/store/db';
import { correctionsPostedOn } from '../src/store/corrections';
import { yuan } from '../src/core/yuan';
import { compactToIsoDate } from '../src/core/calendar';
import type { DaySummary } from '../src/core/reports';

const LCT = path.join(__dirname, '..', '..', 'bin', 'lct.js');

function lct(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [LCT, ...args], { encoding: 'utf8' });
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

function main(): void {
  const dir = path.resolve(process.argv[2] ?? 'demo-run');
  const nights = Number(process.env.LCT_DEMO_NIGHTS ?? 4);
  const records = Number(process.env.LCT_DEMO_RECORDS ?? 3000);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  console.log(`lct demo: a synthetic city, ${nights} nights of about ${records} records, in ${dir}\n`);
  const scenario = generateScenario(dir, { seed: 'zhengzhou-demo', days: nights, records });
  const db = path.join(dir, 'lct.db');
  const common = ['--db', db, '--config', path.join(dir, 'participants.json'), '--keys', path.join(dir, 'keys.json')];

  let previousOutbox: string | null = null;
  for (const [i, day] of scenario.days.entries()) {
    const D = day.date;
    const inbox = path.join(dir, 'inbox', D);
    const outbox = path.join(dir, 'outbox', D);
    if (previousOutbox) {
      const answer = answerInteropOut(previousOutbox, inbox, {
        date: D,
        wrong_amount: i === 1,
        unknown_verdict: i === 1,
        unanswered: i === 1 ? 1 : 0,
      });
      const paid = executeSettlement(previousOutbox, inbox, {
        date: D,
        missing: i === 1,
        wrong_amount: i === 2,
        unknown_instruction: i === 1,
      });
      const rejected = answer.files.reduce((s, f) => s + f.rejected, 0);
      console.log(
        `-- before the night of ${compactToIsoDate(D)}: the national centre answered ${answer.files.length} file(s) (${rejected} rejection(s)); ` +
          `the bank paid ${paid.lines} line(s)${paid.missing_instruction ? `, missed ${paid.missing_instruction}` : ''}${paid.wrong_amount_instruction ? `, wrong amount on ${paid.wrong_amount_instruction}` : ''}${paid.unknown_instruction ? `, unknown ${paid.unknown_instruction}` : ''}`,
      );
    }
    if (i === scenario.days.length - 1 && i > 0) correctBeforeNight(db, D, common);
    const r = lct(['batch', '--date', compactToIsoDate(D), '--inbox', inbox, '--outbox', outbox, '--json', ...common]);
    if (r.status !== 0 && r.status !== 3) {
      console.error(r.stderr);
      throw new Error(`lct batch ${D} failed with exit code ${r.status}`);
    }
    const s = JSON.parse(r.stdout) as DaySummary;
    printNight(db, D, s, r.status);
    previousOutbox = outbox;
  }

  const verify = lct(['ledger', 'verify', '--db', db]);
  console.log(verify.stdout.trim() || verify.stderr.trim());
  if (verify.status !== 0) throw new Error('ledger verify failed');
  console.log('\nLedger balances at the end (lct ledger balances):');
  console.log(lct(['ledger', 'balances', '--db', db]).stdout.trimEnd());
  console.log(`\nLook further with, for example:
  npx lct recon items --db ${db} --kind bank
  npx lct exceptions --db ${db} --date ${compactToIsoDate(scenario.days[scenario.days.length - 1]!.date)}
  npx lct record explain --db ${db} <FILE_NAME>#<INDEX>
  npx lct file inspect ${path.join(dir, 'outbox', scenario.days[0]!.date)}/<a file>
  and the readable reports in ${path.join(dir, 'outbox', '<YYYYMMDD>', 'reports')}`);
  // Last, so that it is what the terminal shows when the demo ends: a page to open in a browser.
  const last = scenario.days[scenario.days.length - 1]!.date;
  const page = path.join(dir, 'outbox', last, 'reports', last, 'report.html');
  if (!fs.existsSync(page)) throw new Error(`${page}: the last night wrote no report.html`);
  console.log(`\nThe last night's report, to open in a browser:\n  ${page}`);
}

/**
 * The operators' corrections before night D (clearing-rules.md, "Corrections"), made
 * with `lct correct` as people make them: Li Wei proposes, Zhang Min approves.
 * - A payment the bank made for a wrong amount (a bank AMOUNT_MISMATCH item) is put
 *   right on D's settlement: the participant's shortfall (or excess) becomes an
 *   adjustment against expense:adjustments, naming the item it settles.
 * - The first suspended record an acquirer sent is paid after all: the card's loss was
 *   reported by mistake.
 */
function correctBeforeNight(dbPath: string, D: string, common: string[]): void {
  const store = openStore(dbPath, { readonly: true });
  let item: { id: string; participant_id: string; ours_json: string; theirs_json: string } | undefined;
  let record: { name: string; idx: number } | undefined;
  try {
    item = store
      .prepare(
        `SELECT id, participant_id, ours_json, theirs_json FROM recon_items
          WHERE kind = 'bank' AND category = 'AMOUNT_MISMATCH' AND closed_date IS NULL AND participant_id IS NOT NULL ORDER BY id LIMIT 1`,
      )
      .get() as typeof item;
    record = store
      .prepare(
        `SELECT f.name, r.idx FROM record_view r JOIN files f ON f.id = r.file_id
          WHERE r.status = 'SUSPENDED' AND r.source = 'TXN_UPLOAD' ORDER BY r.id LIMIT 1`,
      )
      .get() as typeof record;
  } finally {
    store.close();
  }
  console.log(`\n-- before the night of ${compactToIsoDate(D)}: corrections, four eyes (Li Wei proposes, Zhang Min approves)`);
  const say = (args: string[]): string | undefined => {
    const r = lct([...args, ...common]);
    if (r.status !== 0) throw new Error(`lct ${args.slice(0, 2).join(' ')} failed: ${r.stderr.trim()}`);
    console.log(`   $ lct ${args.map((a) => (/[\s#]/.test(a) ? JSON.stringify(a) : a)).join(' ')}\n     ${r.stdout.trim()}`);
    return /^proposed (C\d+):/.exec(r.stdout)?.[1];
  };
  const ids: string[] = [];
  if (item !== undefined) {
    const ours = JSON.parse(item.ours_json) as { amount_fen: number; payee_id: string; instruction_id: string };
    const theirs = JSON.parse(item.theirs_json) as { amount_fen: number };
    // What the bank moved short of the instruction: the payee is owed it, a payer owes it.
    const short_fen = ours.amount_fen - theirs.amount_fen;
    const amount = ours.payee_id === item.participant_id ? short_fen : -short_fen;
    const id = say([
      'correct',
      'adjust',
      '--participant',
      item.participant_id,
      '--amount-fen',
      String(amount),
      '--account',
      'expense:adjustments',
      '--note',
      `the bank moved ${yuan(theirs.amount_fen)} yuan on ${ours.instruction_id}, not ${yuan(ours.amount_fen)}: the difference settles on this statement`,
      '--by',
      'Li Wei',
      '--item',
      item.id,
    ]);
    if (id) ids.push(id);
  }
  if (record !== undefined) {
    const id = say([
      'correct',
      'release',
      `${record.name}#${record.idx}`,
      '--note',
      'the card was reported lost by mistake',
      '--by',
      'Li Wei',
    ]);
    if (id) ids.push(id);
  }
  for (const id of ids) say(['correct', 'approve', id, '--by', 'Zhang Min', '--note', 'checked']);
}

function printNight(dbPath: string, D: string, s: DaySummary, exit: number): void {
  const store = openStore(dbPath, { readonly: true });
  try {
    const reasons = store
      .prepare(
        `SELECT r.verdict_status AS status, r.verdict_reason AS reason, COUNT(*) AS n FROM record_view r JOIN files f ON f.id = r.file_id
          WHERE f.batch_date = ? GROUP BY 1, 2 ORDER BY 1, 2`,
      )
      .all(D) as { status: string; reason: string; n: number }[];
    const refused = store
      .prepare("SELECT name, refusal_code, refusal_detail FROM files WHERE batch_date = ? AND outcome = 'REFUSED' ORDER BY id")
      .all(D) as { name: string; refusal_code: string; refusal_detail: string }[];
    console.log(`\n== night of ${s.date}: exit ${exit} ${exit === 0 ? '(nothing needs a person)' : '(needs a person)'}`);
    console.log(`   files: ${s.files.imported} imported, ${s.files.skipped} skipped (resends), ${s.files.refused} refused`);
    for (const f of refused) console.log(`     refused ${f.refusal_code} ${f.name}: ${f.refusal_detail}`);
    console.log(`   verdicts: ${reasons.map((r) => `${r.reason || r.status} ${r.n}`).join(', ')}`);
    if (s.national_rejected) console.log(`   national centre rejected ${s.national_rejected} earlier record(s): late TXN_ACKs written`);
    console.log(`   cleared: ${s.cleared.count} record(s), gross ${yuan(s.cleared.gross_fen)} yuan`);
    console.log(
      `   settlement: ${s.settlement.instructions} instruction(s), pay out ${yuan(s.settlement.pay_out_fen)}, collect ${yuan(s.settlement.collect_fen)} yuan`,
    );
    for (const c of correctionsPostedOn(store, D)) {
      const what =
        c.kind === 'adjustment'
          ? `adjustment of ${c.participant} by ${yuan(c.amount_fen)} yuan against ${c.account}${c.item ? `, settles ${c.item}` : ''}`
          : `release of ${c.record}: ${yuan(c.amount_fen)} yuan to ${c.participant} out of suspense`;
      console.log(`   correction posted: ${c.id} ${what} (proposed by ${c.proposed_by}, approved by ${c.decided_by}; entry ${c.entry_id})`);
    }
    console.log(`   open reconciliation items: ${s.open_mismatches}`);
    for (const why of s.exit_reasons) console.log(`   needs a person: ${why}`);
  } finally {
    store.close();
  }
}

try {
  main();
} catch (err) {
  console.error(`lct demo: ${(err as Error).message}`);
  process.exitCode = 1;
}
