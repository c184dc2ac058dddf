// Step 4: reconcile what can be reconciled by the end of the day
// (clearing-rules.md, "Reconciliation"). Findings become items in the store; an
// item closes when later data settles it. The report is computed here, once, and
// kept with the day so that a rerun writes the same file.
import type { Db } from '../store/db';
import { openItem, closeItem, openItemsAt, type NewReconItem, type ReconItemRow } from '../store/recon-items';
import { accountBalances } from '../store/journal';
import { CARD_SEQ_SPAN, TERMINAL_SEQ_SPAN, cardBase } from '../store/record-keys';
import { addDays, compactToIsoDate as isoDate } from '../core/calendar';
import { NightCards, type BatchContext } from './context';

/** A run of more than this many consecutive missing numbers is one item. */
const LONG_RUN = 500;

export interface KindCounts {
  matched: number;
  local_only: number;
  remote_only: number;
  amount_mismatch: number;
}

export interface ReconciliationReport {
  date: string;
  kinds: {
    uploads: KindCounts;
    national: KindCounts;
    bank: KindCounts;
    float: {
      ledger_movement_fen: number;
      cards_movement_fen: number;
      difference_fen: number;
      explained_fen: number;
      seq_gaps: number;
      balance_breaks: number;
    };
  };
  open_items: ReportItem[];
}

export interface ReportItem {
  id: string;
  kind: string;
  category: string;
  opened: string;
  ref: string;
  participant_id: string | null;
  ours: unknown;
  theirs: unknown;
}

export interface ExceptionsReport {
  date: string;
  key_conflicts: { record: unknown; held: unknown }[];
  suspended: unknown[];
  blacklisted_loads: unknown[];
  card_seq_gaps: ReportItem[];
  balance_breaks: ReportItem[];
  terminal_seq_gaps: ReportItem[];
}

export interface Reconciliation {
  report: ReconciliationReport;
  exceptions: ExceptionsReport;
  /** Items this day opened, by kind and category: any of them makes the day exit 3. */
  opened: Record<string, number>;
}

export function reconcile(ctx: BatchContext, range: { lo: number; hi: number }): Reconciliation {
  const db = ctx.db;
  const D = ctx.date;
  ctx.progress('reconcile: terminal completeness');
  terminalCompleteness(ctx, range);
  ctx.progress('reconcile: national centre and bank');
  unansweredByNational(ctx);
  unpaidByBank(ctx);
  ctx.progress('reconcile: card float');
  walkCards(ctx, range);
  ctx.nightCards = new NightCards(); // what the walk read, freed before the close's sorts
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
      `SELECT COUNT(*) FROM records WHERE national_date = @d AND national_status IN ('ACCEPTED', 'REJECTED')
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

  return { report, exceptions: exceptionsOf(db, D, range, open), opened };
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

/** Items for the numbers missing in [lo, hi]: one per number, or one for a run longer than LONG_RUN. */
function openGapItems(db: Db, D: string, participant: string, subject: string, lo: number, hi: number): void {
  const one = (a: number, b: number) =>
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
  if (hi - lo + 1 > LONG_RUN) one(lo, hi);
  else for (let n = lo; n <= hi; n++) one(n, n);
}

/**
 * Terminal completeness from this batch's upload records and each terminal's span
 * so far: numbers past the old span that are not here open items; numbers inside
 * it that arrived close the items that missed them.
 */
function terminalCompleteness(ctx: BatchContext, range: { lo: number; hi: number }): void {
  const db = ctx.db;
  const D = ctx.date;
  // Only integers cross from SQLite: the terminal keys of this batch's uploads,
  // sorted here; a key is the terminal's number * 2^32 + its terminal_seq.
  const all = new Float64Array(Math.max(0, range.hi - range.lo + 1));
  let count = 0;
  for (const key of db
    .prepare("SELECT terminal_key FROM records WHERE id BETWEEN ? AND ? AND source = 'TXN_UPLOAD'")
    .pluck()
    .iterate(range.lo, range.hi) as IterableIterator<number>) {
    all[count++] = key;
  }
  const keys = all.subarray(0, count).sort();
  const nameOf = db.prepare('SELECT acquirer_id, terminal_id FROM terminals WHERE id = ?');
  const spanOf = db.prepare('SELECT min_seq, max_seq FROM terminal_span WHERE terminal_ref = ?');
  const setSpan = db.prepare(
    'INSERT INTO terminal_span (terminal_ref, min_seq, max_seq) VALUES (?, ?, ?) ON CONFLICT(terminal_ref) DO UPDATE SET min_seq = excluded.min_seq, max_seq = excluded.max_seq',
  );
  const openGaps = db.prepare(
    "SELECT id, range_lo, range_hi, participant_id FROM recon_items WHERE kind = 'uploads' AND ref = ? AND closed_date IS NULL AND range_lo <= ? AND range_hi >= ?",
  );
  let i = 0;
  while (i < keys.length) {
    const ref = Math.floor(keys[i]! / TERMINAL_SEQ_SPAN);
    const distinct: number[] = [];
    for (; i < keys.length && Math.floor(keys[i]! / TERMINAL_SEQ_SPAN) === ref; i++) {
      const seq = keys[i]! - ref * TERMINAL_SEQ_SPAN;
      if (distinct.length === 0 || distinct[distinct.length - 1] !== seq) distinct.push(seq);
    }
    const names = nameOf.get(ref) as { acquirer_id: string; terminal_id: string };
    const subject = `${names.acquirer_id}/${names.terminal_id}`;
    const participant = names.acquirer_id;
    const span = spanOf.get(ref) as { min_seq: number; max_seq: number } | undefined;
    const lo = distinct[0]!;
    const hi = distinct[distinct.length - 1]!;
    const consider = (a: number, b: number) => {
      // numbers a..b (inclusive) not among `distinct` are missing
      let prev = a - 1;
      for (const s of distinct) {
        if (s < a) continue;
        if (s > b) break;
        if (s > prev + 1) openGapItems(db, D, participant, subject, prev + 1, s - 1);
        prev = s;
      }
      if (prev < b) openGapItems(db, D, participant, subject, prev + 1, b);
    };
    if (!span) {
      consider(lo, hi);
      setSpan.run(ref, lo, hi);
      continue;
    }
    if (hi > span.max_seq) consider(span.max_seq + 1, hi);
    if (lo < span.min_seq) consider(lo, span.min_seq - 1);
    // Late records inside the old span fill gaps.
    for (const s of distinct) {
      if (s < span.min_seq || s > span.max_seq) continue;
      for (const gap of openGaps.all(subject, s, s) as { id: string; range_lo: number; range_hi: number }[]) {
        closeItem(db, gap.id, D, 'data', `terminal_seq ${s} arrived`);
        const filled = new Set(distinct.filter((x) => x >= gap.range_lo && x <= gap.range_hi));
        let start: number | null = null;
        for (let n = gap.range_lo; n <= gap.range_hi + 1; n++) {
          const missing = n <= gap.range_hi && !filled.has(n);
          if (missing && start === null) start = n;
          if (!missing && start !== null) {
            openGapItems(db, D, participant, subject, start, n - 1);
            start = null;
          }
        }
      }
    }
    setSpan.run(ref, Math.min(lo, span.min_seq), Math.max(hi, span.max_seq));
  }
}

/** Records of day X's INTEROP_OUT with no verdict by the end of day X+3; closes those answered since. */
function unansweredByNational(ctx: BatchContext): void {
  const db = ctx.db;
  const D = ctx.date;
  const cutoff = addDays(D, -3);
  const rows = db
    .prepare(
      `SELECT id, exported_date, export_idx, card_no, card_seq, amount_fen, acquirer_id FROM records
        WHERE exported_date IS NOT NULL AND exported_date <= ? AND national_status IS NULL AND status = 'PENDING_INTEROP'`,
    )
    .all(cutoff) as {
    id: number;
    exported_date: string;
    export_idx: number;
    card_no: string;
    card_seq: number;
    amount_fen: number;
    acquirer_id: string;
  }[];
  for (const r of rows) {
    const ref = `INTEROP_OUT_${ctx.registry.centreId}_${ctx.registry.nationalId}_${r.exported_date}_0001.pb#${r.export_idx}`;
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
  const answered = db
    .prepare(`SELECT exported_date, export_idx FROM records WHERE national_date = ? AND exported_date IS NOT NULL`)
    .all(D) as { exported_date: string; export_idx: number }[];
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
    .all(addDays(D, -2)) as { instruction_id: string; business_date: string; payer_id: string; payee_id: string; amount_fen: number }[];
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

interface CardRecord {
  id: number;
  issuer_id: string;
  card_no: string;
  card_seq: number;
  balance_before_fen: number;
  balance_after_fen: number;
}

/**
 * The card-float walk: every local card with a record in this batch is walked
 * again in card_seq order over its whole history. Gaps and breaks found are
 * opened; open ones no longer found (a late record filled them) are closed.
 */
function walkCards(ctx: BatchContext, range: { lo: number; hi: number }): void {
  const db = ctx.db;
  const D = ctx.date;
  // Tonight's records of local cards come from the import (ctx.nightCards), as flat
  // runs of [id, card_seq, balance_before_fen, balance_after_fen] per card: a million
  // records stay numbers in arrays, not a million objects. The import's map is taken
  // over (nothing reads it after the walk).
  const tonight = ctx.nightCards;
  // Records of this batch that an interrupted run imported are read back from the store.
  const readBackTo = (ctx.nightCards.firstId ?? range.hi + 1) - 1;
  if (readBackTo >= range.lo) {
    const rows = db
      .prepare(
        `SELECT id, issuer_id, card_no, card_key, card_seq, balance_before_fen, balance_after_fen FROM records
          WHERE id BETWEEN ? AND ? AND local = 1 AND status <> 'REJECTED'`,
      )
      .raw(true)
      .iterate(range.lo, readBackTo) as IterableIterator<[number, string, string, number, number, number, number]>;
    for (const [id, issuer, card, key, seq, before, after] of rows) tonight.append(issuer, card, key, id, seq, before, after);
  }
  const stateOf = db
    .prepare(
      'SELECT first_id, first_seq, first_before_fen, last_id, last_seq, last_after_fen FROM card_float WHERE card_base = ? AND issuer_id = ? AND card_no = ?',
    )
    .raw(true);
  const historyOf = db
    .prepare(
      `SELECT r.id, r.card_seq, r.balance_before_fen, r.balance_after_fen, r.issuer_id, r.card_no
         FROM days d JOIN card_keys k ON k.night = CAST(d.date AS INTEGER) AND k.card_key BETWEEN ? AND ?
         JOIN records r ON r.id = k.record_id
        WHERE k.record_id < ? AND r.status <> 'REJECTED' AND r.local = 1
        ORDER BY k.card_key, k.record_id`,
    )
    .raw(true);
  const openFloat = new Map<string, string[]>();
  for (const row of db
    .prepare("SELECT id, ref FROM recon_items WHERE kind = 'float' AND closed_date IS NULL")
    .iterate() as IterableIterator<{ id: string; ref: string }>) {
    const list = openFloat.get(row.ref);
    if (list) list.push(row.id);
    else openFloat.set(row.ref, [row.id]);
  }
  const setAmount = db.prepare('UPDATE recon_items SET amount_fen = ? WHERE id = ? AND closed_date IS NULL');
  const setFloat = db.prepare(
    `INSERT INTO card_float (card_base, issuer_id, card_no, movement_fen, first_id, first_seq, first_before_fen, last_id, last_seq, last_after_fen)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(card_base, issuer_id, card_no) DO UPDATE SET movement_fen = excluded.movement_fen,
       first_id = excluded.first_id, first_seq = excluded.first_seq, first_before_fen = excluded.first_before_fen,
       last_id = excluded.last_id, last_seq = excluded.last_seq, last_after_fen = excluded.last_after_fen`,
  );
  // Per card, what its history already says (card_float) decides how much to walk:
  // tonight's records all after its last counter (the usual night) extend the walk
  // from that last record; a late record inside the history walks the card's whole
  // history again, so that gaps it fills close and split gaps carry their new jumps.
  for (const [issuer_id, card_no, flat] of tonight.cards()) {
    const subject = `${issuer_id}/${card_no}`;
    const base = cardBase(issuer_id, card_no);
    const state = stateOf.get(base, issuer_id, card_no) as [number, number, number, number, number, number] | undefined;
    let minSeq = Infinity;
    for (let i = 1; i < flat.length; i += 4) minSeq = Math.min(minSeq, flat[i]!);
    if (state === undefined) {
      walkCard(subject, flat, false);
    } else if (minSeq > state[4]) {
      const [first_id, first_seq, first_before] = state;
      // The history's last record leads tonight's (its balance_before is not needed).
      walkCard(subject, [state[3], state[4], 0, state[5], ...flat], false, { id: first_id, seq: first_seq, before: first_before });
    } else {
      const all = flat.slice();
      for (const [id, seq, before, after, i, c] of historyOf.iterate(base, base + CARD_SEQ_SPAN - 1, range.lo) as IterableIterator<
        [number, number, number, number, string, string]
      >) {
        if (i === issuer_id && c === card_no) all.push(id, seq, before, after);
      }
      walkCard(subject, all, true);
    }
  }

  /**
   * Walks one card's records (flat [id, seq, before, after] runs, any order) in
   * counter order, opening what it finds. `whole`: the runs are the card's whole
   * history, so open items not found again are settled and close. `first`: the
   * card's first record when it lies before the runs (for the card's movement).
   */
  function walkCard(subject: string, flat: number[], whole: boolean, first?: { id: number; seq: number; before: number }): void {
    const [issuer_id, card_no] = subject.split('/') as [string, string];
    const n = flat.length / 4;
    const order = Array.from({ length: n }, (_, i) => i * 4).sort((x, y) => flat[x + 1]! - flat[y + 1]!);
    const rec = (o: number): CardRecord => ({
      id: flat[o]!,
      issuer_id,
      card_no,
      card_seq: flat[o + 1]!,
      balance_before_fen: flat[o + 2]!,
      balance_after_fen: flat[o + 3]!,
    });
    const found = new Set<string>();
    const note = (item: NewReconItem) => {
      found.add(item.id);
      // A gap that a late record split carries a new jump: keep the open item's amount current.
      if (!openItem(db, D, item)) setAmount.run(item.amount_fen ?? 0, item.id);
    };
    for (let k = 1; k < n; k++) {
      const pa = order[k - 1]!;
      const pb = order[k]!;
      const jump = flat[pb + 2]! - flat[pa + 3]!;
      const gap = flat[pb + 1]! > flat[pa + 1]! + 1;
      if (!gap && jump === 0) continue;
      const a = rec(pa);
      const b = rec(pb);
      const ours = { card_no, before: { card_seq: a.card_seq, balance_after_fen: a.balance_after_fen, record_id: a.id } };
      const theirs = { after: { card_seq: b.card_seq, balance_before_fen: b.balance_before_fen, record_id: b.id } };
      if (gap) {
        // Each missing counter is an item (a run longer than LONG_RUN is one); the jump
        // across the run is carried by its first item, so that the amounts add up.
        const lo = a.card_seq + 1;
        const hi = b.card_seq - 1;
        const runs: [number, number][] =
          hi - lo + 1 > LONG_RUN ? [[lo, hi]] : Array.from({ length: hi - lo + 1 }, (_, i) => [lo + i, lo + i]);
        runs.forEach(([x, y], i) => {
          note({
            id: `float:SEQ_GAP:${subject}:${x}-${y}`,
            kind: 'float',
            category: 'SEQ_GAP',
            ref: subject,
            participant_id: null,
            ours,
            theirs,
            amount_fen: i === 0 ? jump : 0,
            range_lo: x,
            range_hi: y,
          });
        });
      } else {
        note({
          id: `float:BALANCE_BREAK:${subject}:${a.card_seq}-${b.card_seq}`,
          kind: 'float',
          category: 'BALANCE_BREAK',
          ref: subject,
          participant_id: null,
          ours,
          theirs,
          amount_fen: jump,
          range_lo: a.card_seq,
          range_hi: b.card_seq,
        });
      }
    }
    if (whole) {
      for (const id of openFloat.get(subject) ?? []) {
        if (!found.has(id)) closeItem(db, id, D, 'data', 'settled by a later record');
      }
    }
    const o = order[0]!;
    const head = first ?? { id: flat[o]!, seq: flat[o + 1]!, before: flat[o + 2]! };
    const last = order[n - 1]!;
    setFloat.run(
      cardBase(issuer_id, card_no),
      issuer_id,
      card_no,
      flat[last + 3]! - head.before,
      head.id,
      head.seq,
      head.before,
      flat[last]!,
      flat[last + 1]!,
      flat[last + 3]!,
    );
  }
}

function exceptionsOf(db: Db, D: string, range: { lo: number; hi: number }, open: ReconItemRow[]): ExceptionsReport {
  const cols =
    'id, issuer_id, card_no, card_seq, txn_type, amount_fen, terminal_id, terminal_seq, acquirer_id, merchant_id, occurred_at, status, reason';
  const conflicts = db
    .prepare(
      `SELECT ${cols
        .split(', ')
        .map((c) => `r.${c}`)
        .join(', ')}, k.held_json FROM records r JOIN key_conflicts k ON k.record_id = r.id WHERE r.id BETWEEN ? AND ? ORDER BY r.id`,
    )
    .all(range.lo, range.hi) as ({ held_json: string } & Record<string, unknown>)[];
  const suspended = db
    .prepare(`SELECT ${cols} FROM records WHERE id BETWEEN ? AND ? AND verdict_status = 'SUSPENDED' ORDER BY id`)
    .all(range.lo, range.hi);
  const loads = db
    .prepare(`SELECT ${cols} FROM records WHERE id BETWEEN ? AND ? AND blacklisted_load = 1 ORDER BY id`)
    .all(range.lo, range.hi);
  const openedToday = (kind: string, category: string) =>
    open.filter((i) => i.kind === kind && i.category === category && i.opened_date === D).map(reportItem);
  return {
    date: isoDate(D),
    key_conflicts: conflicts.map(({ held_json, ...record }) => ({ record, held: JSON.parse(held_json) })),
    suspended,
    blacklisted_loads: loads,
    card_seq_gaps: openedToday('float', 'SEQ_GAP'),
    balance_breaks: openedToday('float', 'BALANCE_BREAK'),
    terminal_seq_gaps: openedToday('uploads', 'REMOTE_ONLY'),
  };
}
