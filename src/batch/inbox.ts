// What is waiting in an inbox, in the order batch-cli.md imports it: BLACKLIST,
// INTEROP_RESULT, INTEROP_IN, TXN_UPLOAD, bank statements; within a type by name.
// Files dated after the batch's day wait for their own day. The inbox is only read.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { compareInboxNames, fileTypeOfName, type InboxFileKind } from '../files/names';

export interface InboxFile {
  name: string;
  path: string;
  /** A file type, BANK for a bank statement, null for a name of no known kind. */
  kind: InboxFileKind | null;
  /** The business date the name claims (YYYYMMDD), when it has one. */
  claimed_date: string | null;
}

/** The date a name claims, read leniently: a broken name is still imported, and refused (F05). */
function claimedDate(name: string): string | null {
  const date = /_(\d{8})_\d+\.(pb|csv)$/.exec(name);
  return date ? date[1]! : null;
}

export function listInbox(inboxDir: string, date: string): InboxFile[] {
  return fs
    .readdirSync(inboxDir, { withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(compareInboxNames)
    .map((name) => ({ name, path: path.join(inboxDir, name), kind: fileTypeOfName(name), claimed_date: claimedDate(name) }))
    .filter((f) => f.claimed_date === null || f.claimed_date <= date);
}

/** SHA-256 of a whole file, read in chunks so that memory stays flat. */
export function sha256OfFile(filePath: string): string {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(filePath, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}
