// `lct ledger balances [--date] --json` and `lct ledger verify [--heads DIR]` (batch-cli.md).
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { compactToIsoDate, isCompactDate } from '../src/core/calendar';
import { accountBalances, checkHeads, type DayHead, verifyJournal } from '../src/store/journal';
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
    .option('--heads <dir>', 'also hold the chain against the journal heads of every reports/YYYYMMDD/summary.json under DIR')
    .option('--json', 'print the result as JSON')
    .action((o: { db?: string; heads?: string; json?: boolean }) => {
      // The published heads are read (and their shape judged) before the store is opened.
      const published = o.heads === undefined ? undefined : publishedHeads(o.heads);
      const db = openExistingStore(o);
      try {
        const r = verifyJournal(db);
        const h = published === undefined ? undefined : checkHeads(db, published);
        if (o.json) process.stdout.write(`${JSON.stringify(h === undefined ? r : { ...r, heads: h })}\n`);
        if (!r.ok) throw new CheckFailed(`ledger verify: entry ${r.entry} (seq ${r.seq}): ${r.problem}`);
        if (h && !h.ok) throw new CheckFailed(`ledger verify --heads: day ${compactToIsoDate(h.date)} (${h.source}): ${h.problem}`);
        if (!o.json) {
          const anchored =
            published && published.length > 0 ? `; the heads of ${published.length} published day(s) ${span(published)} hold` : '';
          process.stdout.write(
            `ledger verify: ok, ${r.entries} entries, ${r.postings} postings, chain intact, trial balance zero${anchored}\n`,
          );
        }
      } finally {
        db.close();
      }
    });
}

function span(heads: readonly DayHead[]): string {
  const dates = heads.map((h) => h.date).sort();
  const first = compactToIsoDate(dates[0]!);
  const last = compactToIsoDate(dates.at(-1)!);
  return first === last ? first : `${first} .. ${last}`;
}

/**
 * Every reports/YYYYMMDD/summary.json under dir (the outbox, an archive of outboxes,
 * or the reports folder itself), one head per day. Finding none is a usage error:
 * a wrong folder must not pass as "nothing differs". A day found twice (two copies of
 * an outbox) must say the same both times.
 */
function publishedHeads(dir: string): DayHead[] {
  const root = path.resolve(dir);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UsageError(`--heads ${dir}: no such directory`);
  const byDate = new Map<string, DayHead>();
  for (const file of summaryFiles(root)) {
    const head = publishedHead(file);
    const seen = byDate.get(head.date);
    if (seen && (seen.entries !== head.entries || seen.head !== head.head)) {
      throw new CheckFailed(`${file}: journal differs from ${seen.source}, another report of day ${compactToIsoDate(head.date)}`);
    }
    if (!seen) byDate.set(head.date, head);
  }
  if (byDate.size === 0) throw new UsageError(`--heads ${dir}: no reports/YYYYMMDD/summary.json under it, nothing to check against`);
  return [...byDate.values()];
}

/** The summary.json files in reports/YYYYMMDD/ folders under root, in path order; symbolic links followed once. */
function summaryFiles(root: string): string[] {
  const found: string[] = [];
  const visited = new Set<string>();
  const walk = (dir: string): void => {
    const real = fs.realpathSync(dir);
    if (visited.has(real)) return;
    visited.add(real);
    const names = fs.readdirSync(dir).sort();
    const inDayFolder = isCompactDate(path.basename(dir)) && path.basename(path.dirname(dir)) === 'reports';
    for (const name of names) {
      const p = path.join(dir, name);
      const stat = fs.statSync(p, { throwIfNoEntry: false });
      if (stat?.isDirectory()) walk(p);
      else if (stat?.isFile() && inDayFolder && name === 'summary.json') found.push(p);
    }
  };
  walk(root);
  return found;
}

const HEAD_HEX = /^[0-9a-f]{64}$/;

/** The `journal` of one published summary.json; a bad shape is a one-line error naming the file and the field. */
function publishedHead(file: string): DayHead {
  const folder = path.basename(path.dirname(file));
  const bad = (what: string) => new CheckFailed(`${file}: ${what}`);
  const text = fs.readFileSync(file, 'utf8');
  let summary: unknown;
  try {
    summary = JSON.parse(text);
  } catch (err) {
    throw bad(`not JSON (${(err as Error).message})`);
  }
  if (typeof summary !== 'object' || summary === null || Array.isArray(summary)) throw bad('not a JSON object');
  const { date, journal } = summary as { date?: unknown; journal?: unknown };
  if (date !== compactToIsoDate(folder))
    throw bad(`date: ${JSON.stringify(date)}, but the file is in the folder of ${compactToIsoDate(folder)}`);
  if (typeof journal !== 'object' || journal === null || Array.isArray(journal)) throw bad('journal: missing or not an object');
  const { entries, head } = journal as { entries?: unknown; head?: unknown };
  if (typeof entries !== 'number' || !Number.isSafeInteger(entries) || entries < 0) {
    throw bad(`journal.entries: ${JSON.stringify(entries)} is not a count of entries`);
  }
  if (typeof head !== 'string' || !HEAD_HEX.test(head)) throw bad(`journal.head: ${JSON.stringify(head)} is not 64 lower-case hex digits`);
  return { date: folder, entries, head, source: file };
}
