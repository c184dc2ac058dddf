// Reading an exchange file: one streaming pass that decodes the Header, hands each
// record to the caller as it is decoded, decodes the Trailer, and says whether the
// file is one an import must refuse whole (exchange-files.md, "Refusing a file
// whole"). Bad input is a result, never an exception: the scan reports what it
// found and the importer decides. Only the machine's failures (the file cannot be
// opened or read) throw.
//
// How is the Trailer told from a record? It is the frame that ends the file. The
// file's size is known before reading, so the reader knows, for each frame, whether
// another follows: every frame between the first and the last is a record.
//
// Memory stays flat whatever the file says: one read buffer, one frame of at most
// MAX_FRAME_BYTES. A file bigger than any real exchange file (a sparse 64 GB file
// takes no disk and seconds to make) is refused F01 without being read at all, not
// even hashed: reading it would hold up the night for minutes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileRefusal, FileType, Header, ImportFields, RecordOf, Trailer } from '../core/types';
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
import { BROKEN, END, FrameReader } from './frames';
import { EXCHANGE_NAME_PATTERN, checkExchangeFileName, nameHeaderDisagreements } from './names';
import { DecodeError, WireReader } from './wire';

export const FORMAT_VERSION = 1;

/** SHA-256 of no bytes: the Trailer digest of a file with no records. */
export const EMPTY_SHA256_HEX = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * The largest exchange file read: 4 GiB, some 30 million records, several times a
 * whole night of the city in one file. A bigger one is refused F01 unread.
 */
export const MAX_FILE_BYTES = 2 ** 32;

export interface FileScan {
  /** The file's basename. */
  name: string;
  bytes: number;
  /** null when frame 1 could not be read or decoded. */
  header: Header | null;
  trailer: Trailer | null;
  /** Frames read and split off, whether or not they decoded. */
  frames: number;
  /** Record frames decoded. */
  records: number;
  /** Per the "Totals" table for the header's file type, over the records decoded. */
  total_amount_fen: number;
  /** SHA-256 of the record frames read, length prefixes included ('' while digest_deferred). */
  sha256_hex: string;
  /**
   * SHA-256 of the whole file: its identity in the store (F03, skipped resends);
   * '' for a file refused unread because it is bigger than max_file_bytes.
   */
  file_sha256_hex: string;
  /** F01, with the frame number (Header = frame 1) and a detail naming the byte where it applies. */
  unreadable?: FileRefusal;
  /** F05: the name does not follow the pattern or disagrees with the header. */
  name_mismatch?: FileRefusal;
  /** F02: record_count, total_amount_fen or sha256 disagree with the records. */
  trailer_mismatch?: FileRefusal;
  /**
   * The Trailer's checks when the records' digest was left to another reading
   * (records_digest): count and total are checked, the digest waits for
   * withRecordsDigest.
   */
  digest_deferred?: TrailerChecks;
}

export interface ScanOptions {
  /**
   * The file type the caller expects (the importer takes it from the name). A
   * header naming another type makes the scan F05, and no record reaches onRecord.
   */
  expectedType?: FileType;
  /** Called with the header as soon as it decodes, before any record (the file may still be refused). */
  onHeader?: (header: Header) => void;
  /**
   * Called with every frame that decoded, in the file's order (Header, records,
   * Trailer), length prefix included; the bytes are valid only during the call.
   * The Header's comes after onHeader. Together they are the file's bytes whenever
   * the scan is not refused F01.
   */
  onFrame?: (bytes: Buffer, isRecord: boolean) => void;
  /** Read buffer size (tests use tiny ones to make frames straddle reads). */
  chunk_bytes?: number;
  /** The largest frame accepted (default MAX_FRAME_BYTES). */
  max_frame_bytes?: number;
  /** The largest file read (default MAX_FILE_BYTES). */
  max_file_bytes?: number;
  /**
   * false: the records' SHA-256 (the one the Trailer carries) is neither computed nor
   * checked, and sha256_hex is ''; the scan's digest_deferred keeps the Trailer's
   * other checks, for withRecordsDigest to finish with a digest another reading of
   * the same bytes computed. A function decides from the Header, after onHeader:
   * the importer leaves the digest to the validation worker when the worker reads
   * the file.
   */
  records_digest?: boolean | ((header: Header) => boolean);
  /**
   * Decodes the record frames in the place of the Header's codec, when it gives a
   * decoder (asked after onHeader): the import reads only some fields of a record
   * whose file the worker decodes whole (decodeImportFields). The Trailer's total is
   * taken from what it returns (an upload's: its amount_fen, which ImportFields has).
   */
  recordDecoder?: (header: Header) => ((r: WireReader) => AnyRecord | ImportFields) | undefined;
}

export type OnRecord<R = AnyRecord> = (record: R, index: number) => void;

/**
 * Scans an exchange file in one streaming pass. onRecord gets each record as it is
 * decoded (index 0-based); when the scan turns out refused (refusalOf(scan) is not
 * null), whatever onRecord received must be discarded.
 */
export function scanExchangeFile(filePath: string, onRecord?: OnRecord, opts: ScanOptions = {}): FileScan {
  assertCodecsMatchProto();
  const fd = fs.openSync(filePath, 'r');
  try {
    const bytes = fs.fstatSync(fd).size;
    const max_file_bytes = opts.max_file_bytes ?? MAX_FILE_BYTES;
    if (bytes > max_file_bytes) return tooLarge(path.basename(filePath), bytes, max_file_bytes);
    const reader = new FrameReader(fd, bytes, { chunk_bytes: opts.chunk_bytes, max_frame_bytes: opts.max_frame_bytes });
    return scanFrames(path.basename(filePath), bytes, reader, onRecord, opts);
  } finally {
    fs.closeSync(fd);
  }
}

/** As scanExchangeFile, with the records typed by the file type the caller expects. */
export function scanExchangeFileOf<K extends FileType>(
  filePath: string,
  expectedType: K,
  onRecord?: OnRecord<RecordOf[K]>,
  opts: Omit<ScanOptions, 'expectedType'> = {},
): FileScan {
  return scanExchangeFile(filePath, onRecord as OnRecord | undefined, { ...opts, expectedType });
}

function tooLarge(name: string, bytes: number, max_file_bytes: number): FileScan {
  const scan = emptyScan(name, bytes);
  scan.unreadable = {
    code: 'F01',
    detail: `the file is ${bytes} bytes, more than the ${max_file_bytes} an exchange file may have: not read`,
  };
  return scan;
}

/** A scan before any frame is read; the name's pattern is checked already (F05). */
function emptyScan(name: string, bytes: number): FileScan {
  const scan: FileScan = {
    name,
    bytes,
    header: null,
    trailer: null,
    frames: 0,
    records: 0,
    total_amount_fen: 0,
    sha256_hex: EMPTY_SHA256_HEX,
    file_sha256_hex: '',
  };
  const name_check = checkExchangeFileName(name);
  if (!name_check.ok) {
    scan.name_mismatch = {
      code: 'F05',
      detail: `name does not follow the pattern ${EXCHANGE_NAME_PATTERN}: ${name_check.detail}`,
    };
  }
  return scan;
}

function scanFrames(name: string, bytes: number, reader: FrameReader, onRecord: OnRecord | undefined, opts: ScanOptions): FileScan {
  const scan = emptyScan(name, bytes);
  const name_check = checkExchangeFileName(name);
  const total = new ExactSum();
  const r = new WireReader(reader.buf, 0, 0);
  // Decided from the Header when the option is a function (until then, frames are digested).
  let digested = opts.records_digest !== false;
  const finish = (): FileScan => {
    scan.sha256_hex = digested ? reader.frameDigestHex() : '';
    scan.file_sha256_hex = reader.fileDigestHex();
    const sum = total.value();
    scan.total_amount_fen = Number(sum);
    if (scan.trailer !== null) {
      const checks = trailerChecksOf(scan.trailer, scan.records, sum, scan.sha256_hex);
      if (digested) setTrailerMismatch(scan, checks);
      else {
        scan.digest_deferred = { ...checks, digest: null };
        setTrailerMismatch(scan, scan.digest_deferred);
      }
    }
    return scan;
  };
  const unreadable = (frame: number, detail: string): FileScan => {
    scan.unreadable = { code: 'F01', frame, detail };
    return finish();
  };

  // Frame 1: the Header.
  let step = reader.next();
  if (step === END) return unreadable(1, 'no Header: the file is empty');
  if (step === BROKEN) return unreadable(1, reader.broken_detail);
  scan.frames = 1;
  let header: Header;
  try {
    r.reset(reader.buf, reader.body_start, reader.body_end);
    header = HEADER.decode(r);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    return unreadable(1, `frame 1 does not decode as Header: ${err.message}`);
  }
  scan.header = header;
  opts.onHeader?.(header);
  if (typeof opts.records_digest === 'function') digested = opts.records_digest(header);
  opts.onFrame?.(reader.frameBytes(), false);
  if (name_check.ok) {
    const disagreements = nameHeaderDisagreements(name_check.name, header);
    if (disagreements.length > 0) {
      scan.name_mismatch = { code: 'F05', frame: 1, detail: `name disagrees with the header: ${disagreements.join('; ')}` };
    }
  }
  if (opts.expectedType !== undefined && header.file_type !== opts.expectedType && scan.name_mismatch === undefined) {
    scan.name_mismatch = {
      code: 'F05',
      frame: 1,
      detail: `the header's file_type is ${header.file_type}, ${opts.expectedType} was expected`,
    };
  }
  if (header.format_version !== FORMAT_VERSION) {
    return unreadable(1, `format_version ${header.format_version} is not ${FORMAT_VERSION}`);
  }
  if (reader.is_last) return unreadable(1, 'no Trailer: the Header is the only frame');
  const deliver = opts.expectedType === undefined || header.file_type === opts.expectedType ? onRecord : undefined;

  // Frames 2..n-1: records; frame n: the Trailer.
  const codec: MessageCodec<AnyRecord> = RECORD_CODEC[header.file_type];
  const decode = (opts.recordDecoder?.(header) as ((r: WireReader) => AnyRecord) | undefined) ?? ((r: WireReader) => codec.decode(r));
  const contribution = totalContributionOf(header.file_type);
  for (let frame = 2; ; frame++) {
    step = reader.next();
    if (step === BROKEN) return unreadable(frame, reader.broken_detail);
    if (step === END) throw new Error(`frame ${frame - 1} did not end the file, yet no frame follows it`);
    scan.frames = frame;
    r.reset(reader.buf, reader.body_start, reader.body_end);
    if (reader.is_last) {
      try {
        scan.trailer = TRAILER.decode(r);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        return unreadable(frame, `the last frame (${frame}, at byte ${reader.frame_offset}) does not decode as Trailer: ${err.message}`);
      }
      if (scan.records !== frame - 2) throw new Error(`${scan.records} records counted in ${frame} frames`);
      opts.onFrame?.(reader.frameBytes(), false);
      return finish();
    }
    let record: AnyRecord;
    try {
      record = decode(r);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      return unreadable(frame, `record frame ${frame - 1} does not decode as ${codec.name}: ${err.message}`);
    }
    if (digested) reader.digestFrame();
    total.add(contribution(record));
    const index = scan.records++;
    opts.onFrame?.(reader.frameBytes(), true);
    if (deliver !== undefined) deliver(record, index);
  }
}

/** What the Trailer says against what the records are: null where they agree. */
export interface TrailerChecks {
  count: string | null;
  total: string | null;
  digest: string | null;
}

/** Checks a scan's Trailer against its records (all null when there is no Trailer to check). */
export function trailerChecks(scan: FileScan): TrailerChecks {
  const trailer = scan.trailer;
  if (trailer === null) return { count: null, total: null, digest: null };
  return trailerChecksOf(trailer, scan.records, BigInt(scan.total_amount_fen), scan.sha256_hex);
}

function setTrailerMismatch(scan: FileScan, checks: TrailerChecks): void {
  const mismatches = [checks.count, checks.total, checks.digest].filter((m): m is string => m !== null);
  if (mismatches.length > 0) scan.trailer_mismatch = { code: 'F02', frame: scan.frames, detail: mismatches.join('; ') };
  else delete scan.trailer_mismatch;
}

/**
 * A scan whose records' digest was deferred (digest_deferred), finished with the
 * digest another reading of the same bytes computed (lowercase hex): sha256_hex is
 * set and the Trailer's digest checked, as the scan would have.
 */
export function withRecordsDigest(scan: FileScan, sha256_hex: string): FileScan {
  const deferred = scan.digest_deferred;
  if (deferred === undefined) throw new Error(`${scan.name}: the records' digest was not deferred`);
  const digest = digestCheck(scan.trailer!, sha256_hex);
  const done: FileScan = { ...scan, sha256_hex };
  delete done.digest_deferred;
  setTrailerMismatch(done, { ...deferred, digest });
  return done;
}

function trailerChecksOf(trailer: Trailer, records: number, sum: bigint, sha256_hex: string): TrailerChecks {
  return {
    count: trailer.record_count === records ? null : `record_count ${trailer.record_count}, records ${records}`,
    total: BigInt(trailer.total_amount_fen) === sum ? null : `total_amount_fen ${trailer.total_amount_fen}, records sum to ${sum}`,
    digest: digestCheck(trailer, sha256_hex),
  };
}

function digestCheck(trailer: Trailer, sha256_hex: string): string | null {
  const trailer_hex = Buffer.from(trailer.sha256).toString('hex');
  if (trailer_hex === sha256_hex) return null;
  // A digest field can be as big as its frame: a detail shows at most 64 bytes of it.
  const shown_hex = trailer.sha256.length <= 64 ? trailer_hex : `${trailer_hex.slice(0, 128)}...`;
  const shown = trailer.sha256.length === 32 ? trailer_hex : `of ${trailer.sha256.length} bytes (${shown_hex})`;
  return `sha256 ${shown}, records hash to ${sha256_hex}`;
}

/**
 * The one refusal an import reports for a scanned file, by the precedence of
 * exchange-files.md: F01, F05, F04, F02, F03. F04 (wrong party) and F03 (conflict)
 * need the configuration and the store: the importer supplies them. null: import it.
 */
export function refusalOf(scan: FileScan, extra: { wrongParty?: FileRefusal; conflict?: FileRefusal } = {}): FileRefusal | null {
  if (extra.wrongParty !== undefined && extra.wrongParty.code !== 'F04') throw new Error('wrongParty must be an F04');
  if (extra.conflict !== undefined && extra.conflict.code !== 'F03') throw new Error('conflict must be an F03');
  return scan.unreadable ?? scan.name_mismatch ?? extra.wrongParty ?? scan.trailer_mismatch ?? extra.conflict ?? null;
}

/** The faults knowable from the file alone, in precedence order (for inspect and reports). */
export function structuralFaults(scan: FileScan): FileRefusal[] {
  return [scan.unreadable, scan.name_mismatch, scan.trailer_mismatch].filter((f): f is FileRefusal => f !== undefined);
}
