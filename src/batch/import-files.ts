// Step 1 of a batch: import every inbox file not imported before, each in one
// transaction. A file is imported whole or refused whole (exchange-files.md,
// "Refusing a file whole"); a refused file leaves only the record of its refusal.
import type { Header, FileRefusal, Transaction, Verdict, BlacklistEntry } from '../core/types';
import { scanExchangeFile, refusalOf, type FileScan } from '../files/reader';
import { readBankStatement } from '../files/bank-csv';
import { isCalendarDate, parseBankStatementName } from '../files/names';
import fs from 'node:fs';
import { listInbox, sha256OfFile, type InboxFile } from './inbox';
import { RecordImporter } from './record-import';
import { importNationalVerdict } from './national-import';
import type { BatchContext } from './context';
import { wrongParty } from '../core/file-party';
import { priorImport, type FileIdentity } from '../store/file-log';
import { loadBlacklist } from '../machinery/card-blacklist';
import type { ParallelMode } from '../machinery/tonight';
import type { StatelessVerdicts } from '../machinery/stateless-verdicts';

export interface ImportTally {
  imported: number;
  skipped: number;
  refused: number;
}

/** The stateless verdicts were given on other bytes than the import read (the worker read the file apart): it is imported again, judged here alone. */
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
 */
export function importInbox(ctx: BatchContext, inboxDir: string, parallel: ParallelMode = 'auto'): void {
  const files = listInbox(inboxDir, ctx.date);
  const recordBytes = files
    .filter((f) => f.kind === 'TXN_UPLOAD' || f.kind === 'INTEROP_IN')
    .reduce((sum, f) => sum + fs.statSync(f.path).size, 0);
  ctx.tonight.beginImport(recordBytes, parallel);
  importFiles(ctx, files);
}

function importFiles(ctx: BatchContext, files: InboxFile[]): void {
  const nameSeen = ctx.db.prepare('SELECT 1 FROM files WHERE name = ? UNION ALL SELECT 1 FROM sightings WHERE name = ? LIMIT 1').pluck();
  const seenThisBatch = ctx.db.prepare('SELECT 1 FROM files WHERE name = ? AND sha256 = ? AND batch_date = ?').pluck();
  // Only an imported file is a resend: a refused one established nothing and is judged again.
  const seenBefore = ctx.db
    .prepare("SELECT 1 FROM files WHERE name = ? AND sha256 = ? AND batch_date < ? AND outcome = 'IMPORTED'")
    .pluck();
  const skippedThisBatch = ctx.db.prepare('SELECT 1 FROM sightings WHERE name = ? AND sha256 = ? AND batch_date = ?').pluck();
  const recordSkip = ctx.db.prepare("INSERT OR IGNORE INTO sightings (batch_date, name, sha256, outcome) VALUES (?, ?, ?, 'SKIPPED')");
  let done = 0;
  for (const file of files) {
    // A name never seen cannot be a resend: its digest comes from the import's own read.
    const sha = nameSeen.get(file.name, file.name) || file.kind === 'BANK' ? sha256OfFile(file.path) : null;
    if (sha === null) {
      importExchangeFile(ctx, file, null);
      ctx.progress(`import: ${++done}/${files.length} ${file.name}`);
      continue;
    }
    // A rerun after a crash finds this batch's own work already stored: pass over it.
    if (seenThisBatch.get(file.name, sha, ctx.date) || skippedThisBatch.get(file.name, sha, ctx.date)) continue;
    if (seenBefore.get(file.name, sha, ctx.date)) {
      recordSkip.run(ctx.date, file.name, sha);
      continue;
    }
    if (file.kind === 'BANK') importBankStatement(ctx, file, sha);
    else importExchangeFile(ctx, file, sha);
    ctx.progress(`import: ${++done}/${files.length} ${file.name}`);
  }
}

function insertFileRow(ctx: BatchContext, file: InboxFile, sha: string, kind: string, header: Partial<Header> | null): number {
  const info = ctx.db
    .prepare(
      `INSERT INTO files (batch_date, name, sha256, kind, sender_id, receiver_id, business_date, file_seq, outcome, ref_file)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'IMPORTED', ?)`,
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
    );
  return Number(info.lastInsertRowid);
}

function recordRefusal(ctx: BatchContext, file: InboxFile, sha: string, kind: string, header: Header | null, refusal: FileRefusal): void {
  ctx.db
    .prepare(
      `INSERT INTO files (batch_date, name, sha256, kind, sender_id, receiver_id, business_date, file_seq, outcome,
                          refusal_code, refusal_frame, refusal_detail)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'REFUSED', ?, ?, ?)`,
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
 * scan gives it. `verdicts`: where the stateless rules run (the worker's, unless it
 * read other bytes of this file).
 */
function importExchangeFile(
  ctx: BatchContext,
  file: InboxFile,
  sha: string | null,
  verdicts: StatelessVerdicts = ctx.tonight.verdicts,
): void {
  let header: Header | null = null;
  let scan: FileScan | null = null;
  let lastImporter: RecordImporter | null = null;
  const run = ctx.db.transaction(() => {
    let fileId = 0;
    // Set once the header is read; a file refused on its header processes no record.
    const on: {
      record: ((record: unknown, index: number) => void) | null;
      finish: (() => void) | null;
      early: FileRefusal | undefined;
      importer: RecordImporter | null;
    } = { record: null, finish: null, early: undefined, importer: null };
    scan = scanExchangeFile(file.path, (record, index) => on.record?.(record, index), {
      onHeader: (h: Header) => {
        header = h;
        // A business_date that is no date cannot be in a well-formed name (F05): no
        // record is judged against it.
        on.early = isCalendarDate(h.business_date)
          ? (wrongParty(ctx.registry, h) ?? conflictOf(ctx, h.file_type, h))
          : { code: 'F05', detail: `business_date ${JSON.stringify(h.business_date)} is not a YYYYMMDD date` };
        if (on.early) return; // refused whatever the records hold: don't process them
        fileId = insertFileRow(ctx, file, sha ?? '', h.file_type, h);
        const kind = h.file_type;
        if (kind === 'TXN_UPLOAD' || kind === 'INTEROP_IN') {
          const fileCtx = { file_type: kind, sender_id: h.sender_id, business_date: h.business_date };
          const imp = new RecordImporter(ctx, fileId, fileCtx, verdicts);
          verdicts.beginFile(file.path, fileCtx);
          on.importer = imp;
          lastImporter = imp;
          on.record = (r) => imp.add(r as Transaction);
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
    });
    on.finish?.();
    const s = scan;
    const early = on.early;
    const refusal =
      refusalOf(s, { wrongParty: early?.code === 'F04' ? early : undefined, conflict: early?.code === 'F03' ? early : undefined }) ??
      (early?.code === 'F05' ? early : null);
    if (refusal) throw new FileRefused(refusal, header);
    // The worker read the file apart: if its bytes were not these (the file was
    // replaced between the two readings), none of its verdicts stand.
    if (on.importer && !verdicts.sameFile(s.file_sha256_hex)) throw new JudgedOtherBytes();
    // A name that parses but whose identity is held by another file is caught by F03 above;
    // the unique index on identity is the store's own guard against a double import.
    ctx.db
      .prepare('UPDATE files SET sha256 = ?, record_count = ?, total_fen = ?, first_record_id = ? WHERE id = ?')
      .run(s.file_sha256_hex, s.records, s.total_amount_fen, on.importer?.firstRecordId ?? null, fileId);
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
    if (header && (header as Header).file_type === 'BLACKLIST') reloadBlacklist(ctx);
  } catch (err) {
    ctx.tonight.fileRolledBack((lastImporter as RecordImporter | null)?.firstRecordId ?? null);
    if (err instanceof JudgedOtherBytes) {
      importExchangeFile(ctx, file, sha, ctx.tonight.inlineVerdicts);
      return;
    }
    if (!(err instanceof FileRefused)) throw err;
    const kind = err.header?.file_type ?? classifyKind(file);
    const digest = sha ?? (scan as FileScan | null)?.file_sha256_hex ?? sha256OfFile(file.path);
    ctx.db.transaction(() => recordRefusal(ctx, file, digest, kind, err.header, err.refusal)).immediate();
  }
}

function classifyKind(file: InboxFile): string {
  return file.kind === null ? 'UNKNOWN' : file.kind === 'BANK' ? 'BANK_STATEMENT' : file.kind;
}

/** A BLACKLIST file took effect: later files of the night are validated against it. */
function reloadBlacklist(ctx: BatchContext): void {
  ctx.blacklist = loadBlacklist(ctx.db);
}

function importBankStatement(ctx: BatchContext, file: InboxFile, sha: string): void {
  const named = parseBankStatementName(file.name);
  const refuse = (refusal: FileRefusal) =>
    ctx.db.transaction(() => recordRefusal(ctx, file, sha, 'BANK_STATEMENT', null, refusal)).immediate();
  const parsed = readBankStatement(file.path);
  if (!parsed.ok) {
    refuse({ code: 'F01', detail: `line ${parsed.line}: ${parsed.detail}` });
    return;
  }
  if (!named) {
    refuse({ code: 'F05', detail: 'name does not follow BANK_<bank_id>_<YYYYMMDD>_<NNNN>.csv' });
    return;
  }
  if (named.bank_id !== ctx.registry.bankId) {
    refuse({ code: 'F04', detail: `sender ${named.bank_id} is not the settlement bank` });
    return;
  }
  const identity = { sender_id: named.bank_id, receiver_id: ctx.registry.centreId, business_date: named.date, file_seq: named.seq };
  const conflict = conflictOf(ctx, 'BANK_STATEMENT', identity);
  if (conflict) {
    refuse(conflict);
    return;
  }
  const importLines = ctx.db.transaction(() => {
    const fileId = insertFileRow(ctx, file, sha, 'BANK_STATEMENT', identity);
    const insert = ctx.db.prepare(
      `INSERT INTO bank_lines (file_id, line_no, value_date, instruction_id, payer_id, payee_id, amount_fen, bank_ref)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    let total = 0;
    for (const l of parsed.lines) {
      insert.run(fileId, l.line, l.value_date, l.instruction_id, l.payer_id, l.payee_id, l.amount_fen, l.bank_ref);
      total += l.amount_fen;
    }
    ctx.db.prepare('UPDATE files SET record_count = ?, total_fen = ? WHERE id = ?').run(parsed.lines.length, total, fileId);
  });
  importLines.immediate();
}
