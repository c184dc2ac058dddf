// Step 1 of a batch: import every inbox file not imported before, each in one
// transaction. A file is imported whole or refused whole (exchange-files.md,
// "Refusing a file whole"); a refused file leaves only the record of its refusal.
import { strict as assert } from 'node:assert';
import type { Header, FileRefusal, Transaction, Verdict, BlacklistEntry } from '../core/types';
import { scanExchangeFile, refusalOf, withRecordsDigest, MAX_FILE_BYTES, type FileScan } from '../files/reader';
import { MAX_BANK_FILE_BYTES, scanBankStatement } from '../files/bank-csv';
import { isCalendarDate, MAX_FILE_SEQ, parseBankStatementName } from '../files/names';
import { listInbox, sha256OfFile, unreadableOr, type InboxFile } from './inbox';
import { RecordImporter } from './record-import';
import { importNationalVerdict } from './national-import';
import type { BatchContext, Progress } from './context';
import { wrongParty } from '../core/file-party';
import { priorImport, type FileIdentity } from '../store/file-log';
import { loadBlacklist } from '../machinery/card-blacklist';
import { RECORD_FILE_BYTES, type ParallelMode } from '../machinery/tonight';
import { ReadAgainWhole, type StatelessVerdicts } from '../machinery/stateless-verdicts';
import { KeptFileWriter } from '../store/kept-files';
import { AnswerRoom, answerReceiver, answerTypeOf, NoRoomForAnswer } from './answer-room';

export interface ImportTally {
  imported: number;
  skipped: number;
  refused: number;
}

/**
 * The file is imported again, read whole and judged here alone: the stateless verdicts
 * were given on other bytes than the import read (the worker read the file apart), or
 * the worker did not vouch for the records the import read only in part.
 */
class JudgedOtherBytes extends Error {}

/** Thrown inside a file's transaction to roll it back; caught right outside it. */
class FileRefused extends Error {
  constructor(
    readonly refusal: FileRefusal,
    readonly header: Header | null,
  ) {
    super(refusal.code);
  }
}

/** Where the stateless rules run (LCT_VALIDATION_THREAD): the command line names it from here. */
export type { ParallelMode };

/**
 * Imports the inbox. The night's machinery is told the night's size first: it sizes
 * its tables, and starts the worker of the stateless rules on a big enough night.
 * Entries that are not files are kept in ctx.ignored_entries for the day's report.
 */
export function importInbox(ctx: BatchContext, inboxDir: string, parallel: ParallelMode = 'auto'): void {
  const inbox = listInbox(inboxDir, ctx.date);
  ctx.ignored_entries = inbox.ignored;
  const gauge = new ImportGauge(ctx.progress, inbox.files);
  ctx.tonight.beginImport(gauge.recordBytes, parallel);
  importFiles(ctx, inbox.files, gauge);
}

/**
 * The bytes of records a file brings, for sizing the night: those the disk holds of
 * an upload or INTEROP_IN (holes hold no record), none for one over the reader's
 * limit (refused unread).
 */
function recordBytesOf(file: InboxFile): number {
  return (file.kind === 'TXN_UPLOAD' || file.kind === 'INTEROP_IN') && file.bytes <= MAX_FILE_BYTES ? file.stored_bytes : 0;
}

/** How often the import looks at the clock: every this many records (a power of two). */
const RECORDS_PER_LOOK = 1024;
/** The least time between two reports of records within a file. */
const REPORT_EVERY_MS = 100;

/**
 * The import's progress: files done, and records read of about how many, estimated
 * from the bytes of the files left to read and corrected as each file ends.
 */
class ImportGauge {
  readonly recordBytes: number;
  private files_done = 0;
  private records_done = 0;
  /** Records read before the file being read. */
  private records_before = 0;
  /** Estimated records of the files not yet begun. */
  private records_after: number;
  /** Estimated records of the file being read. */
  private records_here = 0;
  private reported_ms = performance.now();

  constructor(
    private readonly progress: Progress,
    private readonly files: readonly InboxFile[],
  ) {
    this.recordBytes = files.reduce((sum, f) => sum + recordBytesOf(f), 0);
    this.records_after = Math.ceil(this.recordBytes / RECORD_FILE_BYTES);
  }

  /** A file is about to be read. */
  begin(file: InboxFile): void {
    this.records_here = Math.ceil(recordBytesOf(file) / RECORD_FILE_BYTES);
    this.records_after = Math.max(0, this.records_after - this.records_here);
  }

  /** One record of an upload or INTEROP_IN read: a count, and a look at the clock now and then. */
  record(): void {
    if ((++this.records_done & (RECORDS_PER_LOOK - 1)) !== 0) return;
    const now = performance.now();
    if (now - this.reported_ms < REPORT_EVERY_MS) return;
    this.reported_ms = now;
    this.report(null);
  }

  /** A file is done: imported, refused or passed over. */
  end(file: InboxFile, outcome: string): void {
    this.files_done++;
    this.records_before = this.records_done;
    this.records_here = 0;
    this.reported_ms = performance.now();
    this.report({ name: file.name, outcome });
  }

  private report(done: { name: string; outcome: string } | null): void {
    const reading = Math.max(this.records_here, this.records_done - this.records_before);
    this.progress({
      step: 'import',
      files_done: this.files_done,
      files_total: this.files.length,
      done,
      records_done: this.records_done,
      records_expected: this.records_before + reading + this.records_after,
    });
  }
}

function importFiles(ctx: BatchContext, files: InboxFile[], gauge: ImportGauge): void {
  const nameSeen = ctx.db.prepare('SELECT 1 FROM files WHERE name = ? UNION ALL SELECT 1 FROM sightings WHERE name = ? LIMIT 1').pluck();
  const seenThisBatch = ctx.db.prepare('SELECT 1 FROM files WHERE name = ? AND sha256 = ? AND batch_date = ?').pluck();
  // Only an imported file is a resend: a refused one established nothing and is judged again.
  const seenBefore = ctx.db
    .prepare("SELECT 1 FROM files WHERE name = ? AND sha256 = ? AND batch_date < ? AND outcome = 'IMPORTED'")
    .pluck();
  const skippedThisBatch = ctx.db.prepare('SELECT 1 FROM sightings WHERE name = ? AND sha256 = ? AND batch_date = ?').pluck();
  const recordSkip = ctx.db.prepare("INSERT OR IGNORE INTO sightings (batch_date, name, sha256, outcome) VALUES (?, ?, ?, 'SKIPPED')");
  const room = new AnswerRoom(ctx.db, ctx.date);
  for (const [i, file] of files.entries()) {
    gauge.begin(file);
    // The next file with records to judge, for the worker to begin reading while this one ends.
    const next = files.slice(i + 1).find((f) => recordBytesOf(f) > 0)?.path ?? null;
    // A name never seen cannot be a resend: its digest comes from the import's own read.
    // A file over the size its reader takes gets '' and is not read: the reader refuses it unread.
    const limit = file.kind === 'BANK' ? MAX_BANK_FILE_BYTES : MAX_FILE_BYTES;
    const sha = nameSeen.get(file.name, file.name) || file.kind === 'BANK' ? sha256OfFile(file.path, limit) : null;
    if (sha === null) {
      gauge.end(file, importExchangeFile(ctx, room, file, null, gauge, next));
      continue;
    }
    // A rerun after a crash finds this batch's own work already stored: pass over it.
    if (seenThisBatch.get(file.name, sha, ctx.date) || skippedThisBatch.get(file.name, sha, ctx.date)) {
      gauge.end(file, 'done by an earlier run');
      continue;
    }
    if (seenBefore.get(file.name, sha, ctx.date)) {
      recordSkip.run(ctx.date, file.name, sha);
      gauge.end(file, 'skipped: a resend');
      continue;
    }
    gauge.end(file, file.kind === 'BANK' ? importBankStatement(ctx, file, sha) : importExchangeFile(ctx, room, file, sha, gauge, next));
  }
}

/** `answer_to`: who the file's answer goes to, checked (answerReceiver); null when it gets none. */
function insertFileRow(
  ctx: BatchContext,
  file: InboxFile,
  sha: string,
  kind: string,
  header: Partial<Header> | null,
  answer_to: string | null = null,
): number {
  const info = ctx.db
    .prepare(
      `INSERT INTO files (batch_date, name, sha256, kind, sender_id, receiver_id, business_date, file_seq, outcome, ref_file, answer_to)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'IMPORTED', ?, ?)`,
    )
    .run(
      ctx.date,
      file.name,
      sha,
      kind,
      header?.sender_id ?? null,
      header?.receiver_id ?? null,
      header?.business_date ?? null,
      header?.file_seq ?? null,
      header?.ref_file || null,
      answer_to,
    );
  return Number(info.lastInsertRowid);
}

function recordRefusal(
  ctx: BatchContext,
  file: InboxFile,
  sha: string,
  kind: string,
  header: Header | null,
  refusal: FileRefusal,
  answer_to: string | null = null,
): void {
  ctx.db
    .prepare(
      `INSERT INTO files (batch_date, name, sha256, kind, sender_id, receiver_id, business_date, file_seq, outcome,
                          refusal_code, refusal_frame, refusal_detail, answer_to)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'REFUSED', ?, ?, ?, ?)`,
    )
    .run(
      ctx.date,
      file.name,
      sha,
      kind,
      header?.sender_id ?? null,
      header?.receiver_id ?? null,
      header?.business_date ?? null,
      header?.file_seq ?? null,
      refusal.code,
      refusal.frame ?? null,
      refusal.detail,
      answer_to,
    );
}

/**
 * F03: the same identity imported before. Identical name and bytes were passed over
 * as a resend before this is asked, so what is left has other bytes.
 */
function conflictOf(ctx: BatchContext, kind: string, h: FileIdentity): FileRefusal | undefined {
  const prior = priorImport(ctx.db, kind, h);
  return prior === undefined ? undefined : { code: 'F03', detail: `same identity imported before with other bytes (${prior.name})` };
}

/**
 * `sha` is the file's digest when it was needed before (a name seen before); else the
 * scan gives it. `next`: the inbox's next file with records, which the worker may
 * begin reading ahead. `verdicts`: where the stateless rules run (the worker's, unless it
 * read other bytes of this file or could not vouch for them). Returns what became of it ('imported', 'refused F01').
 * A file the machine cannot read throws UnreadableInboxFile, with nothing of it kept.
 */
function importExchangeFile(
  ctx: BatchContext,
  room: AnswerRoom,
  file: InboxFile,
  sha: string | null,
  gauge: ImportGauge,
  next: string | null,
  verdicts: StatelessVerdicts = ctx.tonight.verdicts,
): string {
  let header: Header | null = null;
  let scan: FileScan | null = null;
  let lastImporter: RecordImporter | null = null;
  const run = ctx.db.transaction(() => {
    let fileId = 0;
    // The records' digest (the Trailer's) is left to the worker when it reads the file too.
    let digestRecords = true;
    // Set once the header is read; a file refused on its header processes no record.
    const on: {
      record: ((record: unknown, index: number) => void) | null;
      finish: (() => void) | null;
      early: FileRefusal | undefined;
      importer: RecordImporter | null;
      /** The file's bytes into the store, for a file whose records are stored. */
      keep: KeptFileWriter | null;
    } = { record: null, finish: null, early: undefined, importer: null, keep: null };
    scan = scanExchangeFile(file.path, (record, index) => on.record?.(record, index), {
      onFrame: (bytes, isRecord) => on.keep?.frame(bytes, isRecord),
      onHeader: (h: Header) => {
        header = h;
        // Who the answer goes to is decided here, from checked values, and there must be
        // room for it tonight: planning the outbox after the close must not fail.
        const answerType = answerTypeOf(h.file_type);
        const receiver = answerReceiver(h, file.name, ctx.registry.nationalId);
        if (answerType !== null && receiver !== null && !room.fits(answerType, receiver)) {
          throw new NoRoomForAnswer(`tonight's outbox holds ${MAX_FILE_SEQ} ${answerType} files to ${receiver} already`);
        }
        // A business_date that is no date cannot be in a well-formed name (F05): no
        // record is judged against it.
        on.early = isCalendarDate(h.business_date)
          ? (wrongParty(ctx.registry, h) ?? conflictOf(ctx, h.file_type, h))
          : { code: 'F05', detail: `business_date ${JSON.stringify(h.business_date)} is not a YYYYMMDD date` };
        if (on.early) return; // refused whatever the records hold: don't process them
        fileId = insertFileRow(ctx, file, sha ?? '', h.file_type, h, receiver);
        const kind = h.file_type;
        if (kind === 'TXN_UPLOAD' || kind === 'INTEROP_IN') {
          digestRecords = !verdicts.digestsRecords;
          const fileCtx = { file_type: kind, sender_id: h.sender_id, business_date: h.business_date };
          verdicts.beginFile(file.path, fileCtx, next);
          on.keep = new KeptFileWriter(ctx.db, fileId, verdicts.compressedBlock);
          const imp = new RecordImporter(ctx, fileId, fileCtx, verdicts, on.keep);
          ctx.tonight.kept.pending = { fileId, writer: on.keep };
          on.importer = imp;
          lastImporter = imp;
          on.record = (r) => {
            imp.add(r as Transaction);
            gauge.record();
          };
          on.finish = () => imp.flush();
        } else if (kind === 'BLACKLIST') {
          const insert = ctx.db.prepare(
            'INSERT INTO blacklist_entries (file_id, issuer_id, card_no, action, effective_at, reason) VALUES (?, ?, ?, ?, ?, ?)',
          );
          on.record = (r) => {
            const e = r as BlacklistEntry;
            insert.run(fileId, e.issuer_id, e.card_no, e.action, e.effective_at, e.reason);
          };
        } else if (kind === 'INTEROP_RESULT') {
          on.record = (r, index) => importNationalVerdict(ctx, fileId, h, r as Verdict, index);
        }
      },
      records_digest: () => digestRecords,
      // Read in part while the worker decodes the same records whole (RecordImporter.decode).
      recordDecoder: () => on.importer?.decode,
    });
    on.finish?.();
    // A file read in part that turns out unreadable is read again whole: the refusal
    // names the first frame that does not decode, which a part may not have reached.
    if (scan.unreadable !== undefined && on.importer?.readPart === true) throw new JudgedOtherBytes();
    if (scan.digest_deferred !== undefined) {
      // Left to the worker: its digest of the records, if it read these bytes whole; else
      // the file is read again here, alone.
      const digest = verdicts.recordsDigest(scan.file_sha256_hex);
      if (digest === null) throw new JudgedOtherBytes();
      scan = withRecordsDigest(scan, digest);
    }
    const s = scan;
    const early = on.early;
    const refusal =
      refusalOf(s, { wrongParty: early?.code === 'F04' ? early : undefined, conflict: early?.code === 'F03' ? early : undefined }) ??
      (early?.code === 'F05' ? early : null);
    if (refusal) throw new FileRefused(refusal, header);
    // The national centre's rejections are answered in late TXN_ACKs: they must fit too.
    if (header !== null && (header as Header).file_type === 'INTEROP_RESULT') room.checkLateAcks();
    // The worker read the file apart: if its bytes were not these (the file was
    // replaced between the two readings), none of its verdicts stand.
    if (on.importer && !verdicts.sameFile(s.file_sha256_hex)) throw new JudgedOtherBytes();
    if (on.keep !== null) {
      on.keep.finish();
      on.importer!.readBack();
    }
    // A name that parses but whose identity is held by another file is caught by F03 above;
    // the unique index on identity is the store's own guard against a double import.
    ctx.db
      .prepare('UPDATE files SET sha256 = ?, record_count = ?, total_fen = ?, first_record_id = ?, kept = ? WHERE id = ?')
      .run(s.file_sha256_hex, s.records, s.total_amount_fen, on.importer?.firstRecordId ?? null, on.keep === null ? null : 'FILE', fileId);
  });
  try {
    try {
      // IMMEDIATE, as every write transaction of the batch: it reads before it writes,
      // and a deferred one fails at once, without waiting, when another connection took
      // the write lock in between (a writer being refused does, for a moment).
      run.immediate();
    } finally {
      verdicts.endFile();
    }
    ctx.tonight.fileCommitted();
    const h = header as Header | null;
    const answered = h === null ? null : answerTypeOf(h.file_type);
    if (answered !== null) room.took(answered, answerReceiver(h, file.name, ctx.registry.nationalId)!);
    if (h?.file_type === 'INTEROP_RESULT') room.recount();
    if (h?.file_type === 'BLACKLIST') reloadBlacklist(ctx);
    return 'imported';
  } catch (err) {
    ctx.tonight.fileRolledBack((lastImporter as RecordImporter | null)?.firstRecordId ?? null);
    if (err instanceof JudgedOtherBytes || err instanceof ReadAgainWhole) {
      return importExchangeFile(ctx, room, file, sha, gauge, next, ctx.tonight.inlineVerdicts);
    }
    if (err instanceof NoRoomForAnswer) {
      // Nothing of it is recorded: it is imported by a later night, as if it had not arrived yet.
      ctx.progress(`import: ${file.name} waits for a later night: ${err.message}`);
      return 'waits for a later night';
    }
    if (!(err instanceof FileRefused)) throw unreadableOr(file.path, err);
    const kind = err.header?.file_type ?? classifyKind(file);
    const digest = sha ?? (scan as FileScan | null)?.file_sha256_hex ?? sha256OfFile(file.path, MAX_FILE_BYTES);
    // A refused upload is answered when its header or name names an institution; the
    // header's reading made sure there is room for it.
    const answerType = err.header === null ? null : answerTypeOf(err.header.file_type);
    const answer_to = answerType === null ? null : answerReceiver(err.header, file.name, ctx.registry.nationalId);
    ctx.db.transaction(() => recordRefusal(ctx, file, digest, kind, err.header, err.refusal, answer_to)).immediate();
    if (answer_to !== null) room.took(answerType!, answer_to);
    return `refused ${err.refusal.code}`;
  }
}

function classifyKind(file: InboxFile): string {
  return file.kind === null ? 'UNKNOWN' : file.kind === 'BANK' ? 'BANK_STATEMENT' : file.kind;
}

/** A BLACKLIST file took effect: later files of the night are validated against it. */
function reloadBlacklist(ctx: BatchContext): void {
  ctx.blacklist = loadBlacklist(ctx.db);
}

/**
 * A bank statement, read a line at a time: each line is stored as it comes, inside
 * the file's transaction, so that memory stays flat whatever the file holds; a
 * refusal rolls the lines back. The content is judged first (F01), then the name
 * (F05), the bank (F04) and the identity (F03), as for exchange files.
 */
function importBankStatement(ctx: BatchContext, file: InboxFile, sha: string): string {
  const named = parseBankStatementName(file.name);
  const identity = named && {
    sender_id: named.bank_id,
    receiver_id: ctx.registry.centreId,
    business_date: named.date,
    file_seq: named.seq,
  };
  const early: FileRefusal | undefined = !identity
    ? { code: 'F05', detail: 'name does not follow BANK_<bank_id>_<YYYYMMDD>_<NNNN>.csv' }
    : identity.sender_id !== ctx.registry.bankId
      ? { code: 'F04', detail: `sender ${identity.sender_id} is not the settlement bank` }
      : conflictOf(ctx, 'BANK_STATEMENT', identity);
  try {
    ctx.db
      .transaction(() => {
        // A statement refused whatever its lines hold stores none of them, but is read to the end all the same: a broken one is F01.
        const fileId = early || !identity ? null : insertFileRow(ctx, file, sha, 'BANK_STATEMENT', identity);
        const insert = ctx.db.prepare(
          `INSERT INTO bank_lines (file_id, line_no, value_date, instruction_id, payer_id, payee_id, amount_fen, bank_ref)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        let lines = 0;
        let total = 0;
        const scan = scanBankStatement(file.path, (l) => {
          if (fileId === null) return;
          insert.run(fileId, l.line, l.value_date, l.instruction_id, l.payer_id, l.payee_id, l.amount_fen, l.bank_ref);
          lines++;
          total += l.amount_fen;
        });
        if (!scan.ok) throw new FileRefused({ code: 'F01', detail: `line ${scan.line}: ${scan.detail}` }, null);
        if (early) throw new FileRefused(early, null);
        assert.equal(lines, scan.line_count, `${file.name}: every line the scan counted is stored`);
        ctx.db.prepare('UPDATE files SET record_count = ?, total_fen = ? WHERE id = ?').run(lines, total, fileId);
      })
      .immediate();
    return 'imported';
  } catch (err) {
    if (!(err instanceof FileRefused)) throw unreadableOr(file.path, err);
    ctx.db.transaction(() => recordRefusal(ctx, file, sha, 'BANK_STATEMENT', null, err.refusal)).immediate();
    return `refused ${err.refusal.code}`;
  }
}
