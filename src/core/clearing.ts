// Clearing a day (clearing-rules.md, "Clearing a day" and "The ledger"): from the day's
// groups of cleared records to statement lines, net positions, settlement instructions
// and journal entries, all as data. Nothing here reads a record or writes a file: the
// batch sums the day's records into groups, calls clearDay, and writes the whole result
// in one transaction.
//
// Decisions where the spec is silent:
// - A statement line appears only for a group with count > 0; a participant with no
//   line gets no statement and no instruction.
// - Groups given twice for the same (participant, merchant) are summed before the fee
//   is computed: the fee is on the group's daily gross, whatever way it was handed in.
// - Journal entry ids: `D/clear/<participant_id>` (one per acquirer, agent and the
//   national centre with lines), `D/suspense` (the day's SUSPENDED records),
//   `D/settle/<participant_id>` (one per instruction, and the national centre's entry),
//   `D/bank/<instruction_id>` (a bank confirmation, D = the day it is posted). Entries
//   come in that order, participants in ascending id order.
// - The national centre's settlement entry is posted whenever it has a line (also at
//   net zero, as the spec asks); with no interop at all there is nothing to empty.
// - Postings of zero are left out (a posting has exactly one positive side); an entry
//   left with no postings is not posted.
// - D's approved corrections (corrections.ts) come in as `corrections`: a released
//   record joins its acquirer's category-1 group (fee on the group's gross) and is
//   posted in `D/release/<id>` from suspense:blacklist; an adjustment is a category-5
//   line and an entry `D/adjust/<id>`. Both entries come after `D/suspense`, releases
//   first, each kind in correction order, and before the settlements, which empty
//   what they moved. Without corrections, everything is as before.

import { strict as assert } from 'node:assert';
import type { SettlementInstruction, StatementCategory, StatementLine } from './types';
import { CATEGORY_INTEROP_IN, CATEGORY_INTEROP_OUT, CATEGORY_LOADS, CATEGORY_PURCHASES } from './types';
import type { Registry } from './registry';
import { feeFen } from './fees';
import {
  type CorrectionsInput,
  adjustmentEntry,
  adjustmentLine,
  assertCorrections,
  compareCorrectionIds,
  participantAccount,
  releaseEntry,
} from './corrections';
import { ACCOUNT, PostingList, assertBalanced, accountBalances, payableAcquirer, receivableAgent } from './ledger';
import type { JournalEntry } from './ledger';

export type { Posting, JournalEntry } from './ledger';
export { assertBalanced, canonicalEntry, chainHash, accountBalances, GENESIS_HASH, isChartAccount, ACCOUNT } from './ledger';

/** Purchases of one (acquirer, merchant) cleared today, split by where the card is from. */
export interface PurchaseGroupInput {
  participant_id: string;
  merchant_id: string;
  count: number;
  /** Local-card ACCEPTED purchases: paid out of the card float. */
  local_gross_fen: number;
  /** Remote-card purchases accepted by the national centre: paid out of its receivable. */
  remote_gross_fen: number;
}

/** Loads of one (agent, merchant) cleared today. */
export interface LoadGroupInput {
  participant_id: string;
  merchant_id: string;
  count: number;
  gross_fen: number;
}

export interface CountGross {
  count: number;
  gross_fen: number;
}

export interface DayClearingInput {
  /** The business day D, YYYYMMDD. */
  date: string;
  registry: Registry;
  purchases: PurchaseGroupInput[];
  loads: LoadGroupInput[];
  /** ACCEPTED INTEROP_IN purchases: our cards used elsewhere (category 3). */
  interop_in: CountGross;
  /** Remote-card purchases accepted by the national centre (category 4): the remote part of `purchases`. */
  interop_out: CountGross;
  /** Local-card records SUSPENDED today (S01): moved from the float into suspense. */
  suspended: CountGross;
  /** D's approved corrections (clearing-rules.md, "Corrections"); none when absent. */
  corrections?: CorrectionsInput;
}

/** A group of records cleared together: every category but the adjustments (5), which are no records. */
export interface ClearingGroup {
  category: Exclude<StatementCategory, 5>;
  participant_id: string;
  /** '' for the national centre's groups. */
  merchant_id: string;
  count: number;
  gross_fen: number;
  /** Category 1 only: the parts of gross_fen paid by the float, by the national centre and out of suspense (released records). */
  local_gross_fen?: number;
  remote_gross_fen?: number;
  released_gross_fen?: number;
}

export interface DayClearing {
  /** The groups of records with count > 0 (an adjustment is a line, not a group), in the order of their lines. */
  groups: ClearingGroup[];
  /** Sorted by participant_id, then (category, merchant_id, correction number). */
  lines: StatementLine[];
  /** Per participant with at least one line: the sum of its lines' net_fen. */
  nets: Map<string, number>;
  /** One per participant with net != 0, sorted by instruction_id. */
  instructions: SettlementInstruction[];
  entries: JournalEntry[];
  /** Each correction of the input and the entry it was posted in, in correction order. */
  posted: { correction_id: string; entry_id: string }[];
  totals: {
    /** Records cleared today: purchases (local and remote), loads, interop in. */
    cleared_count: number;
    cleared_gross_fen: number;
    /** What the centre pays out and collects by today's instructions. */
    pay_out_fen: number;
    collect_fen: number;
  };
}

const DATE = /^[0-9]{8}$/;

function assertCountGross(what: string, c: CountGross): void {
  assert(Number.isSafeInteger(c.count) && c.count >= 0, `clearDay: ${what}: count must be an integer >= 0`);
  assert(Number.isSafeInteger(c.gross_fen) && c.gross_fen >= 0, `clearDay: ${what}: gross_fen must be an integer >= 0`);
  // Every cleared record carries amount_fen >= 1.
  assert(
    c.gross_fen >= c.count && (c.count > 0 || c.gross_fen === 0),
    `clearDay: ${what}: gross_fen ${c.gross_fen} impossible for ${c.count} records`,
  );
}

function safeAdd(a: number, b: number): number {
  const sum = a + b;
  assert(Number.isSafeInteger(sum), 'clearDay: a sum passed 2^53 fen');
  return sum;
}

/** Code-unit order, the same on every machine (not locale order). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface MergedPurchases {
  participant_id: string;
  merchant_id: string;
  count: number;
  local_gross_fen: number;
  remote_gross_fen: number;
  released_gross_fen: number;
}

function mergePurchases(registry: Registry, groups: PurchaseGroupInput[], corrections: CorrectionsInput): Map<string, MergedPurchases> {
  const merged = new Map<string, MergedPurchases>();
  for (const g of groups) {
    const what = `purchases of ${g.participant_id}/${g.merchant_id}`;
    assert(registry.participant(g.participant_id)?.role === 'acquirer', `clearDay: ${what}: not an acquirer`);
    assert(registry.merchantRate(g.participant_id, g.merchant_id) !== undefined, `clearDay: ${what}: not its merchant`);
    assertCountGross(what, { count: g.count, gross_fen: safeAdd(g.local_gross_fen, g.remote_gross_fen) });
    assert(
      Number.isSafeInteger(g.local_gross_fen) &&
        g.local_gross_fen >= 0 &&
        Number.isSafeInteger(g.remote_gross_fen) &&
        g.remote_gross_fen >= 0,
      `clearDay: ${what}: negative gross`,
    );
    const key = `${g.participant_id}/${g.merchant_id}`;
    const m = merged.get(key);
    if (m === undefined) merged.set(key, { ...g, released_gross_fen: 0 });
    else {
      m.count = safeAdd(m.count, g.count);
      m.local_gross_fen = safeAdd(m.local_gross_fen, g.local_gross_fen);
      m.remote_gross_fen = safeAdd(m.remote_gross_fen, g.remote_gross_fen);
    }
  }
  // A released record is cleared like an accepted purchase of today, in its group.
  for (const r of corrections.releases) {
    const key = `${r.participant_id}/${r.merchant_id}`;
    let m = merged.get(key);
    if (m === undefined) {
      m = {
        participant_id: r.participant_id,
        merchant_id: r.merchant_id,
        count: 0,
        local_gross_fen: 0,
        remote_gross_fen: 0,
        released_gross_fen: 0,
      };
      merged.set(key, m);
    }
    m.count = safeAdd(m.count, 1);
    m.released_gross_fen = safeAdd(m.released_gross_fen, r.amount_fen);
  }
  return merged;
}

function mergeLoads(registry: Registry, groups: LoadGroupInput[]): Map<string, LoadGroupInput> {
  const merged = new Map<string, LoadGroupInput>();
  for (const g of groups) {
    const what = `loads of ${g.participant_id}/${g.merchant_id}`;
    assert(registry.participant(g.participant_id)?.role === 'agent', `clearDay: ${what}: not an agent`);
    assert(registry.merchantRate(g.participant_id, g.merchant_id) !== undefined, `clearDay: ${what}: not its merchant`);
    assertCountGross(what, g);
    const key = `${g.participant_id}/${g.merchant_id}`;
    const m = merged.get(key);
    if (m === undefined) merged.set(key, { ...g });
    else {
      m.count = safeAdd(m.count, g.count);
      m.gross_fen = safeAdd(m.gross_fen, g.gross_fen);
    }
  }
  return merged;
}

/** What one participant's lines add up to, for its journal entries. */
interface PartyTotals {
  local_gross_fen: number;
  remote_gross_fen: number;
  load_gross_fen: number;
  fee_fen: number;
  /** Lines and records of the groups (adjustments are neither). */
  lines: number;
  count: number;
  /** The sum of the participant's adjustments, signed. */
  adjustment_fen: number;
}

function emptyTotals(): PartyTotals {
  return { local_gross_fen: 0, remote_gross_fen: 0, load_gross_fen: 0, fee_fen: 0, lines: 0, count: 0, adjustment_fen: 0 };
}

const NO_CORRECTIONS: CorrectionsInput = { adjustments: [], releases: [] };

/** Lines in statement order: participant, then category, merchant, and the correction's number (C2 before C10). */
function compareLines(a: StatementLine, b: StatementLine): number {
  return (
    compareText(a.participant_id, b.participant_id) ||
    a.category - b.category ||
    compareText(a.merchant_id, b.merchant_id) ||
    (a.ref !== undefined && b.ref !== undefined ? compareCorrectionIds(a.ref, b.ref) : 0)
  );
}

function entry(id: string, business_date: string, kind: string, memo: string, postings: PostingList): JournalEntry | undefined {
  if (postings.postings.length === 0) return undefined;
  const e: JournalEntry = { id, business_date, kind, memo, postings: postings.postings };
  assertBalanced(e);
  return e;
}

/** Clears day D: lines, nets, instructions and journal entries, all computed, nothing written. */
export function clearDay(input: DayClearingInput): DayClearing {
  const { date, registry } = input;
  assert(DATE.test(date), `clearDay: date must be YYYYMMDD, got ${date}`);
  assertCountGross('interop_in', input.interop_in);
  assertCountGross('interop_out', input.interop_out);
  assertCountGross('suspended', input.suspended);
  const corrections = input.corrections ?? NO_CORRECTIONS;
  assertCorrections(registry, corrections);
  const centre_id = registry.centre_id;
  const national_id = registry.national_id;

  const purchases = mergePurchases(registry, input.purchases, corrections);
  const loads = mergeLoads(registry, input.loads);
  let remote_gross_fen = 0;
  for (const g of purchases.values()) remote_gross_fen = safeAdd(remote_gross_fen, g.remote_gross_fen);
  // The national centre's category 4 is the same records as the remote part of the
  // acquirers' category 1, seen from the other side: the two must agree to the fen.
  assert(
    remote_gross_fen === input.interop_out.gross_fen,
    `clearDay: remote purchases ${remote_gross_fen} != interop_out ${input.interop_out.gross_fen}`,
  );

  const groups: ClearingGroup[] = [];
  for (const g of purchases.values()) {
    if (g.count === 0) continue;
    groups.push({
      category: CATEGORY_PURCHASES,
      participant_id: g.participant_id,
      merchant_id: g.merchant_id,
      count: g.count,
      gross_fen: safeAdd(g.local_gross_fen + g.remote_gross_fen, g.released_gross_fen),
      local_gross_fen: g.local_gross_fen,
      remote_gross_fen: g.remote_gross_fen,
      released_gross_fen: g.released_gross_fen,
    });
  }
  for (const g of loads.values()) {
    if (g.count === 0) continue;
    groups.push({
      category: CATEGORY_LOADS,
      participant_id: g.participant_id,
      merchant_id: g.merchant_id,
      count: g.count,
      gross_fen: g.gross_fen,
    });
  }
  if (input.interop_in.count > 0)
    groups.push({ category: CATEGORY_INTEROP_IN, participant_id: national_id, merchant_id: '', ...input.interop_in });
  if (input.interop_out.count > 0)
    groups.push({ category: CATEGORY_INTEROP_OUT, participant_id: national_id, merchant_id: '', ...input.interop_out });
  groups.sort(
    (a, b) => compareText(a.participant_id, b.participant_id) || a.category - b.category || compareText(a.merchant_id, b.merchant_id),
  );

  // Lines: fees on each group's daily gross, rounded once, half up.
  const lines: StatementLine[] = [];
  const nets = new Map<string, number>();
  const totals = new Map<string, PartyTotals>();
  let cleared_count = 0;
  let cleared_gross_fen = 0;
  for (const g of groups) {
    let fee_rate = '0';
    let fee_fen = 0;
    let net_fen: number;
    const t = totals.get(g.participant_id) ?? emptyTotals();
    switch (g.category) {
      case CATEGORY_PURCHASES:
        fee_rate = registry.merchantRate(g.participant_id, g.merchant_id)!;
        fee_fen = feeFen(g.gross_fen, fee_rate);
        net_fen = g.gross_fen - fee_fen; // the centre owes the acquirer
        t.local_gross_fen += g.local_gross_fen!;
        t.remote_gross_fen += g.remote_gross_fen!;
        cleared_count += g.count;
        cleared_gross_fen += g.gross_fen;
        break;
      case CATEGORY_LOADS:
        fee_rate = registry.merchantRate(g.participant_id, g.merchant_id)!;
        fee_fen = feeFen(g.gross_fen, fee_rate);
        net_fen = -(g.gross_fen - fee_fen); // the agent owes the centre what it took in, less its commission
        t.load_gross_fen += g.gross_fen;
        cleared_count += g.count;
        cleared_gross_fen += g.gross_fen;
        break;
      case CATEGORY_INTEROP_IN:
        net_fen = g.gross_fen; // the centre owes the national centre for our cards spent elsewhere
        cleared_count += g.count;
        cleared_gross_fen += g.gross_fen;
        break;
      case CATEGORY_INTEROP_OUT:
        // Counted in cleared_* through category 1 already: the same records.
        fee_rate = registry.interop_fee_rate;
        fee_fen = feeFen(g.gross_fen, fee_rate);
        net_fen = -(g.gross_fen - fee_fen);
        break;
    }
    t.fee_fen += fee_fen;
    t.lines += 1;
    t.count += g.count;
    totals.set(g.participant_id, t);
    lines.push({
      participant_id: g.participant_id,
      merchant_id: g.merchant_id,
      category: g.category,
      count: g.count,
      gross_fen: g.gross_fen,
      fee_fen,
      net_fen,
      fee_rate,
    });
    nets.set(g.participant_id, safeAdd(nets.get(g.participant_id) ?? 0, net_fen));
  }
  assert(Number.isSafeInteger(cleared_gross_fen), 'clearDay: cleared gross passed 2^53 fen');

  // Adjustments: one line each, part of the participant's net (also its only line).
  const adjustments = [...corrections.adjustments].sort((a, b) => compareCorrectionIds(a.id, b.id));
  for (const a of adjustments) {
    const t = totals.get(a.participant_id) ?? emptyTotals();
    t.adjustment_fen = safeAdd(t.adjustment_fen, a.amount_fen);
    totals.set(a.participant_id, t);
    lines.push(adjustmentLine(a));
    nets.set(a.participant_id, safeAdd(nets.get(a.participant_id) ?? 0, a.amount_fen));
  }
  if (adjustments.length > 0) lines.sort(compareLines);

  // Instructions: the centre pays a positive net, collects a negative one.
  const instructions: SettlementInstruction[] = [];
  let pay_out_fen = 0;
  let collect_fen = 0;
  for (const [participant_id, net_fen] of nets) {
    if (net_fen === 0) continue;
    const centre_pays = net_fen > 0;
    instructions.push({
      instruction_id: `${date}-${participant_id}`,
      payer_id: centre_pays ? centre_id : participant_id,
      payee_id: centre_pays ? participant_id : centre_id,
      amount_fen: Math.abs(net_fen),
      business_date: date,
    });
    if (centre_pays) pay_out_fen += net_fen;
    else collect_fen -= net_fen;
  }
  instructions.sort((a, b) => compareText(a.instruction_id, b.instruction_id));

  const releases = [...corrections.releases].sort((a, b) => compareCorrectionIds(a.id, b.id));
  const correction_entries = [...releases.map((r) => releaseEntry(date, r)), ...adjustments.map((a) => adjustmentEntry(date, registry, a))];
  const entries = journalEntries(input, totals, nets, correction_entries);
  assertDayBooksClose(input, corrections, entries, nets);
  const posted = [...releases, ...adjustments]
    .map((c, i) => ({ correction_id: c.id, entry_id: correction_entries[i]!.id }))
    .sort((a, b) => compareCorrectionIds(a.correction_id, b.correction_id));

  return { groups, lines, nets, instructions, entries, posted, totals: { cleared_count, cleared_gross_fen, pay_out_fen, collect_fen } };
}

function journalEntries(
  input: DayClearingInput,
  totals: Map<string, PartyTotals>,
  nets: Map<string, number>,
  correction_entries: JournalEntry[],
): JournalEntry[] {
  const { date, registry } = input;
  const national_id = registry.national_id;
  const party_ids = [...totals.keys()].sort(compareText);
  const clearing: (JournalEntry | undefined)[] = [];
  const settlement: (JournalEntry | undefined)[] = [];

  for (const id of party_ids) {
    const t = totals.get(id)!;
    const net_fen = nets.get(id)!;
    const p = new PostingList();
    const s = new PostingList();
    const records = `${t.lines} line(s), ${t.count} record(s)`;
    if (id === national_id) {
      // Our cards spent elsewhere leave the float and are owed to the national centre;
      // its fee on remote cards spent here is taken off what it owes us.
      const interop_out_fee_fen = t.fee_fen;
      p.move(ACCOUNT.float_cards, ACCOUNT.payable_national, input.interop_in.gross_fen);
      p.move(ACCOUNT.expense_interop_fees, ACCOUNT.receivable_national, interop_out_fee_fen);
      clearing.push(
        entry(`${date}/clear/${id}`, date, 'clearing', `interop of ${date} cleared with the national centre ${id}: ${records}`, p),
      );
      // One entry empties both national accounts against each other and the
      // instruction, whatever the sign of the net (also at zero). Adjustments moved
      // payable:national too, either way.
      const receivable_fen = input.interop_out.gross_fen - interop_out_fee_fen;
      const payable_fen = input.interop_in.gross_fen + t.adjustment_fen;
      if (payable_fen >= 0) s.debit(ACCOUNT.payable_national, payable_fen);
      else s.credit(ACCOUNT.payable_national, -payable_fen);
      s.credit(ACCOUNT.receivable_national, receivable_fen);
      if (net_fen > 0) s.credit(ACCOUNT.settlement_in_transit, net_fen);
      else s.debit(ACCOUNT.settlement_in_transit, -net_fen);
      settlement.push(
        entry(`${date}/settle/${id}`, date, 'settlement', `settlement of ${date} with the national centre ${id}: net ${net_fen}`, s),
      );
      continue;
    }
    const role = registry.participant(id)!.role;
    if (role === 'acquirer') {
      const payable = payableAcquirer(id);
      p.move(ACCOUNT.float_cards, payable, t.local_gross_fen);
      p.move(ACCOUNT.receivable_national, payable, t.remote_gross_fen);
      p.move(payable, ACCOUNT.income_fees, t.fee_fen);
      clearing.push(entry(`${date}/clear/${id}`, date, 'clearing', `purchases of ${date} cleared for acquirer ${id}: ${records}`, p));
    } else {
      const receivable = receivableAgent(id);
      p.move(receivable, ACCOUNT.float_cards, t.load_gross_fen);
      p.move(ACCOUNT.expense_agent_commission, receivable, t.fee_fen);
      clearing.push(entry(`${date}/clear/${id}`, date, 'clearing', `loads of ${date} cleared for agent ${id}: ${records}`, p));
    }
    // Purchases leave an acquirer owed (net >= 0) and loads leave an agent owing (net
    // <= 0); an adjustment can turn either around, so the sign decides the direction.
    const account = participantAccount(registry, id)!;
    if (net_fen >= 0) s.move(account, ACCOUNT.settlement_in_transit, net_fen);
    else s.move(ACCOUNT.settlement_in_transit, account, -net_fen);
    settlement.push(entry(`${date}/settle/${id}`, date, 'settlement', `settlement of ${date} with ${id}: net ${net_fen}`, s));
  }

  const suspense = new PostingList().move(ACCOUNT.float_cards, ACCOUNT.suspense_blacklist, input.suspended.gross_fen);
  const suspended = entry(
    `${date}/suspense`,
    date,
    'suspense',
    `${input.suspended.count} blacklisted record(s) of ${date} suspended`,
    suspense,
  );

  return [...clearing, suspended, ...correction_entries, ...settlement].filter((e): e is JournalEntry => e !== undefined);
}

/**
 * The day's books close: its entries leave every participant's payable and receivable,
 * and both national accounts, at zero, and settlement:in-transit holds exactly what the
 * instructions move (credit what the centre pays, debit what it collects).
 */
function assertDayBooksClose(
  input: DayClearingInput,
  corrections: CorrectionsInput,
  entries: JournalEntry[],
  nets: Map<string, number>,
): void {
  const balances = accountBalances(entries);
  let trial = 0n;
  for (const [account, balance] of balances) {
    trial += balance;
    if (account.startsWith('payable:') || account.startsWith('receivable:')) {
      assert(balance === 0n, `clearDay: ${account} is ${balance} after the day's settlement`);
    }
  }
  assert(trial === 0n, 'clearDay: trial balance of the day is not zero');
  let net_sum = 0n;
  for (const net of nets.values()) net_sum += BigInt(net);
  assert((balances.get(ACCOUNT.settlement_in_transit) ?? 0n) === -net_sum, 'clearDay: in-transit differs from the nets');
  // Suspense takes today's suspended records and gives back what is released, and
  // what adjustments against it moved.
  let suspense = -BigInt(input.suspended.gross_fen);
  for (const r of corrections.releases) suspense += BigInt(r.amount_fen);
  for (const a of corrections.adjustments) if (a.account === ACCOUNT.suspense_blacklist) suspense += BigInt(a.amount_fen);
  assert(
    (balances.get(ACCOUNT.suspense_blacklist) ?? 0n) === suspense,
    'clearDay: suspense differs from the suspended and released records',
  );
}

/**
 * The bank confirmed an instruction on day `date` (bank_ref: its reference): the centre
 * paid (Dr settlement:in-transit, Cr bank:settlement) or collected (Dr bank:settlement,
 * Cr settlement:in-transit). Which one follows from the instruction: its id names the
 * participant, who is either the payee or the payer.
 */
export function bankConfirmationEntry(instruction: SettlementInstruction, date: string, bank_ref: string): JournalEntry {
  assert(DATE.test(date), `bankConfirmationEntry: date must be YYYYMMDD, got ${date}`);
  const m = /^([0-9]{8})-([0-9]{8})$/.exec(instruction.instruction_id);
  assert(m !== null, `bankConfirmationEntry: malformed instruction_id ${instruction.instruction_id}`);
  const participant_id = m[2];
  const centre_paid = instruction.payee_id === participant_id;
  assert(
    centre_paid !== (instruction.payer_id === participant_id),
    `bankConfirmationEntry: ${instruction.instruction_id} is not between the centre and ${participant_id}`,
  );
  assert(Number.isSafeInteger(instruction.amount_fen) && instruction.amount_fen > 0, 'bankConfirmationEntry: amount must be > 0');
  const p = new PostingList();
  if (centre_paid) p.move(ACCOUNT.settlement_in_transit, ACCOUNT.bank_settlement, instruction.amount_fen);
  else p.move(ACCOUNT.bank_settlement, ACCOUNT.settlement_in_transit, instruction.amount_fen);
  const e: JournalEntry = {
    id: `${date}/bank/${instruction.instruction_id}`,
    business_date: date,
    kind: 'bank',
    memo: `bank ${centre_paid ? 'paid' : 'collected'} ${instruction.instruction_id} (${instruction.payer_id} -> ${instruction.payee_id}, ${instruction.amount_fen} fen), ref ${bank_ref}`,
    postings: p.postings,
  };
  assertBalanced(e);
  return e;
}
