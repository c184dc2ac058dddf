// What is waiting in an inbox, in the order batch-cli.md imports it: BLACKLIST,
// INTEROP_RESULT, INTEROP_IN, TXN_UPLOAD, bank statements; within a type by name.
// Files dated after the batch's day wait for their own day. The inbox is only read.
//
// Nothing in it is passed over in silence. A regular file is imported; a symbolic
// link to one is imported as that file, under the link's name. Any other entry (a
// directory, a FIFO, a socket, a device, a link to one of those or to nothing) can
// never be imported: it is listed, so that the day's report names it and a person
// looks. Entries are only looked at with lstat and stat, never opened: opening a
// FIFO would wait for a writer and hold up the night. Names starting with '.' are
// not the inbox's (a transfer in progress, an editor's file) and are left alone.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { IgnoredEntry } from '../core/reports';
import { compareInboxNames, fileTypeOfName, type InboxFileKind } from '../files/names';

export interface InboxFile {
  name: string;
  path: string;
  /** A file type, BANK for a bank statement, null for a name of no known kind. */
  kind: InboxFileKind | null;
  /** The business date the name claims (YYYYMMDD), when it has one. */
  claimed_date: string | null;
  /** Its size when the inbox was listed (of the file a link leads to). */
  bytes: number;
  /**
   * The bytes of it the disk holds (its size, less any holes): what the night is
   * sized by. A sparse 64 GB file takes no disk and holds no record.
   */
  stored_bytes: number;
}

export interface Inbox {
  /** What tonight imports, in import order. */
  files: InboxFile[];
  /** Entries that are not files, whatever date their names claim, in the same order. */
  ignored: IgnoredEntry[];
}

/**
 * A file of the inbox that the machine cannot read (EACCES, EIO): not the sender's
 * fault, so not a refusal. It stops the batch (exit 1) with nothing of the file kept;
 * the rerun, once the file can be read, finishes the night.
 */
export class UnreadableInboxFile extends Error {}

/** The error of a file that cannot be read, naming it; other errors pass unchanged. */
export function unreadableOr(filePath: string, err: unknown): unknown {
  if (!isSystemError(err)) return err;
  // 'EIO: i/o error, read' -> 'EIO: i/o error': the path is named once, first.
  const cut = err.message.indexOf(`, ${err.syscall}`);
  return new UnreadableInboxFile(`${filePath}: cannot be read: ${cut > 0 ? err.message.slice(0, cut) : err.message}`, { cause: err });
}

function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}

/** The date a name claims, read leniently: a broken name is still imported, and refused (F05). */
function claimedDate(name: string): string | null {
  const date = /_(\d{8})_\d+\.(pb|csv)$/.exec(name);
  return date ? date[1]! : null;
}

export function listInbox(inboxDir: string, date: string): Inbox {
  const files: InboxFile[] = [];
  const ignored: IgnoredEntry[] = [];
  const names = fs
    .readdirSync(inboxDir)
    .filter((name) => !name.startsWith('.'))
    .sort(compareInboxNames);
  for (const name of names) {
    const entryPath = path.join(inboxDir, name);
    const entry = entryOf(entryPath);
    if (entry === null) continue; // gone since the directory was read: nothing is there to import or to report
    if ('what' in entry) {
      ignored.push({ name, what: entry.what });
      continue;
    }
    const claimed_date = claimedDate(name);
    if (claimed_date !== null && claimed_date > date) continue;
    files.push({ name, path: entryPath, kind: fileTypeOfName(name), claimed_date, ...entry });
  }
  return { files, ignored };
}

/**
 * What an inbox entry is, by lstat (and stat, through a link): a regular file's size,
 * or what else it is; null when it is gone.
 */
function entryOf(entryPath: string): { bytes: number; stored_bytes: number } | { what: string } | null {
  let own: fs.Stats;
  try {
    own = fs.lstatSync(entryPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw unreadableOr(entryPath, err);
  }
  if (own.isFile()) return sizeOf(own);
  if (!own.isSymbolicLink()) return { what: kindOf(own) };
  let target: fs.Stats;
  try {
    target = fs.statSync(entryPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { what: 'symbolic link to nothing' };
    if (code === 'ELOOP') return { what: 'symbolic link in a loop' };
    throw unreadableOr(entryPath, err);
  }
  if (target.isFile()) return sizeOf(target);
  return { what: `symbolic link to a ${kindOf(target)}` };
}

/** A file's size, and what of it the disk holds (blocks of 512 bytes; the size where the system does not say). */
function sizeOf(st: fs.Stats): { bytes: number; stored_bytes: number } {
  const stored = Number.isFinite(st.blocks) ? st.blocks * 512 : st.size;
  return { bytes: st.size, stored_bytes: Math.min(st.size, stored) };
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'FIFO';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'device';
  return 'entry of unknown type';
}

/**
 * SHA-256 of a whole file, read in chunks so that memory stays flat; '' for a file
 * over max_bytes, which is not read at all (the reader refuses it F01 unread, and a
 * sparse 64 GB file would take minutes to hash). Opened without waiting, and checked
 * to be a regular file, in case the entry changed since the inbox was listed.
 */
export function sha256OfFile(filePath: string, max_bytes: number): string {
  let fd: number;
  try {
    fd = fs.openSync(filePath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw unreadableOr(filePath, err);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new UnreadableInboxFile(`${filePath}: no longer a file (${kindOf(st)})`);
    if (st.size > max_bytes) return '';
    const hash = crypto.createHash('sha256');
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
    return hash.digest('hex');
  } catch (err) {
    throw unreadableOr(filePath, err);
  } finally {
    fs.closeSync(fd);
  }
}
