// A model of the nightly batch for the model-based test (model.test.ts): what the
// spec (and docs/decisions.md where it is silent) says a centre does with the files
// that reach it, written as plainly as possible and independently of src/batch. It
// builds the inbound files (uploads, INTEROP_IN, BLACKLIST, INTEROP_RESULT, bank
// statements) from a small synthetic city, and for each business day says what the
// batch must import, refuse and skip, the verdict of every record, what is cleared,
// the statement lines and fees, the instructions, every file of the outbox, the
// reconciliation items open at the end of the day, and the ledger's balances.
//
// Only records that pass rules 1-7 are generated: their verdicts can only be
// ACCEPTED, PENDING_INTEROP, SUSPENDED (S01), E03 or E09, which is where the
// interesting state lives (held keys, the blacklist, national answers, days).
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { City, ParticipantsJson } from '../../fixtures/city';
import { terminalAlwaysActive } from '../../fixtures/city';
import { tacSignerOf, timestampOf } from '../../fixtures/day';
import { addDays, compactDateDayNumber, timestampSeconds } from '../../src/core/calendar';
import type {
  BlacklistEntry,
  FileType,
  Header,
  SettlementInstruction,
  StatementLine,
  Status,
  Transaction,
  Verdict,
} from '../../src/core/types';
import { encodeExchangeFile } from '../../src/files/writer';
import { exchangeFileName } from '../../src/files/names';

export type Source = 'TXN_UPLOAD' | 'INTEROP_IN';
export type InboundKind = 'BLACKLIST' | 'INTEROP_RESULT' | 'INTEROP_IN' | 'TXN_UPLOAD' | 'BANK';

/** batch-cli.md, step 1: the order of types, then by name. */
const IMPORT_ORDER: readonly InboundKind[] = ['BLACKLIST', 'INTEROP_RESULT', 'INTEROP_IN', 'TXN_UPLOAD', 'BANK'];

export interface BankLineSpec {
  value_date: string;
  instruction_id: string;
  payer_id: string;
  payee_id: string;
  amount_fen: number;
  bank_ref: string;
}

/** A file put into the inbox, with what the model knows of its content. */
export interface Delivered {
  name: string;
  bytes: Buffer;
  sha256: string;
  kind: InboundKind;
  sender_id: string;
  business_date: string;
  seq: number;
  records?: Transaction[];
  entries?: BlacklistEntry[];
  /** INTEROP_RESULT: the INTEROP_OUT's day and the verdicts. */
  answers?: { out_date: string; verdicts: Verdict[] };
  lines?: BankLineSpec[];
}

/** A record the centre imported, as the model follows it. */
export interface ModelRecord {
  rec: Transaction;
  source: Source;
  file: Delivered;
  /** Import order of its file among all imported files. */
  file_order: number;
  index: number;
  imported_on: string;
  verdict: Status;
  verdict_reason: string;
  status: Status;
  reason: string;
  exported_on?: string;
  national?: 'ACCEPTED' | 'REJECTED' | 'AMOUNT_MISMATCH';
  cleared_on?: string;
  suspended_on?: string;
  /** An accepted load on a card the blacklist holds: listed in the day's exceptions. */
  blacklisted_load: boolean;
}

/** A correction (clearing-rules.md, "Corrections") as the model follows it. */
export interface ModelCorrection {
  /** C1, C2, ...: in the order proposed, refusals take no number. */
  id: string;
  kind: 'adjustment' | 'release';
  participant_id: string;
  /** An adjustment's counter account; null for a release. */
  account: string | null;
  amount_fen: number;
  /** A release: the record it releases. */
  record?: ModelRecord;
  proposed_by: string;
  status: 'proposed' | 'approved' | 'rejected' | 'posted';
  decided_by?: string;
  /** The day whose batch posted it. */
  posted_on?: string;
}

/** What the store must answer to an operator's act: a correction id, or the refusal's code. */
export type CorrectionAnswer = { ok: true; id: string } | { ok: false; code: string };

export interface Instruction extends SettlementInstruction {
  confirmed: boolean;
  /** A bank line for it is in a statement that has not been imported yet. */
  in_statement: boolean;
  /** A bank line has named it, matching or not. */
  has_line: boolean;
  /** Its LOCAL_ONLY item is open. */
  local_only: boolean;
}

export interface ExpectedFile {
  file_type: FileType;
  receiver_id: string;
  ref_file: string;
  ref_reason: string;
  records: object[];
}

export interface DaySummaryExpect {
  date: string;
  files: { imported: number; skipped: number; refused: number };
  records: { accepted: number; rejected: number; suspended: number; pending_interop: number };
  national_rejected: number;
  cleared: { count: number; gross_fen: number };
  settlement: { instructions: number; pay_out_fen: number; collect_fen: number };
  /** batch-cli.md: every file the day refused, in import order, the sender as its name gives it. */
  refused_files: { file: string; sender: string; code: string; detail: string }[];
}

/** reconciliation.json as the model sees it, and what the day opened. */
export interface ReconExpect {
  uploads_remote_only: number;
  national_local_only: number;
  national_matched: number;
  national_amount_mismatch: number;
  bank_local_only: number;
  bank_matched: number;
  bank_remote_only: number;
  bank_amount_mismatch: number;
  seq_gaps: number;
  balance_breaks: number;
  ledger_movement_fen: number;
  cards_movement_fen: number;
  /** The balance jumps across the open card gaps. */
  explained_fen: number;
  open_items: number;
  /** Items open now that were never open before: the day needs a person. */
  new_items: string[];
}

export interface DayExpect {
  date: string;
  recon: ReconExpect;
  exit_code: 0 | 3;
  /** Card numbers of today's suspended records and blacklisted loads, in import order; today's E09s. */
  exceptions: { suspended: string[]; blacklisted_loads: string[]; key_conflicts: number };
  summary: DaySummaryExpect;
  /** A refused file, a key conflict or a suspended record: exit 3 whatever else happened. */
  needs_person: boolean;
  /** participant_id -> the sum of its lines' net_fen. */
  nets: Map<string, number>;
  instructions: SettlementInstruction[];
  /** Every exchange file the day must write, by name. */
  outbox: Map<string, ExpectedFile>;
  /** Every account's balance other than zero at the end of the day. */
  balances: [string, number][];
  /** What moved today, for the invariants that do not go through the model's fees. */
  movement: {
    local_purchase_fen: number;
    interop_in_fen: number;
    load_fen: number;
    suspended_fen: number;
    bank_collect_fen: number;
    bank_pay_fen: number;
    /** Adjustments posted today against float:cards (debit > 0). */
    float_adjust_fen: number;
  };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** round_half_up(gross x rate) with integers only: the rate's digits over a power of ten. */
export function feeOf(gross_fen: number, rate: string): number {
  const m = /^([0-9]+)(?:\.([0-9]+))?$/.exec(rate);
  assert(m, `not a rate: ${rate}`);
  const decimals = m[2] ?? '';
  const numerator = BigInt(m[1]! + decimals);
  const denominator = 10n ** BigInt(decimals.length);
  return Number((2n * BigInt(gross_fen) * numerator + denominator) / (2n * denominator));
}

function sameRecord(a: Transaction, b: Transaction): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(r: Transaction): unknown[] {
  return [
    r.issuer_id,
    r.card_no,
    r.card_type,
    r.txn_type,
    r.amount_fen,
    r.balance_before_fen,
    r.balance_after_fen,
    r.card_seq,
    r.terminal_id,
    r.terminal_seq,
    r.acquirer_id,
    r.merchant_id,
    r.occurred_at,
    r.tac,
    r.batch_no,
    r.line_id,
    r.station_id,
  ];
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function verdictOf(m: ModelRecord, status: Status, reason: string): Verdict {
  const r = m.rec;
  return {
    index: m.index,
    issuer_id: r.issuer_id,
    card_no: r.card_no,
    card_seq: r.card_seq,
    terminal_id: r.terminal_id,
    terminal_seq: r.terminal_seq,
    amount_fen: r.amount_fen,
    status,
    reason,
  };
}

const EXPORTED_SORT = (a: ModelRecord, b: ModelRecord): number =>
  compareText(a.rec.issuer_id, b.rec.issuer_id) || compareText(a.rec.card_no, b.rec.card_no) || a.rec.card_seq - b.rec.card_seq;

/** How a generated record is asked for: indexes are taken modulo what exists. */
export interface RecordAsk {
  card: number;
  remote: boolean;
  terminal: number;
  amount: number;
  second: number;
  composite: boolean;
  /** The same record a second time, right after the first, in the same file. */
  twice: boolean;
  /** Days before the file's business date that the record occurred (a terminal uploading late). */
  days_before: number;
}

/** Cards in play: few, so that blacklist entries, duplicates and conflicts meet real records. */
export const LOCAL_CARDS_IN_PLAY = 6;
export const REMOTE_CARDS_IN_PLAY = 4;
const DAY_S = 86400;

export class BatchModel {
  readonly centre_id: string;
  readonly national_id: string;
  readonly bank_id: string;
  readonly issuer_id: string;
  readonly participants: ParticipantsJson;
  /** Acquirers and agents, sorted: each gets the BLACKLIST. */
  readonly party_ids: string[];

  /** The next business day the batch will run. */
  next_date: string;
  /** Days closed, in order. */
  readonly closed: string[] = [];
  readonly days = new Map<string, DayExpect>();

  // What the cards and terminals have done (their counters and balances).
  private readonly balance: Int32Array;
  private readonly card_seq: Int32Array;
  private readonly terminal_seq: Uint32Array;
  private readonly inbound_seq = new Map<string, number>();

  /** Files in the next inbox, waiting for their day or for the next run. */
  inbox: Delivered[] = [];
  /** Every file the centre imported, in import order. */
  readonly imported: Delivered[] = [];
  private readonly imported_by_name = new Map<string, string>();
  private readonly identities = new Set<string>();
  /** The files sent again under an imported file's name with other bytes, by name (the last one). */
  readonly conflicted = new Map<string, Delivered>();
  /** Every fresh record generated (not the copies), with the file type that carried it. */
  readonly generated: { rec: Transaction; source: Source }[] = [];

  readonly records: ModelRecord[] = [];
  private readonly held_by_card = new Map<string, ModelRecord>();
  private readonly held_by_terminal = new Map<string, ModelRecord>();
  /** issuer|card -> entries in import order. */
  private readonly blacklist = new Map<string, { entry: BlacklistEntry; at_s: number }[]>();
  /** The INTEROP_OUT of each day, in file order; and its records already answered (day#index). */
  readonly exported = new Map<string, ModelRecord[]>();
  private readonly answered = new Set<string>();
  readonly instructions: Instruction[] = [];
  /** Account -> balance (debits - credits). */
  readonly balances = new Map<string, number>();
  /** acquirer/terminal -> every terminal_seq of every imported upload record, whatever its verdict. */
  private readonly terminal_seqs = new Map<string, Set<number>>();
  /** Every reconciliation item ever open. */
  private readonly items_ever = new Set<string>();
  /** Items that only an operator closes: the bank's unknown, twice-paid and wrong lines, the national centre's wrong amounts. */
  private readonly standing_items: string[] = [];
  /** Every correction proposed (not the refused ones), oldest first. */
  readonly corrections: ModelCorrection[] = [];
  /** The sum of the adjustments posted against float:cards: the card float's difference that no gap explains. */
  float_adjusted_fen = 0;
  /** Operators' acts refused, by the refusal's code. */
  readonly correction_refusals = new Map<string, number>();

  constructor(readonly city: City) {
    this.participants = city.participants;
    this.centre_id = city.participants.centre.id;
    this.national_id = city.participants.national.id;
    this.bank_id = city.participants.bank.id;
    this.issuer_id = city.local_issuers[0]!;
    this.party_ids = [...city.participants.acquirers.map((a) => a.id), ...city.participants.agents.map((a) => a.id)].sort(compareText);
    this.next_date = city.start_date;
    this.balance = Int32Array.from(city.cards.initial_balance);
    this.card_seq = Int32Array.from(city.cards.initial_seq);
    this.terminal_seq = Uint32Array.from(city.terminals.initial_seq);
  }

  // ------------------------------------------------------------------------------
  // Building inbound files.

  private nextInboundSeq(kind: string, sender: string, date: string): number {
    const k = `${kind}|${sender}|${date}`;
    const seq = (this.inbound_seq.get(k) ?? 0) + 1;
    this.inbound_seq.set(k, seq);
    return seq;
  }

  private exchangeFile(
    kind: 'TXN_UPLOAD' | 'INTEROP_IN' | 'BLACKLIST' | 'INTEROP_RESULT',
    sender: string,
    date: string,
    records: object[],
    ref_file = '',
    created_at?: string,
  ): Delivered {
    const seq = this.nextInboundSeq(kind, sender, date);
    const header: Header = {
      format_version: 1,
      file_type: kind,
      sender_id: sender,
      receiver_id: this.centre_id,
      business_date: date,
      file_seq: seq,
      created_at: created_at ?? `${date}230000`,
      ref_file,
      ref_reason: '',
    };
    const bytes = encodeExchangeFile(header, records as never[]);
    return { name: exchangeFileName(header), bytes, sha256: sha256Hex(bytes), kind, sender_id: sender, business_date: date, seq };
  }

  /**
   * The same file name and identity with other bytes (another created_at); an upload
   * or INTEROP_IN also carries one more fresh record, which a refused file must not
   * make the centre hold.
   */
  conflictingCopy(f: Delivered, extra: RecordAsk): Delivered {
    assert(f.kind === 'TXN_UPLOAD' || f.kind === 'INTEROP_IN' || f.kind === 'BLACKLIST');
    const header: Header = {
      format_version: 1,
      file_type: f.kind,
      sender_id: f.sender_id,
      receiver_id: this.centre_id,
      business_date: f.business_date,
      file_seq: f.seq,
      created_at: `${f.business_date}235959`,
      ref_file: '',
      ref_reason: '',
    };
    let records: object[] = f.entries ?? [];
    if (f.records) {
      const first = f.records[0];
      const party = first === undefined ? -1 : this.city.parties.findIndex((p) => p.id === first.acquirer_id);
      const rec =
        f.kind === 'INTEROP_IN'
          ? this.interopRecord(extra, f.business_date)
          : party >= 0
            ? this.capture(party, extra, f.business_date)
            : undefined;
      if (rec) this.generated.push({ rec, source: f.kind as Source });
      records = rec ? [...f.records, rec] : f.records;
    }
    const bytes = encodeExchangeFile(header, records as never[]);
    assert.equal(exchangeFileName(header), f.name);
    return { ...f, bytes, sha256: sha256Hex(bytes), records: f.records ? (records as Transaction[]) : undefined };
  }

  private localCard(k: number): number {
    return k % Math.min(LOCAL_CARDS_IN_PLAY, this.city.cards.local_count);
  }

  private remoteCard(k: number): number {
    const remote = this.city.cards.count - this.city.cards.local_count;
    return this.city.cards.local_count + (k % Math.min(REMOTE_CARDS_IN_PLAY, remote));
  }

  private recordAt(
    card: number,
    terminal: number,
    acquirer_id: string,
    txn_type: number,
    amount_fen: number,
    occurred_at: string,
  ): Transaction {
    const cards = this.city.cards;
    const before = this.balance[card]!;
    const after = txn_type === 2 ? before + amount_fen : before - amount_fen;
    const seq = ++this.card_seq[card]!;
    assert(seq <= 65535, 'card counter exhausted');
    const tseq = ++this.terminal_seq[terminal]!;
    this.balance[card] = after;
    const rec: Transaction = {
      issuer_id: cards.issuers[cards.issuer[card]!]!,
      card_no: cards.card_no[card]!,
      card_type: cards.card_type[card]!,
      txn_type,
      amount_fen,
      balance_before_fen: before,
      balance_after_fen: after,
      card_seq: seq,
      terminal_id: this.city.terminals.id[terminal]!,
      terminal_seq: tseq,
      acquirer_id,
      merchant_id: this.city.terminals.merchant_id[terminal]!,
      occurred_at,
      tac: '',
      batch_no: String(this.city.terminals.batch_base[terminal]!),
      line_id: this.city.terminals.line_id[terminal]!,
      station_id: '',
    };
    rec.tac = tacSignerOf(this.city).tacOf(rec);
    return rec;
  }

  private occurredAt(date: string, second: number): string {
    return timestampOf(compactDateDayNumber(date)! * DAY_S + 5 * 3600 + (second % (17 * 3600)));
  }

  private purchaseAmount(card: number, ask: RecordAsk): number {
    const room = this.balance[card]! + this.participants.limits.overdraft_limit_fen;
    return Math.min(1 + (ask.amount % 3000), room, this.participants.limits.max_purchase_fen);
  }

  /** A fresh record that party p's terminal captures on date, or undefined when the card cannot do it. */
  private capture(party: number, ask: RecordAsk, date: string): Transaction | undefined {
    const p = this.city.parties[party % this.city.parties.length]!;
    const terminals = p.terminals.filter((t) => terminalAlwaysActive(this.city.terminals, t));
    const t = terminals[ask.terminal % terminals.length]!;
    const at = this.occurredAt(addDays(date, -ask.days_before), ask.second);
    if (p.role === 'agent') {
      const card = this.localCard(ask.card);
      const amount = Math.min(100 * (1 + (ask.amount % 100)), this.participants.limits.max_card_balance_fen - this.balance[card]!);
      return amount < 1 ? undefined : this.recordAt(card, t, p.id, 2, amount, at);
    }
    const card = ask.remote ? this.remoteCard(ask.card) : this.localCard(ask.card);
    const amount = this.purchaseAmount(card, ask);
    return amount < 1 ? undefined : this.recordAt(card, t, p.id, ask.composite ? 9 : 6, amount, at);
  }

  /**
   * A TXN_UPLOAD from acquirer or agent party (index into city.parties), dated
   * offset_days from the next day; an ask with `twice` puts the same record in twice.
   */
  upload(party: number, asks: RecordAsk[], offset_days: number): Delivered {
    const p = this.city.parties[party % this.city.parties.length]!;
    const date = addDays(this.next_date, offset_days);
    const records: Transaction[] = [];
    for (const ask of asks) {
      const rec = this.capture(party, ask, date);
      if (rec === undefined) continue;
      this.generated.push({ rec, source: 'TXN_UPLOAD' });
      records.push(rec);
      if (ask.twice) records.push({ ...rec });
    }
    return { ...this.exchangeFile('TXN_UPLOAD', p.id, date, records), records };
  }

  /** One of our cards spent at another city's terminal on date. */
  private interopRecord(ask: RecordAsk, date: string): Transaction | undefined {
    const ra = this.city.remote_acquirers[ask.terminal % this.city.remote_acquirers.length]!;
    const t = ra.terminals[(ask.terminal >> 2) % ra.terminals.length]!;
    const card = this.localCard(ask.card);
    const amount = this.purchaseAmount(card, ask);
    return amount < 1 ? undefined : this.recordAt(card, t, ra.id, 6, amount, this.occurredAt(addDays(date, -ask.days_before), ask.second));
  }

  /** An INTEROP_IN from the national centre: our cards spent in other cities. */
  interopIn(asks: RecordAsk[], offset_days: number): Delivered {
    const date = addDays(this.next_date, offset_days);
    const records: Transaction[] = [];
    for (const ask of asks) {
      const rec = this.interopRecord(ask, date);
      if (rec === undefined) continue;
      this.generated.push({ rec, source: 'INTEROP_IN' });
      records.push(rec);
      if (ask.twice) records.push({ ...rec });
    }
    return { ...this.exchangeFile('INTEROP_IN', this.national_id, date, records), records };
  }

  /** Generated records a new file dated next_date may carry without breaking E06. */
  resendable(): { rec: Transaction; source: Source }[] {
    const next = compactDateDayNumber(this.next_date)!;
    const window = this.participants.limits.late_window_days;
    return this.generated.filter((g) => {
      const day = compactDateDayNumber(g.rec.occurred_at.slice(0, 8))!;
      return day <= next && next - day <= window;
    });
  }

  /** A new file, dated next_date, that carries a copy of a record already generated. */
  copyOf(g: { rec: Transaction; source: Source }, change: boolean): Delivered {
    const rec: Transaction = { ...g.rec };
    if (change) {
      // A cloned card: the same card counter spent again at the same terminal, on another amount.
      const terminal = this.city.terminals.id.indexOf(rec.terminal_id);
      assert(terminal >= 0);
      rec.terminal_seq = ++this.terminal_seq[terminal]!;
      if (rec.amount_fen >= 2) {
        rec.amount_fen -= 1;
        rec.balance_after_fen = rec.txn_type === 2 ? rec.balance_before_fen + rec.amount_fen : rec.balance_before_fen - rec.amount_fen;
      } else {
        rec.batch_no = `${rec.batch_no}9`;
      }
      rec.tac = tacSignerOf(this.city).tacOf(rec);
    }
    const sender = g.source === 'TXN_UPLOAD' ? rec.acquirer_id : this.national_id;
    return { ...this.exchangeFile(g.source, sender, this.next_date, [rec]), records: [rec] };
  }

  /** A BLACKLIST from the local issuer: entries for cards in play, effective around the next day. */
  blacklistFile(asks: { card: number; add: boolean; offset_s: number }[]): Delivered {
    const start_s = compactDateDayNumber(this.next_date)! * DAY_S;
    const cards = this.city.cards;
    const entries: BlacklistEntry[] = asks.map((a) => {
      const card = this.localCard(a.card);
      return {
        issuer_id: cards.issuers[cards.issuer[card]!]!,
        card_no: cards.card_no[card]!,
        action: a.add ? 1 : 2,
        effective_at: timestampOf(start_s + a.offset_s),
        reason: a.add ? 'LOST' : 'FOUND',
      };
    });
    return { ...this.exchangeFile('BLACKLIST', this.issuer_id, this.next_date, entries), entries };
  }

  /** Closed days whose INTEROP_OUT holds records not answered yet. */
  unansweredExports(): string[] {
    return [...this.exported.entries()].filter(([d, list]) => list.some((_, i) => !this.answered.has(`${d}#${i}`))).map(([d]) => d);
  }

  /**
   * The national centre's INTEROP_RESULT for day out_date's INTEROP_OUT: it answers
   * the unanswered records the answer mask picks (all of them when it picks none),
   * rejecting where the reject mask says, accepting on a wrong amount where the
   * mismatch mask says.
   */
  nationalResult(out_date: string, answer_mask: number, reject_mask: number, mismatch_mask: number): Delivered {
    const list = this.exported.get(out_date)!;
    const open = list.map((_, i) => i).filter((i) => !this.answered.has(`${out_date}#${i}`));
    const picked = open.filter((i) => ((answer_mask >> (i % 16)) & 1) === 1);
    const verdicts = (picked.length > 0 ? picked : open).map((i) => {
      this.answered.add(`${out_date}#${i}`);
      const rejected = ((reject_mask >> (i % 16)) & 1) === 1;
      const v = verdictOf({ ...list[i]!, index: i }, rejected ? 'REJECTED' : 'ACCEPTED', rejected ? 'N05' : '');
      if (!rejected && ((mismatch_mask >> (i % 16)) & 1) === 1) v.amount_fen += 1;
      return v;
    });
    const ref = exchangeFileName({
      file_type: 'INTEROP_OUT',
      sender_id: this.centre_id,
      receiver_id: this.national_id,
      business_date: out_date,
      file_seq: 1,
    });
    return { ...this.exchangeFile('INTEROP_RESULT', this.national_id, this.next_date, verdicts, ref), answers: { out_date, verdicts } };
  }

  /** Instructions issued and neither confirmed nor in a statement on its way. */
  unpaid(): Instruction[] {
    return this.instructions.filter((i) => !i.confirmed && !i.in_statement);
  }

  /**
   * A bank statement confirming the chosen instructions exactly, with maybe one more
   * line that must not be posted: an instruction never issued, one paid already, or
   * another unpaid one on a wrong amount.
   */
  bankStatement(chosen: Instruction[], noise: 'none' | 'unknown' | 'again' | 'wrong'): Delivered {
    const seq = this.nextInboundSeq('BANK', this.bank_id, this.next_date);
    const paid = (i: SettlementInstruction) => ({
      instruction_id: i.instruction_id,
      payer_id: i.payer_id,
      payee_id: i.payee_id,
      amount_fen: i.amount_fen,
    });
    const parts = chosen.map(paid);
    if (noise === 'unknown')
      parts.push({ instruction_id: `${this.next_date}-99999999`, payer_id: this.centre_id, payee_id: '99999999', amount_fen: 100 });
    const again = this.instructions.find((i) => i.confirmed);
    if (noise === 'again' && again) parts.push(paid(again));
    const other = this.unpaid().find((i) => !chosen.includes(i));
    if (noise === 'wrong' && other) parts.push({ ...paid(other), amount_fen: other.amount_fen + 1 });
    const lines: BankLineSpec[] = parts.map((p, k) => ({
      value_date: this.next_date,
      ...p,
      bank_ref: `B${this.next_date}${String(seq).padStart(2, '0')}${String(k).padStart(3, '0')}`,
    }));
    for (const i of chosen) i.in_statement = true;
    const text = `${[
      'value_date,instruction_id,payer_id,payee_id,amount_fen,bank_ref',
      ...lines.map((l) => [l.value_date, l.instruction_id, l.payer_id, l.payee_id, l.amount_fen, l.bank_ref].join(',')),
    ].join('\n')}\n`;
    const bytes = Buffer.from(text, 'utf8');
    const name = `BANK_${this.bank_id}_${this.next_date}_${String(seq).padStart(4, '0')}.csv`;
    return { name, bytes, sha256: sha256Hex(bytes), kind: 'BANK', sender_id: this.bank_id, business_date: this.next_date, seq, lines };
  }

  // ------------------------------------------------------------------------------
  // Corrections: the operators' acts and the store's answers (clearing-rules.md,
  // "Corrections"; the ladders of src/core/corrections.ts, in their order).

  private refused(code: string): CorrectionAnswer {
    this.correction_refusals.set(code, (this.correction_refusals.get(code) ?? 0) + 1);
    return { ok: false, code };
  }

  private operatorRefusal(by: string, right: 'propose' | 'approve'): string | undefined {
    const operator = this.participants.operators.find((o) => o.name === by);
    if (operator === undefined) return 'OPERATOR_NOT_LISTED';
    return operator.may.includes(right) ? undefined : 'OPERATOR_MAY_NOT';
  }

  private propose(c: Omit<ModelCorrection, 'id' | 'status'>): CorrectionAnswer {
    const id = `C${this.corrections.length + 1}`;
    this.corrections.push({ ...c, id, status: 'proposed' });
    return { ok: true, id };
  }

  /** Adjustments: participant an acquirer, an agent or the national centre; account one of the four. */
  proposeAdjustment(participant_id: string, amount_fen: number, account: string, by: string): CorrectionAnswer {
    const refusal = this.operatorRefusal(by, 'propose');
    if (refusal !== undefined) return this.refused(refusal);
    return this.propose({ kind: 'adjustment', participant_id, account, amount_fen, proposed_by: by });
  }

  proposeRelease(m: ModelRecord, by: string): CorrectionAnswer {
    const refusal =
      this.operatorRefusal(by, 'propose') ??
      (this.corrections.some((c) => c.record === m && (c.status === 'proposed' || c.status === 'approved'))
        ? 'RECORD_RELEASE_PENDING'
        : undefined) ??
      (m.status !== 'SUSPENDED' ? 'RECORD_NOT_SUSPENDED' : undefined) ??
      (m.source !== 'TXN_UPLOAD' ? 'RECORD_NOT_FROM_ACQUIRER' : undefined);
    if (refusal !== undefined) return this.refused(refusal);
    return this.propose({
      kind: 'release',
      participant_id: m.rec.acquirer_id,
      account: null,
      amount_fen: m.rec.amount_fen,
      record: m,
      proposed_by: by,
    });
  }

  decide(id: string, by: string, approve: boolean): CorrectionAnswer {
    const c = this.corrections.find((x) => x.id === id);
    const refusal =
      this.operatorRefusal(by, 'approve') ??
      (c === undefined ? 'CORRECTION_UNKNOWN' : undefined) ??
      (c!.status !== 'proposed' ? 'ALREADY_DECIDED' : undefined) ??
      (approve && c!.proposed_by === by ? 'OWN_PROPOSAL' : undefined);
    if (refusal !== undefined) return this.refused(refusal);
    c!.status = approve ? 'approved' : 'rejected';
    c!.decided_by = by;
    return { ok: true, id };
  }

  // ------------------------------------------------------------------------------
  // The batch.

  private move(account: string, debit_fen: number): void {
    this.balances.set(account, (this.balances.get(account) ?? 0) + debit_fen);
  }

  private rateOf(participant_id: string, merchant_id: string): string {
    const acq = this.participants.acquirers.find((a) => a.id === participant_id);
    if (acq) return acq.merchants.find((m) => m.id === merchant_id)?.fee_rate ?? acq.fee_rate;
    const agent = this.participants.agents.find((a) => a.id === participant_id)!;
    return agent.merchants.find((m) => m.id === merchant_id)?.commission_rate ?? agent.commission_rate;
  }

  private isBlacklisted(rec: Transaction): boolean {
    const entries = this.blacklist.get(`${rec.issuer_id}|${rec.card_no}`);
    if (!entries) return false;
    const latest_s = timestampSeconds(rec.occurred_at)! - this.participants.limits.blacklist_grace_hours * 3600;
    let best: { entry: BlacklistEntry; at_s: number } | undefined;
    for (const e of entries) if (e.at_s <= latest_s && (best === undefined || e.at_s >= best.at_s)) best = e;
    return best?.entry.action === 1;
  }

  private hold(m: ModelRecord): void {
    this.held_by_card.set(`${m.rec.issuer_id}|${m.rec.card_no}|${m.rec.card_seq}`, m);
    this.held_by_terminal.set(`${m.rec.acquirer_id}|${m.rec.terminal_id}|${m.rec.terminal_seq}`, m);
  }

  private release(m: ModelRecord): void {
    const ck = `${m.rec.issuer_id}|${m.rec.card_no}|${m.rec.card_seq}`;
    const tk = `${m.rec.acquirer_id}|${m.rec.terminal_id}|${m.rec.terminal_seq}`;
    if (this.held_by_card.get(ck) === m) this.held_by_card.delete(ck);
    if (this.held_by_terminal.get(tk) === m) this.held_by_terminal.delete(tk);
  }

  /** clearing-rules.md, "Validating a record", for records that pass rules 1-7 by construction. */
  private validate(rec: Transaction): { status: Status; reason: string } {
    const by_card = this.held_by_card.get(`${rec.issuer_id}|${rec.card_no}|${rec.card_seq}`);
    const by_terminal = this.held_by_terminal.get(`${rec.acquirer_id}|${rec.terminal_id}|${rec.terminal_seq}`);
    if ((by_card && sameRecord(by_card.rec, rec)) || (by_terminal && sameRecord(by_terminal.rec, rec)))
      return { status: 'REJECTED', reason: 'E03' };
    if (by_card || by_terminal) return { status: 'REJECTED', reason: 'E09' };
    if (!this.city.local_issuers.includes(rec.issuer_id)) return { status: 'PENDING_INTEROP', reason: '' };
    if (rec.txn_type !== 2 && this.isBlacklisted(rec)) return { status: 'SUSPENDED', reason: 'S01' };
    return { status: 'ACCEPTED', reason: '' };
  }

  deliver(f: Delivered): void {
    assert(!this.inbox.some((g) => g.name === f.name), `two files named ${f.name} in one inbox`);
    this.inbox.push(f);
  }

  /** Runs day D over the inbox: returns what the batch must do, and moves the model on. */
  runDay(D: string, gap_days: number): DayExpect {
    assert(this.closed.length === 0 || D > this.closed[this.closed.length - 1]!);
    const due = this.inbox
      .filter((f) => f.business_date <= D)
      .sort((a, b) => IMPORT_ORDER.indexOf(a.kind) - IMPORT_ORDER.indexOf(b.kind) || compareText(a.name, b.name));
    this.inbox = this.inbox.filter((f) => f.business_date > D);

    const files = { imported: 0, skipped: 0, refused: 0 };
    const refused_files: DaySummaryExpect['refused_files'] = [];
    const answers: { file: Delivered; refusal: string; verdicts: Verdict[] }[] = [];
    const batch: ModelRecord[] = [];
    const accepted_by_national: ModelRecord[] = [];
    const rejected_by_national: ModelRecord[] = [];
    const bank_lines: { line: BankLineSpec; ref: string }[] = [];
    let conflicts = 0;

    for (const f of due) {
      if (this.imported_by_name.get(f.name) === f.sha256) {
        files.skipped++;
        continue;
      }
      const identity = `${f.kind}|${f.sender_id}|${f.business_date}|${f.seq}`;
      if (this.identities.has(identity)) {
        files.refused++;
        // The model's refusals are conflicting resends under the first file's own name.
        refused_files.push({
          file: f.name,
          sender: f.sender_id,
          code: 'F03',
          detail: `same identity imported before with other bytes (${f.name})`,
        });
        if (f.kind === 'TXN_UPLOAD' || f.kind === 'INTEROP_IN') answers.push({ file: f, refusal: 'F03', verdicts: [] });
        continue;
      }
      this.identities.add(identity);
      this.imported_by_name.set(f.name, f.sha256);
      const file_order = this.imported.length;
      this.imported.push(f);
      files.imported++;
      switch (f.kind) {
        case 'BLACKLIST':
          for (const entry of f.entries!) {
            const k = `${entry.issuer_id}|${entry.card_no}`;
            const list = this.blacklist.get(k) ?? [];
            list.push({ entry, at_s: timestampSeconds(entry.effective_at)! });
            this.blacklist.set(k, list);
          }
          break;
        case 'INTEROP_RESULT':
          for (const v of f.answers!.verdicts) {
            const m = this.exported.get(f.answers!.out_date)![v.index]!;
            assert.equal(m.status, 'PENDING_INTEROP');
            assert.equal(m.national, undefined);
            if (v.status === 'ACCEPTED' && v.amount_fen !== m.rec.amount_fen) {
              // Not cleared until an operator resolves the item.
              m.national = 'AMOUNT_MISMATCH';
              this.standing_items.push(`national:AMOUNT_MISMATCH:${f.answers!.out_date}#${v.index}`);
            } else if (v.status === 'ACCEPTED') {
              m.national = 'ACCEPTED';
              accepted_by_national.push(m);
            } else {
              m.national = 'REJECTED';
              m.status = 'REJECTED';
              m.reason = `N:${v.reason}`;
              this.release(m);
              rejected_by_national.push(m);
            }
          }
          break;
        case 'INTEROP_IN':
        case 'TXN_UPLOAD': {
          const verdicts: Verdict[] = [];
          f.records!.forEach((rec, index) => {
            const v = this.validate(rec);
            const m: ModelRecord = {
              rec,
              source: f.kind as Source,
              file: f,
              file_order,
              index,
              imported_on: D,
              verdict: v.status,
              verdict_reason: v.reason,
              status: v.status,
              reason: v.reason,
              blacklisted_load: v.status === 'ACCEPTED' && rec.txn_type === 2 && this.isBlacklisted(rec),
            };
            if (f.kind === 'TXN_UPLOAD') {
              const k = `${rec.acquirer_id}/${rec.terminal_id}`;
              this.terminal_seqs.set(k, (this.terminal_seqs.get(k) ?? new Set()).add(rec.terminal_seq));
            }
            if (v.status !== 'REJECTED') this.hold(m);
            if (v.reason === 'E09') conflicts++;
            this.records.push(m);
            batch.push(m);
            verdicts.push(verdictOf(m, v.status, v.reason));
          });
          answers.push({ file: f, refusal: '', verdicts });
          break;
        }
        case 'BANK':
          f.lines!.forEach((line, k) => {
            bank_lines.push({ line, ref: `${f.name}#${k}` });
          });
          break;
      }
    }

    // Clearing: the groups of the day.
    const cat1 = new Map<string, { participant_id: string; merchant_id: string; count: number; gross_fen: number }>();
    const cat2 = new Map<string, { participant_id: string; merchant_id: string; count: number; gross_fen: number }>();
    const cat3 = { count: 0, gross_fen: 0 };
    const cat4 = { count: 0, gross_fen: 0 };
    const movement = {
      local_purchase_fen: 0,
      interop_in_fen: 0,
      load_fen: 0,
      suspended_fen: 0,
      bank_collect_fen: 0,
      bank_pay_fen: 0,
      float_adjust_fen: 0,
    };
    const group = (into: typeof cat1, r: Transaction) => {
      const k = `${r.acquirer_id}|${r.merchant_id}`;
      const g = into.get(k) ?? { participant_id: r.acquirer_id, merchant_id: r.merchant_id, count: 0, gross_fen: 0 };
      g.count++;
      g.gross_fen += r.amount_fen;
      into.set(k, g);
    };
    let cleared_count = 0;
    let cleared_gross_fen = 0;
    const clear = (m: ModelRecord) => {
      assert.equal(m.cleared_on, undefined, 'the model clears a record twice');
      m.cleared_on = D;
      cleared_count++;
      cleared_gross_fen += m.rec.amount_fen;
    };
    const pending: ModelRecord[] = [];
    for (const m of batch) {
      if (m.status === 'ACCEPTED') {
        clear(m);
        if (m.source === 'INTEROP_IN') {
          cat3.count++;
          cat3.gross_fen += m.rec.amount_fen;
          movement.interop_in_fen += m.rec.amount_fen;
        } else if (m.rec.txn_type === 2) {
          group(cat2, m.rec);
          movement.load_fen += m.rec.amount_fen;
        } else {
          group(cat1, m.rec);
          movement.local_purchase_fen += m.rec.amount_fen;
        }
      } else if (m.status === 'SUSPENDED') {
        m.suspended_on = D;
        movement.suspended_fen += m.rec.amount_fen;
      } else if (m.status === 'PENDING_INTEROP') {
        pending.push(m);
      }
    }
    for (const m of accepted_by_national) {
      clear(m);
      group(cat1, m.rec);
      cat4.count++;
      cat4.gross_fen += m.rec.amount_fen;
    }
    // Every approved correction is posted tonight: the batch of the first day not yet
    // closed after its approval. A released record is cleared like an accepted
    // purchase of today, in its group, out of suspense (not the float).
    const posting = this.corrections.filter((c) => c.status === 'approved');
    for (const c of posting) {
      c.status = 'posted';
      c.posted_on = D;
      if (c.kind !== 'release') continue;
      const m = c.record!;
      assert.equal(m.status, 'SUSPENDED', `the model releases a record that is ${m.status}`);
      m.status = 'ACCEPTED';
      m.reason = '';
      clear(m);
      group(cat1, m.rec);
      this.move('suspense:blacklist', m.rec.amount_fen);
    }
    pending.sort(EXPORTED_SORT);
    pending.forEach((m) => {
      m.exported_on = D;
    });
    this.exported.set(D, pending);

    // Statement lines, nets, instructions.
    const lines: StatementLine[] = [];
    for (const g of cat1.values()) {
      const rate = this.rateOf(g.participant_id, g.merchant_id);
      const fee = feeOf(g.gross_fen, rate);
      lines.push({ ...g, category: 1, fee_fen: fee, net_fen: g.gross_fen - fee, fee_rate: rate });
      this.move('income:fees', -fee);
    }
    for (const g of cat2.values()) {
      const rate = this.rateOf(g.participant_id, g.merchant_id);
      const fee = feeOf(g.gross_fen, rate);
      lines.push({ ...g, category: 2, fee_fen: fee, net_fen: -(g.gross_fen - fee), fee_rate: rate });
      this.move('expense:agent-commission', fee);
    }
    if (cat3.count > 0) {
      lines.push({
        participant_id: this.national_id,
        merchant_id: '',
        category: 3,
        ...cat3,
        fee_fen: 0,
        net_fen: cat3.gross_fen,
        fee_rate: '0',
      });
    }
    if (cat4.count > 0) {
      const rate = this.participants.national.interop_fee_rate;
      const fee = feeOf(cat4.gross_fen, rate);
      lines.push({
        participant_id: this.national_id,
        merchant_id: '',
        category: 4,
        ...cat4,
        fee_fen: fee,
        net_fen: -(cat4.gross_fen - fee),
        fee_rate: rate,
      });
      this.move('expense:interop-fees', fee);
    }
    // An adjustment is a category-5 line of its own, ref = its id, and moves its counter account.
    for (const c of posting) {
      if (c.kind !== 'adjustment') continue;
      lines.push({
        participant_id: c.participant_id,
        merchant_id: '',
        category: 5,
        count: 1,
        gross_fen: c.amount_fen,
        fee_fen: 0,
        net_fen: c.amount_fen,
        fee_rate: '0',
        ref: c.id,
      });
      this.move(c.account!, c.amount_fen);
      if (c.account === 'float:cards') {
        movement.float_adjust_fen += c.amount_fen;
        this.float_adjusted_fen += c.amount_fen;
      }
    }
    const refNumber = (l: StatementLine) => (l.ref === undefined ? 0 : Number(l.ref.slice(1)));
    lines.sort(
      (a, b) =>
        compareText(a.participant_id, b.participant_id) ||
        a.category - b.category ||
        compareText(a.merchant_id, b.merchant_id) ||
        refNumber(a) - refNumber(b),
    );
    const nets = new Map<string, number>();
    for (const l of lines) nets.set(l.participant_id, (nets.get(l.participant_id) ?? 0) + l.net_fen);
    const instructions: SettlementInstruction[] = [];
    let pay_out_fen = 0;
    let collect_fen = 0;
    for (const [p, net] of [...nets.entries()].sort((a, b) => compareText(a[0], b[0]))) {
      if (net === 0) continue;
      const pays = net > 0;
      const ins = {
        instruction_id: `${D}-${p}`,
        payer_id: pays ? this.centre_id : p,
        payee_id: pays ? p : this.centre_id,
        amount_fen: Math.abs(net),
        business_date: D,
      };
      instructions.push(ins);
      this.instructions.push({ ...ins, confirmed: false, in_statement: false, has_line: false, local_only: false });
      if (pays) pay_out_fen += net;
      else collect_fen -= net;
    }
    // The ledger: what moves, in debits minus credits.
    this.move('float:cards', movement.local_purchase_fen + movement.interop_in_fen + movement.suspended_fen - movement.load_fen);
    this.move('suspense:blacklist', -movement.suspended_fen);
    this.move('settlement:in-transit', collect_fen - pay_out_fen);
    // Bank lines: a line that matches an unconfirmed instruction exactly confirms it;
    // any other is an item and is never posted.
    let bank_matched = 0;
    for (const { line: l, ref } of bank_lines) {
      const ins = this.instructions.find((i) => i.instruction_id === l.instruction_id);
      if (ins === undefined) {
        this.standing_items.push(`bank:REMOTE_ONLY:${ref}`);
        continue;
      }
      ins.has_line = true;
      if (ins.payer_id !== l.payer_id || ins.payee_id !== l.payee_id || ins.amount_fen !== l.amount_fen) {
        this.standing_items.push(`bank:AMOUNT_MISMATCH:${ref}`);
        continue;
      }
      if (ins.confirmed) {
        this.standing_items.push(`bank:REMOTE_ONLY:${ref}`);
        continue;
      }
      bank_matched++;
      ins.confirmed = true;
      ins.in_statement = false;
      const collected = ins.payee_id === this.centre_id;
      this.move('bank:settlement', collected ? ins.amount_fen : -ins.amount_fen);
      this.move('settlement:in-transit', collected ? -ins.amount_fen : ins.amount_fen);
      if (collected) movement.bank_collect_fen += ins.amount_fen;
      else movement.bank_pay_fen += ins.amount_fen;
    }

    // The outbox.
    const outbox = new Map<string, ExpectedFile>();
    const seqs = new Map<string, number>();
    const out = (file_type: FileType, receiver_id: string, ref_file: string, ref_reason: string, records: object[]) => {
      const k = `${file_type}|${receiver_id}`;
      const file_seq = (seqs.get(k) ?? 0) + 1;
      seqs.set(k, file_seq);
      const name = exchangeFileName({ file_type, sender_id: this.centre_id, receiver_id, business_date: D, file_seq });
      outbox.set(name, { file_type, receiver_id, ref_file, ref_reason, records });
    };
    for (const a of answers.filter((a) => a.file.kind === 'TXN_UPLOAD'))
      out('TXN_ACK', a.file.sender_id, a.file.name, a.refusal, a.verdicts);
    const late = new Map<number, ModelRecord[]>();
    for (const m of rejected_by_national) late.set(m.file_order, [...(late.get(m.file_order) ?? []), m]);
    for (const order of [...late.keys()].sort((a, b) => a - b)) {
      const list = late.get(order)!.sort((a, b) => a.index - b.index);
      out(
        'TXN_ACK',
        list[0]!.file.sender_id,
        list[0]!.file.name,
        '',
        list.map((m) => verdictOf(m, m.status, m.reason)),
      );
    }
    out(
      'INTEROP_OUT',
      this.national_id,
      '',
      '',
      pending.map((m) => m.rec),
    );
    for (const a of answers.filter((a) => a.file.kind === 'INTEROP_IN'))
      out('INTEROP_IN_RESULT', this.national_id, a.file.name, a.refusal, a.verdicts);
    const active = this.activeBlacklist();
    for (const p of this.party_ids) out('BLACKLIST', p, '', '', active);
    for (const p of [...nets.keys()]) {
      out(
        'CLEARING_STATEMENT',
        p,
        '',
        '',
        lines.filter((l) => l.participant_id === p).map((l) => ({ ...l })),
      );
    }
    out('SETTLEMENT', this.bank_id, '', '', instructions);

    const count = (s: Status) => batch.filter((m) => m.verdict === s).length;
    const summary: DaySummaryExpect = {
      date: `${D.slice(0, 4)}-${D.slice(4, 6)}-${D.slice(6, 8)}`,
      files,
      records: {
        accepted: count('ACCEPTED'),
        rejected: count('REJECTED'),
        suspended: count('SUSPENDED'),
        pending_interop: count('PENDING_INTEROP'),
      },
      national_rejected: rejected_by_national.length,
      cleared: { count: cleared_count, gross_fen: cleared_gross_fen },
      settlement: { instructions: instructions.length, pay_out_fen, collect_fen },
      refused_files,
    };
    const needs_person = files.refused > 0 || conflicts > 0 || summary.records.suspended > 0;
    const recon = this.reconcile(D, accepted_by_national.length + rejected_by_national.length, bank_matched);
    const day: DayExpect = {
      date: D,
      summary,
      needs_person,
      recon,
      exit_code: needs_person || recon.new_items.length > 0 ? 3 : 0,
      exceptions: {
        suspended: batch.filter((m) => m.verdict === 'SUSPENDED').map((m) => m.rec.card_no),
        blacklisted_loads: batch.filter((m) => m.blacklisted_load).map((m) => m.rec.card_no),
        key_conflicts: conflicts,
      },
      nets,
      instructions,
      outbox,
      movement,
      balances: this.nonZeroBalances(),
    };
    this.closed.push(D);
    this.days.set(D, day);
    this.next_date = addDays(D, gap_days);
    return day;
  }

  /**
   * clearing-rules.md, "Reconciliation", at the end of day D: the terminals' missing
   * numbers, the national centre's silence after D+3, the bank's after D+2, and the
   * cards' missing counters with the balance jumps across them.
   */
  private reconcile(D: string, national_matched: number, bank_matched: number): ReconExpect {
    const open: string[] = [];
    let uploads_remote_only = 0;
    for (const [terminal, seqs] of this.terminal_seqs) {
      const sorted = [...seqs].sort((a, b) => a - b);
      for (let n = sorted[0]!; n <= sorted[sorted.length - 1]!; n++) {
        if (!seqs.has(n)) {
          open.push(`uploads:${terminal}:${n}`);
          uploads_remote_only++;
        }
      }
      assert(sorted[sorted.length - 1]! - sorted[0]! < 500, 'the model counts one item per missing number');
    }
    let national_local_only = 0;
    const national_cutoff = addDays(D, -3);
    for (const [day, list] of this.exported) {
      if (day > national_cutoff) continue;
      list.forEach((m, i) => {
        if (m.national === undefined) {
          open.push(`national:${day}#${i}`);
          national_local_only++;
        }
      });
    }
    const bank_cutoff = addDays(D, -2);
    // LOCAL_ONLY at the end of D+2 when the bank sent no line at all; it stays open
    // until an exact line comes (a wrong line later does not settle it).
    for (const i of this.instructions) {
      if (i.business_date <= bank_cutoff && !i.confirmed && !i.has_line) i.local_only = true;
      if (i.confirmed) i.local_only = false;
    }
    const unpaid = this.instructions.filter((i) => i.local_only);
    for (const i of unpaid) open.push(`bank:${i.instruction_id}`);
    open.push(...this.standing_items);
    const standing = (prefix: string) => this.standing_items.filter((i) => i.startsWith(prefix)).length;
    let seq_gaps = 0;
    let balance_breaks = 0;
    let explained_fen = 0;
    let cards_movement_fen = 0;
    const byCard = new Map<string, ModelRecord[]>();
    for (const m of this.records) {
      if (m.status === 'REJECTED' || !this.city.local_issuers.includes(m.rec.issuer_id)) continue;
      const k = `${m.rec.issuer_id}/${m.rec.card_no}`;
      byCard.set(k, [...(byCard.get(k) ?? []), m]);
    }
    for (const [card, list] of byCard) {
      list.sort((a, b) => a.rec.card_seq - b.rec.card_seq);
      for (let k = 1; k < list.length; k++) {
        const a = list[k - 1]!.rec;
        const b = list[k]!.rec;
        assert(b.card_seq > a.card_seq, 'two held records of one card counter');
        if (b.card_seq > a.card_seq + 1) {
          for (let n = a.card_seq + 1; n < b.card_seq; n++) open.push(`float:${card}:${n}`);
          seq_gaps += b.card_seq - a.card_seq - 1;
          explained_fen += b.balance_before_fen - a.balance_after_fen;
        } else if (b.balance_before_fen !== a.balance_after_fen) {
          // A clone of a record the centre never held, accepted: the card's chain breaks.
          open.push(`float:${card}:break:${a.card_seq}-${b.card_seq}`);
          balance_breaks++;
          explained_fen += b.balance_before_fen - a.balance_after_fen;
        }
      }
      cards_movement_fen += list[list.length - 1]!.rec.balance_after_fen - list[0]!.rec.balance_before_fen;
    }
    const new_items = open.filter((i) => !this.items_ever.has(i));
    for (const i of open) this.items_ever.add(i);
    return {
      uploads_remote_only,
      national_local_only,
      national_matched,
      national_amount_mismatch: standing('national:AMOUNT_MISMATCH'),
      bank_local_only: unpaid.length,
      bank_matched,
      bank_remote_only: standing('bank:REMOTE_ONLY'),
      bank_amount_mismatch: standing('bank:AMOUNT_MISMATCH'),
      seq_gaps,
      balance_breaks,
      ledger_movement_fen: 0 - (this.balances.get('float:cards') ?? 0) || 0,
      cards_movement_fen,
      explained_fen,
      open_items: open.length,
      new_items,
    };
  }

  /** The full active list: per card, the latest entry by effective_at (ties: later imported); listed when an add. */
  activeBlacklist(): BlacklistEntry[] {
    const out: BlacklistEntry[] = [];
    for (const entries of this.blacklist.values()) {
      let best = entries[0]!;
      for (const e of entries) if (e.at_s >= best.at_s) best = e;
      if (best.entry.action === 1) out.push({ ...best.entry });
    }
    return out.sort((a, b) => compareText(a.issuer_id, b.issuer_id) || compareText(a.card_no, b.card_no));
  }

  /** Accounts with a balance other than zero, sorted. */
  nonZeroBalances(): [string, number][] {
    return [...this.balances.entries()].filter(([, v]) => v !== 0).sort((a, b) => compareText(a[0], b[0]));
  }
}

/** Every file under dir (reports included), by relative path, with its SHA-256. */
export function fileDigests(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = sha256Hex(fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}
