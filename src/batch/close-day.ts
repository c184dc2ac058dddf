// Steps 2-4 of a batch after import: export the remote cards' records, clear the
// day, post it, issue the settlement instructions, match the bank's lines,
// reconcile, and close the day. All of it is one transaction: a process killed
// midway leaves the day open and untouched, and the rerun does it whole. The day's
// approved corrections are posted in it too, so each is posted exactly once: a
// crash before the commit leaves them approved, and the rerun posts them.
import { strict as assert } from 'node:assert';
import { clearDay, bankConfirmationEntry, type DayClearing, type JournalEntry } from '../core/clearing';
import { TXN_LOAD, type SettlementInstruction, type Transaction } from '../core/types';
import { batchRecordRange, keptOrRows, type RecordRange } from '../store/batch-records';
import { readRecord } from '../store/kept-files';
import { sourceIs, statusIs } from '../store/record-columns';
import { participantAccount } from '../core/corrections';
import { approvedFor, markPosted, type ApprovedCorrections } from '../store/corrections';
import { appendEntries } from '../store/journal';
import { openItem, closeItem } from '../store/recon-items';
import type { BatchContext } from './context';
import { reconcile } from './reconcile';
import type { Sums, TonightTotals } from '../machinery/night-tally';
import { buildSummary } from './summary';
import { ManyRows } from '../store/many-rows';

export function closeDay(ctx: BatchContext, producedAt: string): void {
  const db = ctx.db;
  const D = ctx.date;
  db.transaction(() => {
    const range = batchRecordRange(db, D);
    ctx.tonight.keysIntoFilters();
    exportPending(ctx, range);
    ctx.progress('clear: clearing and posting');
    const day = clearAndPost(ctx, range);
    appendEntries(db, day.entries);
    // After the day's totals were read (a record imported and released on the same
    // day was counted as suspended, and posted to suspense, before it turns
    // ACCEPTED here) and after the entries the corrections name are in the journal.
    markPosted(db, D, day.posted, producedAt);
    ctx.progress('clear: matching bank statements');
    appendEntries(db, matchBankLines(ctx));
    ctx.progress('reconcile');
    const recon = reconcile(ctx, range);
    ctx.tonight.freeMemory(); // the night's terminal keys, sorted, before the card keys take as much
    // Last, when nothing else needs tonight's records in memory: the night's card keys
    // join history's key runs (its terminal keys did in the reconcile).
    ctx.progress("keys: the night's keys into the key runs");
    ctx.tonight.addNightToHistory(range);
    ctx.progress('close: summary and commit');
    const summary = buildSummary(ctx, recon);
    const head = db.prepare('SELECT hash FROM entries ORDER BY seq DESC LIMIT 1').pluck().get() as string | undefined;
    const closed = db
      .prepare(
        `UPDATE days SET status = 'CLOSED', produced_at = ?, summary_json = ?, reconciliation_json = ?, exceptions_json = ?,
              journal_head = ? WHERE date = ? AND status = 'OPEN'`,
      )
      .run(producedAt, JSON.stringify(summary), JSON.stringify(recon.report), JSON.stringify(recon.exceptions), head ?? null, D);
    assert.equal(closed.changes, 1, `closeDay: day ${D} was not open`);
  }).immediate(); // reads, then writes: see importExchangeFile
}

/** Export marks inserted by one statement. */
const EXPORTS_AT_ONCE = 32;

/** PENDING_INTEROP records go in the day's INTEROP_OUT, ordered by (issuer_id, card_no, card_seq). */
function exportPending(ctx: BatchContext, range: RecordRange): void {
  const inSql = () =>
    ctx.db
      .prepare(
        `SELECT id FROM records WHERE id BETWEEN ? AND ? AND ${statusIs('PENDING_INTEROP')}
            AND NOT EXISTS (SELECT 1 FROM exports WHERE record_id = records.id) ORDER BY id`,
      )
      .pluck()
      .all(range.lo, range.hi) as number[];
  // Kept as the import stored them when this run imported the whole batch (none is
  // exported yet: the close that exports them is this one), not found among the night's
  // million rows.
  const ids = keptOrRows(range, ctx.tonight.pendingIds(), inSql, 'exportPending: the pending records');
  // As this run's import read them; an interrupted run's are read back from the kept bytes.
  const earlier = new Map<number, Transaction>();
  const recordOf = (id: number): Transaction => ctx.tonight.pendingRecord(id) ?? earlier.get(id)!;
  // Ordered by index, on the three fields only: a 5M night has some 135,000. Each
  // record is decoded once here (and once more as the INTEROP_OUT is written).
  const issuer: string[] = [];
  const card: string[] = [];
  const seq = new Float64Array(ids.length);
  ids.forEach((id, i) => {
    let r = ctx.tonight.pendingRecord(id);
    if (r === undefined) {
      r = readRecord(ctx.db, ctx.tonight.kept, id)!;
      earlier.set(id, r);
    }
    issuer.push(r.issuer_id);
    card.push(r.card_no);
    seq[i] = r.card_seq;
  });
  const order = Array.from(ids.keys()).sort((a, b) =>
    issuer[a] !== issuer[b]
      ? issuer[a]! < issuer[b]!
        ? -1
        : 1
      : card[a] !== card[b]
        ? card[a]! < card[b]!
          ? -1
          : 1
        : seq[a]! - seq[b]! || ids[a]! - ids[b]!,
  );
  // Marked EXPORTS_AT_ONCE to a statement (a 5M night exports some 135,000).
  const marks = new ManyRows(ctx.db, 'INSERT INTO exports (exported_date, export_idx, record_id)', '(?, ?, ?)', 3, EXPORTS_AT_ONCE);
  for (const [i, k] of order.entries()) marks.add(ctx.date, i, ids[k]);
  marks.flush();
  // The outbox writes the day's INTEROP_OUT from these: the records as the store keeps them, in its order.
  const exportOrder = order.map((k) => ids[k]!);
  ctx.tonight.exported = {
    date: ctx.date,
    *records() {
      for (const id of exportOrder) yield recordOf(id);
    },
  };
}

interface GroupRow {
  participant_id: string;
  merchant_id: string;
  count: number;
  gross_fen: number;
}

interface TonightGroups {
  localPurchases: GroupRow[];
  loads: GroupRow[];
  interopIn: Sums;
  suspended: Sums;
}

/** Tonight's totals from the store. */
function tonightInSql(ctx: BatchContext, range: RecordRange): TonightGroups {
  const db = ctx.db;
  const inRange = 'id BETWEEN @lo AND @hi';
  const r = { lo: range.lo, hi: range.hi };
  const groups = (load: string) =>
    db
      .prepare(
        `SELECT m.acquirer_id AS participant_id, m.merchant_id, g.count, g.gross_fen
           FROM (SELECT merchant, COUNT(*) AS count, SUM(amount_fen) AS gross_fen FROM records
                  WHERE ${inRange} AND ${sourceIs('TXN_UPLOAD')} AND ${statusIs('ACCEPTED')} AND txn_type ${load} ${TXN_LOAD} GROUP BY merchant) g
           JOIN merchants m ON m.id = g.merchant ORDER BY 1, 2`,
      )
      .all(r) as GroupRow[];
  const total = (where: string) =>
    db
      .prepare(`SELECT COUNT(*) AS count, COALESCE(SUM(amount_fen), 0) AS gross_fen FROM records WHERE ${inRange} AND ${where}`)
      .get(r) as Sums;
  return {
    localPurchases: groups('<>'),
    loads: groups('='),
    interopIn: total(`${sourceIs('INTEROP_IN')} AND ${statusIs('ACCEPTED')}`),
    // By the verdict given at import: the records suspended by tonight's import, also
    // one that a correction releases tonight.
    suspended: total(statusIs('SUSPENDED', 'verdict_code')),
  };
}

/** Tonight's totals as the import counted them, the merchants named, in the SQL's order (bytes of UTF-8). */
function tonightCounted(ctx: BatchContext, t: TonightTotals): TonightGroups {
  const nameOf = ctx.db.prepare('SELECT acquirer_id, merchant_id FROM merchants WHERE id = ?');
  const named = (groups: Map<number, Sums>): GroupRow[] =>
    [...groups]
      .map(([m, s]) => {
        const n = nameOf.get(m) as { acquirer_id: string; merchant_id: string };
        return { participant_id: n.acquirer_id, merchant_id: n.merchant_id, count: s.count, gross_fen: s.gross_fen };
      })
      .sort(
        (a, b) =>
          Buffer.compare(Buffer.from(a.participant_id), Buffer.from(b.participant_id)) ||
          Buffer.compare(Buffer.from(a.merchant_id), Buffer.from(b.merchant_id)),
      );
  return {
    localPurchases: named(t.purchases),
    loads: named(t.loads),
    interopIn: { ...t.interop_in },
    suspended: { ...t.suspended },
  };
}

function clearAndPost(ctx: BatchContext, range: RecordRange): DayClearing {
  const db = ctx.db;
  const D = ctx.date;
  const remotePurchases = db
    .prepare(
      `SELECT acquirer_id AS participant_id, merchant_id, COUNT(*) AS count, SUM(amount_fen) AS gross_fen FROM record_view
        WHERE national_date = ? AND national_status = 'ACCEPTED' AND cleared_date IS NULL GROUP BY 1, 2`,
    )
    .all(D) as GroupRow[];
  const total = (where: string, ...args: unknown[]) =>
    db.prepare(`SELECT COUNT(*) AS count, COALESCE(SUM(amount_fen), 0) AS gross_fen FROM records WHERE ${where}`).get(...args) as {
      count: number;
      gross_fen: number;
    };
  // Tonight's own records: as the import counted them, or counted here (a night an
  // interrupted run began). A small night is counted both ways, and they must agree.
  const counted = ctx.tonight.tally.night;
  const tonight = keptOrRows(
    range,
    counted === null ? null : tonightCounted(ctx, counted),
    () => tonightInSql(ctx, range),
    "closeDay: tonight's totals",
  );
  const { localPurchases, loads, interopIn, suspended } = tonight;
  const interopOut = total(
    `id IN (SELECT record_id FROM exports WHERE national_date = ? AND national_status = 'ACCEPTED') AND cleared_date IS NULL`,
    D,
  );

  // Purchases of both kinds share a group per (acquirer, merchant): the fee is on the group's gross.
  const purchases = new Map<
    string,
    { participant_id: string; merchant_id: string; count: number; local_gross_fen: number; remote_gross_fen: number }
  >();
  const purchaseGroup = (g: GroupRow) => {
    const k = `${g.participant_id}|${g.merchant_id}`;
    let p = purchases.get(k);
    if (!p)
      purchases.set(
        k,
        (p = { participant_id: g.participant_id, merchant_id: g.merchant_id, count: 0, local_gross_fen: 0, remote_gross_fen: 0 }),
      );
    return p;
  };
  for (const g of localPurchases) {
    const p = purchaseGroup(g);
    p.count += g.count;
    p.local_gross_fen += g.gross_fen;
  }
  for (const g of remotePurchases) {
    const p = purchaseGroup(g);
    p.count += g.count;
    p.remote_gross_fen += g.gross_fen;
  }

  const day = clearDay({
    date: D,
    registry: ctx.registry,
    purchases: [...purchases.values()],
    loads,
    interop_in: interopIn,
    interop_out: interopOut,
    suspended,
    corrections: postable(ctx, approvedFor(db, D)),
  });

  const insertLine = db.prepare(
    `INSERT INTO statement_lines (business_date, participant_id, category, merchant_id, count, gross_fen, fee_fen, net_fen, fee_rate, ref)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const l of day.lines) {
    insertLine.run(D, l.participant_id, l.category, l.merchant_id, l.count, l.gross_fen, l.fee_fen, l.net_fen, l.fee_rate, l.ref ?? '');
  }
  const insertInstruction = db.prepare(
    'INSERT INTO instructions (instruction_id, business_date, payer_id, payee_id, amount_fen) VALUES (?, ?, ?, ?, ?)',
  );
  for (const i of day.instructions) insertInstruction.run(i.instruction_id, D, i.payer_id, i.payee_id, i.amount_fen);

  db.prepare(
    `UPDATE records SET cleared_date = ?
      WHERE id IN (SELECT record_id FROM exports WHERE national_date = ? AND national_status = 'ACCEPTED') AND cleared_date IS NULL`,
  ).run(D, D);
  return day;
}

/**
 * The day's approved corrections, read in the close's transaction (an approval lands
 * before the close or after it, never inside), once it is sure each can be posted: an
 * approved correction is posted by the batch of its effective day, never skipped, so a
 * participants file that no longer lists its participant (or a released record's
 * merchant) stops the close with a message saying which, and nothing of it is kept.
 */
function postable(ctx: BatchContext, approved: ApprovedCorrections): ApprovedCorrections {
  const gone = (id: string, what: string) =>
    new Error(
      `correction ${id} is approved for ${what}, which the participants file no longer lists: list it again (or it cannot be posted), then rerun the day`,
    );
  for (const a of approved.adjustments)
    if (participantAccount(ctx.registry, a.participant_id) === undefined) throw gone(a.id, a.participant_id);
  for (const r of approved.releases)
    if (
      ctx.registry.participant(r.participant_id)?.role !== 'acquirer' ||
      ctx.registry.merchantRate(r.participant_id, r.merchant_id) === undefined
    )
      throw gone(r.id, `acquirer ${r.participant_id}'s merchant ${r.merchant_id}`);
  return approved;
}

interface BankLineRow {
  id: number;
  file_name: string;
  line_no: number;
  value_date: string;
  instruction_id: string;
  payer_id: string;
  payee_id: string;
  amount_fen: number;
  bank_ref: string;
}

interface InstructionRow extends SettlementInstruction {
  confirmed_line: number | null;
}

/**
 * Each bank line of this batch against the instructions: an exact match is posted
 * (bank:settlement against settlement:in-transit); anything else is an item.
 */
function matchBankLines(ctx: BatchContext): JournalEntry[] {
  const db = ctx.db;
  const D = ctx.date;
  const lines = db
    .prepare(
      `SELECT b.id, f.name AS file_name, b.line_no, b.value_date, b.instruction_id, b.payer_id, b.payee_id, b.amount_fen, b.bank_ref
         FROM bank_lines b JOIN files f ON f.id = b.file_id WHERE f.batch_date = ? ORDER BY b.id`,
    )
    .all(D) as BankLineRow[];
  const instructionOf = db.prepare(
    'SELECT instruction_id, business_date, payer_id, payee_id, amount_fen, confirmed_line FROM instructions WHERE instruction_id = ?',
  );
  const confirm = db.prepare('UPDATE instructions SET confirmed_line = ? WHERE instruction_id = ?');
  const matched = db.prepare('UPDATE bank_lines SET matched = 1 WHERE id = ?');
  const entries: JournalEntry[] = [];
  for (const line of lines) {
    const ins = instructionOf.get(line.instruction_id) as InstructionRow | undefined;
    const ref = `${line.file_name}#${line.line_no}`;
    const theirs = {
      file: line.file_name,
      line: line.line_no,
      instruction_id: line.instruction_id,
      payer_id: line.payer_id,
      payee_id: line.payee_id,
      amount_fen: line.amount_fen,
      bank_ref: line.bank_ref,
    };
    if (!ins) {
      openItem(db, D, {
        id: `bank:REMOTE_ONLY:${ref}`,
        kind: 'bank',
        category: 'REMOTE_ONLY',
        ref: line.instruction_id,
        participant_id: null,
        ours: {},
        theirs,
      });
      continue;
    }
    const ours = {
      instruction_id: ins.instruction_id,
      payer_id: ins.payer_id,
      payee_id: ins.payee_id,
      amount_fen: ins.amount_fen,
      business_date: ins.business_date,
    };
    const participant = ins.payer_id === ctx.registry.centreId ? ins.payee_id : ins.payer_id;
    if (ins.payer_id !== line.payer_id || ins.payee_id !== line.payee_id || ins.amount_fen !== line.amount_fen) {
      openItem(db, D, {
        id: `bank:AMOUNT_MISMATCH:${ref}`,
        kind: 'bank',
        category: 'AMOUNT_MISMATCH',
        ref: ins.instruction_id,
        participant_id: participant,
        ours,
        theirs,
      });
      continue;
    }
    if (ins.confirmed_line !== null) {
      openItem(db, D, {
        id: `bank:REMOTE_ONLY:${ref}`,
        kind: 'bank',
        category: 'REMOTE_ONLY',
        ref: ins.instruction_id,
        participant_id: participant,
        ours,
        theirs: { ...theirs, note: 'paid twice' },
      });
      continue;
    }
    confirm.run(line.id, ins.instruction_id);
    matched.run(line.id);
    closeItem(db, `bank:LOCAL_ONLY:${ins.instruction_id}`, D, 'data', `bank line ${ref} matched`);
    entries.push(bankConfirmationEntry(ins, D, line.bank_ref));
  }
  return entries;
}
