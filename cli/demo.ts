// `npm run demo`: a few nights of a synthetic city, run as the clearing centre
// runs them. The fixtures generator writes each night's arrivals; between nights
// this script plays the national centre (answering our INTEROP_OUT, rejecting
// some records, one wrong amount, one verdict for a record never sent) and the
// bank (executing our SETTLEMENT, with a missing payment, a wrong amount and an
// unknown instruction). Each night is the real `lct batch`, run as a child process.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { generateScenario } from '../fixtures/scenario';
import { answerInteropOut, executeSettlement } from '../fixtures/counterparties';
import { openStore } from '../src/store/db';
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

function printNight(dbPath: string, D: string, s: DaySummary, exit: number): void {
  const store = openStore(dbPath, { readonly: true });
  try {
    const reasons = store
      .prepare(
        `SELECT r.verdict_status AS status, r.verdict_reason AS reason, COUNT(*) AS n FROM records r JOIN files f ON f.id = r.file_id
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
