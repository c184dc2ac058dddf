// Step 4: reconcile what can be reconciled by the end of the day
// (clearing-rules.md, "Reconciliation"). Findings become items in the store; an
// item closes when later data settles it. The report is computed here, once, and
// kept with the day so that a rerun writes the same file.
import type { Db } from '../store/db';
import { openItem, closeItem, openItemsAt, type NewReconItem, type ReconItemRow } from '../store/recon-items';
import { accountBalances } from '../store/journal';
import { exceptionalRows, type RecordRange } from '../store/batch-records';
import { refusedFilesOf } from '../store/file-log';
import { CARD_SEQ_SPAN, TERMINAL_SEQ_SPAN } from '../store/record-keys';
import { withFields, type KeptRecords } from '../store/kept-files';
import { KeyRuns } from '../store/key-runs';
import { ManyRows } from '../store/many-rows';
import { statusIs } from '../store/record-columns';
import { addDays, compactToIsoDate as isoDate } from '../core/calendar';
import { RUN_SEQ, RUN_WIDTH, walkCard, type CardHead } from '../core/card-float';
import { balanceBefore } from '../core/validate';
import { BANK_LINE_DAYS, NATIONAL_VERDICT_DAYS } from '../core/deadlines';
import type { ExceptionsReport, KindCounts, ReconciliationReport, ReportItem } from '../core/reports';
import { terminalCompleteness, type OpenGap } from '../core/terminal-completeness';
import type { BatchContext } from './context';

export interface Reconciliation {
  report: ReconciliationReport;
  exceptions: ExceptionsReport;
  /** Items this day opened, by kind and category: any of them makes the day exit 3. */
  opened: Record<string, number>;
}

export function reconcile(ctx: BatchContext, range: RecordRange): Reconciliation {
  const db = ctx.db;
  const D = ctx.date;
  ctx.progress('reconcile: national centre and bank');
  unansweredByNational(ctx);
  unpaidByBank(ctx);
  ctx.progress('reconcile: card float');
  walkCards(ctx, range);
  ctx.tonight.freeMemory(); // tonight's card runs, walked
  // After the walk: the night's terminal keys, sorted (120 MB at 5M, for a moment),
  // are taken once tonight's card runs have gone.
  ctx.progress('reconcile: terminal completeness');
  checkTerminals(ctx, range);
  ctx.progress('reconcile: report');

  const open = openItemsAt(db, D);
  const count = (kind: string, category: string) => open.filter((i) => i.kind === kind && i.category === category).length;
  const counts = (kind: string, matched: number): KindCounts => ({
    matched,
    local_only: count(kind, 'LOCAL_ONLY'),
    remote_only: count(kind, 'REMOTE_ONLY'),
    amount_mismatch: count(kind, 'AMOUNT_MISMATCH'),
  });
  const nationalMatched = db
    .prepare(
      // Matched by an answer that arrived today; a record an operator released is not a match.
      `SELECT COUNT(*) FROM exports WHERE national_date = @d AND national_status IN ('ACCEPTED', 'REJECTED')
          AND national_file_id IN (SELECT id FROM files WHERE batch_date = @d)`,
    )
    .pluck()
    .get({ d: D }) as number;
  const bankMatched = db
    .prepare('SELECT COUNT(*) FROM bank_lines b JOIN files f ON f.id = b.file_id WHERE f.batch_date = ? AND b.matched = 1')
    .pluck()
    .get(D) as number;
  const floatCards = -(accountBalances(db).find((b) => b.account === 'float:cards')?.balance_fen ?? 0);
  const cardsMovement = db.prepare('SELECT COALESCE(SUM(movement_fen), 0) FROM card_float').pluck().get() as number;
  const explained = open.filter((i) => i.kind === 'float').reduce((s, i) => s + i.amount_fen, 0);

  const report: ReconciliationReport = {
    date: isoDate(D),
    kinds: {
      uploads: { matched: 0, local_only: 0, remote_only: count('uploads', 'REMOTE_ONLY'), amount_mismatch: 0 },
      national: counts('national', nationalMatched),
      bank: counts('bank', bankMatched),
      float: {
        ledger_movement_fen: floatCards,
        cards_movement_fen: cardsMovement,
        difference_fen: cardsMovement - floatCards,
        explained_fen: explained,
        seq_gaps: count('float', 'SEQ_GAP'),
        balance_breaks: count('float', 'BALANCE_BREAK'),
      },
    },
    open_items: open.map(reportItem),
  };

  const openedToday = db.prepare('SELECT kind, category, COUNT(*) AS n FROM recon_items WHERE opened_date = ? GROUP BY 1, 2').all(D) as {
    kind: string;
    category: string;
    n: number;
  }[];
  const opened: Record<string, number> = {};
  for (const r of openedToday) opened[`${r.kind}:${r.category}`] = r.n;

  return { report, exceptions: exceptionsOf(db, ctx.tonight.kept, D, range, open, ctx.tonight.exceptionalIds()), opened };
}

function reportItem(i: ReconItemRow): ReportItem {
  return {
    id: i.id,
    kind: i.kind,
    category: i.category,
    opened: isoDate(i.opened_date),
    ref: i.ref,
    participant_id: i.participant_id,
    ours: JSON.parse(i.ours_json),
    theirs: JSON.parse(i.theirs_json),
  };
}

/** The item for the numbers a..b that a terminal (subject: acquirer/terminal) never delivered. */
function openGapItem(db: Db, D: string, participant: string, subject: string, [a, b]: [number, number]): void {
  openItem(db, D, {
    id: `uploads:REMOTE_ONLY:${subject}:${a}-${b}`,
    kind: 'uploads',
    category: 'REMOTE_ONLY',
    ref: subject,
    participant_id: participant,
    ours: {},
    theirs: { terminal: subject, missing_from: a, missing_to: b, count: b - a + 1 },
    range_lo: a,
    range_hi: b,
  });
}

/** What the walk of a card that found nothing found. */
const NOTHING_FOUND: Set<string> = new Set();

/** Cards whose card_float rows one query reads. */
const STATES_AT_ONCE = 256;

/** Cards walked between two full collections on a big night. */
const CARDS_PER_COLLECTION = 1 << 17;

/** Rows read at once by the walk (an interrupted run's records of the batch). */
const KEY_SLICE = 65536;

/**
 * Terminal completeness (src/core/terminal-completeness.ts) for every terminal of
 * this batch's uploads, against each terminal's span so far: numbers past the old
 * span that are not here open items; numbers inside it that arrived close the items
 * that missed them.
 */
function checkTerminals(ctx: BatchContext, range: RecordRange): void {
  const db = ctx.db;
  // Only integers cross from SQLite: the night's terminal keys, sorted once for this
  // and for the night's key runs (Tonight.terminalKeys); a key is the terminal's
  // number * 2^32 + its terminal_seq. Only the uploads' count here: a file's records
  // have consecutive ids, so the uploads are known by their files' id ranges.
  ctx.tonight.terminalKeys(range, (sorted) => {
    const upload = new Uint8Array(Math.max(0, range.hi - range.lo + 1));
    const uploads = db.prepare(
      `SELECT first_record_id, record_count FROM files
        WHERE kind = 'TXN_UPLOAD' AND outcome = 'IMPORTED' AND first_record_id BETWEEN ? AND ?`,
    );
    for (const f of uploads.all(range.lo, range.hi) as { first_record_id: number; record_count: number }[]) {
      upload.fill(1, f.first_record_id - range.lo, f.first_record_id - range.lo + f.record_count);
    }
    // The uploads' keys, in place: the night's runs are written (a 5M night's keys are 40 MB).
    const keys = sorted.keys;
    let count = 0;
    for (let i = 0; i < sorted.n; i++) if (upload[sorted.offsets[i]!] === 1) keys[count++] = keys[i]!;
    checkTerminalKeys(ctx, keys.subarray(0, count));
  });
}

/** Terminal completeness over the sorted terminal keys of this batch's uploads. */
function checkTerminalKeys(ctx: BatchContext, keys: Float64Array): void {
  const db = ctx.db;
  const D = ctx.date;
  const nameOf = db.prepare('SELECT acquirer_id, terminal_id FROM terminals WHERE id = ?');
  const spanOf = db.prepare('SELECT min_seq, max_seq FROM terminal_span WHERE terminal_ref = ?');
  const setSpan = db.prepare(
    'INSERT INTO terminal_span (terminal_ref, min_seq, max_seq) VALUES (?, ?, ?) ON CONFLICT(terminal_ref) DO UPDATE SET min_seq = excluded.min_seq, max_seq = excluded.max_seq',
  );
  const openGaps = db.prepare("SELECT id, range_lo, range_hi FROM recon_items WHERE kind = 'uploads' AND ref = ? AND closed_date IS NULL");
  let i = 0;
  while (i < keys.length) {
    const ref = Math.floor(keys[i]! / TERMINAL_SEQ_SPAN);
    const seqs: number[] = [];
    for (; i < keys.length && Math.floor(keys[i]! / TERMINAL_SEQ_SPAN) === ref; i++) {
      const seq = keys[i]! - ref * TERMINAL_SEQ_SPAN;
      if (seqs.length === 0 || seqs[seqs.length - 1] !== seq) seqs.push(seq);
    }
    const names = nameOf.get(ref) as { acquirer_id: string; terminal_id: string };
    const subject = `${names.acquirer_id}/${names.terminal_id}`;
    const span = spanOf.get(ref) as { min_seq: number; max_seq: number } | undefined;
    // The open items matter only to numbers inside the old span: most nights have none.
    const inside = span !== undefined && seqs[0]! <= span.max_seq && seqs[seqs.length - 1]! >= span.min_seq;
    const found = terminalCompleteness(seqs, span, inside ? (openGaps.all(subject) as OpenGap[]) : []);
    for (const gap of found.gaps) openGapItem(db, D, names.acquirer_id, subject, gap);
    for (const fill of found.fills) {
      closeItem(db, fill.id, D, 'data', `terminal_seq ${fill.seq} arrived`);
      for (const gap of fill.reopened) openGapItem(db, D, names.acquirer_id, subject, gap);
    }
    setSpan.run(ref, found.span.min_seq, found.span.max_seq);
  }
}

/** Records of day X's INTEROP_OUT with no verdict by the end of day X+3; closes those answered since. */
function unansweredByNational(ctx: BatchContext): void {
  const db = ctx.db;
  const D = ctx.date;
  const cutoff = addDays(D, -NATIONAL_VERDICT_DAYS);
  const unanswered = db
    .prepare(
      `SELECT id, file_id, idx, exported_date, export_idx, amount_fen, acquirer_id FROM record_view
        WHERE exported_date IS NOT NULL AND exported_date <= ? AND national_status IS NULL AND status = 'PENDING_INTEROP' ORDER BY id`,
    )
    .all(cutoff) as { file_id: number; idx: number; exported_date: string; export_idx: number }[];
  // An item once opened is never opened again (openItem ignores it): only the records
  // without one are read back from their kept bytes, not the whole growing list each night.
  const itemExists = db.prepare('SELECT 1 FROM recon_items WHERE id = ?').pluck();
  const refOf = (r: { exported_date: string; export_idx: number }) =>
    `INTEROP_OUT_${ctx.registry.centreId}_${ctx.registry.nationalId}_${r.exported_date}_0001.pb#${r.export_idx}`;
  const fresh = unanswered.filter((r) => itemExists.get(`national:LOCAL_ONLY:${refOf(r)}`) === undefined);
  const rows = withFields(ctx.tonight.kept, fresh) as unknown as {
    id: number;
    exported_date: string;
    export_idx: number;
    card_no: string;
    card_seq: number;
    amount_fen: number;
    acquirer_id: string;
  }[];
  for (const r of rows) {
    const ref = refOf(r);
    openItem(db, D, {
      id: `national:LOCAL_ONLY:${ref}`,
      kind: 'national',
      category: 'LOCAL_ONLY',
      ref,
      participant_id: r.acquirer_id,
      ours: { record_id: r.id, card_no: r.card_no, card_seq: r.card_seq, amount_fen: r.amount_fen },
      theirs: {},
    });
  }
  const answered = db.prepare(`SELECT exported_date, export_idx FROM exports WHERE national_date = ?`).all(D) as {
    exported_date: string;
    export_idx: number;
  }[];
  for (const r of answered) {
    const ref = `INTEROP_OUT_${ctx.registry.centreId}_${ctx.registry.nationalId}_${r.exported_date}_0001.pb#${r.export_idx}`;
    closeItem(db, `national:LOCAL_ONLY:${ref}`, D, 'data', 'answered by the national centre');
  }
}

/** Instructions of day X with no bank line at all by the end of day X+2. */
function unpaidByBank(ctx: BatchContext): void {
  const db = ctx.db;
  const D = ctx.date;
  const rows = db
    .prepare(
      `SELECT i.instruction_id, i.business_date, i.payer_id, i.payee_id, i.amount_fen FROM instructions i
        WHERE i.business_date <= ? AND i.confirmed_line IS NULL
          AND NOT EXISTS (SELECT 1 FROM bank_lines b WHERE b.instruction_id = i.instruction_id)`,
    )
    .all(addDays(D, -BANK_LINE_DAYS)) as {
    instruction_id: string;
    business_date: string;
    payer_id: string;
    payee_id: string;
    amount_fen: number;
  }[];
  for (const r of rows) {
    openItem(db, D, {
      id: `bank:LOCAL_ONLY:${r.instruction_id}`,
      kind: 'bank',
      category: 'LOCAL_ONLY',
      ref: r.instruction_id,
      participant_id: r.payer_id === ctx.registry.centreId ? r.payee_id : r.payer_id,
      ours: r,
      theirs: {},
    });
  }
}

/**
 * The card-float walk (src/core/card-float.ts): every local card with a record in
 * this batch is walked again in card_seq order. Gaps and breaks found are opened;
 * open ones no longer found (a late record filled them) are closed.
 */
function walkCards(ctx: BatchContext, range: RecordRange): void {
  const db = ctx.db;
  const D = ctx.date;
  // Tonight's records of local cards come from the import, as runs per card: a
  // million records stay numbers in arrays, not a million objects. Taken over: their
  // memory goes with the walk, before the close's sorts.
  const tonight = ctx.tonight.takeCardRuns();
  // Records of this batch that an interrupted run imported are read back from the store.
  const readBackTo = (tonight.firstId ?? range.hi + 1) - 1;
  if (readBackTo >= range.lo) {
    // A slice of ids at a time: a 5M night's records as objects at once would not fit.
    const rowsOf = db.prepare(
      `SELECT id, file_id, idx, card_key FROM records WHERE id BETWEEN ? AND ? AND local = 1 AND NOT ${statusIs('REJECTED')} ORDER BY id`,
    );
    for (let from = range.lo; from <= readBackTo; from += KEY_SLICE) {
      const rows = rowsOf.all(from, Math.min(readBackTo, from + KEY_SLICE - 1)) as {
        id: number;
        file_id: number;
        idx: number;
        card_key: number;
      }[];
      for (const r of withFields(ctx.tonight.kept, rows)) {
        tonight.appendEarlier(r.issuer_id, r.card_no, r.card_key, r.id, r.card_seq, r.balance_before_fen, r.balance_after_fen);
      }
    }
  }
  const statesOf = db
    .prepare(
      `SELECT card_base, issuer_id, card_no, first_id, first_seq, first_before_fen, last_id, last_seq, last_after_fen FROM card_float
        WHERE card_base IN (SELECT value FROM json_each(?))`,
    )
    .raw(true);
  // A card's history from its rows: its counter is in its card key, its balance after
  // in the row, and its balance before follows from them (E04 holds for every record
  // not rejected). Only when another card shares the card's hash (card_float has both)
  // are the records' names read, from their kept bytes, to tell the two apart.
  const cardsUnder = db.prepare('SELECT COUNT(*) FROM card_float WHERE card_base = ?').pluck();
  const keyRuns = new KeyRuns(db);
  const rowsOf = db.prepare(
    `SELECT id, card_key, txn_type, amount_fen, balance_after_fen, file_id, idx FROM records
      WHERE id IN (SELECT value FROM json_each(?)) AND NOT ${statusIs('REJECTED')} AND local = 1
      ORDER BY card_key, id`,
  );
  /** History's records (before this batch's) under the card keys lo..hi. */
  const historyOf = (lo: number, hi: number, before: number): unknown[] => {
    const ids: number[] = [];
    keyRuns.between('card', lo, hi, (_, id) => {
      if (id < before) ids.push(id);
    });
    return ids.length === 0 ? [] : rowsOf.all(JSON.stringify(ids));
  };
  const openFloat = new Map<string, string[]>();
  for (const row of db
    .prepare("SELECT id, ref FROM recon_items WHERE kind = 'float' AND closed_date IS NULL")
    .iterate() as IterableIterator<{ id: string; ref: string }>) {
    const list = openFloat.get(row.ref);
    if (list) list.push(row.id);
    else openFloat.set(row.ref, [row.id]);
  }
  const setAmount = db.prepare('UPDATE recon_items SET amount_fen = ? WHERE id = ? AND closed_date IS NULL');
  // Each card's float row, FLOATS_AT_ONCE to a statement (a statement's run cost more
  // than the row: a 5M night walks a million cards). A card comes once in a walk, so
  // no two rows of one statement are the same card; a read of card_float that could
  // meet a row held back (cardsUnder) first writes them.
  const floats = new ManyRows(
    db,
    'INSERT INTO card_float (card_base, issuer_id, card_no, movement_fen, first_id, first_seq, first_before_fen, last_id, last_seq, last_after_fen)',
    '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    10,
    FLOATS_AT_ONCE,
    `ON CONFLICT(card_base, issuer_id, card_no) DO UPDATE SET movement_fen = excluded.movement_fen,
       first_id = excluded.first_id, first_seq = excluded.first_seq, first_before_fen = excluded.first_before_fen,
       last_id = excluded.last_id, last_seq = excluded.last_seq, last_after_fen = excluded.last_after_fen`,
  );

  /**
   * Walks one card and writes what it finds. `whole`: the runs are the card's whole
   * history, so open items not found again are settled and close. `first`: the card's
   * first record when it lies before the runs.
   */
  const walk = (issuer_id: string, card_no: string, base: number, runs: number[], whole: boolean, first?: CardHead): void => {
    const w = walkCard(runs, first);
    // Most cards find nothing and have no open item: their subject is not spelled.
    const subject = w.findings.length > 0 || (whole && openFloat.size > 0) ? `${issuer_id}/${card_no}` : '';
    const found = w.findings.length === 0 ? NOTHING_FOUND : new Set<string>();
    for (const f of w.findings) {
      const item: NewReconItem = {
        id: `float:${f.category}:${subject}:${f.range_lo}-${f.range_hi}`,
        kind: 'float',
        category: f.category,
        ref: subject,
        participant_id: null,
        ours: { card_no, before: f.before },
        theirs: { after: f.after },
        amount_fen: f.amount_fen,
        range_lo: f.range_lo,
        range_hi: f.range_hi,
      };
      found.add(item.id);
      // A gap that a late record split carries a new jump: keep the open item's amount current.
      if (!openItem(db, D, item)) setAmount.run(item.amount_fen ?? 0, item.id);
    }
    if (whole && subject !== '') {
      for (const id of openFloat.get(subject) ?? []) {
        if (!found.has(id)) closeItem(db, id, D, 'data', 'settled by a later record');
      }
    }
    floats.add(
      base,
      issuer_id,
      card_no,
      w.movement_fen,
      w.first_id,
      w.first_seq,
      w.first_before_fen,
      w.last_id,
      w.last_seq,
      w.last_after_fen,
    );
  };

  // Per card, what its history already says (card_float) decides how much to walk:
  // tonight's records all after its last counter (the usual night) extend the walk
  // from that last record; a late record inside the history walks the card's whole
  // history again, so that gaps it fills close and split gaps carry their new jumps.
  let walked = 0;
  const walkOne = (issuer_id: string, card_no: string, base: number, runs: number[], state: number[] | undefined): void => {
    // Each card's walk leaves a little garbage; on a 5M night's half a million cards it
    // piled up some 100 MB between the collector's own full collections.
    if (++walked % CARDS_PER_COLLECTION === 0) ctx.tonight.freeMemory();
    let minSeq = Infinity;
    for (let i = RUN_SEQ; i < runs.length; i += RUN_WIDTH) minSeq = Math.min(minSeq, runs[i]!);
    if (state === undefined) {
      walk(issuer_id, card_no, base, runs, false);
    } else if (minSeq > state[4]!) {
      const [first_id, first_seq, first_before, last_id, last_seq, last_after] = state as [number, number, number, number, number, number];
      // History's last record leads tonight's (its balance_before is not needed).
      walk(issuer_id, card_no, base, [last_id, last_seq, 0, last_after, ...runs], false, {
        id: first_id,
        seq: first_seq,
        before: first_before,
      });
    } else {
      const all = runs.slice();
      const history = historyOf(base, base + CARD_SEQ_SPAN - 1, range.lo) as {
        id: number;
        card_key: number;
        txn_type: number;
        amount_fen: number;
        balance_after_fen: number;
        file_id: number;
        idx: number;
      }[];
      floats.flush();
      const shared = (cardsUnder.get(base) as number) > 1;
      const mine = shared
        ? withFields(ctx.tonight.kept, history).filter((r) => r.issuer_id === issuer_id && r.card_no === card_no)
        : history;
      for (const r of mine) {
        all.push(r.id, r.card_key - base, balanceBefore(r.txn_type, r.amount_fen, r.balance_after_fen), r.balance_after_fen);
      }
      walk(issuer_id, card_no, base, all, true);
    }
  };
  // What card_float says of the cards, STATES_AT_ONCE cards to a query (a night walks
  // hundreds of thousands): read before their walks, which write only other cards' rows.
  let batch: [string, string, number[], number][] = [];
  const walkBatch = (): void => {
    const bases = batch.map(([, , , base]) => base);
    const rows = new Map<number, unknown[][]>();
    if (batch.length > 0) {
      for (const row of statesOf.all(JSON.stringify(bases)) as unknown[][]) {
        const under = rows.get(row[0] as number);
        if (under === undefined) rows.set(row[0] as number, [row]);
        else under.push(row);
      }
    }
    batch.forEach(([issuer_id, card_no, runs], k) => {
      const row = rows.get(bases[k]!)?.find((r) => r[1] === issuer_id && r[2] === card_no);
      walkOne(issuer_id, card_no, bases[k]!, runs, row === undefined ? undefined : (row.slice(3) as number[]));
    });
    batch = [];
  };
  for (const card of tonight.cards()) {
    batch.push(card);
    if (batch.length === STATES_AT_ONCE) walkBatch();
  }
  walkBatch();
  floats.flush();
}

/** Card float rows written at once by the walk. */
const FLOATS_AT_ONCE = 32;

type ShownRow = { id: number; file_id: number; idx: number; status: string; reason: string };

function exceptionsOf(
  db: Db,
  kept: KeptRecords,
  D: string,
  range: RecordRange,
  open: ReconItemRow[],
  exceptional: readonly number[] | null,
): ExceptionsReport {
  // The report's columns, in its order: the record's fields from its kept bytes, its status from its row.
  const shown = (rows: ShownRow[]) =>
    withFields(kept, rows).map((r) => ({
      id: r.id,
      issuer_id: r.issuer_id,
      card_no: r.card_no,
      card_seq: r.card_seq,
      txn_type: r.txn_type,
      amount_fen: r.amount_fen,
      terminal_id: r.terminal_id,
      terminal_seq: r.terminal_seq,
      acquirer_id: r.acquirer_id,
      merchant_id: r.merchant_id,
      occurred_at: r.occurred_at,
      status: r.status,
      reason: r.reason,
    }));
  const cols = 'r.id, r.file_id, r.idx, r.status, r.reason';
  const conflicts = db
    .prepare(
      `SELECT ${cols}, k.held_json FROM record_view r JOIN key_conflicts k ON k.record_id = r.id WHERE r.id BETWEEN ? AND ? ORDER BY r.id`,
    )
    .all(range.lo, range.hi) as (ShownRow & { held_json: string })[];
  const conflictRecords = shown(conflicts);
  // Read among tonight's exceptional records, not the night's million (exceptionalRows).
  const suspended = shown(exceptionalRows<ShownRow>(db, cols, 'record_view r', "r.verdict_status = 'SUSPENDED'", range, exceptional));
  const loads = shown(exceptionalRows<ShownRow>(db, cols, 'record_view r', 'r.blacklisted_load = 1', range, exceptional));
  const openedToday = (kind: string, category: string) =>
    open.filter((i) => i.kind === kind && i.category === category && i.opened_date === D).map(reportItem);
  return {
    date: isoDate(D),
    key_conflicts: conflicts.map((c, i) => ({ record: conflictRecords[i]!, held: JSON.parse(c.held_json) })),
    suspended,
    blacklisted_loads: loads,
    card_seq_gaps: openedToday('float', 'SEQ_GAP'),
    balance_breaks: openedToday('float', 'BALANCE_BREAK'),
    terminal_seq_gaps: openedToday('uploads', 'REMOTE_ONLY'),
    refused_files: refusedFilesOf(db, D),
  };
}
