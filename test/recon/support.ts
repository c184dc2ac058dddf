// Shared by the reconciliation tests (scenario.test.ts, properties.test.ts): running
// a night in-process, reading and writing the counterparties' files, and a plain
// model of what national and bank reconciliation must find, built only from the
// files the centre wrote (INTEROP_OUT, SETTLEMENT) and the files the national
// centre and the bank sent back (INTEROP_RESULT, bank CSV). The model knows
// nothing of src/batch: it is clearing-rules.md's "Reconciliation" and
// docs/decisions.md's "National centre" and "Bank", written as plainly as possible.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import type { Keys, Participants } from '../../src/core/config-types';
import { parseKeys, parseParticipants } from '../../src/core/config';
import type { FileType, Header, RecordOf, SettlementInstruction, Transaction, Verdict } from '../../src/core/types';
import { addDays } from '../../src/core/calendar';
import { runBatch } from '../../src/batch/run';
import type { DaySummary, ReconciliationReport } from '../../src/core/reports';
import type { Db } from '../../src/store/db';
import { accountBalances } from '../../src/store/journal';
import { openItemsAt, type ReconItemRow } from '../../src/store/recon-items';
import { refusalOf, scanExchangeFileOf } from '../../src/files/reader';
import { writeExchangeFile } from '../../src/files/writer';
import { bankStatementName, exchangeFileName, parseBankStatementName, parseExchangeFileName } from '../../src/files/names';
import { formatBankStatement, readBankStatement, type BankLine } from '../../src/files/bank-csv';

export interface Config {
  participants: Participants;
  keys: Keys;
  centre: string;
  national: string;
  bank: string;
}

export function loadConfig(dir: string): Config {
  const p = parseParticipants(JSON.parse(fs.readFileSync(path.join(dir, 'participants.json'), 'utf8')));
  assert.ok(p.ok, 'participants.json parses');
  const k = parseKeys(
    JSON.parse(fs.readFileSync(path.join(dir, 'keys.json'), 'utf8')),
    p.value.issuers.map((i) => i.id),
  );
  assert.ok(k.ok, 'keys.json parses');
  return { participants: p.value, keys: k.value, centre: p.value.centre.id, national: p.value.national.id, bank: p.value.bank.id };
}

/** Runs business day D in-process; the day must close (exit 0 or 3). */
export function runNight(db: Db, cfg: Config, D: string, inboxDir: string, outboxDir: string): DaySummary {
  fs.mkdirSync(inboxDir, { recursive: true });
  const outcome = runBatch({
    db,
    participants: cfg.participants,
    keys: cfg.keys,
    date: D,
    inboxDir,
    outboxDir,
    now: () => `${addDays(D, 1)}013000`,
    progress: () => {},
  });
  assert.equal(outcome.kind, 'done', `night ${D}: ${outcome.kind === 'out_of_order' ? outcome.message : ''}`);
  if (outcome.kind !== 'done') throw new Error('unreachable');
  return outcome.summary;
}

/** Every record of a good exchange file (a refused one fails the test). */
export function readRecords<K extends FileType>(file: string, type: K): { header: Header; records: RecordOf[K][] } {
  const records: RecordOf[K][] = [];
  let header: Header | null = null;
  const scan = scanExchangeFileOf(file, type, (r) => records.push(r), { onHeader: (h) => (header = h) });
  const refusal = refusalOf(scan);
  assert.equal(refusal, null, `${file}: ${refusal?.code} ${refusal?.detail}`);
  assert.ok(header);
  return { header, records };
}

export function interopOutName(cfg: Config, D: string): string {
  return exchangeFileName({ file_type: 'INTEROP_OUT', sender_id: cfg.centre, receiver_id: cfg.national, business_date: D, file_seq: 1 });
}

export function settlementName(cfg: Config, D: string): string {
  return exchangeFileName({ file_type: 'SETTLEMENT', sender_id: cfg.centre, receiver_id: cfg.bank, business_date: D, file_seq: 1 });
}

/** An INTEROP_RESULT answering `ref_file`, written into the inbox; returns its name. */
export function writeInteropResult(
  inboxDir: string,
  cfg: Config,
  business_date: string,
  file_seq: number,
  ref_file: string,
  verdicts: Verdict[],
): string {
  const header: Header & { file_type: 'INTEROP_RESULT' } = {
    format_version: 1,
    file_type: 'INTEROP_RESULT',
    sender_id: cfg.national,
    receiver_id: cfg.centre,
    business_date,
    file_seq,
    created_at: `${business_date}0${String(file_seq % 10)}0000`,
    ref_file,
    ref_reason: '',
  };
  const name = exchangeFileName(header);
  fs.mkdirSync(inboxDir, { recursive: true });
  writeExchangeFile(path.join(inboxDir, name), header, verdicts, { fsync: false });
  return name;
}

export type StatementLine = Omit<BankLine, 'line'>;

/** A bank statement written into the inbox (temporary name, then rename); returns its name. */
export function writeBankStatement(inboxDir: string, cfg: Config, date: string, seq: number, lines: StatementLine[]): string {
  const name = bankStatementName({ bank_id: cfg.bank, date, seq });
  fs.mkdirSync(inboxDir, { recursive: true });
  const file = path.join(inboxDir, name);
  fs.writeFileSync(`${file}.tmp`, formatBankStatement(lines));
  fs.renameSync(`${file}.tmp`, file);
  return name;
}

/** 1 + the highest seq among the inbox's files of this kind and date (what a counterparty would use next). */
export function nextSeqIn(inboxDir: string, kind: 'INTEROP_RESULT' | 'BANK', date: string): number {
  let max = 0;
  if (!fs.existsSync(inboxDir)) return 1;
  for (const n of fs.readdirSync(inboxDir)) {
    if (kind === 'BANK') {
      const b = parseBankStatementName(n);
      if (b && b.date === date) max = Math.max(max, b.seq);
    } else {
      const x = parseExchangeFileName(n);
      if (x && x.file_type === 'INTEROP_RESULT' && x.business_date === date) max = Math.max(max, x.file_seq);
    }
  }
  return max + 1;
}

export function readReport(outboxDir: string, D: string): ReconciliationReport {
  return JSON.parse(fs.readFileSync(path.join(outboxDir, 'reports', D, 'reconciliation.json'), 'utf8')) as ReconciliationReport;
}

export function balanceOf(db: Db, account: string, through?: string): number {
  return accountBalances(db, through).find((b) => b.account === account)?.balance_fen ?? 0;
}

/**
 * reconciliation.json of day D against the store: the counts are the items open at
 * the end of D (openItemsAt), the listed items are exactly those, and the float
 * amounts are the ledger's and the open float items'.
 */
export function assertReportAgreesWithStore(db: Db, D: string, report: ReconciliationReport, summary?: DaySummary): void {
  const open = openItemsAt(db, D);
  const n = (kind: string, category: string) => open.filter((i) => i.kind === kind && i.category === category).length;
  assert.equal(report.date, `${D.slice(0, 4)}-${D.slice(4, 6)}-${D.slice(6)}`);
  for (const kind of ['national', 'bank'] as const) {
    assert.equal(report.kinds[kind].local_only, n(kind, 'LOCAL_ONLY'), `${D} ${kind}.local_only`);
    assert.equal(report.kinds[kind].remote_only, n(kind, 'REMOTE_ONLY'), `${D} ${kind}.remote_only`);
    assert.equal(report.kinds[kind].amount_mismatch, n(kind, 'AMOUNT_MISMATCH'), `${D} ${kind}.amount_mismatch`);
  }
  assert.deepEqual(
    report.kinds.uploads,
    { matched: 0, local_only: 0, remote_only: n('uploads', 'REMOTE_ONLY'), amount_mismatch: 0 },
    `${D} uploads`,
  );
  const f = report.kinds.float;
  assert.equal(f.seq_gaps, n('float', 'SEQ_GAP'), `${D} float.seq_gaps`);
  assert.equal(f.balance_breaks, n('float', 'BALANCE_BREAK'), `${D} float.balance_breaks`);
  assert.equal(
    f.explained_fen,
    open.filter((i) => i.kind === 'float').reduce((s, i) => s + i.amount_fen, 0),
    `${D} float.explained_fen`,
  );
  assert.equal(
    f.ledger_movement_fen,
    0 - balanceOf(db, 'float:cards', D),
    `${D} float.ledger_movement_fen: credits - debits of float:cards`,
  );
  assert.equal(f.difference_fen, f.cards_movement_fen - f.ledger_movement_fen, `${D} float.difference_fen`);
  assert.deepEqual(report.open_items.map((i) => i.id).sort(), open.map((i) => i.id).sort(), `${D} open_items`);
  if (summary) assert.equal(summary.open_mismatches, report.open_items.length, `${D} summary.open_mismatches`);
}

/** How a national or bank item is named for comparison: kind, category and what it is about. */
export function itemKey(i: Pick<ReconItemRow, 'kind' | 'category' | 'ref'>): string {
  return `${i.kind}|${i.category}|${i.ref}`;
}

// ---------------------------------------------------------------------------------
// The model.

interface ModelItem {
  key: string;
  opened: string;
  closed: string | null;
}

interface ModelInstruction extends SettlementInstruction {
  confirmed: boolean;
  /** Any line at all (exact or not) has arrived for it. */
  any_line: boolean;
}

interface SentRecord {
  rec: Transaction;
  out_date: string;
  answered: boolean;
}

export interface NightTally {
  national_matched: number;
  national_rejected: number;
  bank_matched: number;
}

const sameKeys = (r: Transaction, v: Verdict) =>
  r.issuer_id === v.issuer_id &&
  r.card_no === v.card_no &&
  r.card_seq === v.card_seq &&
  r.terminal_id === v.terminal_id &&
  r.terminal_seq === v.terminal_seq;

export class ReconModel {
  /** ref_file#index -> the record we sent. */
  readonly sent = new Map<string, SentRecord>();
  readonly instructions = new Map<string, ModelInstruction>();
  readonly items: ModelItem[] = [];
  /** Inbox files already taken into account (a file lying in two inboxes is one file). */
  private readonly seen = new Set<string>();
  readonly tallies = new Map<string, NightTally>();

  constructor(private readonly cfg: Config) {}

  /** What the centre wrote on night D: its INTEROP_OUT and SETTLEMENT. */
  wrote(D: string, outboxDir: string): void {
    const out = interopOutName(this.cfg, D);
    readRecords(path.join(outboxDir, out), 'INTEROP_OUT').records.forEach((rec, index) => {
      this.sent.set(`${out}#${index}`, { rec, out_date: D, answered: false });
    });
    for (const i of readRecords(path.join(outboxDir, settlementName(this.cfg, D)), 'SETTLEMENT').records) {
      assert.equal(this.instructions.has(i.instruction_id), false, `instruction ${i.instruction_id} issued twice`);
      this.instructions.set(i.instruction_id, { ...i, confirmed: false, any_line: false });
    }
  }

  private open(key: string, D: string): void {
    this.items.push({ key, opened: D, closed: null });
  }

  private close(key: string, D: string): void {
    const item = this.items.find((i) => i.key === key && i.closed === null);
    if (item) item.closed = D;
  }

  /** An operator resolved the open item with this key, effective on day D. */
  resolved(key: string, D: string): void {
    const item = this.items.find((i) => i.key === key && i.closed === null);
    assert.ok(item, `model: no open item ${key}`);
    item.closed = D;
  }

  /** Night D: the inbox's INTEROP_RESULT files, then its bank statements, in the batch's order; then the deadlines. */
  night(D: string, inboxDir: string): NightTally {
    const tally: NightTally = { national_matched: 0, national_rejected: 0, bank_matched: 0 };
    const names = fs.existsSync(inboxDir)
      ? fs
          .readdirSync(inboxDir)
          .filter((n) => !n.startsWith('.') && !n.includes('.tmp'))
          .sort()
      : [];
    const results = names.filter((n) => {
      const x = parseExchangeFileName(n);
      return x !== null && x.file_type === 'INTEROP_RESULT' && x.business_date <= D;
    });
    const statements = names.filter((n) => {
      const b = parseBankStatementName(n);
      return b !== null && b.bank_id === this.cfg.bank && b.date <= D;
    });
    for (const name of results) {
      if (this.seen.has(name)) continue;
      this.seen.add(name);
      const { header, records } = readRecords(path.join(inboxDir, name), 'INTEROP_RESULT');
      for (const v of records) this.verdict(D, header.ref_file, v, tally);
    }
    for (const name of statements) {
      if (this.seen.has(name)) continue;
      this.seen.add(name);
      const st = readBankStatement(path.join(inboxDir, name));
      assert.ok(st.ok, `${name} is a good statement`);
      for (const line of st.lines) this.bankLine(D, line, tally);
    }
    // Deadlines: a record of day X's INTEROP_OUT unanswered at the end of X+3; an
    // instruction of day X with no line at all at the end of X+2.
    for (const [ref, s] of this.sent) {
      if (!s.answered && s.out_date <= addDays(D, -3) && !this.isOpen(`national|LOCAL_ONLY|${ref}`))
        this.open(`national|LOCAL_ONLY|${ref}`, D);
    }
    for (const i of this.instructions.values()) {
      const key = `bank|LOCAL_ONLY|${i.instruction_id}`;
      if (!i.any_line && i.business_date <= addDays(D, -2) && !this.everOpened(key)) this.open(key, D);
    }
    this.tallies.set(D, tally);
    return tally;
  }

  private isOpen(key: string): boolean {
    return this.items.some((i) => i.key === key && i.closed === null);
  }

  private everOpened(key: string): boolean {
    return this.items.some((i) => i.key === key);
  }

  private verdict(D: string, ref_file: string, v: Verdict, tally: NightTally): void {
    const ref = `${ref_file}#${v.index}`;
    const s = this.sent.get(ref);
    if (s === undefined || !sameKeys(s.rec, v)) {
      this.open(`national|REMOTE_ONLY|${ref}`, D);
      return;
    }
    if (s.answered) {
      this.open(`national|REMOTE_ONLY|${ref}`, D);
      return;
    }
    if (v.status !== 'ACCEPTED' && v.status !== 'REJECTED') {
      this.open(`national|REMOTE_ONLY|${ref}`, D);
      return;
    }
    s.answered = true;
    this.close(`national|LOCAL_ONLY|${ref}`, D);
    if (v.status === 'ACCEPTED' && v.amount_fen !== s.rec.amount_fen) {
      this.open(`national|AMOUNT_MISMATCH|${ref}`, D);
      return;
    }
    tally.national_matched++;
    if (v.status === 'REJECTED') tally.national_rejected++;
  }

  private bankLine(D: string, line: BankLine, tally: NightTally): void {
    const ins = this.instructions.get(line.instruction_id);
    if (ins === undefined) {
      this.open(`bank|REMOTE_ONLY|${line.instruction_id}`, D);
      return;
    }
    ins.any_line = true;
    if (ins.payer_id !== line.payer_id || ins.payee_id !== line.payee_id || ins.amount_fen !== line.amount_fen) {
      this.open(`bank|AMOUNT_MISMATCH|${line.instruction_id}`, D);
      return;
    }
    if (ins.confirmed) {
      this.open(`bank|REMOTE_ONLY|${line.instruction_id}`, D);
      return;
    }
    ins.confirmed = true;
    tally.bank_matched++;
    this.close(`bank|LOCAL_ONLY|${line.instruction_id}`, D);
  }

  /** Items opened on night D, counted by "kind CATEGORY" (as the summary's exit_reasons name them). */
  openedOn(D: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const i of this.items) {
      if (i.opened !== D) continue;
      const [kind, category] = i.key.split('|');
      const k = `${kind} ${category}`;
      out.set(k, (out.get(k) ?? 0) + 1);
    }
    return out;
  }

  /** Keys of the items open at the end of D (a multiset, sorted). */
  openAt(D: string): string[] {
    return this.items
      .filter((i) => i.opened <= D && (i.closed === null || i.closed > D))
      .map((i) => i.key)
      .sort();
  }

  /**
   * What settlement:in-transit must hold (debits - credits): every instruction issued
   * and not confirmed by an exact bank line, a payment by the centre counted negative
   * (it was credited), a collection positive (it was debited).
   */
  inTransitFen(): number {
    let sum = 0;
    for (const i of this.instructions.values()) {
      if (i.confirmed) continue;
      if (i.payer_id === this.cfg.centre) sum -= i.amount_fen;
      else {
        assert.equal(i.payee_id, this.cfg.centre, `${i.instruction_id}: the centre pays or is paid`);
        sum += i.amount_fen;
      }
    }
    return sum;
  }
}

/** The summary's reasons for exit 3 that name new items of these kinds, as "kind CATEGORY" -> count. */
export function newItemReasons(summary: DaySummary, kinds: readonly string[] = ['national', 'bank']): Map<string, number> {
  const out = new Map<string, number>();
  for (const why of summary.exit_reasons) {
    const m = /^(\d+) new (\S+) (\S+) item\(s\)$/.exec(why);
    if (m && kinds.includes(m[2]!)) out.set(`${m[2]} ${m[3]}`, Number(m[1]));
  }
  return out;
}

/** Items of kinds national and bank open in the store at the end of D, as model keys. */
export function storeOpenKeys(db: Db, D: string, kinds: readonly string[] = ['national', 'bank']): string[] {
  return openItemsAt(db, D)
    .filter((i) => kinds.includes(i.kind))
    .map(itemKey)
    .sort();
}
