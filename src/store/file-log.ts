// What the store knows of files seen before, by identity.
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
