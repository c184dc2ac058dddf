// Commands for the operators at the clearing centre, to look into a night
// without SQL: reconciliation items (list, resolve), a day's exceptions, a card's
// history, and the whole story of one record. Each takes --json.
import type { Command } from 'commander';
import { listItems, resolveItem, cardHistory, findRecordId, explainRecord, type ItemView } from '../src/inquiry/inquiries';
import { yuan } from '../src/core/yuan';
import { openExistingStore, parseDateOption, withStore } from './common';
import { beijingNow } from './dates';
import { CheckFailed, UsageError } from './errors';

const KINDS = ['uploads', 'national', 'bank', 'float'];

function printItems(items: ItemView[]): void {
  if (items.length === 0) {
    process.stdout.write('no items\n');
    return;
  }
  for (const i of items) {
    const state = i.closed ? `closed ${i.closed} by ${i.closed_by}` : 'open';
    const amount = i.kind === 'float' && i.amount_fen !== 0 ? `  jump ${yuan(i.amount_fen)}` : '';
    process.stdout.write(
      `${i.opened}  ${i.kind.padEnd(8)} ${i.category.padEnd(15)} ${(i.participant_id ?? '').padEnd(8)}  ${i.id}  [${state}]${amount}\n`,
    );
    if (i.note) process.stdout.write(`            note: ${i.note}\n`);
  }
  process.stdout.write(`${items.length} item(s)\n`);
}

export function registerOperatorCommands(program: Command): void {
  const recon = program.command('recon').description('reconciliation items: list and resolve');
  withStore(recon.command('items'))
    .description('list reconciliation items (open ones unless --all)')
    .option('--kind <kind>', `only this kind: ${KINDS.join(', ')}`)
    .option('--participant <id>', 'only items about this participant')
    .option('--date <YYYY-MM-DD>', 'only items opened on this business day')
    .option('--all', 'closed items too, with who closed them and why')
    .option('--json', 'print a JSON array')
    .action((o: { db?: string; kind?: string; participant?: string; date?: string; all?: boolean; json?: boolean }) => {
      if (o.kind !== undefined && !KINDS.includes(o.kind)) throw new UsageError(`--kind ${o.kind}: not one of ${KINDS.join(', ')}`);
      const opened = parseDateOption(o.date);
      const db = openExistingStore(o);
      try {
        const items = listItems(db, { kind: o.kind, participant: o.participant, opened, all: o.all });
        if (o.json) process.stdout.write(`${JSON.stringify(items)}\n`);
        else printItems(items);
      } finally {
        db.close();
      }
    });
  withStore(recon.command('resolve'))
    .description('close an open item by decision, with a note and your name (kept, never deleted)')
    .argument('<item-id>', 'the item, as `lct recon items` shows it')
    .requiredOption('--by <name>', 'the operator resolving it')
    .requiredOption('--note <text>', 'why it is resolved')
    .option('--clear-record', 'national AMOUNT_MISMATCH only: clear the record at our amount in the next batch')
    .option('--json', 'print the resolved item as JSON')
    .action((id: string, o: { db?: string; by: string; note: string; clearRecord?: boolean; json?: boolean }) => {
      if (o.by.trim() === '') throw new UsageError('--by: a name is required');
      if (o.note.trim() === '') throw new UsageError('--note: a note is required');
      const db = openExistingStore(o);
      try {
        const r = resolveItem(db, id, o.by.trim(), o.note.trim(), beijingNow(), { clearRecord: o.clearRecord });
        if (!r.ok) throw new CheckFailed(r.problem);
        if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
        else {
          process.stdout.write(`resolved ${id}, effective ${r.effective}, by ${o.by}\n`);
          if (r.released_record !== null)
            process.stdout.write(`record ${r.released_record} will be cleared by the batch of ${r.effective}\n`);
        }
      } finally {
        db.close();
      }
    });

  withStore(program.command('exceptions'))
    .description("a closed day's exceptions: key conflicts, suspended records, loads on blacklisted cards, new gaps")
    .requiredOption('--date <YYYY-MM-DD>', 'the business day')
    .option('--json', 'print exceptions.json')
    .action((o: { db?: string; date: string; json?: boolean }) => {
      const D = parseDateOption(o.date)!;
      const db = openExistingStore(o);
      try {
        const text = db.prepare("SELECT exceptions_json FROM days WHERE date = ? AND status = 'CLOSED'").pluck().get(D) as
          | string
          | undefined;
        if (text === undefined) throw new UsageError(`day ${o.date} is not closed`);
        const x = JSON.parse(text);
        if (o.json) process.stdout.write(`${text}\n`);
        else {
          process.stdout.write(`exceptions of ${o.date}\n`);
          process.stdout.write(`  key conflicts: ${x.key_conflicts.length}\n`);
          for (const c of x.key_conflicts)
            process.stdout.write(
              `    record ${c.record.id} card ${c.record.card_no} seq ${c.record.card_seq} vs held card ${c.held.card_no} seq ${c.held.card_seq}\n`,
            );
          process.stdout.write(`  suspended: ${x.suspended.length}\n`);
          for (const s of x.suspended)
            process.stdout.write(`    record ${s.id} card ${s.card_no} seq ${s.card_seq} ${yuan(s.amount_fen)}\n`);
          process.stdout.write(`  loads on blacklisted cards: ${x.blacklisted_loads.length}\n`);
          for (const s of x.blacklisted_loads)
            process.stdout.write(`    record ${s.id} card ${s.card_no} seq ${s.card_seq} ${yuan(s.amount_fen)}\n`);
          process.stdout.write(
            `  new card sequence gaps: ${x.card_seq_gaps.length}, balance breaks: ${x.balance_breaks.length}, terminal gaps: ${x.terminal_seq_gaps.length}\n`,
          );
        }
      } finally {
        db.close();
      }
    });

  withStore(program.command('card').description("one card's records: lct card history").command('history'))
    .description("one card's records in counter order, with its gaps and balance breaks")
    .argument('<card>', 'CARD_NO (issuer = its first 8 digits) or ISSUER_ID:CARD_NO')
    .option('--json', 'print JSON')
    .action((card: string, o: { db?: string; json?: boolean }) => {
      const m = /^(?:(\d{8}):)?(\d{20})$/.exec(card);
      if (!m) throw new UsageError(`${card}: not a card (20 digits, optionally ISSUER_ID: before it)`);
      const issuer = m[1] ?? m[2]!.slice(0, 8);
      const db = openExistingStore(o);
      try {
        const h = cardHistory(db, issuer, m[2]!);
        if (o.json) {
          process.stdout.write(`${JSON.stringify(h)}\n`);
          return;
        }
        if (h.records.length === 0)
          throw new CheckFailed(`no records of card ${issuer}:${m[2]} (give ISSUER_ID:CARD_NO if its issuer is not its first 8 digits)`);
        process.stdout.write(`card ${issuer}:${h.card_no}: ${h.records.length} record(s)\n`);
        const gapAfter = new Map(h.gaps.map((g) => [g.after_seq, g]));
        for (const r of h.records) {
          const verdict = r.status === 'REJECTED' ? `REJECTED ${r.reason}` : r.status;
          process.stdout.write(
            `  seq ${String(r.card_seq).padStart(5)}  ${r.occurred_at}  type ${r.txn_type}  ${yuan(r.amount_fen).padStart(10)}  ${yuan(r.balance_before_fen).padStart(10)} -> ${yuan(r.balance_after_fen).padStart(10)}  ${r.acquirer_id}/${r.terminal_id}  ${verdict}${r.cleared_date ? `  cleared ${r.cleared_date}` : ''}\n`,
          );
          const g = r.status !== 'REJECTED' ? gapAfter.get(r.card_seq) : undefined;
          if (g) {
            process.stdout.write(
              g.kind === 'SEQ_GAP'
                ? `  ---- ${g.missing} counter(s) missing (${g.after_seq + 1}..${g.before_seq - 1}), balance jumps ${yuan(g.jump_fen)}\n`
                : `  ---- balance break: ${yuan(g.jump_fen)} between ${g.after_seq} and ${g.before_seq}\n`,
            );
          }
        }
        const open = h.open_items.filter((i) => i.closed === null).length;
        process.stdout.write(`${h.gaps.length} gap(s)/break(s); ${open} open float item(s) of ${h.open_items.length}\n`);
      } finally {
        db.close();
      }
    });

  withStore(program.command('record').description("one record's story: lct record explain").command('explain'))
    .description('one record: its verdict and the rule behind it, its file, the day it was cleared, the entries it was posted in')
    .argument('<record>', 'a record id, or FILE_NAME#INDEX (0-based position in its file)')
    .option('--json', 'print JSON')
    .action((ref: string, o: { db?: string; json?: boolean }) => {
      const db = openExistingStore(o);
      try {
        const id = findRecordId(db, ref);
        if (id === undefined) throw new CheckFailed(`${ref}: no such record (give a record id, or FILE_NAME#INDEX of an imported file)`);
        const national =
          (db.prepare("SELECT sender_id FROM files WHERE kind IN ('INTEROP_IN', 'INTEROP_RESULT') LIMIT 1").pluck().get() as
            | string
            | undefined) ?? '';
        const s = explainRecord(db, id, { national });
        if (o.json) {
          process.stdout.write(`${JSON.stringify(s)}\n`);
          return;
        }
        const r = s.record as Record<string, string | number>;
        process.stdout.write(
          `record ${id}: card ${r.issuer_id}:${r.card_no} seq ${r.card_seq}, ${yuan(r.amount_fen as number)} at ${r.acquirer_id}/${r.terminal_id}#${r.terminal_seq} (${r.merchant_id}) ${r.occurred_at}\n`,
        );
        process.stdout.write(`  file      ${s.file.name} #${s.file.index}, imported by the batch of ${s.file.batch_date}\n`);
        process.stdout.write(
          `  verdict   ${s.verdict.status}${s.verdict.reason ? ` ${s.verdict.reason}` : ''}${s.verdict.detail ? ` (${s.verdict.detail})` : ''}\n`,
        );
        process.stdout.write(`  rule      ${s.verdict.rule}\n`);
        if (s.now.status !== s.verdict.status) process.stdout.write(`  now       ${s.now.status} ${s.now.reason}\n`);
        if (s.conflict_with) process.stdout.write(`  held      ${JSON.stringify(s.conflict_with)}\n`);
        if (s.interop)
          process.stdout.write(
            `  interop   sent ${s.interop.exported_date} #${s.interop.export_idx}; national ${s.interop.national_status ?? 'no answer yet'}${s.interop.national_reason ? ` ${s.interop.national_reason}` : ''}${s.interop.national_date ? ` (batch ${s.interop.national_date})` : ''}\n`,
          );
        process.stdout.write(`  cleared   ${s.cleared_date ?? (s.suspense_date ? `no: suspended on ${s.suspense_date}` : 'no')}\n`);
        for (const e of s.entries) {
          process.stdout.write(`  entry     ${e.id}: ${e.memo}\n`);
          for (const p of e.postings)
            process.stdout.write(
              `              ${p.account.padEnd(32)} Dr ${yuan(p.debit_fen).padStart(12)}  Cr ${yuan(p.credit_fen).padStart(12)}\n`,
            );
        }
        for (const i of s.items) process.stdout.write(`  item      ${i.id} [${i.closed ? `closed ${i.closed}` : 'open'}]\n`);
      } finally {
        db.close();
      }
    });
}
