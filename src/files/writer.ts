// Writing an exchange file: Header, the records, and the Trailer computed from them
// (count, total per the "Totals" table, SHA-256 of the record frames), streamed
// through a buffer a chunk at a time. The file is written under a temporary name,
// fsynced and renamed, so its final name appears only when it is complete. The
// encoding is canonical, so the same header and records always give the same bytes
// (a rebuilt file is byte-identical).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileType, Header, RecordOf, Trailer } from '../core/types';
import {
  type AnyRecord,
  ExactSum,
  HEADER,
  type MessageCodec,
  RECORD_CODEC,
  TRAILER,
  assertCodecsMatchProto,
  totalContributionOf,
} from './codec';
import { FrameWriter, writeAll } from './frames';
import { exchangeFileName } from './names';
import { FORMAT_VERSION } from './reader';
import { WireWriter } from './wire';

export interface WrittenFile {
  trailer: Trailer;
  bytes: number;
  /** SHA-256 of the whole file. */
  sha256_hex: string;
}

export interface WriteOptions {
  /**
   * Allow a file name that is not exchangeFileName(header): only for making
   * broken files on purpose (tests, fixtures). The centre's own files never need it.
   */
  any_name?: boolean;
  /**
   * fsync the file and its directory before returning (default true). The batch's
   * outbox passes false: every file it writes is rebuilt byte for byte from the
   * store by rerunning the day, and an fsync per file costs more than the writing.
   */
  fsync?: boolean;
}

/**
 * Writes an exchange file at filePath, complete or not at all: through
 * `<filePath>.tmp-<pid>`, fsync, rename. Throws on a header or record that the
 * format cannot carry (a bug in the caller) and on the machine's failures; in both
 * cases no file appears under filePath and the temporary file is removed.
 */
export function writeExchangeFile<K extends FileType>(
  filePath: string,
  header: Header & { file_type: K },
  records: Iterable<RecordOf[K]>,
  opts: WriteOptions = {},
): WrittenFile {
  const expected_name = exchangeFileName(header);
  if (!opts.any_name && path.basename(filePath) !== expected_name) {
    throw new RangeError(`a file with this header must be named ${expected_name}, not ${path.basename(filePath)}`);
  }
  const tmp = `${filePath}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  let written: WrittenFile;
  try {
    const out = new FrameWriter((chunk) => writeAll(fd, chunk));
    const trailer = writeFrames(out, header, records as Iterable<AnyRecord>);
    if (opts.fsync !== false) fs.fsyncSync(fd);
    written = { trailer, bytes: out.bytes_written, sha256_hex: out.file_digest.digest('hex') };
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, filePath);
  if (opts.fsync !== false) fsyncDirectory(path.dirname(filePath));
  return written;
}

/** The bytes of an exchange file, in memory: for small files and tests. */
export function encodeExchangeFile<K extends FileType>(header: Header & { file_type: K }, records: Iterable<RecordOf[K]>): Buffer {
  const chunks: Buffer[] = [];
  const out = new FrameWriter((chunk) => chunks.push(Buffer.from(chunk)), 64 * 1024);
  writeFrames(out, header, records as Iterable<AnyRecord>);
  return Buffer.concat(chunks);
}

/** Writes Header, records and Trailer to `out`, flushes it, and returns the Trailer. */
function writeFrames(out: FrameWriter, header: Header, records: Iterable<AnyRecord>): Trailer {
  assertCodecsMatchProto();
  assertWritableHeader(header);
  const message = new WireWriter(1024);
  HEADER.encode(header, message);
  out.writeFrame(message.view(), false);

  const codec: MessageCodec<AnyRecord> = RECORD_CODEC[header.file_type];
  const contribution = totalContributionOf(header.file_type);
  const total = new ExactSum();
  let record_count = 0;
  for (const record of records) {
    message.reset();
    codec.encode(record, message);
    out.writeFrame(message.buf, true, message.pos);
    total.add(contribution(record));
    record_count++;
  }
  const total_fen = total.value();
  if (total_fen > BigInt(Number.MAX_SAFE_INTEGER) || total_fen < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`the records' total ${total_fen} is beyond what a Trailer can carry here (2^53 - 1)`);
  }
  const trailer: Trailer = {
    record_count,
    total_amount_fen: Number(total_fen),
    sha256: new Uint8Array(out.frameDigest()),
  };
  message.reset();
  TRAILER.encode(trailer, message);
  out.writeFrame(message.view(), false);
  out.flush();
  return trailer;
}

function assertWritableHeader(header: Header): void {
  if (header.format_version !== FORMAT_VERSION) {
    throw new RangeError(`Header.format_version must be ${FORMAT_VERSION}, not ${header.format_version}`);
  }
  // Throws unless file_type, sender, receiver, business_date and file_seq make a name.
  exchangeFileName(header);
  if (!/^[0-9]{14}$/.test(header.created_at)) {
    throw new RangeError(`Header.created_at must be YYYYMMDDhhmmss, not ${JSON.stringify(header.created_at)}`);
  }
}

function fsyncDirectory(dir: string): void {
  // Makes the rename itself durable. Not every platform lets a directory be opened.
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fs.fsyncSync(fd);
  } catch {
    // EINVAL/EISDIR on platforms that cannot fsync a directory: nothing more to do.
  } finally {
    fs.closeSync(fd);
  }
}
