// `lct ledger balances [--date] --json` and `lct ledger verify` (batch-cli.md).
import type { Command } from 'commander';
import { accountBalances, verifyJournal } from '../src/store/journal';
import { yuan } from '../src/core/yuan';
import { openExistingStore, parseDateOption, withStore } from './common';
import { CheckFailed } from './errors';

export function registerLedgerCommands(program: Command): void {
  const ledger = program.command('ledger').description('the double-entry ledger');
  withStore(ledger.command('balances'))
    .description('balances (debits - credits) by account, as of the end of a day (default: everything)')
    .option('--date <YYYY-MM-DD>', 'as of the end of this business day')
    .option('--json', 'print a JSON array of { account, balance_fen }')
    .action((o: { db?: string; date?: string; json?: boolean }) => {
      const through = parseDateOption(o.date);
      const db = openExistingStore(o);
      try {
        const balances = accountBalances(db, through);
        if (o.json) process.stdout.write(`${JSON.stringify(balances)}\n`);
        else {
          const width = Math.max(8, ...balances.map((b) => b.account.length));
          for (const b of balances) process.stdout.write(`${b.account.padEnd(width)}  ${yuan(b.balance_fen).padStart(18)}\n`);
          const total = balances.reduce((s, b) => s + b.balance_fen, 0);
          process.stdout.write(`${'trial balance'.padEnd(width)}  ${yuan(total).padStart(18)}\n`);
        }
      } finally {
        db.close();
      }
    });
  withStore(ledger.command('verify'))
    .description('re-check every entry: balanced, hash chain intact, trial balance zero')
    .option('--json', 'print the result as JSON')
    .action((o: { db?: string; json?: boolean }) => {
      const db = openExistingStore(o);
      try {
        const r = verifyJournal(db);
        if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
        if (!r.ok) throw new CheckFailed(`ledger verify: entry ${r.entry} (seq ${r.seq}): ${r.problem}`);
        if (!o.json)
          process.stdout.write(`ledger verify: ok, ${r.entries} entries, ${r.postings} postings, chain intact, trial balance zero\n`);
      } finally {
        db.close();
      }
    });
}
