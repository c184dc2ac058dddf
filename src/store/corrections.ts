// Corrections in the store (clearing-rules.md, "Corrections"; migration 4). Each
// operator's act is one function that looks up the facts, asks the core's ladder
// (src/core/corrections.ts) whether it may be done, and writes it, or writes nothing
// and returns the refusal. The caller runs it inside one write transaction, so that
// what was checked is what is written. The history is kept by the schema itself:
// triggers refuse any move but forward and record every move in correction_events.
//
// The batch of day D uses the last two: approvedFor() gives D's approved corrections
// to clearDay, and markPosted() records, in the close's transaction, that they were
// posted (the released records become ACCEPTED, the items they name close).
import { strict as assert } from 'node:assert';
import { compactToIsoDate } from '../core/calendar';
import {
  type AdjustmentInput,
  type CorrectionFacts,
  type CorrectionKind,
  type CorrectionRefusal,
  type CorrectionStatus,
  type ItemFacts,
  type Operator,
  type RecordFacts,
  type ReleaseInput,
  adjustmentRefusal,
  decisionRefusal,
  effectiveDay,
  releaseRefusal,
} from '../core/corrections';
import type { Registry } from '../core/registry';
import type { Db } from './db';
import { closeItem, getItem } from './recon-items';
import { statusIs } from './record-columns';

export interface CorrectionRow {
  n: number;
  id: string;
  kind: CorrectionKind;
  participant_id: string;
  account: string | null;
  amount_fen: number;
  record_id: number | null;
  record_ref: string | null;
  item_id: string | null;
  note: string;
  proposed_by: string;
  proposed_at: string;
  status: CorrectionStatus;
  decided_by: string | null;
  decided_at: string | null;
  decision_note: string | null;
  effective_date: string | null;
  entry_id: string | null;
  posted_at: string | null;
}

/**
 * A correction as `lct correct ... --json` prints it (batch-cli.md, "Corrections"):
 * fields that do not apply are null, dates YYYY-MM-DD, times YYYYMMDDhhmmss. A
 * release names its record's acquirer and amount; its counter account is null (the
 * money comes out of suspense, less the group's fee). decision_note is the approver's
 * or rejecter's own note, kept beside the proposal's.
 */
export interface CorrectionView {
  id: string;
  kind: CorrectionKind;
  status: CorrectionStatus;
  participant: string;
  account: string | null;
  amount_fen: number;
  record: string | null;
  item: string | null;
  note: string;
  proposed_by: string;
  proposed_at: string;
  decided_by: string | null;
  decided_at: string | null;
  effective_date: string | null;
  entry_id: string | null;
  decision_note: string | null;
}

export function correctionView(r: CorrectionRow): CorrectionView {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    participant: r.participant_id,
    account: r.account,
    amount_fen: r.amount_fen,
    record: r.record_ref,
    item: r.item_id,
    note: r.note,
    proposed_by: r.proposed_by,
    proposed_at: r.proposed_at,
    decided_by: r.decided_by,
    decided_at: r.decided_at,
    effective_date: r.effective_date === null ? null : compactToIsoDate(r.effective_date),
    entry_id: r.entry_id,
    decision_note: r.decision_note,
  };
}

export function getCorrection(db: Db, id: string): CorrectionRow | undefined {
  return db.prepare('SELECT * FROM corrections WHERE id = ?').get(id) as CorrectionRow | undefined;
}

/** Every correction, or those of one status, oldest first. */
export function listCorrections(db: Db, status?: CorrectionStatus): CorrectionView[] {
  const rows = db
    .prepare('SELECT * FROM corrections WHERE @status IS NULL OR status = @status ORDER BY n')
    .all({ status: status ?? null }) as CorrectionRow[];
  return rows.map(correctionView);
}

/** The corrections that day D's batch posted (YYYYMMDD), in correction order: fixed once D closed. */
export function correctionsPostedOn(db: Db, D: string): CorrectionView[] {
  const rows = db.prepare("SELECT * FROM corrections WHERE status = 'posted' AND effective_date = ? ORDER BY n").all(D) as CorrectionRow[];
  return rows.map(correctionView);
}

/** The releases of these records that are not rejected (at most one each: proposed, approved or posted), by record id. */
export function releasesOf(db: Db, record_ids: readonly number[]): Map<number, CorrectionView> {
  const out = new Map<number, CorrectionView>();
  const of = db.prepare("SELECT * FROM corrections WHERE record_id = ? AND kind = 'release' AND status <> 'rejected' ORDER BY n");
  for (const id of new Set(record_ids)) {
    for (const row of of.all(id) as CorrectionRow[]) out.set(id, correctionView(row));
  }
  return out;
}

/**
 * The posted corrections that closed these items, by item id: a correction closes the
 * item it names when it is posted, as resolved by its approver with its note, unless
 * the item had closed before (by later data, or an operator); then it is not the
 * correction that closed it. Corrections are few, so they are read whole.
 */
export function correctionsClosingItems(
  db: Db,
  items: readonly { id: string; closed_date: string | null; closed_by: string | null; note: string | null }[],
): Map<string, string> {
  const named = new Map<string, CorrectionRow[]>();
  const rows = db.prepare("SELECT * FROM corrections WHERE status = 'posted' AND item_id IS NOT NULL ORDER BY n").all() as CorrectionRow[];
  for (const c of rows) named.set(c.item_id!, [...(named.get(c.item_id!) ?? []), c]);
  const out = new Map<string, string>();
  if (named.size === 0) return out;
  for (const i of items) {
    const c = named.get(i.id)?.find((c) => c.effective_date === i.closed_date && c.decided_by === i.closed_by && c.note === i.note);
    if (c !== undefined) out.set(i.id, c.id);
  }
  return out;
}

export interface CorrectionEvent {
  correction_id: string;
  event: 'proposed' | CorrectionStatus;
  operator: string | null;
  at: string;
  note: string | null;
  business_date: string | null;
  entry_id: string | null;
}

/** A correction's history, in the order it happened. */
export function correctionHistory(db: Db, id: string): CorrectionEvent[] {
  return db
    .prepare(
      'SELECT correction_id, event, operator, at, note, business_date, entry_id FROM correction_events WHERE correction_id = ? ORDER BY seq',
    )
    .all(id) as CorrectionEvent[];
}

/** The first day not yet closed (corrections.ts, effectiveDay); null when the store has run no day. */
export function firstDayNotClosed(db: Db): string | null {
  const open = db.prepare("SELECT MIN(date) FROM days WHERE status = 'OPEN'").pluck().get() as string | null;
  const closed = db.prepare("SELECT MAX(date) FROM days WHERE status = 'CLOSED'").pluck().get() as string | null;
  return effectiveDay(open, closed);
}

interface RecordRow {
  id: number;
  source: string;
  status: string;
  acquirer_id: string;
  merchant_id: string;
  amount_fen: number;
}

/**
 * The record named `FILE_NAME#INDEX`: the INDEX-th (0-based) record of the imported
 * file of that name, as `lct record explain` finds it. Undefined when there is none.
 */
export function recordAt(db: Db, file_name: string, index: number): { id: number; facts: RecordFacts } | undefined {
  const file = db.prepare("SELECT first_record_id, record_count FROM files WHERE name = ? AND outcome = 'IMPORTED'").get(file_name) as
    | { first_record_id: number | null; record_count: number }
    | undefined;
  if (file === undefined || file.first_record_id === null || !Number.isSafeInteger(index) || index < 0 || index >= file.record_count)
    return undefined;
  const r = db
    .prepare('SELECT id, source, status, acquirer_id, merchant_id, amount_fen FROM record_view WHERE id = ?')
    .get(file.first_record_id + index) as RecordRow | undefined;
  assert(r !== undefined, `recordAt: ${file_name} says it holds record ${file.first_record_id + index}, which is not in the store`);
  const ref = `${file_name}#${index}`;
  return {
    id: r.id,
    facts: { ref, source: r.source, status: r.status, acquirer_id: r.acquirer_id, merchant_id: r.merchant_id, amount_fen: r.amount_fen },
  };
}

function recordFacts(db: Db, c: CorrectionRow): RecordFacts | undefined {
  if (c.record_id === null || c.record_ref === null) return undefined;
  const r = db.prepare('SELECT id, source, status, acquirer_id, merchant_id, amount_fen FROM record_view WHERE id = ?').get(c.record_id) as
    | RecordRow
    | undefined;
  if (r === undefined) return undefined;
  return {
    ref: c.record_ref,
    source: r.source,
    status: r.status,
    acquirer_id: r.acquirer_id,
    merchant_id: r.merchant_id,
    amount_fen: r.amount_fen,
  };
}

/** The item as a correction needs to know it; `except`: the correction asking, which does not claim it against itself. */
function itemFacts(db: Db, item_id: string | null, except: string | null = null): ItemFacts | undefined {
  if (item_id === null) return undefined;
  const item = getItem(db, item_id);
  if (item === undefined) return undefined;
  const claimed_by =
    (db
      .prepare("SELECT id FROM corrections WHERE item_id = ? AND status IN ('proposed', 'approved') AND id IS NOT ? ORDER BY n LIMIT 1")
      .pluck()
      .get(item_id, except) as string | undefined) ?? null;
  return { closed_date: item.closed_date, closed_by: item.closed_by, claimed_by };
}

/** What the operators' acts are checked against: who may do what, and the participants. */
export interface Authority {
  operators: readonly Operator[];
  registry: Registry;
}

export type CorrectionOutcome = { ok: true; correction: CorrectionView } | { ok: false; refusal: CorrectionRefusal };

function insertProposal(
  db: Db,
  p: {
    kind: CorrectionKind;
    participant_id: string;
    account: string | null;
    amount_fen: number;
    record_id: number | null;
    record_ref: string | null;
    item_id: string | null;
    note: string;
    by: string;
  },
  at: string,
): CorrectionView {
  const n = ((db.prepare('SELECT MAX(n) FROM corrections').pluck().get() as number | null) ?? 0) + 1;
  const id = `C${n}`;
  db.prepare(
    `INSERT INTO corrections (n, id, kind, participant_id, account, amount_fen, record_id, record_ref, item_id, note, proposed_by, proposed_at, status)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'proposed')`,
  ).run(n, id, p.kind, p.participant_id, p.account, p.amount_fen, p.record_id, p.record_ref, p.item_id, p.note, p.by, at);
  const row = getCorrection(db, id)!;
  assert(
    row.status === 'proposed' && row.amount_fen === p.amount_fen && row.proposed_by === p.by,
    `insertProposal: ${id} reads back otherwise`,
  );
  return correctionView(row);
}

export interface AdjustmentRequest {
  by: string;
  participant_id: string;
  account: string;
  amount_fen: number;
  note: string;
  item_id: string | null;
}

/** `lct correct adjust`: proposes an adjustment, or refuses and writes nothing. Inside a write transaction. */
export function proposeAdjustment(db: Db, auth: Authority, req: AdjustmentRequest, at: string): CorrectionOutcome {
  assert(Number.isSafeInteger(req.amount_fen) && req.amount_fen !== 0, 'proposeAdjustment: amount must be a non-zero integer');
  const refusal = adjustmentRefusal(auth.operators, auth.registry, req, itemFacts(db, req.item_id));
  if (refusal !== undefined) return { ok: false, refusal };
  const correction = insertProposal(db, { kind: 'adjustment', ...req, record_id: null, record_ref: null }, at);
  return { ok: true, correction };
}

export interface ReleaseRequest {
  by: string;
  file_name: string;
  index: number;
  note: string;
  item_id: string | null;
}

/** `lct correct release`: proposes the release of a SUSPENDED record, or refuses and writes nothing. Inside a write transaction. */
export function proposeRelease(db: Db, auth: Authority, req: ReleaseRequest, at: string): CorrectionOutcome {
  const record = recordAt(db, req.file_name, req.index);
  const pending =
    record === undefined
      ? undefined
      : (db
          .prepare("SELECT id, status FROM corrections WHERE record_id = ? AND status IN ('proposed', 'approved') ORDER BY n LIMIT 1")
          .get(record.id) as { id: string; status: CorrectionStatus } | undefined);
  const refusal = releaseRefusal(
    auth.operators,
    auth.registry,
    { by: req.by, record_ref: `${req.file_name}#${req.index}`, item_id: req.item_id },
    record?.facts,
    pending,
    itemFacts(db, req.item_id),
  );
  if (refusal !== undefined) return { ok: false, refusal };
  const r = record!;
  const correction = insertProposal(
    db,
    {
      kind: 'release',
      participant_id: r.facts.acquirer_id,
      account: null,
      amount_fen: r.facts.amount_fen,
      record_id: r.id,
      record_ref: r.facts.ref,
      item_id: req.item_id,
      note: req.note,
      by: req.by,
    },
    at,
  );
  return { ok: true, correction };
}

export interface DecisionRequest {
  decision: 'approve' | 'reject';
  id: string;
  by: string;
  /** Required to reject, optional to approve. */
  note: string | null;
}

/** `lct correct approve` and `reject`: decides a proposal, or refuses and writes nothing. Inside a write transaction. */
export function decideCorrection(db: Db, auth: Authority, req: DecisionRequest, at: string): CorrectionOutcome {
  assert(req.decision === 'approve' || req.note !== null, 'decideCorrection: a rejection needs a note');
  const row = getCorrection(db, req.id);
  const facts: CorrectionFacts | undefined = row && {
    id: row.id,
    kind: row.kind,
    status: row.status,
    participant_id: row.participant_id,
    proposed_by: row.proposed_by,
    decided_by: row.decided_by,
    decided_at: row.decided_at,
    item_id: row.item_id,
  };
  const item = row ? itemFacts(db, row.item_id, row.id) : undefined;
  const refusal = decisionRefusal(auth.operators, auth.registry, req, facts, row && recordFacts(db, row), item);
  if (refusal !== undefined) return { ok: false, refusal };
  const status: CorrectionStatus = req.decision === 'approve' ? 'approved' : 'rejected';
  const effective = status === 'approved' ? firstDayNotClosed(db) : null;
  const info = db
    .prepare(
      `UPDATE corrections SET status = ?, decided_by = ?, decided_at = ?, decision_note = ?, effective_date = ?
        WHERE id = ? AND status = 'proposed'`,
    )
    .run(status, req.by, at, req.note, effective, req.id);
  assert.equal(info.changes, 1, `decideCorrection: ${req.id} was not a proposal`);
  const after = getCorrection(db, req.id)!;
  assert(after.status === status && after.decided_by === req.by, `decideCorrection: ${req.id} reads back otherwise`);
  return { ok: true, correction: correctionView(after) };
}

// ---------------------------------------------------------------------------
// For the batch of day D.

/** A release as the batch needs it: what clearDay posts, and the record to mark. */
export interface ApprovedRelease extends ReleaseInput {
  record_id: number;
}

export interface ApprovedCorrections {
  adjustments: AdjustmentInput[];
  releases: ApprovedRelease[];
}

/**
 * The approved corrections that day D's batch posts (clearDay's `corrections`): those
 * effective on D, and any approved before the store had a day (effective on the next
 * batch's day) or left over from an earlier day, in correction order. To be read in
 * the close's transaction.
 */
export function approvedFor(db: Db, D: string): ApprovedCorrections {
  const rows = db
    .prepare("SELECT * FROM corrections WHERE status = 'approved' AND (effective_date IS NULL OR effective_date <= ?) ORDER BY n")
    .all(D) as CorrectionRow[];
  const adjustments: AdjustmentInput[] = [];
  const releases: ApprovedRelease[] = [];
  const merchantOf = db.prepare('SELECT merchant_id, acquirer_id, amount_fen, status FROM record_view WHERE id = ?');
  for (const c of rows) {
    if (c.kind === 'adjustment') {
      adjustments.push({ id: c.id, participant_id: c.participant_id, account: c.account!, amount_fen: c.amount_fen });
      continue;
    }
    const r = merchantOf.get(c.record_id) as { merchant_id: string; acquirer_id: string; amount_fen: number; status: string } | undefined;
    assert(r !== undefined, `approvedFor: the record of release ${c.id} is gone from the store`);
    assert(r.status === 'SUSPENDED', `approvedFor: the record of release ${c.id} is ${r.status}, not SUSPENDED`);
    assert(r.acquirer_id === c.participant_id && r.amount_fen === c.amount_fen, `approvedFor: release ${c.id} disagrees with its record`);
    releases.push({
      id: c.id,
      participant_id: c.participant_id,
      merchant_id: r.merchant_id,
      amount_fen: c.amount_fen,
      record_id: c.record_id!,
    });
  }
  return { adjustments, releases };
}

/**
 * Records, in the close's transaction of day D, that D's approved corrections were
 * posted (`posted`: clearDay's, each correction with its entry): each becomes posted
 * with its entry and D; a released record becomes ACCEPTED and cleared on D; the item
 * a correction names closes, resolved by its approver with its note. Every correction
 * approvedFor(D) gave must be among them: an approved correction is posted by the
 * batch of its effective day.
 */
export function markPosted(db: Db, D: string, posted: readonly { correction_id: string; entry_id: string }[], at: string): void {
  const post = db.prepare(
    "UPDATE corrections SET status = 'posted', effective_date = ?, entry_id = ?, posted_at = ? WHERE id = ? AND status = 'approved'",
  );
  const release = db.prepare(
    `UPDATE records SET ${statusIs('ACCEPTED')}, reason = '', cleared_date = ? WHERE id = ? AND ${statusIs('SUSPENDED')} AND cleared_date IS NULL`,
  );
  for (const p of posted) {
    const c = getCorrection(db, p.correction_id);
    assert(c !== undefined, `markPosted: no correction ${p.correction_id}`);
    assert(c.effective_date === null || c.effective_date <= D, `markPosted: ${c.id} takes effect on ${c.effective_date}, after ${D}`);
    assert.equal(post.run(D, p.entry_id, at, c.id).changes, 1, `markPosted: ${c.id} is ${c.status}, not approved`);
    if (c.kind === 'release') assert.equal(release.run(D, c.record_id).changes, 1, `markPosted: the record of ${c.id} is not SUSPENDED`);
    if (c.item_id !== null) closeItem(db, c.item_id, D, c.decided_by!, c.note);
  }
  const left = db
    .prepare("SELECT COUNT(*) FROM corrections WHERE status = 'approved' AND (effective_date IS NULL OR effective_date <= ?)")
    .pluck()
    .get(D) as number;
  assert.equal(left, 0, `markPosted: ${left} approved correction(s) of ${D} left unposted`);
}
