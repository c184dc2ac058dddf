// What the store knows of files seen before: by identity, and the ones a day refused.
import type { RefusedFile } from '../core/reports';
import { senderInName } from '../files/names';
import type { Db } from './db';

export interface FileIdentity {
  sender_id: string;
  receiver_id: string;
  business_date: string;
  file_seq: number;
}

/** The imported file with this identity (type, sender, receiver, business date, seq), if any. */
export function priorImport(db: Db, kind: string, id: FileIdentity): { name: string; sha256: string } | undefined {
  return db
    .prepare(
      `SELECT name, sha256 FROM files WHERE outcome = 'IMPORTED' AND kind = ? AND sender_id = ? AND receiver_id = ?
         AND business_date = ? AND file_seq = ?`,
    )
    .get(kind, id.sender_id, id.receiver_id, id.business_date, id.file_seq) as { name: string; sha256: string } | undefined;
}

/** The files day D's batch refused, in import order, each with the sender its name gives (batch-cli.md, `refused_files`). */
export function refusedFilesOf(db: Db, D: string): RefusedFile[] {
  const rows = db
    .prepare("SELECT name, refusal_code, refusal_detail FROM files WHERE batch_date = ? AND outcome = 'REFUSED' ORDER BY id")
    .all(D) as { name: string; refusal_code: string; refusal_detail: string | null }[];
  return rows.map((r) => ({ file: r.name, sender: senderInName(r.name), code: r.refusal_code, detail: r.refusal_detail ?? '' }));
}
