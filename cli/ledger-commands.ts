// `lct ledger balances [--date] --json` and `lct ledger verify` (batch-cli.md).
import type { Command } from 'commander';
import { accountBalances, verifyJournal } from '../src/store/journal';
import { openExistingStore, parseDateOption, withConfig, withStore } from './common';
import { CheckFailed, UsageError } from './errors';
import { isoDate, table, yuan } from './format';
import { participantNames } from './names';

export function registerLedgerCommands(program: Command): void {
  const ledger = program.command('ledger').description('the double-entry ledger');
  withConfig(withStore(ledger.command('balances')))
    .description('balances (debits - credits) by account, as of the end of a closed day (default: everything)')
    .option('--date <YYYY-MM-DD>', 'as of the end of this business day, which must have closed')
    .option('--json', 'print a JSON array of { account, balance_fen }')
    .action((o: { db?: string; config?: string; date?: string; json?: boolean }) => {
      const through = parseDateOption(o.date);
      const names = o.json ? undefined : participantNames(o);
      const db = openExistingStore(o);
      try {
        // A day still open (or never run) has no end yet: its balances would change under the reader.
        const closed = db.prepare("SELECT 1 FROM days WHERE date = ? AND status = 'CLOSED'");
        if (through !== undefined && closed.get(through) === undefined) {
          const last = db.prepare("SELECT MAX(date) FROM days WHERE status = 'CLOSED'").pluck().get() as string | null;
          throw new UsageError(`--date ${o.date}: the day has not closed${last ? ` (the last closed day is ${isoDate(last)})` : ''}`);
        }
        const balances = accountBalances(db, through);
        if (o.json) process.stdout.write(`${JSON.stringify(balances)}\n`);
        else {
          const total = balances.reduce((s, b) => s + b.balance_fen, 0);
          const title = through === undefined ? 'balances now' : `balances at the end of ${isoDate(through)}`;
          const rows = balances.map((b) => [names!.account(b.account), yuan(b.balance_fen)]);
          rows.push(['trial balance', yuan(total)]);
          const lines = [
            `${title} (debits - credits)`,
            ...table([{ header: 'account' }, { header: 'balance (yuan)', align: 'right' }], rows),
          ];
          process.stdout.write(`${lines.join('\n')}\n`);
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
