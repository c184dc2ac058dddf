// Commands for the operators at the clearing centre, to look into a night
// without SQL: reconciliation items (summed up, listed, resolved one by one or by
// filter), a day's exceptions, a card's history, and the whole story of one record.
// Each takes --json (integer fen, the store's field names); without it, people
// read tables in yuan, dates YYYY-MM-DD and names beside ids (cli/format.ts).
import { TRANSACTION_FIELDS } from '../src/core/types';
import type { Command } from 'commander';
import {
  cardHistory,
  findRecord,
  explainRecord,
  issuersOfCard,
  type CardHistory,
  type RecordStory,
  type ReleaseView,
} from '../src/inquiry/inquiries';
import {
  ITEM_CATEGORIES,
  ITEM_KINDS,
  itemRows,
  itemRuns,
  lastClosedDay,
  listItems,
  resolveItem,
  resolveItems,
  summarizeItems,
  type ItemFilter,
  type ItemOrder,
  type ItemRow,
  type ItemView,
} from '../src/inquiry/items';
import { openExistingStore, parseDateOption, withConfig, withStore } from './common';
import { beijingNow } from './dates';
import { CheckFailed, UsageError } from './errors';
import { asSoleWriter } from './writer';
import { count, escapeControl, isoDate, isoTime, NONE, reasonName, table, txnTypeName, verdictName, yuan } from './format';
import { participantNames, type ParticipantNames } from './names';
import type { RefusedFile } from '../src/core/reports';

/** Rows a listing shows when --limit is not given: a screen or two, not a night's 23,000 items. */
const DEFAULT_LIMIT = 50;

/** Lines for people, in one write; control characters from outside data are escaped on the way. */
function write(lines: string[]): void {
  if (lines.length > 0) process.stdout.write(`${lines.map(escapeControl).join('\n')}\n`);
}

interface FilterOptions {
  kind?: string;
  category?: string;
  participant?: string;
  date?: string;
  olderThan?: string;
  ref?: string;
}

function withItemFilters(cmd: Command): Command {
  return cmd
    .option('--kind <kind>', `only this kind: ${ITEM_KINDS.join(', ')}`)
    .option('--category <category>', `only this category: ${ITEM_CATEGORIES.join(', ')}`)
    .option('--participant <id>', 'only items about this participant')
    .option('--date <YYYY-MM-DD>', 'only items opened on this business day')
    .option('--older-than <days>', 'only items older than this many days (counted to the last closed day)')
    .option('--ref <subject>', 'only items about this card (ISSUER/CARD_NO), terminal (ACQUIRER/TERMINAL), instruction or FILE#INDEX');
}

function nonNegativeInteger(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value)) throw new UsageError(`${option} ${value}: not a whole number of 0 or more`);
  return Number(value);
}

function itemFilter(o: FilterOptions): ItemFilter {
  if (o.kind !== undefined && !(ITEM_KINDS as readonly string[]).includes(o.kind))
    throw new UsageError(`--kind ${o.kind}: not one of ${ITEM_KINDS.join(', ')}`);
  if (o.category !== undefined && !(ITEM_CATEGORIES as readonly string[]).includes(o.category))
    throw new UsageError(`--category ${o.category}: not one of ${ITEM_CATEGORIES.join(', ')}`);
  return {
    kind: o.kind,
    category: o.category,
    participant: o.participant,
    opened: parseDateOption(o.date),
    older_than_days: nonNegativeInteger(o.olderThan, '--older-than'),
    ref: o.ref,
  };
}

function hasFilter(o: FilterOptions): boolean {
  return [o.kind, o.category, o.participant, o.date, o.olderThan, o.ref].some((v) => v !== undefined);
}

/** A gap item's (or run's) missing numbers: `27437..27440 (4)`. */
function numbers(lo: number | null, hi: number | null): string {
  if (lo === null || hi === null) return NONE;
  return lo === hi ? String(lo) : `${lo}..${hi} (${hi - lo + 1})`;
}

/** The numbers an item is about: the missing ones of a gap, the two records around a balance break (`20147/20148`). */
function itemSeq(category: string, lo: number | null, hi: number | null): string {
  return category === 'BALANCE_BREAK' && lo !== null ? `${lo}/${hi}` : numbers(lo, hi);
}

/** Open, or who closed it and when; an item a posted correction closed names it. */
function itemState(i: ItemView): string {
  if (i.closed === null) return 'open';
  return `closed ${isoDate(i.closed)} by ${i.closed_by}${i.correction === null ? '' : ` (correction ${i.correction})`}`;
}

function money(fen: number | null): string {
  return fen === null ? NONE : yuan(fen);
}

/** What an item puts at stake, as a cell: unknown for a terminal's missing records. */
function stake(kind: string, fen: number): string {
  return kind === 'uploads' ? NONE : yuan(fen);
}

function summaryTable(items: ItemView[], names: ParticipantNames): string[] {
  const lines = summarizeItems(items);
  const rows = lines.map((s) => [
    s.kind,
    s.category,
    names.label(s.participant_id),
    String(s.items),
    s.kind === 'uploads' ? NONE : yuan(s.at_stake_fen),
    String(s.oldest_days),
  ]);
  rows.push([
    'total',
    '',
    '',
    String(items.length),
    lines.every((s) => s.kind === 'uploads') ? NONE : yuan(lines.reduce((t, s) => t + s.at_stake_fen, 0)),
    String(Math.max(0, ...lines.map((s) => s.oldest_days))),
  ]);
  return table(
    [
      { header: 'kind' },
      { header: 'category' },
      { header: 'participant' },
      { header: 'items', align: 'right' },
      { header: 'at stake (yuan)', align: 'right' },
      { header: 'oldest (days)', align: 'right' },
    ],
    rows,
    '  ',
  );
}

function listingTable(rows: ItemRow[], names: ParticipantNames, all: boolean): string[] {
  const cells = rows.map((r) => {
    const i = r.items[0]!;
    const more = r.items.length > 1 ? ` +${r.items.length - 1}` : '';
    return [
      isoDate(i.opened),
      String(i.age_days),
      i.kind,
      i.category,
      names.label(i.participant_id),
      itemSeq(i.category, r.lo, r.hi),
      money(i.ours_fen),
      money(i.theirs_fen),
      stake(i.kind, r.amount_fen),
      ...(all ? [itemState(i)] : []),
      `${i.id}${more}`,
      ...(all ? [i.note ?? ''] : []),
    ];
  });
  return table(
    [
      { header: 'opened' },
      { header: 'age (days)', align: 'right' },
      { header: 'kind' },
      { header: 'category' },
      { header: 'participant' },
      { header: 'seq' },
      { header: 'ours (yuan)', align: 'right' },
      { header: 'theirs (yuan)', align: 'right' },
      { header: 'at stake (yuan)', align: 'right' },
      ...(all ? [{ header: 'state' }] : []),
      { header: 'id' },
      ...(all ? [{ header: 'note' }] : []),
    ],
    cells,
    '  ',
  );
}

function printItems(
  items: ItemView[],
  opts: { names: ParticipantNames; asOf: string | null; all: boolean; order: ItemOrder; limit: number },
): void {
  const what = opts.all ? 'open and closed' : 'open';
  const asOf = opts.asOf === null ? '' : `, as of ${isoDate(opts.asOf)} (the last closed day)`;
  if (items.length === 0) {
    write([`reconciliation items: none ${what}${asOf}`]);
    return;
  }
  const rows = itemRows(items, opts.order);
  const shown = opts.limit === 0 ? rows : rows.slice(0, opts.limit);
  const out = [`reconciliation items: ${items.length} ${what}${asOf}`, '', ...summaryTable(items, opts.names), ''];
  out.push(
    opts.order === 'amount'
      ? 'items, most money at stake first (a run of consecutive missing numbers of one card or terminal is one row):'
      : 'items, oldest first (a run of consecutive missing numbers of one card or terminal is one row):',
  );
  out.push(...listingTable(shown, opts.names, opts.all));
  if (shown.length < rows.length)
    out.push(
      `${count(shown.length, 'row')} of ${rows.length} shown; ${rows.length - shown.length} more (--limit N, or --limit 0 for all; --json lists every item)`,
    );
  if (shown.some((r) => r.items.length > 1))
    out.push('a row with "+N" after its id stands for N more items of the run: resolve them together with --ref and --category');
  write(out);
}

export function registerOperatorCommands(program: Command): void {
  const recon = program.command('recon').description('reconciliation items: list and resolve');
  withConfig(withStore(withItemFilters(recon.command('items'))))
    .description('sum up and list reconciliation items (open ones unless --all)')
    .option('--all', 'closed items too, with who closed them and why')
    .option('--sort <order>', 'age (oldest first, the default) or amount (most money at stake first)')
    .option('--limit <rows>', `show at most this many rows (default ${DEFAULT_LIMIT}; 0: all)`)
    .option('--json', 'print a JSON array of every matching item (all of them unless --limit is given)')
    .action((o: FilterOptions & { db?: string; config?: string; all?: boolean; sort?: string; limit?: string; json?: boolean }) => {
      const filter = { ...itemFilter(o), all: o.all === true };
      if (o.sort !== undefined && o.sort !== 'age' && o.sort !== 'amount') throw new UsageError(`--sort ${o.sort}: not one of age, amount`);
      const order: ItemOrder = o.sort === 'amount' ? 'amount' : 'age';
      const limit = nonNegativeInteger(o.limit, '--limit');
      const names = o.json ? undefined : participantNames(o);
      const db = openExistingStore(o);
      try {
        const items = listItems(db, filter, order);
        if (o.json) process.stdout.write(`${JSON.stringify(limit ? items.slice(0, limit) : items)}\n`);
        else printItems(items, { names: names!, asOf: lastClosedDay(db), all: filter.all, order, limit: limit ?? DEFAULT_LIMIT });
      } finally {
        db.close();
      }
    });

  withConfig(withStore(withItemFilters(recon.command('resolve'))))
    .description(
      'close open items by decision, with a note and your name (kept, never deleted): one by its id, or every item a filter selects',
    )
    .argument('[item-id]', 'the item, as `lct recon items` shows it (or give filters instead)')
    .requiredOption('--by <name>', 'the operator resolving it')
    .requiredOption('--note <text>', 'why it is resolved')
    .option('--clear-record', 'national AMOUNT_MISMATCH only: clear the record at our amount in the next batch')
    .option('--yes', 'with filters: close every item they select (without it, only says how many it would close)')
    .option('--json', 'print the resolution as JSON')
    .action(
      (
        id: string | undefined,
        o: FilterOptions & { db?: string; config?: string; by: string; note: string; clearRecord?: boolean; yes?: boolean; json?: boolean },
      ) => {
        const by = o.by.trim();
        const note = o.note.trim();
        if (by === '') throw new UsageError('--by: a name is required');
        if (note === '') throw new UsageError('--note: a note is required');
        if (id !== undefined && hasFilter(o)) throw new UsageError(`${id}: give one item id or filters, not both`);
        if (id === undefined && !hasFilter(o))
          throw new UsageError('give the item id, or filters (--kind, --category, --participant, --date, --older-than, --ref)');
        if (id === undefined && o.clearRecord) throw new UsageError('--clear-record: resolve that one item by its id');
        if (id === undefined) {
          resolveByFilter(itemFilter(o), { db: o.db, config: o.config, by, note, yes: o.yes, json: o.json });
          return;
        }
        const db = openExistingStore(o);
        try {
          const r = asSoleWriter(db, `recon resolve ${id} --by ${by}`, () =>
            resolveItem(db, id, by, note, beijingNow(), { clearRecord: o.clearRecord }),
          );
          if (!r.ok) throw new CheckFailed(r.problem);
          if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
          else {
            const lines = [`resolved ${id}, effective ${isoDate(r.effective)}, by ${escapeControl(by)}`];
            if (r.released_record !== null)
              lines.push(`record ${r.released_record} will be cleared by the batch of ${isoDate(r.effective)}`);
            write(lines);
          }
        } finally {
          db.close();
        }
      },
    );

  withConfig(withStore(program.command('exceptions')))
    .description("a closed day's exceptions: refused files, key conflicts, suspended records, loads on blacklisted cards, new gaps")
    .requiredOption('--date <YYYY-MM-DD>', 'the business day')
    .option('--json', 'print exceptions.json')
    .action((o: { db?: string; config?: string; date: string; json?: boolean }) => {
      const D = parseDateOption(o.date)!;
      const names = o.json ? undefined : participantNames(o);
      const db = openExistingStore(o);
      try {
        const day = db.prepare("SELECT exceptions_json, summary_json FROM days WHERE date = ? AND status = 'CLOSED'").get(D) as
          | { exceptions_json: string; summary_json: string }
          | undefined;
        if (day === undefined) throw new UsageError(`day ${o.date} is not closed`);
        if (o.json) process.stdout.write(`${day.exceptions_json}\n`);
        else {
          // A day closed before the reports named refused files: its summary's count alone.
          const summary = JSON.parse(day.summary_json) as { files: { refused: number }; refused_files?: RefusedFile[] };
          write(exceptionLines(o.date, JSON.parse(day.exceptions_json) as Exceptions, summary, names!));
        }
      } finally {
        db.close();
      }
    });

  withConfig(withStore(program.command('card').description("one card's records: lct card history").command('history')))
    .description("one card's records in counter order, with its gaps and balance breaks")
    .argument('<card>', 'CARD_NO (when only one issuer has that number) or ISSUER_ID:CARD_NO')
    .option('--json', 'print JSON')
    .action((card: string, o: { db?: string; config?: string; json?: boolean }) => {
      const m = /^(?:(\d{8}):)?(\d{20})$/.exec(card);
      if (!m) throw new UsageError(`${card}: not a card (20 digits, optionally ISSUER_ID: before it)`);
      const card_no = m[2]!;
      const names = participantNames(o);
      const db = openExistingStore(o);
      try {
        let issuer = m[1];
        if (issuer === undefined) {
          const candidates = [card_no.slice(0, 8), ...names.issuerIds()];
          const issuers = issuersOfCard(db, card_no, candidates);
          if (issuers.length > 1)
            throw new UsageError(
              `${card_no}: ${issuers.length} issuers have this card number (${issuers.join(', ')}): give ISSUER_ID:CARD_NO`,
            );
          issuer = issuers[0] ?? card_no.slice(0, 8);
        }
        const h = cardHistory(db, issuer, card_no);
        if (o.json) {
          process.stdout.write(`${JSON.stringify(h)}\n`);
          return;
        }
        if (h.records.length === 0) throw new CheckFailed(`no records of card ${card_no}${m[1] ? ` under issuer ${m[1]}` : ''}`);
        write(cardLines(h, names));
      } finally {
        db.close();
      }
    });

  withConfig(withStore(program.command('record').description("one record's story: lct record explain").command('explain')))
    .description('one record: its verdict and the rule behind it, its file, the day it was cleared, the entries it was posted in')
    .argument(
      '<record>',
      'a record id, FILE_NAME#INDEX (0-based position in the file that brought it), INTEROP_OUT_...pb#INDEX, or a reconciliation item id',
    )
    .option('--json', 'print JSON')
    .action((ref: string, o: { db?: string; config?: string; json?: boolean }) => {
      const names = o.json ? undefined : participantNames(o);
      const db = openExistingStore(o);
      try {
        const found = findRecord(db, ref);
        if (!found.ok) throw new CheckFailed(escapeControl(found.problem));
        const national =
          (db
            .prepare("SELECT sender_id FROM files WHERE kind IN ('INTEROP_IN', 'INTEROP_RESULT') AND outcome = 'IMPORTED' LIMIT 1")
            .pluck()
            .get() as string | undefined) ?? '';
        const s = explainRecord(db, found.id, { national });
        if (o.json) process.stdout.write(`${JSON.stringify(found.via === null ? s : { via: found.via, ...s })}\n`);
        else write(storyLines(found.id, found.via, s, names!));
      } finally {
        db.close();
      }
    });
}

function resolveByFilter(
  filter: ItemFilter,
  o: { db?: string; config?: string; by: string; note: string; yes?: boolean; json?: boolean },
): void {
  const names = o.json ? undefined : participantNames(o);
  const db = openExistingStore(o);
  try {
    const items = listItems(db, filter);
    const ids = items.map((i) => i.id);
    if (items.length === 0) {
      if (o.json) process.stdout.write(`${JSON.stringify({ matched: 0, closed: 0, effective: null, items: [] })}\n`);
      else write(['no open item matches: nothing to close']);
      return;
    }
    if (!o.yes) {
      if (o.json) process.stdout.write(`${JSON.stringify({ matched: items.length, closed: 0, effective: null, items: ids })}\n`);
      else write([`${count(items.length, 'open item')} match:`, ...summaryTable(items, names!)]);
      throw new UsageError(`nothing closed: add --yes to close ${items.length === 1 ? 'this item' : `these ${items.length} items`}`);
    }
    // Items closed meanwhile by another operator are skipped by resolveItems.
    const r = asSoleWriter(db, `recon resolve --yes --by ${o.by} (${ids.length} items by filter)`, () =>
      resolveItems(db, ids, o.by, o.note, beijingNow()),
    );
    if (o.json)
      process.stdout.write(
        `${JSON.stringify({ matched: items.length, closed: r.closed.length, effective: r.effective, by: o.by, note: o.note, items: r.closed })}\n`,
      );
    else {
      const lines = [
        `resolved ${count(r.closed.length, 'item')}, effective ${isoDate(r.effective)}, by ${escapeControl(o.by)}: ${escapeControl(o.note)}`,
      ];
      if (r.closed.length < items.length) lines.push(`${items.length - r.closed.length} of the ${items.length} were closed meanwhile`);
      write(lines);
    }
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------
// exceptions

interface ExceptionRecord {
  id: number;
  issuer_id: string;
  card_no: string;
  card_seq: number;
  txn_type: number;
  amount_fen: number;
  terminal_id: string;
  terminal_seq: number;
  acquirer_id: string;
  occurred_at: string;
  status: string;
  reason: string;
}

interface Exceptions {
  key_conflicts: { record: ExceptionRecord; held: ExceptionRecord }[];
  suspended: ExceptionRecord[];
  blacklisted_loads: ExceptionRecord[];
  card_seq_gaps: unknown[];
  balance_breaks: unknown[];
  terminal_seq_gaps: unknown[];
}

const RECORD_COLUMNS = [
  { header: 'card' },
  { header: 'card seq', align: 'right' as const },
  { header: 'occurred' },
  { header: 'type' },
  { header: 'amount (yuan)', align: 'right' as const },
  { header: 'acquirer' },
  { header: 'terminal' },
  { header: 'terminal seq', align: 'right' as const },
];

function recordCells(r: ExceptionRecord, names: ParticipantNames): string[] {
  return [
    `${r.issuer_id}:${r.card_no}`,
    String(r.card_seq),
    isoTime(r.occurred_at),
    txnTypeName(r.txn_type),
    yuan(r.amount_fen),
    names.label(r.acquirer_id),
    r.terminal_id,
    String(r.terminal_seq),
  ];
}

function exceptionLines(
  date: string,
  x: Exceptions,
  summary: { files: { refused: number }; refused_files?: RefusedFile[] },
  names: ParticipantNames,
): string[] {
  const out = [`exceptions of ${date}`, ''];
  const refused = summary.refused_files;
  out.push(
    `refused files: ${summary.files.refused}${refused === undefined && summary.files.refused > 0 ? ' (not named: the day closed before lct named them)' : ''}`,
  );
  if (refused !== undefined && refused.length > 0)
    out.push(
      ...table(
        [{ header: 'file' }, { header: 'code' }, { header: 'sender (from the name)' }, { header: 'what was wrong' }],
        refused.map((f) => [f.file, f.code, f.sender === '' ? NONE : names.label(f.sender), f.detail]),
        '  ',
      ),
    );
  out.push('');
  out.push(`key conflicts (${reasonName('E09')}): ${x.key_conflicts.length}, each record above the record that holds its counter`);
  if (x.key_conflicts.length > 0)
    out.push(
      ...table(
        [{ header: 'record', align: 'right' }, { header: '' }, ...RECORD_COLUMNS],
        x.key_conflicts.flatMap((c) => [
          [String(c.record.id), 'this', ...recordCells(c.record, names)],
          ['', 'held', ...recordCells(c.held, names)],
        ]),
        '  ',
      ),
    );
  for (const [title, list] of [
    [`suspended (${reasonName('S01')})`, x.suspended],
    ['loads on blacklisted cards', x.blacklisted_loads],
  ] as const) {
    out.push('', `${title}: ${list.length}`);
    if (list.length > 0)
      out.push(
        ...table(
          [{ header: 'record', align: 'right' }, ...RECORD_COLUMNS],
          list.map((r) => [String(r.id), ...recordCells(r, names)]),
          '  ',
        ),
      );
  }
  out.push(
    '',
    `opened this day: ${count(x.card_seq_gaps.length, 'card sequence gap')}, ${count(x.balance_breaks.length, 'balance break')}, ` +
      `${count(x.terminal_seq_gaps.length, 'terminal sequence gap')} (lct recon items --date ${date})`,
  );
  return out;
}

// ---------------------------------------------------------------------------
// card history

/** A suspended record's release beside its verdict: ` (released by C5)`, or where its proposal stands. */
function releaseNote(r: ReleaseView | null): string {
  if (r === null) return '';
  if (r.status === 'posted') return ` (S01 released by ${r.id})`;
  if (r.status === 'approved') return ` (release ${r.id} approved, for ${isoDate(r.effective_date)})`;
  return ` (release ${r.id} proposed)`;
}

function cardLines(h: CardHistory, names: ParticipantNames): string[] {
  const issuer = names.name(h.issuer_id);
  const out = [
    `card ${h.issuer_id}:${h.card_no}${issuer ? `, issued by ${issuer}` : ''}: ${count(h.records.length, 'record')}, in counter order`,
    '',
  ];
  const rows = table(
    [
      { header: 'card seq', align: 'right' },
      { header: 'occurred' },
      { header: 'type' },
      { header: 'amount (yuan)', align: 'right' },
      { header: 'before (yuan)', align: 'right' },
      { header: 'after (yuan)', align: 'right' },
      { header: 'acquirer' },
      { header: 'terminal' },
      { header: 'verdict' },
      { header: 'cleared' },
      { header: 'record', align: 'right' },
    ],
    h.records.map((r) => [
      String(r.card_seq),
      isoTime(r.occurred_at),
      txnTypeName(r.txn_type),
      yuan(r.amount_fen),
      yuan(r.balance_before_fen),
      yuan(r.balance_after_fen),
      names.label(r.acquirer_id),
      r.terminal_id,
      verdictName(r.status, r.reason) + releaseNote(r.release),
      isoDate(r.cleared_date),
      String(r.id),
    ]),
    '  ',
  );
  out.push(rows[0]!);
  const gapAfter = new Map(h.gaps.map((g) => [g.after_seq, g]));
  h.records.forEach((r, k) => {
    out.push(rows[k + 1]!);
    const g = r.status !== 'REJECTED' ? gapAfter.get(r.card_seq) : undefined;
    if (g)
      out.push(
        g.kind === 'SEQ_GAP'
          ? `  ---- ${count(g.missing, 'counter')} missing (${g.missing === 1 ? g.after_seq + 1 : `${g.after_seq + 1}..${g.before_seq - 1}`}), balance jumps ${yuan(g.jump_fen)} yuan`
          : `  ---- balance break: ${yuan(g.jump_fen)} yuan between ${g.after_seq} and ${g.before_seq}`,
      );
  });
  const open = h.open_items.filter((i) => i.closed === null).length;
  out.push('', `${count(h.gaps.length, 'gap or break', 'gaps or breaks')}; ${open} of ${count(h.open_items.length, 'float item')} open`);
  if (h.open_items.length > 0)
    out.push(
      ...table(
        [
          { header: 'opened' },
          { header: 'category' },
          { header: 'seq' },
          { header: 'at stake (yuan)', align: 'right' },
          { header: 'state' },
          { header: 'id' },
        ],
        itemRuns(h.open_items).map((r) => {
          const i = r.items[0]!;
          return [
            isoDate(i.opened),
            i.category,
            itemSeq(i.category, r.lo, r.hi),
            yuan(r.amount_fen),
            itemState(i),
            `${i.id}${r.items.length > 1 ? ` +${r.items.length - 1}` : ''}`,
          ];
        }),
        '  ',
      ),
    );
  return out;
}

// ---------------------------------------------------------------------------
// record explain

const HELD_FIELDS = TRANSACTION_FIELDS;

/** A record's field as people read it: amounts in yuan, times in ISO form, types by name. */
function fieldText(k: string, v: unknown): string {
  if (v === undefined || v === null || v === '') return NONE;
  if (k.endsWith('_fen') && typeof v === 'number') return `${yuan(v)} yuan`;
  if (k === 'occurred_at') return isoTime(String(v));
  if (k === 'txn_type' && typeof v === 'number') return `${v} ${txnTypeName(v)}`;
  return String(v);
}

function clearedText(s: RecordStory): string {
  if (s.cleared_date === null) return s.suspense_date ? `no: suspended on ${isoDate(s.suspense_date)}` : 'no';
  if (s.suspense_date !== null && s.release?.status === 'posted')
    return `${isoDate(s.cleared_date)}, out of suspense (suspended on ${isoDate(s.suspense_date)}, released by ${s.release.id})`;
  return isoDate(s.cleared_date);
}

/** A release's story: who proposed and approved it, when, why, and where it stands. */
function releaseLines(r: ReleaseView, label: (k: string, text: string) => string): string[] {
  const out = [label('release', `correction ${r.id}, proposed by ${r.proposed_by} at ${isoTime(r.proposed_at)}: ${r.note}`)];
  const decided = r.decided_by === null ? '' : `approved by ${r.decided_by} at ${isoTime(r.decided_at ?? '')}`;
  const said = r.decision_note === null ? '' : ` (${r.decision_note})`;
  if (r.status === 'proposed') out.push(label('', 'awaits approval by another operator; until then the record stays suspended'));
  else if (r.status === 'approved')
    out.push(label('', `${decided}${said}; the batch of ${isoDate(r.effective_date)} clears it out of suspense`));
  else out.push(label('', `${decided}${said}; posted by the batch of ${isoDate(r.effective_date)} in ${r.entry_id}`));
  return out;
}

function storyLines(id: number, via: string | null, s: RecordStory, names: ParticipantNames): string[] {
  const r = s.record as Record<string, string | number>;
  const label = (k: string, text: string) => `  ${k.padEnd(10)} ${text}`;
  const out = [`record ${id} (${s.file.name}#${s.file.index})`];
  if (via !== null) out.push(label('found by', escapeControl(via)));
  const issuer = names.name(String(r.issuer_id));
  out.push(label('card', `${r.issuer_id}:${r.card_no} seq ${r.card_seq}${issuer ? `, issued by ${issuer}` : ''}`));
  out.push(
    label(
      'what',
      `${txnTypeName(r.txn_type as number)} of ${yuan(r.amount_fen as number)} yuan at ${isoTime(String(r.occurred_at))}, ` +
        `balance ${yuan(r.balance_before_fen as number)} -> ${yuan(r.balance_after_fen as number)} yuan`,
    ),
  );
  out.push(
    label(
      'where',
      `acquirer ${names.label(String(r.acquirer_id))}, merchant ${names.merchant(String(r.merchant_id))}, terminal ${r.terminal_id} #${r.terminal_seq}`,
    ),
  );
  out.push(label('file', `${s.file.name}#${s.file.index}, imported by the batch of ${isoDate(s.file.batch_date)}`));
  out.push(label('verdict', `${verdictName(s.verdict.status, s.verdict.reason)}${s.verdict.detail ? ` (${s.verdict.detail})` : ''}`));
  out.push(label('rule', s.verdict.rule));
  if (s.now.status !== s.verdict.status || s.now.reason !== s.verdict.reason)
    out.push(label('now', verdictName(s.now.status, s.now.reason)));
  if (s.conflict_with !== null) {
    const held = s.conflict_with as Record<string, unknown>;
    out.push(label('held', 'the record that holds the counter (* where the two differ):'));
    out.push(
      ...table(
        [{ header: 'field' }, { header: 'this record' }, { header: 'held record' }, { header: '' }],
        HELD_FIELDS.map((k) => [k, fieldText(k, r[k]), fieldText(k, held[k]), r[k] === held[k] ? '' : '*']),
        ' '.repeat(13),
      ),
    );
  }
  if (s.interop) {
    const answer = s.interop.national_status
      ? `${verdictName(s.interop.national_status, s.interop.national_reason ? `N:${s.interop.national_reason}` : '')}` +
        `${s.interop.national_date ? ` (batch of ${isoDate(s.interop.national_date)})` : ''}`
      : 'no answer yet';
    const sent = s.interop.file ? `${s.interop.file}#${s.interop.export_idx}` : `the INTEROP_OUT of ${isoDate(s.interop.exported_date)}`;
    out.push(label('interop', `sent in ${sent}; national centre: ${answer}`));
  }
  if (s.release !== null) out.push(...releaseLines(s.release, label));
  out.push(label('cleared', clearedText(s)));
  if (s.entries.length > 0) {
    out.push(label('entries', 'the journal entries it was posted in:'));
    out.push(
      ...table(
        [
          { header: 'entry' },
          { header: 'account' },
          { header: 'debit (yuan)', align: 'right' },
          { header: 'credit (yuan)', align: 'right' },
        ],
        s.entries.flatMap((e) =>
          e.postings.map((p, k) => [
            k === 0 ? e.id : '',
            names.account(p.account),
            p.debit_fen ? yuan(p.debit_fen) : '',
            p.credit_fen ? yuan(p.credit_fen) : '',
          ]),
        ),
        ' '.repeat(13),
      ),
    );
  }
  if (s.items.length > 0) {
    out.push(label('items', 'reconciliation items about it:'));
    out.push(
      ...table(
        [{ header: 'opened' }, { header: 'kind' }, { header: 'category' }, { header: 'state' }, { header: 'id' }],
        s.items.map((i) => [isoDate(i.opened), i.kind, i.category, itemState(i), i.id]),
        ' '.repeat(13),
      ),
    );
  }
  return out;
}
