// A model-based test of the nightly batch (fast-check `fc.commands`): random
// sequences of uploads, INTEROP_IN files, identical and conflicting resends (and a
// refused file delivered again), late and early files, duplicate records inside a
// file and across files, cloned-card conflicts, blacklist changes (ties, the grace
// period's edge), national answers (partial, rejections, wrong amounts), bank
// statements (with unknown, twice-paid and wrong lines), days (some skipped), reruns
// of the last closed day and days asked for out of order, run in-process against
// one store and checked after every day against a plain model of the spec
// (model-support.ts):
//
// - the summary is the model's (files, verdicts, national rejections, cleared,
//   settlement, open mismatches), and so is the exit code: 3 exactly when a file
//   was refused, a key conflicted, a record was suspended or a reconciliation item
//   opened; reconciliation.json's counts and float amounts and exceptions.json's
//   records are the model's, and the card float's difference is all explained;
// - every exchange file of the outbox is there, named as the model names it, with
//   the model's header and records (TXN_ACKs regular, refused and late, INTEROP_OUT,
//   INTEROP_IN_RESULT, BLACKLIST, statement lines, instructions), and no other;
// - the ledger verifies (each entry balances, chain intact, trial balance zero),
//   every payable and receivable is zero after the day's instructions,
//   settlement:in-transit holds the instructions the bank has not confirmed,
//   float:cards what the cards spent (suspended included) less what was loaded,
//   and every balance, now and as of the end of each closed day, is the model's;
// - totals in the files are totals in the ledger: SETTLEMENT's trailer total is the
//   day's pay_out + collect, the CLEARING_STATEMENTs' totals sum to pay_out -
//   collect, and each participant's statement total is its signed instruction;
// - every record is cleared at most once, on one day, and never a rejected or
//   suspended one;
// - a rerun of a closed day (the last one, or an earlier one after later days
//   closed), later and with new files in the inbox, changes nothing in the store and
//   writes the same files byte for byte; a day never run before a closed one is
//   refused and writes nothing;
// - corrections (clearing-rules.md, "Corrections"): operators propose adjustments
//   and releases, approve and reject them, as the `correct` commands do, and the
//   store answers each act as the model does (a refusal records nothing); the next
//   day posts every approved one: adjustments as category-5 lines with their ref in
//   the nets and instructions, released records cleared in their groups out of
//   suspense. After every step, whatever it was: the trial balance is zero, every
//   payable and receivable is zero, statement nets are the instructions, and every
//   correction is posted at most once, in its entry, and only after its approval.
//
// LCT_MODEL_RUNS and LCT_MODEL_COMMANDS change the effort; a failure prints the
// seed and the shrunk sequence of commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { generateCity, keysFileText, participantsFileText, type City } from '../../fixtures/city';
import { addDays } from '../../src/core/calendar';
import { parseKeys, parseParticipants } from '../../src/core/config';
import type { Keys, Participants } from '../../src/core/config-types';
import type { SettlementInstruction } from '../../src/core/types';
import { runBatch, type BatchOutcome } from '../../src/batch/run';
import { KeptRecords, readRecord } from '../../src/store/kept-files';
import type { DaySummary } from '../../src/core/reports';
import { scanExchangeFile } from '../../src/files/reader';
import { openStore, type Db } from '../../src/store/db';
import { accountBalances, verifyJournal } from '../../src/store/journal';
import { type Authority, type CorrectionOutcome, decideCorrection, proposeAdjustment, proposeRelease } from '../../src/store/corrections';
import { buildRegistry } from '../../src/core/registry';
import {
  BatchModel,
  LOCAL_CARDS_IN_PLAY,
  fileDigests,
  sha256Hex,
  type CorrectionAnswer,
  type DayExpect,
  type Delivered,
  type RecordAsk,
} from './model-support';

// Memory-backed when the machine has it: a run creates a store and writes a few
// hundred small files, which is about twice as fast there as on disk.
const TMP = process.env.LCT_TEST_TMP ?? (fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir());
const NUM_RUNS = Number(process.env.LCT_MODEL_RUNS ?? 60);
const MAX_COMMANDS = Number(process.env.LCT_MODEL_COMMANDS ?? 25);

// ---------------------------------------------------------------------------------
// The real system: a store, an inbox being filled for the next night, an outbox per day.

class RealSystem {
  readonly dir: string;
  readonly db: Db;
  readonly participants: Participants;
  readonly keys: Keys;
  inbox = '';
  private dirs = 0;
  /** What each day's first run gave: its summary and the digest of every file it wrote. */
  readonly summaries = new Map<string, DaySummary>();
  readonly outputs = new Map<string, Record<string, string>>();

  constructor(city: City) {
    this.dir = fs.mkdtempSync(path.join(TMP, 'lct-model-'));
    fs.writeFileSync(path.join(this.dir, 'participants.json'), participantsFileText(city));
    fs.writeFileSync(path.join(this.dir, 'keys.json'), keysFileText(city));
    const p = parseParticipants(JSON.parse(fs.readFileSync(path.join(this.dir, 'participants.json'), 'utf8')));
    assert.ok(p.ok);
    this.participants = p.value;
    const k = parseKeys(
      JSON.parse(fs.readFileSync(path.join(this.dir, 'keys.json'), 'utf8')),
      p.value.issuers.map((i) => i.id),
    );
    assert.ok(k.ok);
    this.keys = k.value;
    this.db = openStore(path.join(this.dir, 'lct.db'));
    this.inbox = this.freshDir('inbox');
  }

  freshDir(what: string): string {
    const d = path.join(this.dir, `${what}-${++this.dirs}`);
    fs.mkdirSync(d);
    return d;
  }

  deliver(f: Delivered): void {
    fs.writeFileSync(path.join(this.inbox, f.name), f.bytes);
  }

  /** Day `date`'s batch; its clock says 02:00 the next morning unless told otherwise. */
  run(date: string, outboxDir: string, now = `${addDays(date, 1)}020000`): BatchOutcome {
    return runBatch({
      db: this.db,
      participants: this.participants,
      keys: this.keys,
      date,
      inboxDir: this.inbox,
      outboxDir,
      now: () => now,
      progress: () => {},
    });
  }

  /** After day D, the operator moves the files that wait for a later day into the next inbox. */
  nextInbox(D: string): void {
    const next = this.freshDir('inbox');
    for (const name of fs.readdirSync(this.inbox)) {
      const claimed = /_(\d{8})_\d{4}\.(pb|csv)$/.exec(name)![1]!;
      if (claimed > D) fs.copyFileSync(path.join(this.inbox, name), path.join(next, name));
    }
    this.inbox = next;
  }

  close(): void {
    this.db.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The whole store's content, as one digest: every row of every table. */
function storeDigest(db: Db): string {
  const parts: string[] = [];
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
  for (const t of tables) {
    // Some tables have no rowid: the rows are sorted here instead.
    const rows = (db.prepare(`SELECT * FROM "${t}"`).raw().all() as unknown[][]).map((r) => JSON.stringify(r)).sort();
    parts.push(t, ...rows);
  }
  return sha256Hex(Buffer.from(parts.join('\n')));
}

type Setup = { model: BatchModel; real: RealSystem };
type Cmd = fc.Command<BatchModel, RealSystem>;

function deliver(model: BatchModel, real: RealSystem, f: Delivered): void {
  model.deliver(f);
  real.deliver(f);
}

function pick<T>(list: readonly T[], k: number): T {
  return list[k % list.length]!;
}

// ---------------------------------------------------------------------------------
// Checking a day against the model.

function subset(got: unknown, want: object): Record<string, unknown> {
  const g = got as Record<string, unknown>;
  return Object.fromEntries(Object.keys(want).map((k) => [k, g[k]]));
}

function checkDay(model: BatchModel, real: RealSystem, expect: DayExpect, outcome: BatchOutcome, outboxDir: string): void {
  const D = expect.date;
  assert.equal(outcome.kind, 'done', `day ${D}: ${outcome.kind === 'out_of_order' ? outcome.message : ''}`);
  if (outcome.kind !== 'done') return;
  assert.equal(outcome.rerun, false, `day ${D} was not closed before`);
  const s = outcome.summary;

  // The summary.
  assert.deepEqual(subset(s, expect.summary), expect.summary, `day ${D}: summary`);
  assert.ok(s.exit_code === 0 || s.exit_code === 3, `day ${D}: exit code ${s.exit_code}`);
  assert.equal(s.exit_code === 3, s.exit_reasons.length > 0, `day ${D}: exit code and reasons agree`);
  if (expect.needs_person) assert.equal(s.exit_code, 3, `day ${D}: a refused file, key conflict or suspended record needs a person`);
  assert.equal(
    s.exit_code,
    expect.exit_code,
    `day ${D}: exit code (new items: ${expect.recon.new_items.join(' ')}; reasons: ${s.exit_reasons.join('; ')})`,
  );
  assert.equal(s.open_mismatches, expect.recon.open_items, `day ${D}: open mismatches`);
  const reports = path.join(outboxDir, 'reports', D);
  const onDisk = JSON.parse(fs.readFileSync(path.join(reports, 'summary.json'), 'utf8'));
  assert.deepEqual(onDisk, s, `day ${D}: summary.json`);

  // What needs a person: reconciliation and exceptions.
  const recon = JSON.parse(fs.readFileSync(path.join(reports, 'reconciliation.json'), 'utf8'));
  const r = expect.recon;
  assert.deepEqual(
    recon.kinds,
    {
      uploads: { matched: 0, local_only: 0, remote_only: r.uploads_remote_only, amount_mismatch: 0 },
      national: {
        matched: r.national_matched,
        local_only: r.national_local_only,
        remote_only: 0,
        amount_mismatch: r.national_amount_mismatch,
      },
      bank: {
        matched: r.bank_matched,
        local_only: r.bank_local_only,
        remote_only: r.bank_remote_only,
        amount_mismatch: r.bank_amount_mismatch,
      },
      float: {
        ledger_movement_fen: r.ledger_movement_fen,
        cards_movement_fen: r.cards_movement_fen,
        difference_fen: r.cards_movement_fen - r.ledger_movement_fen,
        explained_fen: r.explained_fen,
        seq_gaps: r.seq_gaps,
        balance_breaks: r.balance_breaks,
      },
    },
    `day ${D}: reconciliation.json`,
  );
  assert.equal(
    recon.kinds.float.difference_fen - recon.kinds.float.explained_fen,
    model.float_adjusted_fen,
    `day ${D}: the card float's difference is all explained by gaps and breaks, and by the adjustments against float:cards`,
  );
  assert.equal(recon.open_items.length, s.open_mismatches);
  const x = JSON.parse(fs.readFileSync(path.join(reports, 'exceptions.json'), 'utf8'));
  assert.deepEqual(
    x.suspended.map((r: { card_no: string }) => r.card_no),
    expect.exceptions.suspended,
    `day ${D}: exceptions: suspended`,
  );
  assert.deepEqual(
    x.blacklisted_loads.map((r: { card_no: string }) => r.card_no),
    expect.exceptions.blacklisted_loads,
    `day ${D}: exceptions: blacklisted loads`,
  );
  assert.equal(x.key_conflicts.length, expect.exceptions.key_conflicts, `day ${D}: exceptions: key conflicts`);

  // The ledger.
  const v = verifyJournal(real.db);
  assert.ok(v.ok, `day ${D}: the journal verifies: ${JSON.stringify(v)}`);
  const balances = new Map(accountBalances(real.db).map((b) => [b.account, b.balance_fen]));
  for (const [account, balance] of balances) {
    if (account.startsWith('payable:') || account.startsWith('receivable:'))
      assert.equal(balance, 0, `day ${D}: ${account} after the instructions`);
  }
  let inTransit = 0;
  let float = 0;
  for (const d of model.closed) {
    const sum = real.summaries.get(d) ?? s;
    const m = model.days.get(d)!.movement;
    inTransit += sum.settlement.collect_fen - sum.settlement.pay_out_fen - m.bank_collect_fen + m.bank_pay_fen;
    float += m.local_purchase_fen + m.interop_in_fen + m.suspended_fen - m.load_fen + m.float_adjust_fen;
  }
  assert.equal(balances.get('settlement:in-transit') ?? 0, inTransit, `day ${D}: settlement:in-transit = instructions not confirmed`);
  assert.equal(balances.get('float:cards') ?? 0, float, `day ${D}: float:cards = spent - loaded`);
  const nonZero = [...balances.entries()].filter(([, b]) => b !== 0).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  assert.deepEqual(nonZero, model.nonZeroBalances(), `day ${D}: every balance`);
  for (const d of model.closed) {
    const asOf = accountBalances(real.db, d)
      .filter((b) => b.balance_fen !== 0)
      .map((b) => [b.account, b.balance_fen]);
    assert.deepEqual(asOf, model.days.get(d)!.balances, `day ${D}: every balance as of the end of ${d}`);
  }

  // Every record cleared at most once, on one day.
  const totalCleared = [...model.days.values()].reduce((n, d) => n + d.summary.cleared.count, 0);
  assert.equal(model.records.filter((m) => m.cleared_on !== undefined).length, totalCleared, 'model: cleared records');
  assert.equal(
    real.db.prepare('SELECT COUNT(*) FROM records WHERE cleared_date IS NOT NULL').pluck().get(),
    totalCleared,
    `day ${D}: records cleared so far`,
  );
  const kept = new KeptRecords(real.db);
  const clearedIds = real.db.prepare('SELECT id FROM records WHERE cleared_date IS NOT NULL ORDER BY id').pluck().all() as number[];
  const counters = new Map<string, number>();
  for (const id of clearedIds) {
    const r = readRecord(real.db, kept, id)!;
    const k = `${r.issuer_id}|${r.card_no}|${r.card_seq}`;
    counters.set(k, (counters.get(k) ?? 0) + 1);
  }
  const twice = [...counters].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], `day ${D}: a card counter cleared twice`);
  const clearedBad = real.db
    .prepare("SELECT COUNT(*) FROM record_view WHERE cleared_date IS NOT NULL AND status IN ('REJECTED', 'SUSPENDED')")
    .pluck()
    .get();
  assert.equal(clearedBad, 0, `day ${D}: a rejected or suspended record cleared`);

  // The outbox: exactly the model's files, each readable and right.
  const written = fs
    .readdirSync(outboxDir)
    .filter((n) => n.endsWith('.pb'))
    .sort();
  assert.deepEqual(written, [...expect.outbox.keys()].sort(), `day ${D}: the files written`);
  assert.deepEqual(outcome.written.files.map((f) => f.name).sort(), written, `day ${D}: the files runBatch says it wrote`);
  const produced = `${addDays(D, 1)}020000`;
  let statementsTotal = 0;
  let settlement: SettlementInstruction[] = [];
  const statementTotals = new Map<string, number>();
  for (const [name, want] of expect.outbox) {
    const records: unknown[] = [];
    const scan = scanExchangeFile(path.join(outboxDir, name), (r) => records.push(r));
    assert.equal(scan.unreadable ?? scan.trailer_mismatch ?? scan.name_mismatch, undefined, `${D}: ${name} reads clean`);
    const h = scan.header!;
    assert.deepEqual(
      {
        file_type: h.file_type,
        sender_id: h.sender_id,
        receiver_id: h.receiver_id,
        business_date: h.business_date,
        created_at: h.created_at,
        ref_file: h.ref_file,
        ref_reason: h.ref_reason,
      },
      {
        file_type: want.file_type,
        sender_id: model.centre_id,
        receiver_id: want.receiver_id,
        business_date: D,
        created_at: produced,
        ref_file: want.ref_file,
        ref_reason: want.ref_reason,
      },
      `${D}: ${name} header`,
    );
    assert.deepEqual(
      records.map((r, i) => subset(r, want.records[i] ?? {})),
      want.records,
      `${D}: ${name} records`,
    );
    const total = scan.trailer!.total_amount_fen;
    switch (want.file_type) {
      case 'CLEARING_STATEMENT':
        assert.equal(total, expect.nets.get(want.receiver_id), `${D}: ${name} total is the participant's net`);
        statementsTotal += total;
        statementTotals.set(want.receiver_id, total);
        break;
      case 'SETTLEMENT':
        settlement = records as SettlementInstruction[];
        assert.equal(total, s.settlement.pay_out_fen + s.settlement.collect_fen, `${D}: SETTLEMENT total = pay_out + collect`);
        assert.equal(
          total,
          settlement.reduce((n, i) => n + i.amount_fen, 0),
        );
        break;
      case 'INTEROP_OUT':
        assert.equal(
          total,
          records.reduce((n: number, r) => n + (r as { amount_fen: number }).amount_fen, 0),
        );
        break;
    }
  }
  assert.equal(statementsTotal, s.settlement.pay_out_fen - s.settlement.collect_fen, `${D}: statements' totals sum to pay_out - collect`);
  assert.equal(settlement.length, s.settlement.instructions);
  for (const [p, total] of statementTotals) {
    const ins = settlement.find((i) => i.instruction_id === `${D}-${p}`);
    const signed = ins === undefined ? 0 : ins.payee_id === p ? ins.amount_fen : -ins.amount_fen;
    assert.equal(total, signed, `${D}: ${p}'s statement total is its instruction`);
  }
  for (const ins of settlement) assert.ok(statementTotals.has(ins.instruction_id.slice(9)), `${D}: ${ins.instruction_id} has a statement`);
}

/**
 * What must hold after every step, whatever it was: the trial balance is zero; every
 * payable and receivable is zero (each day's instructions emptied them, and nothing
 * posts between days); each closed day's statement nets are its instructions; every
 * correction is the model's (status, day posted), and each is posted at most once, in
 * the entry named for it on its day, and only after its approval.
 */
function checkInvariants(model: BatchModel, real: RealSystem, step: string): void {
  const balances = accountBalances(real.db);
  assert.equal(
    balances.reduce((t, b) => t + BigInt(b.balance_fen), 0n),
    0n,
    `after ${step}: the trial balance is zero`,
  );
  for (const b of balances)
    if (b.account.startsWith('payable:') || b.account.startsWith('receivable:'))
      assert.equal(b.balance_fen, 0, `after ${step}: ${b.account} is zero after its instructions`);
  const unequal = real.db
    .prepare(
      `SELECT n.business_date, n.participant_id, n.net, i.payer_id, i.payee_id, i.amount_fen
         FROM (SELECT business_date, participant_id, SUM(net_fen) AS net FROM statement_lines GROUP BY 1, 2) n
         LEFT JOIN instructions i ON i.instruction_id = n.business_date || '-' || n.participant_id
        WHERE n.net <> COALESCE(CASE WHEN i.payee_id = n.participant_id THEN i.amount_fen ELSE -i.amount_fen END, 0)`,
    )
    .all();
  assert.deepEqual(unequal, [], `after ${step}: statement nets are the instructions`);
  const orphans = real.db
    .prepare(
      `SELECT i.instruction_id FROM instructions i
        WHERE NOT EXISTS (SELECT 1 FROM statement_lines l WHERE i.instruction_id = l.business_date || '-' || l.participant_id)`,
    )
    .all();
  assert.deepEqual(orphans, [], `after ${step}: every instruction has its statement`);

  const stored = real.db.prepare('SELECT id, status, effective_date, entry_id FROM corrections ORDER BY n').all() as {
    id: string;
    status: string;
    effective_date: string | null;
    entry_id: string | null;
  }[];
  assert.deepEqual(
    stored.map((c) => [c.id, c.status, c.status === 'posted' ? c.effective_date : null]),
    model.corrections.map((c) => [c.id, c.status, c.posted_on ?? null]),
    `after ${step}: the corrections are the model's`,
  );
  const posted = real.db.prepare("SELECT id, business_date FROM entries WHERE kind IN ('adjustment', 'release') ORDER BY seq").all() as {
    id: string;
    business_date: string;
  }[];
  assert.deepEqual(
    posted.map((e) => e.id).sort(),
    stored
      .filter((c) => c.status === 'posted')
      .map((c) => `${c.effective_date}/${c.entry_id!.split('/')[1]}/${c.id}`)
      .sort(),
    `after ${step}: each posted correction is in one entry, of its day, and no other correction is`,
  );
  assert.equal(new Set(posted.map((e) => e.id.split('/')[2])).size, posted.length, `after ${step}: no correction posted twice`);
  const early = real.db
    .prepare(
      `SELECT p.correction_id FROM correction_events p
        WHERE p.event = 'posted' AND NOT EXISTS (
          SELECT 1 FROM correction_events a WHERE a.correction_id = p.correction_id AND a.event = 'approved' AND a.seq < p.seq)`,
    )
    .all();
  assert.deepEqual(early, [], `after ${step}: a correction posted without an approval before it`);
}

/** Any command, checked against the invariants when it has run. */
class Checked implements Cmd {
  constructor(readonly inner: Cmd) {}
  check = (m: Readonly<BatchModel>) => this.inner.check(m);
  run(m: BatchModel, r: RealSystem): void {
    this.inner.run(m, r);
    checkInvariants(m, r, this.inner.toString());
  }
  toString = () => this.inner.toString();
}

// ---------------------------------------------------------------------------------
// The commands.

class UploadCmd implements Cmd {
  constructor(
    readonly party: number,
    readonly asks: RecordAsk[],
    readonly offset_days: number,
  ) {}
  check = () => true;
  run(m: BatchModel, r: RealSystem): void {
    deliver(m, r, m.upload(this.party, this.asks, this.offset_days));
  }
  toString = () =>
    `Upload(party ${this.party}, ${this.asks.length} record(s)${this.asks.some((a) => a.remote) ? ' some remote' : ''}, day ${this.offset_days >= 0 ? '+' : ''}${this.offset_days})`;
}

class InteropInCmd implements Cmd {
  constructor(
    readonly asks: RecordAsk[],
    readonly offset_days: number,
  ) {}
  check = () => true;
  run(m: BatchModel, r: RealSystem): void {
    deliver(m, r, m.interopIn(this.asks, this.offset_days));
  }
  toString = () => `InteropIn(${this.asks.length} record(s), day ${this.offset_days >= 0 ? '+' : ''}${this.offset_days})`;
}

/** A file already imported, sent again byte for byte: skipped. */
class ResendIdenticalCmd implements Cmd {
  constructor(readonly k: number) {}
  check = (m: Readonly<BatchModel>) => m.imported.length > 0;
  run(m: BatchModel, r: RealSystem): void {
    const f = pick(m.imported, this.k);
    if (m.inbox.some((g) => g.name === f.name)) return;
    deliver(m, r, f);
  }
  toString = () => `ResendIdentical(${this.k})`;
}

/**
 * A file already imported, sent again under its name with other bytes: refused F03.
 * With `again`, a file refused so before is delivered again byte for byte: a refused
 * file established nothing, so it is judged (refused) and answered again.
 */
class ResendConflictingCmd implements Cmd {
  constructor(
    readonly k: number,
    readonly extra: RecordAsk,
    readonly again: boolean,
  ) {}
  private candidates = (m: Readonly<BatchModel>) =>
    m.imported.filter((f) => f.kind === 'TXN_UPLOAD' || f.kind === 'INTEROP_IN' || f.kind === 'BLACKLIST');
  check = (m: Readonly<BatchModel>) => this.candidates(m).length > 0;
  run(m: BatchModel, r: RealSystem): void {
    const refused = [...m.conflicted.values()];
    const f = this.again && refused.length > 0 ? pick(refused, this.k) : m.conflictingCopy(pick(this.candidates(m), this.k), this.extra);
    if (m.inbox.some((g) => g.name === f.name)) return;
    m.conflicted.set(f.name, f);
    deliver(m, r, f);
  }
  toString = () => `ResendConflicting(${this.k}${this.again ? ', the refused bytes again' : ''})`;
}

/** A record already sent, identical, inside a new file: E03 while the first one holds its keys. */
class DuplicateRecordCmd implements Cmd {
  constructor(
    readonly k: number,
    readonly change: boolean,
  ) {}
  check = (m: Readonly<BatchModel>) => m.resendable().length > 0;
  run(m: BatchModel, r: RealSystem): void {
    deliver(m, r, m.copyOf(pick(m.resendable(), this.k), this.change));
  }
  toString = () => (this.change ? `ClonedCardConflict(${this.k})` : `DuplicateRecord(${this.k})`);
}

class BlacklistCmd implements Cmd {
  constructor(readonly asks: { card: number; add: boolean; offset_s: number; tie: boolean }[]) {}
  check = () => true;
  run(m: BatchModel, r: RealSystem): void {
    deliver(m, r, m.blacklistFile(this.asks.flatMap((a) => (a.tie ? [a, { ...a, add: !a.add }] : [a]))));
  }
  toString = () =>
    `Blacklist(${this.asks.map((a) => `${a.add ? '+' : '-'}card${a.card % LOCAL_CARDS_IN_PLAY}@${a.offset_s / 3600}h${a.tie ? (a.add ? '-' : '+') : ''}`).join(' ')})`;
}

class NationalResultCmd implements Cmd {
  constructor(
    readonly k: number,
    readonly answer_mask: number,
    readonly reject_mask: number,
    readonly mismatch_mask: number,
  ) {}
  check = (m: Readonly<BatchModel>) => m.unansweredExports().length > 0;
  run(m: BatchModel, r: RealSystem): void {
    deliver(m, r, m.nationalResult(pick(m.unansweredExports(), this.k), this.answer_mask, this.reject_mask, this.mismatch_mask));
  }
  toString = () =>
    `NationalResult(${this.k}, answer mask ${this.answer_mask.toString(2)}, reject mask ${this.reject_mask.toString(2)}, mismatch mask ${this.mismatch_mask.toString(2)})`;
}

class BankStatementCmd implements Cmd {
  constructor(
    readonly mask: number,
    readonly noise: 'none' | 'unknown' | 'again' | 'wrong',
  ) {}
  check = (m: Readonly<BatchModel>) => m.unpaid().length > 0;
  run(m: BatchModel, r: RealSystem): void {
    const unpaid = m.unpaid();
    const chosen = unpaid.filter((_, i) => ((this.mask >> (i % 8)) & 1) === 1);
    deliver(m, r, m.bankStatement(chosen.length > 0 ? chosen : unpaid, this.noise));
  }
  toString = () => `BankStatement(mask ${this.mask.toString(2)}, ${this.noise})`;
}

// Operators' acts, in-process as the `correct` commands do them: one write
// transaction that checks and writes, or refuses and writes nothing.

function authority(r: RealSystem): Authority {
  return { operators: r.participants.operators, registry: buildRegistry(r.participants) };
}

function act(r: RealSystem, m: BatchModel, want: CorrectionAnswer, what: string, f: (at: string) => CorrectionOutcome): void {
  const before = want.ok ? '' : storeDigest(r.db);
  const got = r.db.transaction(() => f(`${m.next_date}120000`)).immediate();
  assert.deepEqual(got.ok ? { ok: true, id: got.correction.id } : { ok: false, code: got.refusal.code }, want, what);
  if (!want.ok) assert.equal(storeDigest(r.db), before, `${what}: refused, nothing recorded`);
}

const ADJUSTABLE_ACCOUNTS = ['float:cards', 'income:fees', 'suspense:blacklist', 'expense:adjustments'] as const;
// Who acts: the city's two operators (Li Wei proposes; Zhang Min proposes and
// approves, never her own), and now and then someone not listed or without the right.
const PROPOSERS = ['Li Wei', 'Li Wei', 'Li Wei', 'Zhang Min', 'Nobody'] as const;
const DECIDERS = ['Zhang Min', 'Zhang Min', 'Zhang Min', 'Li Wei', 'Nobody'] as const;

class ProposeAdjustmentCmd implements Cmd {
  constructor(
    readonly party: number,
    readonly amount_fen: number,
    readonly account: number,
    readonly by: number,
  ) {}
  check = () => true;
  run(m: BatchModel, r: RealSystem): void {
    const parties = [...m.party_ids, m.national_id];
    const req = {
      by: pick(PROPOSERS, this.by),
      participant_id: pick(parties, this.party),
      account: pick(ADJUSTABLE_ACCOUNTS, this.account),
      amount_fen: this.amount_fen,
      note: 'model',
      item_id: null,
    };
    const want = m.proposeAdjustment(req.participant_id, req.amount_fen, req.account, req.by);
    act(r, m, want, this.toString(), (at) => proposeAdjustment(r.db, authority(r), req, at));
  }
  toString = () =>
    `ProposeAdjustment(party ${this.party}, ${this.amount_fen} fen, ${ADJUSTABLE_ACCOUNTS[this.account % 4]}, by ${pick(PROPOSERS, this.by)})`;
}

/** The release of a record: most often one suspended at import (released already, or from the national centre: refused), now and then any record. */
class ReleaseCmd implements Cmd {
  constructor(
    readonly k: number,
    readonly any: boolean,
    readonly by: number,
  ) {}
  check = (m: Readonly<BatchModel>) => (this.any ? m.records.length > 0 : m.records.some((x) => x.verdict === 'SUSPENDED'));
  run(m: BatchModel, r: RealSystem): void {
    const suspended = m.records.filter((x) => x.verdict === 'SUSPENDED');
    const record = pick(this.any || suspended.length === 0 ? m.records : suspended, this.k);
    const req = { by: pick(PROPOSERS, this.by), file_name: record.file.name, index: record.index, note: 'model', item_id: null };
    const want = m.proposeRelease(record, req.by);
    act(r, m, want, `${this.toString()}: ${record.file.name}#${record.index} (${record.status})`, (at) =>
      proposeRelease(r.db, authority(r), req, at),
    );
  }
  toString = () => `Release(${this.k}${this.any ? ', any record' : ''}, by ${pick(PROPOSERS, this.by)})`;
}

class DecideCmd implements Cmd {
  constructor(
    readonly k: number,
    readonly approve: boolean,
    readonly by: number,
  ) {}
  check = (m: Readonly<BatchModel>) => m.corrections.length > 0;
  run(m: BatchModel, r: RealSystem): void {
    // Mostly the latest proposals, where the open ones are.
    const c = m.corrections[m.corrections.length - 1 - (this.k % m.corrections.length)]!;
    const req = {
      decision: this.approve ? ('approve' as const) : ('reject' as const),
      id: c.id,
      by: pick(DECIDERS, this.by),
      note: 'model',
    };
    const want = m.decide(c.id, req.by, this.approve);
    act(r, m, want, `${this.toString()}: ${c.id}`, (at) => decideCorrection(r.db, authority(r), req, at));
  }
  toString = () => `${this.approve ? 'Approve' : 'Reject'}(${this.k}, by ${pick(DECIDERS, this.by)})`;
}

class RunDayCmd implements Cmd {
  constructor(readonly gap_days: number) {}
  check = () => true;
  run(m: BatchModel, r: RealSystem): void {
    const D = m.next_date;
    const outboxDir = path.join(r.dir, 'out', D);
    const outcome = r.run(D, outboxDir);
    r.nextInbox(D);
    const expect = m.runDay(D, this.gap_days);
    checkDay(m, r, expect, outcome, outboxDir);
    if (outcome.kind === 'done') {
      r.summaries.set(D, outcome.summary);
      r.outputs.set(D, fileDigests(outboxDir));
    }
  }
  toString = () => `RunDay(then +${this.gap_days})`;
}

/** The last closed day again, with whatever now lies in the inbox: nothing changes, the same files. */
class RerunLastDayCmd implements Cmd {
  check = (m: Readonly<BatchModel>) => m.closed.length > 0;
  run(m: BatchModel, r: RealSystem): void {
    const D = m.closed[m.closed.length - 1]!;
    const before = storeDigest(r.db);
    const outboxDir = r.freshDir(`rerun-${D}`);
    // Later that morning: a rebuilt file keeps the moment it was first produced.
    const outcome = r.run(D, outboxDir, `${addDays(D, 1)}093000`);
    assert.equal(outcome.kind, 'done');
    if (outcome.kind !== 'done') return;
    assert.equal(outcome.rerun, true, `rerun of ${D}`);
    assert.deepEqual(outcome.summary, r.summaries.get(D), `rerun of ${D}: the same summary`);
    assert.deepEqual(fileDigests(outboxDir), r.outputs.get(D), `rerun of ${D}: the same files, byte for byte`);
    assert.equal(storeDigest(r.db), before, `rerun of ${D}: the store is unchanged`);
  }
  toString = () => 'RerunLastDay';
}

/**
 * A day before the last closed one. A closed one runs again (at any time, also after
 * later days closed): nothing changes, the same files as its first run, byte for
 * byte. One never run (before the store's first day) is refused, nothing written.
 */
class PastDayCmd implements Cmd {
  /** How many earlier closed days were run again, over the whole test: a quiet test shows as one. */
  static reruns = 0;
  constructor(readonly back_days: number) {}
  check = (m: Readonly<BatchModel>) => m.closed.length > 0;
  run(m: BatchModel, r: RealSystem): void {
    const D = addDays(m.closed[m.closed.length - 1]!, -this.back_days);
    const before = storeDigest(r.db);
    const outboxDir = path.join(r.dir, `past-${D}-${before.slice(0, 8)}`);
    // Some days later, in the afternoon.
    const outcome = r.run(D, outboxDir, `${addDays(m.next_date, 3)}153000`);
    if (m.closed.includes(D)) {
      assert.equal(
        outcome.kind,
        'done',
        `closed day ${D} after ${m.closed[m.closed.length - 1]} closed: ${outcome.kind === 'out_of_order' ? outcome.message : ''}`,
      );
      if (outcome.kind !== 'done') return;
      assert.equal(outcome.rerun, true, `rerun of ${D}`);
      assert.deepEqual(outcome.summary, r.summaries.get(D), `rerun of ${D}: the same summary`);
      assert.deepEqual(fileDigests(outboxDir), r.outputs.get(D), `rerun of ${D}: the same files, byte for byte`);
      PastDayCmd.reruns++;
    } else {
      assert.equal(outcome.kind, 'out_of_order', `day ${D}, never run, after ${m.closed[m.closed.length - 1]} closed`);
      assert.equal(fs.existsSync(outboxDir), false, `day ${D}: nothing written`);
    }
    assert.equal(storeDigest(r.db), before, `day ${D}: the store is unchanged`);
  }
  toString = () => `PastDay(-${this.back_days})`;
}

/** The day after the next one: refused, a day is never skipped; nothing runs, nothing is written. */
class SkippedDayCmd implements Cmd {
  check = (m: Readonly<BatchModel>) => m.closed.length > 0;
  run(m: BatchModel, r: RealSystem): void {
    const D = addDays(m.next_date, 1);
    const before = storeDigest(r.db);
    const outboxDir = path.join(r.dir, `skipped-${D}-${before.slice(0, 8)}`);
    const outcome = r.run(D, outboxDir);
    assert.equal(outcome.kind, 'out_of_order', `day ${D} before ${m.next_date} ran`);
    assert.equal(fs.existsSync(outboxDir), false, `day ${D}: nothing written`);
    assert.equal(storeDigest(r.db), before, `day ${D}: the store is unchanged`);
  }
  toString = () => 'SkippedDay';
}

// ---------------------------------------------------------------------------------

const askArb: fc.Arbitrary<RecordAsk> = fc.record({
  card: fc.nat(60),
  remote: fc.nat(3).map((x) => x === 0),
  terminal: fc.nat(60),
  amount: fc.nat(20000),
  // Now and then 06:00, 12:00 or 18:00 sharp: blacklist_grace_hours after an entry.
  second: fc.oneof(
    fc.nat(86399),
    fc.constantFrom(1, 7, 13).map((h) => h * 3600),
  ),
  composite: fc.boolean(),
  twice: fc.nat(7).map((x) => x === 0),
  days_before: fc.constantFrom(0, 0, 0, 0, 0, 1, 2),
});
const asksArb = fc.array(askArb, { minLength: 1, maxLength: 4 });
// Entries long before, or on the marks exactly 24 hours before 06:00, 12:00 and
// 18:00 on the next day, or on it: ties between entries, purchases exactly at the
// end of the grace period, and entries not yet in effect.
const H = 3600;
const blacklistAskArb = fc.record({
  card: fc.nat(60),
  add: fc.nat(3).map((x) => x !== 0),
  offset_s: fc.constantFrom(-96 * H, -48 * H, -18 * H, -12 * H, -6 * H, 0, 6 * H),
  // The same card and moment again with the other action: the later entry wins.
  tie: fc.nat(3).map((x) => x === 0),
});
// Answer every record (mask 0) or some of them; reject some.
const nationalArb = fc
  .tuple(fc.nat(10), fc.oneof(fc.constant(0), fc.nat(0xffff)), fc.nat(0xffff), fc.oneof(fc.constant(0), fc.constant(0), fc.nat(0xffff)))
  .map(([k, answer, reject, mismatch]) => new NationalResultCmd(k, answer, reject, mismatch));
// Days run one after another: a day is never skipped (SkippedDayCmd).
const runDayArb = fc.constant(new RunDayCmd(1));
const adjustArb = fc
  .tuple(fc.nat(20), fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: -5000, max: -1 })), fc.nat(3), fc.nat(9))
  .map(([p, fen, a, by]) => new ProposeAdjustmentCmd(p, fen, a, by));
const releaseArb = fc
  .tuple(
    fc.nat(100),
    fc.nat(4).map((x) => x === 0),
    fc.nat(9),
  )
  .map(([k, any, by]) => new ReleaseCmd(k, any, by));
const approveArb = fc.tuple(fc.oneof(fc.constant(0), fc.nat(3)), fc.nat(9)).map(([k, by]) => new DecideCmd(k, true, by));
// About one command in four runs a day: a few files a night.
const commandArbs: fc.Arbitrary<Cmd>[] = [
  runDayArb,
  runDayArb,
  runDayArb,
  fc.tuple(fc.nat(40), asksArb, fc.constantFrom(0, 0, 0, 0, 0, -1, -2, -3, 1, 2)).map(([p, a, o]) => new UploadCmd(p, a, o)),
  fc.tuple(fc.nat(40), asksArb).map(([p, a]) => new UploadCmd(p, a, 0)),
  fc.tuple(asksArb, fc.constantFrom(0, 0, -1)).map(([a, o]) => new InteropInCmd(a, o)),
  fc.nat(100).map((k) => new ResendIdenticalCmd(k)),
  fc.tuple(fc.nat(100), askArb, fc.boolean()).map(([k, a, again]) => new ResendConflictingCmd(k, a, again)),
  fc.tuple(fc.nat(100), fc.boolean()).map(([k, c]) => new DuplicateRecordCmd(k, c)),
  fc.array(blacklistAskArb, { minLength: 1, maxLength: 3 }).map((a) => new BlacklistCmd(a)),
  fc.array(blacklistAskArb, { minLength: 1, maxLength: 3 }).map((a) => new BlacklistCmd(a)),
  nationalArb,
  nationalArb,
  fc
    .tuple(
      fc.nat(0xff),
      fc.constantFrom('none', 'none', 'none', 'unknown', 'again', 'wrong') as fc.Arbitrary<'none' | 'unknown' | 'again' | 'wrong'>,
    )
    .map(([mask, noise]) => new BankStatementCmd(mask, noise)),
  fc.constant(new RerunLastDayCmd()),
  fc.integer({ min: 1, max: 3 }).map((k) => new PastDayCmd(k)),
  fc.constant(new SkippedDayCmd()),
  // Corrections: about one command in five, most decisions by the one who may.
  adjustArb,
  adjustArb,
  releaseArb,
  releaseArb,
  approveArb,
  approveArb,
  approveArb,
  fc.tuple(fc.nat(3), fc.nat(9)).map(([k, by]) => new DecideCmd(k, false, by)),
].map((arb) => arb.map((c) => new Checked(c) as Cmd));

/** What a run went through, so that a quiet test shows as one. */
function tally(seen: Map<string, number>, m: BatchModel): void {
  const add = (k: string, n = 1) => n > 0 && seen.set(k, (seen.get(k) ?? 0) + n);
  for (const r of m.records) {
    add(r.verdict === 'REJECTED' ? r.verdict_reason : r.verdict);
    if (r.national) add(`national ${r.national}`);
    if (r.exported_on && r.national === undefined) add('never answered');
    if (r.cleared_on && r.file.business_date < r.imported_on) add('late cleared');
    if (r.blacklisted_load) add('blacklisted load');
  }
  for (const d of m.days.values()) {
    add('skipped', d.summary.files.skipped);
    add('refused', d.summary.files.refused);
    add('bank confirmed', d.movement.bank_collect_fen + d.movement.bank_pay_fen > 0 ? 1 : 0);
  }
  add('waiting at the end', m.inbox.filter((f) => f.business_date > m.next_date).length);
  const last = m.closed.length > 0 ? m.days.get(m.closed[m.closed.length - 1]!)!.recon : undefined;
  if (last) {
    add('bank remote_only', last.bank_remote_only);
    add('bank amount_mismatch', last.bank_amount_mismatch);
    add('balance breaks', last.balance_breaks);
    add('card seq gaps', last.seq_gaps);
    add('terminal gaps', last.uploads_remote_only);
  }
  add('local_only, then a wrong line', m.instructions.filter((i) => i.local_only && i.has_line).length);
  for (const c of m.corrections) add(`${c.kind} ${c.status}`);
  for (const [code, n] of m.correction_refusals) add(`refused ${code}`, n);
}

const city = generateCity('model-based batch', { local_cards: 20, remote_cards: 10, terminals_per_merchant: 1, merchant_acquirers: 2 });

/** Runs `runs` random sequences of the commands against the model, and says what they went through. */
function modelRuns(what: string, arbs: fc.Arbitrary<Cmd>[], runs: number, maxCommands = MAX_COMMANDS): void {
  const t0 = Date.now();
  let days = 0;
  let lastModel: BatchModel | undefined;
  const seen = new Map<string, number>();
  fc.assert(
    fc.property(fc.commands(arbs, { maxCommands, size: 'max' }), (cmds) => {
      let real: RealSystem | undefined;
      try {
        fc.modelRun((): Setup => {
          real = new RealSystem(city);
          lastModel = new BatchModel(city);
          return { model: lastModel, real };
        }, cmds);
        days += real!.summaries.size;
        tally(seen, lastModel!);
      } finally {
        real?.close();
      }
    }),
    { numRuns: runs, includeErrorInReport: true },
  );
  const counts = [...seen.entries()]
    .sort()
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  process.stderr.write(
    `model.test (${what}): ${runs} runs, ${days} days, ${PastDayCmd.reruns} earlier closed day(s) run again, ${Date.now() - t0} ms; seen: ${counts}\n`,
  );
}

test('the nightly batch agrees with the model over random sequences of days', { timeout: 300_000 }, () => {
  modelRuns('all commands', commandArbs, NUM_RUNS);
});

// Suspended records are rare among all the commands above, so their releases are
// tried here, on nights where blacklist entries already in effect meet purchases.
const inEffectArb = fc
  .array(fc.record({ card: fc.nat(60), add: fc.constant(true), offset_s: fc.constant(-96 * H), tie: fc.constant(false) }), {
    minLength: 1,
    maxLength: 3,
  })
  .map((a) => new BlacklistCmd(a));
// Purchases at the acquirers, on our cards: the records a blacklist suspends.
const acquirers = city.parties.filter((p) => p.role === 'acquirer').map((p) => p.index);
const purchaseArb = fc
  .tuple(
    fc.nat(40),
    fc.array(
      askArb.map((a) => ({ ...a, remote: false })),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([p, a]) => new UploadCmd(acquirers[p % acquirers.length]!, a, 0));
const releaseArbs: fc.Arbitrary<Cmd>[] = [
  runDayArb,
  runDayArb,
  runDayArb,
  purchaseArb,
  purchaseArb,
  purchaseArb,
  inEffectArb,
  inEffectArb,
  nationalArb,
  adjustArb,
  releaseArb,
  releaseArb,
  releaseArb,
  approveArb,
  approveArb,
  approveArb,
  fc.tuple(fc.nat(3), fc.nat(9)).map(([k, by]) => new DecideCmd(k, false, by)),
  fc.constant(new RerunLastDayCmd()),
].map((arb) => arb.map((c) => new Checked(c) as Cmd));

test('suspended records released by corrections agree with the model', { timeout: 300_000 }, () => {
  modelRuns('releases', releaseArbs, Math.max(1, Math.round(NUM_RUNS / 3)), 2 * MAX_COMMANDS);
});

// clearing-rules.md / exchange-files.md: "A file whose name and bytes were imported
// before is passed over" and "A refused file establishes nothing". A file refused
// because its sender was not yet registered (F04), sent again byte for byte once the
// participants file names it, has never been imported: it must be judged again, and
// here imported, its records accepted and cleared.
test('a refused file sent again byte for byte is judged again, not passed over as a resend', () => {
  const real = new RealSystem(city);
  try {
    const model = new BatchModel(city);
    const party = city.parties.findIndex((p) => p.role === 'acquirer');
    const acquirer = city.parties[party]!.id;
    const asks: RecordAsk[] = [0, 1].map((card) => ({
      card,
      remote: false,
      terminal: 0,
      amount: 500,
      second: 3600,
      composite: false,
      twice: false,
      days_before: 0,
    }));
    const upload = model.upload(party, asks, 0);
    real.deliver(upload);
    const D1 = model.next_date;
    const D2 = addDays(D1, 1);
    // Night 1: the acquirer is not in the participants file yet.
    const without = { ...real.participants, acquirers: real.participants.acquirers.filter((a) => a.id !== acquirer) };
    const night1 = runBatch({
      db: real.db,
      participants: without,
      keys: real.keys,
      date: D1,
      inboxDir: real.inbox,
      outboxDir: path.join(real.dir, 'out', D1),
      now: () => `${D2}020000`,
      progress: () => {},
    });
    assert.equal(night1.kind, 'done');
    if (night1.kind !== 'done') return;
    assert.deepEqual(night1.summary.files, { imported: 0, skipped: 0, refused: 1 }, 'night 1: refused F04');
    // Night 2: the participants file names it; the same file is in the inbox again.
    const inbox2 = real.freshDir('inbox');
    fs.writeFileSync(path.join(inbox2, upload.name), upload.bytes);
    real.inbox = inbox2;
    const night2 = real.run(D2, path.join(real.dir, 'out', D2));
    assert.equal(night2.kind, 'done');
    if (night2.kind !== 'done') return;
    assert.deepEqual(night2.summary.files, { imported: 1, skipped: 0, refused: 0 }, 'night 2: never imported before, so not a resend');
    assert.equal(night2.summary.records.accepted, upload.records!.length);
    assert.equal(night2.summary.cleared.count, upload.records!.length);
  } finally {
    real.close();
  }
});
