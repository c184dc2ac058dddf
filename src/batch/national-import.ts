// The national centre's answers (INTEROP_RESULT): each verdict is matched to the
// record of ours it names, by the INTEROP_OUT it answers and the record's index.
// An accepted record is cleared in this batch; a rejected one releases its keys
// and is reported to its acquirer in a late TXN_ACK; anything that does not
// match is a reconciliation item, never a crash and never a silent skip.
import type { Header, Verdict } from '../core/types';
import { parseExchangeFileName } from '../files/names';
import { openItem } from '../store/recon-items';
import { withFields } from '../store/kept-files';
import { STATUS_CODE } from '../store/record-columns';
import type { BatchContext } from './context';

interface SentRecord {
  id: number;
  issuer_id: string;
  card_no: string;
  card_seq: number;
  terminal_id: string;
  terminal_seq: number;
  amount_fen: number;
  acquirer_id: string;
  status: string;
  national_status: string | null;
}

/**
 * Day X's INTEROP_OUT as the store holds it, by index: read once per night and day X,
 * in id order (each kept block once); a verdict at a time would read a block each.
 * Statuses are read when asked: a verdict changes them as the file is imported.
 */
const SENT = new WeakMap<BatchContext, Map<string, Map<number, SentRecord>>>();

function sentOn(ctx: BatchContext, exportedDate: string): Map<number, SentRecord> {
  let byDay = SENT.get(ctx);
  if (byDay === undefined) SENT.set(ctx, (byDay = new Map()));
  let sent = byDay.get(exportedDate);
  if (sent === undefined) {
    const rows = ctx.db
      .prepare('SELECT id, file_id, idx, export_idx, amount_fen, acquirer_id FROM record_view WHERE exported_date = ? ORDER BY id')
      .all(exportedDate) as { id: number; file_id: number; idx: number; export_idx: number; amount_fen: number; acquirer_id: string }[];
    const status = ctx.db.prepare('SELECT status, national_status FROM record_view WHERE id = ?');
    sent = new Map();
    for (const r of withFields(ctx.tonight.kept, rows)) {
      const id = r.id;
      sent.set(r.export_idx, {
        id,
        issuer_id: r.issuer_id,
        card_no: r.card_no,
        card_seq: r.card_seq,
        terminal_id: r.terminal_id,
        terminal_seq: r.terminal_seq,
        amount_fen: r.amount_fen,
        acquirer_id: r.acquirer_id,
        get status() {
          return (status.get(id) as { status: string }).status;
        },
        get national_status() {
          return (status.get(id) as { national_status: string | null }).national_status;
        },
      });
    }
    byDay.set(exportedDate, sent);
  }
  return sent;
}

export function importNationalVerdict(ctx: BatchContext, fileId: number, header: Header, v: Verdict, index: number): void {
  const db = ctx.db;
  const out = parseExchangeFileName(header.ref_file);
  const sent =
    // Our INTEROP_OUT of day X is the one file INTEROP_OUT_<centre>_<national>_<X>_0001.pb:
    // a verdict naming any other file answers nothing we sent.
    out &&
    out.file_type === 'INTEROP_OUT' &&
    out.sender_id === ctx.registry.centreId &&
    out.receiver_id === ctx.registry.nationalId &&
    out.file_seq === 1
      ? sentOn(ctx, out.business_date).get(v.index)
      : undefined;
  const same =
    sent !== undefined &&
    sent.issuer_id === v.issuer_id &&
    sent.card_no === v.card_no &&
    sent.card_seq === v.card_seq &&
    sent.terminal_id === v.terminal_id &&
    sent.terminal_seq === v.terminal_seq;
  db.prepare('INSERT INTO national_verdicts (file_id, idx, ref_file, ref_index, record_id, verdict_json) VALUES (?, ?, ?, ?, ?, ?)').run(
    fileId,
    index,
    header.ref_file,
    v.index,
    same ? sent!.id : null,
    JSON.stringify(v),
  );

  const ref = `${header.ref_file}#${v.index}`;
  const theirs = {
    file: header.ref_file,
    index: v.index,
    card_no: v.card_no,
    card_seq: v.card_seq,
    amount_fen: v.amount_fen,
    status: v.status,
    reason: v.reason,
  };
  if (!same || sent === undefined) {
    openItem(db, ctx.date, {
      id: `national:REMOTE_ONLY:${ref}`,
      kind: 'national',
      category: 'REMOTE_ONLY',
      ref,
      participant_id: ctx.registry.nationalId,
      ours: {},
      theirs,
    });
    return;
  }
  const ours = {
    record_id: sent.id,
    card_no: sent.card_no,
    card_seq: sent.card_seq,
    amount_fen: sent.amount_fen,
    acquirer_id: sent.acquirer_id,
  };
  if (sent.national_status !== null || sent.status !== 'PENDING_INTEROP') {
    // Answered before: a second answer is theirs alone.
    openItem(db, ctx.date, {
      id: `national:REMOTE_ONLY:${ref}:again`,
      kind: 'national',
      category: 'REMOTE_ONLY',
      ref,
      participant_id: ctx.registry.nationalId,
      ours,
      theirs,
    });
    return;
  }
  if (v.status === 'ACCEPTED' && v.amount_fen !== sent.amount_fen) {
    // Not cleared until the item is resolved (clearing-rules.md, national reconciliation).
    db.prepare("UPDATE exports SET national_status = 'AMOUNT_MISMATCH', national_file_id = ?, national_date = ? WHERE record_id = ?").run(
      fileId,
      ctx.date,
      sent.id,
    );
    openItem(db, ctx.date, {
      id: `national:AMOUNT_MISMATCH:${ref}`,
      kind: 'national',
      category: 'AMOUNT_MISMATCH',
      ref,
      participant_id: sent.acquirer_id,
      ours,
      theirs,
    });
    return;
  }
  if (v.status === 'ACCEPTED') {
    db.prepare("UPDATE exports SET national_status = 'ACCEPTED', national_file_id = ?, national_date = ? WHERE record_id = ?").run(
      fileId,
      ctx.date,
      sent.id,
    );
    return;
  }
  if (v.status === 'REJECTED') {
    db.prepare(`UPDATE records SET status_code = ${STATUS_CODE.REJECTED}, reason = ? WHERE id = ?`).run(`N:${v.reason}`, sent.id);
    db.prepare(
      "UPDATE exports SET national_status = 'REJECTED', national_reason = ?, national_file_id = ?, national_date = ? WHERE record_id = ?",
    ).run(v.reason, fileId, ctx.date, sent.id);
    return;
  }
  openItem(db, ctx.date, {
    id: `national:REMOTE_ONLY:${ref}:status`,
    kind: 'national',
    category: 'REMOTE_ONLY',
    ref,
    participant_id: ctx.registry.nationalId,
    ours,
    theirs,
  });
}
