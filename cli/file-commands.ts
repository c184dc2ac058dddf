// `lct file inspect FILE [--json]` (batch-cli.md): decodes an exchange file or a
// bank statement, shows everything that could be decoded (header, records,
// trailer) as a readable table or as JSON lines, and says whether framing, count,
// total, digest and name are right, and if not, where, with the F-code an import
// would refuse the file with. F04 (wrong party) and F03 (conflict) depend on the
// configuration and the store, so inspect names them as not checked.
//
// Exit 0: the file is sound; 1: it is faulty (its contents are still shown); 2:
// usage (no such file). Output is streamed, a chunk at a time: a file of millions
// of records is shown in constant memory.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import type { FileRefusal, Header, Trailer } from '../src/core/types';
import { readBankStatement, type BankLine } from '../src/files/bank-csv';
import { RECORD_CODEC } from '../src/files/codec';
import { fileTypeOfName } from '../src/files/names';
import { refusalOf, scanExchangeFile, trailerChecks, type FileScan } from '../src/files/reader';
import { CheckFailed, UsageError } from './errors';
import { loadParticipants } from './config';
import { openExistingStore } from './common';
import { buildRegistry } from '../src/core/registry';
import { wrongParty } from '../src/core/file-party';
import { priorImport } from '../src/store/file-log';
import { printable, printableJson } from '../src/core/printable';

export function registerFileCommands(program: Command): void {
  const file = program.command('file').description('exchange files and bank statements');
  file
    .command('inspect')
    .description('decode an exchange file (or a bank statement) and check its framing, trailer and name')
    .argument('<FILE>', 'an exchange file (.pb) or a bank statement (BANK_....csv)')
    .option('--json', 'JSON lines: the header, each record, the trailer, then the result')
    .option('--config <path>', 'also check the parties (F04) against this participants file')
    .option('--db <path>', 'also check the identity (F03) against this store')
    .action((filePath: string, o: { json?: boolean; config?: string; db?: string }) => {
      inspectFile(filePath, { json: o.json === true, config: o.config, db: o.db });
    });
}

/** Inspects one file, printing to stdout. Throws UsageError or CheckFailed (a faulty file). */
export function inspectFile(filePath: string, opts: { json: boolean; config?: string; db?: string }): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(filePath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${filePath}: no such file` : `${filePath}: cannot be read (${code ?? String(err)})`);
  }
  if (!stat.isFile()) throw new UsageError(`${filePath}: not a file`);
  try {
    fs.accessSync(filePath, fs.constants.R_OK);
  } catch {
    throw new UsageError(`${filePath}: cannot be read (permission denied)`);
  }
  exitQuietlyOnClosedStdout();
  const out = new Output(opts.json);
  const name = path.basename(filePath);
  const fault =
    fileTypeOfName(name) === 'BANK' || name.toLowerCase().endsWith('.csv')
      ? inspectBankStatement(filePath, opts.json, out)
      : inspectExchangeFile(filePath, opts.json, out, partyChecks(opts));
  out.flush();
  if (fault !== null) {
    const at = fault.frame === undefined ? '' : ` at frame ${fault.frame}`;
    throw new CheckFailed(`${name}: an import would refuse it ${fault.code}${at}: ${fault.detail}`);
  }
}

// ---------------------------------------------------------------------------
// Exchange files

/** The checks that need the configuration (F04) or the store (F03), when given. */
interface PartyChecks {
  wrongParty?: (h: Header) => FileRefusal | undefined;
  conflict?: (h: Header, file_sha256: string) => FileRefusal | undefined;
}

function partyChecks(opts: { config?: string; db?: string }): PartyChecks {
  const checks: PartyChecks = {};
  if (opts.config !== undefined) {
    const registry = buildRegistry(loadParticipants(path.resolve(opts.config)));
    checks.wrongParty = (h) => wrongParty(registry, h);
  }
  if (opts.db !== undefined) {
    const db = openExistingStore({ db: opts.db });
    checks.conflict = (h, sha) => {
      const prior = priorImport(db, h.file_type, h);
      // The same bytes imported before are a resend, passed over: not a refusal.
      return prior === undefined || prior.sha256 === sha
        ? undefined
        : { code: 'F03', detail: `same identity imported before with other bytes (${prior.name})` };
    };
  }
  return checks;
}

function inspectExchangeFile(filePath: string, json: boolean, out: Output, parties: PartyChecks = {}): FileRefusal | null {
  const name = path.basename(filePath);
  let header_shown = false;
  let record_type = '';
  let table: Table | null = null;
  let record_fields: string[] = [];
  const showHeader = (h: Header): void => {
    header_shown = true;
    record_type = RECORD_CODEC[h.file_type].name;
    record_fields = RECORD_CODEC[h.file_type].fields.map((f) => f.name);
    if (json) out.line(JSON.stringify({ kind: 'header', frame: 1, header: h }));
    else {
      out.line(`file     ${name}`);
      out.line('frame 1  Header');
      for (const [k, v] of Object.entries(h)) out.line(`  ${k.padEnd(16)} ${v === '' ? '-' : String(v)}`);
    }
  };
  const scan = scanExchangeFile(
    filePath,
    (record, index) => {
      if (json) {
        out.line(JSON.stringify({ kind: 'record', frame: index + 2, index, record }));
        return;
      }
      if (table === null) {
        // The message's fields, not the first record's keys: a field a record may leave
        // out (a statement line's ref) still gets its column when the first one has none.
        table = new Table(['#', 'frame'], record_fields);
        out.line(`records  (${record_type})`);
        out.line(table.heading());
      }
      out.line(table.row([index, index + 2], record as unknown as Record<string, unknown>));
    },
    { onHeader: showHeader },
  );
  if (!header_shown && !json) out.line(`file     ${name}`);
  if (scan.trailer !== null) showTrailer(scan.frames, scan.trailer, json, out);

  const h = scan.header;
  const refusal = refusalOf(scan, {
    wrongParty: h && parties.wrongParty ? parties.wrongParty(h) : undefined,
    conflict: h && parties.conflict ? parties.conflict(h, scan.file_sha256_hex) : undefined,
  });
  const checks = checksOf(scan);
  const notChecked: Record<string, string> = {};
  if (!parties.wrongParty) notChecked.F04 = NOT_CHECKED.F04;
  if (!parties.conflict) notChecked.F03 = NOT_CHECKED.F03;
  if (json) {
    out.line(
      JSON.stringify({
        kind: 'result',
        file: name,
        bytes: scan.bytes,
        frames: scan.frames,
        records: scan.records,
        total_amount_fen: scan.total_amount_fen,
        sha256: scan.sha256_hex,
        file_sha256: scan.file_sha256_hex,
        checks,
        ok: refusal === null,
        refusal,
        not_checked: notChecked,
      }),
    );
  } else {
    out.line('checks');
    for (const [what, c] of Object.entries(checks)) {
      out.line(`  ${what.padEnd(8)} ${c.ok === null ? 'not checked' : c.ok ? 'ok' : 'FAULT'}: ${c.detail}`);
    }
    if (refusal === null) out.line(`result   sound: ${scan.records} records, total ${scan.total_amount_fen} fen`);
    else {
      const at = refusal.frame === undefined ? '' : ` at frame ${refusal.frame}`;
      out.line(`result   an import would refuse it ${refusal.code}${at}: ${refusal.detail}`);
    }
    if (Object.keys(notChecked).length > 0) {
      out.line(
        `         not checked here: ${Object.entries(notChecked)
          .map(([code, why]) => `${code} (${why})`)
          .join(', ')}`,
      );
    }
  }
  return refusal;
}

const NOT_CHECKED = { F04: 'wrong party: needs --config', F03: 'conflict: needs --db' };

interface Check {
  /** null: could not be checked (the file broke before). */
  ok: boolean | null;
  detail: string;
  code?: string;
  frame?: number;
}

function checksOf(scan: FileScan): Record<'framing' | 'count' | 'total' | 'digest' | 'name', Check> {
  const broken = scan.unreadable;
  const framing: Check =
    broken === undefined
      ? { ok: true, detail: `${scan.frames} frames: Header, ${scan.records} records, Trailer` }
      : {
          ok: false,
          code: 'F01',
          frame: broken.frame,
          // No frame when the file was refused unread (too big).
          detail: broken.frame === undefined ? broken.detail : `frame ${broken.frame}: ${broken.detail}`,
        };
  const t = trailerChecks(scan);
  const trailerCheck = (mismatch: string | null, ok: string): Check => {
    if (scan.trailer === null) return { ok: null, detail: 'no Trailer was read' };
    if (mismatch === null) return { ok: true, detail: ok };
    return { ok: false, code: 'F02', frame: scan.frames, detail: mismatch };
  };
  const trailer = scan.trailer as Trailer | null;
  const name: Check =
    scan.name_mismatch === undefined
      ? scan.header === null
        ? { ok: true, detail: 'follows the pattern (no header to compare with)' }
        : { ok: true, detail: 'follows the pattern and agrees with the header' }
      : {
          ok: false,
          code: 'F05',
          detail: scan.name_mismatch.detail,
          ...(scan.name_mismatch.frame ? { frame: scan.name_mismatch.frame } : {}),
        };
  return {
    framing,
    count: trailerCheck(t.count, `record_count ${trailer?.record_count}`),
    total: trailerCheck(t.total, `total_amount_fen ${trailer?.total_amount_fen}`),
    digest: trailerCheck(t.digest, `sha256 ${scan.sha256_hex}`),
    name,
  };
}

function showTrailer(frame: number, trailer: Trailer, json: boolean, out: Output): void {
  const shown = {
    record_count: trailer.record_count,
    total_amount_fen: trailer.total_amount_fen,
    sha256: Buffer.from(trailer.sha256).toString('hex'),
  };
  if (json) {
    out.line(JSON.stringify({ kind: 'trailer', frame, trailer: shown }));
    return;
  }
  out.line(`frame ${frame}  Trailer`);
  for (const [k, v] of Object.entries(shown)) out.line(`  ${k.padEnd(16)} ${String(v)}`);
}

/** Widths a column usually needs, so that a streamed table lines up without looking ahead. */
const COLUMN_WIDTH: Record<string, number> = {
  issuer_id: 9,
  card_no: 20,
  terminal_id: 12,
  acquirer_id: 11,
  merchant_id: 15,
  occurred_at: 14,
  effective_at: 14,
  participant_id: 14,
  instruction_id: 17,
  business_date: 13,
  status: 15,
  fee_rate: 8,
};

/** A table printed a row at a time: numeric key columns on the left, then the fields. */
class Table {
  private readonly widths: number[];

  constructor(
    private readonly keys: string[],
    private readonly columns: string[],
  ) {
    this.widths = columns.map((c) => Math.max(c.length, COLUMN_WIDTH[c] ?? 0));
  }

  heading(): string {
    const keys = this.keys.map((k) => k.padStart(7)).join(' ');
    return `  ${keys}  ${this.columns.map((c, i) => c.padEnd(this.widths[i])).join('  ')}`.trimEnd();
  }

  row(keys: number[], values: Record<string, unknown>): string {
    const cells = this.columns.map((c, i) => {
      const v = values[c];
      const s = v === '' || v === undefined ? '-' : String(v);
      return typeof v === 'number' ? s.padStart(this.widths[i]) : s.padEnd(this.widths[i]);
    });
    return `  ${keys.map((k) => String(k).padStart(7)).join(' ')}  ${cells.join('  ')}`.trimEnd();
  }
}

// ---------------------------------------------------------------------------
// Bank statements

function inspectBankStatement(filePath: string, json: boolean, out: Output): FileRefusal | null {
  const name = path.basename(filePath);
  const statement = readBankStatement(filePath);
  let fault: FileRefusal | null = null;
  let lines: BankLine[] = [];
  if (!statement.ok) fault = { code: 'F01', detail: `line ${statement.line}: ${statement.detail}` };
  else {
    lines = statement.lines;
    if (statement.name_mismatch !== undefined) fault = { code: 'F05', detail: statement.name_mismatch };
  }
  if (json) {
    for (const l of lines) out.line(JSON.stringify({ kind: 'line', ...l }));
    out.line(
      JSON.stringify({
        kind: 'result',
        file: name,
        type: 'BANK',
        ...(statement.ok ? { bank_id: statement.bank_id, date: statement.date, seq: statement.seq } : {}),
        lines: lines.length,
        amount_fen: lines.reduce((s, l) => s + l.amount_fen, 0),
        ok: fault === null,
        refusal: fault,
        not_checked: NOT_CHECKED,
      }),
    );
    return fault;
  }
  out.line(`file     ${name} (bank statement)`);
  if (statement.ok && statement.name_mismatch === undefined) {
    out.line(`  bank_id          ${statement.bank_id}`);
    out.line(`  date             ${statement.date}`);
    out.line(`  seq              ${statement.seq}`);
  }
  if (lines.length > 0) {
    const table = new Table(['line'], ['value_date', 'instruction_id', 'payer_id', 'payee_id', 'amount_fen', 'bank_ref']);
    out.line('lines');
    out.line(table.heading());
    for (const l of lines) out.line(table.row([l.line], l as unknown as Record<string, unknown>));
  }
  out.line('checks');
  out.line(`  format   ${statement.ok ? `ok: ${lines.length} lines` : `FAULT: line ${statement.line}: ${statement.detail}`}`);
  out.line(
    `  name     ${!statement.ok ? 'not checked' : statement.name_mismatch === undefined ? 'ok' : `FAULT: ${statement.name_mismatch}`}`,
  );
  out.line(
    fault === null
      ? `result   sound: ${lines.length} lines, ${lines.reduce((s, l) => s + l.amount_fen, 0)} fen`
      : `result   an import would refuse it ${fault.code}: ${fault.detail}`,
  );
  out.line(
    `         not checked here: ${Object.entries(NOT_CHECKED)
      .map(([code, why]) => `${code} (${why.replace(/needs --\w+/, 'needs the batch')})`)
      .join(', ')}`,
  );
  return fault;
}

// ---------------------------------------------------------------------------

/**
 * Buffered stdout: lines are gathered and written 64 KiB at a time. Every line
 * carries values from the file: a text line has its control characters shown as
 * escapes, a JSON line has the ones JSON.stringify leaves raw written as JSON escapes.
 */
class Output {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly json: boolean) {}

  line(raw: string): void {
    const s = this.json ? printableJson(raw) : printable(raw);
    this.parts.push(s, '\n');
    this.size += s.length + 1;
    if (this.size >= 64 * 1024) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    process.stdout.write(this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

/** `lct file inspect big.pb | head`: a closed pipe ends the command quietly, not with a stack trace. */
function exitQuietlyOnClosedStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}
