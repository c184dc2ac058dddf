// Micro benchmark of record validation with TAC checks: validates 1,000,000 synthetic
// records (genuine TACs, every rule run to the end) and prints records/s. The target is
// 200,000 records/s on one core.
//
//   node dist/bench/validate-bench.js [records] [records_per_card] [none|index|maps|tac]
//
// A card's records are spread over the whole run, as in real uploads (grouped by
// terminal, not by card), so the TAC key cache sees cards come and go. Three figures:
// validation alone, with the held keys in a HeldKeyIndex, and in plain JS Maps. Each is
// given per wall-clock second and per second of this process's CPU (the latter is
// steadier on a shared machine; it includes the garbage collector's helper threads).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseKeys, parseParticipants } from '../src/core/config';
import { buildRegistry } from '../src/core/registry';
import { TacKeyCache, diversifyKey, macInput, tacKeyOf } from '../src/core/tac';
import { HeldKeyIndex } from './held-key-index';
import type { BlacklistEntry, Transaction } from '../src/core/types';
import { validateRecord, type FileContext, type ValidationContext } from '../src/core/validate';

const EXAMPLE = path.join(__dirname, '../../fixtures/spec/vectors/example');
const RECORDS = Number(process.argv[2] ?? 1_000_000);
const PER_CARD = Number(process.argv[3] ?? 5);

function readJson(name: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(EXAMPLE, name), 'utf8'));
}

const pr = parseParticipants(readJson('participants.json'));
if (!pr.ok) throw new Error(`${pr.path}: ${pr.message}`);
const participants = pr.value;
const kr = parseKeys(
  readJson('keys.json'),
  participants.issuers.map((i) => i.id),
);
if (!kr.ok) throw new Error(`${kr.path}: ${kr.message}`);
const keys = kr.value;
const registry = buildRegistry(participants);

// A small deterministic generator (no Math.random: the same records every run).
let seed = 20251230;
function rand(n: number): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 8) % n;
}

const acquirerTerminals = participants.acquirers.flatMap((a) =>
  a.terminals.filter((t) => t.active_to === null && t.active_from <= '2025-12-01').map((t) => ({ a: a.id, t })),
);
const agentTerminals = participants.agents.flatMap((a) => a.terminals.map((t) => ({ a: a.id, t })));

/**
 * The records, in the order they are validated. A card's records are spread over the
 * whole run (as in real uploads, grouped by terminal, not by card); the record objects
 * are allocated in validation order, each with its own strings, as a streaming decoder
 * hands them over, so that the figure measures validation and not a heap walk.
 */
function generate(): Transaction[] {
  const cards = Math.ceil(RECORDS / PER_CARD);
  // Plan: (card, k-th record of the card) in a shuffled order.
  const order = new Int32Array(RECORDS);
  for (let i = 0; i < RECORDS; i++) order[i] = i;
  for (let i = RECORDS - 1; i > 0; i--) {
    const j = rand(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  // A card's records must come in card_seq order for its balances to chain; number
  // them by when they come.
  const nextSeq = new Int32Array(cards);
  const balance = new Int32Array(cards).fill(50000);
  const terminalSeq = new Map<string, number>();
  const signer = new TacKeyCache(keys);
  const out: Transaction[] = new Array(RECORDS);
  for (let i = 0; i < RECORDS; i++) {
    const c = order[i] % cards;
    const isLoad = rand(10) === 0;
    const { a, t } = isLoad ? agentTerminals[rand(agentTerminals.length)] : acquirerTerminals[rand(acquirerTerminals.length)];
    const seq = (terminalSeq.get(t.id) ?? 0) + 1;
    terminalSeq.set(t.id, seq);
    const amount_fen = isLoad ? 1000 * (1 + rand(5)) : 100 + rand(900);
    const before = balance[c];
    balance[c] = isLoad ? before + amount_fen : before - amount_fen;
    const day = 1 + rand(30);
    const rec: Transaction = {
      issuer_id: '4101000' + '1',
      card_no: `41010001${String(c).padStart(12, '0')}`,
      card_type: 1,
      txn_type: isLoad ? 2 : rand(2) === 0 ? 6 : 9,
      amount_fen,
      balance_before_fen: before,
      balance_after_fen: balance[c],
      card_seq: ++nextSeq[c],
      terminal_id: t.id.slice(0, 6) + t.id.slice(6),
      terminal_seq: seq,
      acquirer_id: a.slice(0, 4) + a.slice(4),
      merchant_id: t.merchant_id.slice(0, 8) + t.merchant_id.slice(8),
      occurred_at: `202512${String(day).padStart(2, '0')}${String(rand(24)).padStart(2, '0')}${String(rand(60)).padStart(2, '0')}${String(rand(60)).padStart(2, '0')}`,
      tac: '',
      batch_no: '',
      line_id: '',
      station_id: '',
    };
    rec.tac = signer.tacOf(rec);
    out[i] = rec;
  }
  return out;
}

/** Held keys in two plain Maps, for comparison: per card number, per terminal id. */
class HeldMaps {
  private readonly byCard = new Map<string, Transaction[]>();
  private readonly byTerminal = new Map<string, Map<number, Transaction>>();

  byCardKey(issuer_id: string, card_no: string, card_seq: number): Transaction | undefined {
    const list = this.byCard.get(card_no);
    if (list === undefined) return undefined;
    for (const r of list) if (r.card_seq === card_seq && r.issuer_id === issuer_id) return r;
    return undefined;
  }

  byTerminalKey(acquirer_id: string, terminal_id: string, terminal_seq: number): Transaction | undefined {
    const r = this.byTerminal.get(terminal_id)?.get(terminal_seq);
    return r !== undefined && r.acquirer_id === acquirer_id ? r : undefined;
  }

  add(r: Transaction): void {
    const list = this.byCard.get(r.card_no);
    if (list === undefined) this.byCard.set(r.card_no, [r]);
    else list.push(r);
    let seqs = this.byTerminal.get(r.terminal_id);
    if (seqs === undefined) this.byTerminal.set(r.terminal_id, (seqs = new Map()));
    seqs.set(r.terminal_seq, r);
  }
}

type HeldMode = 'none' | 'index' | 'maps';

class NothingHeld {
  byCardKey(): undefined {
    return undefined;
  }
  byTerminalKey(): undefined {
    return undefined;
  }
  add(): void {}
}

function run(
  records: Transaction[],
  blacklist: Map<string, BlacklistEntry[]>,
  mode: HeldMode,
): { seconds: number; cpu_seconds: number; tally: Record<string, number> } {
  const held = mode === 'index' ? new HeldKeyIndex() : mode === 'maps' ? new HeldMaps() : new NothingHeld();
  const ctx: ValidationContext = {
    registry,
    limits: participants.limits,
    tac: new TacKeyCache(keys),
    held,
    blacklistOf: (_issuer_id, c) => (blacklist.size === 0 ? undefined : blacklist.get(c)),
  };
  const files: Record<string, FileContext> = {};
  for (const a of [...participants.acquirers, ...participants.agents])
    files[a.id] = { file_type: 'TXN_UPLOAD', sender_id: a.id, business_date: '20251230' };
  const tally = new Map<string, number>();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (const r of records) {
    const v = validateRecord(r, files[r.acquirer_id], ctx);
    if (v.status !== 'REJECTED') held.add(r);
    const k = v.reason === '' ? v.status : v.reason;
    tally.set(k, (tally.get(k) ?? 0) + 1);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { seconds, cpu_seconds: (c.user + c.system) / 1e6, tally: Object.fromEntries(tally) };
}

const g0 = process.hrtime.bigint();
const records = generate();
console.log(
  `generated ${records.length} records on ${Math.ceil(records.length / PER_CARD)} cards in ${(Number(process.hrtime.bigint() - g0) / 1e9).toFixed(1)} s`,
);

// One card in a thousand is on the blacklist, so S01 is exercised too (keyed by card_no:
// one issuer here).
const blacklist = new Map<string, BlacklistEntry[]>();
for (let c = 0; c < records.length / PER_CARD; c += 1000) {
  const card_no = `41010001${String(c).padStart(12, '0')}`;
  blacklist.set(card_no, [{ issuer_id: '41010001', card_no, action: 1, effective_at: '20251101000000', reason: 'LOST' }]);
}

const MODES: [HeldMode, string][] = [
  ['none', 'validateRecord alone (nothing held)'],
  ['index', 'validateRecord + HeldKeyIndex'],
  ['maps', 'validateRecord + held keys in JS Maps'],
];
/**
 * TAC checks only, two ways, each with key material prepared once per card: the pure-JS
 * DES of TacKeyCache, and Node's 'des-ede' (OpenSSL) with the key K || K, one cipher
 * object per card kept in a Map, CBC done by hand block by block.
 */
function compareTac(records: Transaction[]): void {
  const MK = keys.tac_master_keys.get('41010001')!;
  const time = (what: string, check: (r: Transaction) => boolean) => {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    let ok = 0;
    for (const r of records) if (check(r)) ok++;
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6;
    console.log(
      `TAC only, ${what}: ${Math.round(records.length / seconds).toLocaleString('en-US')} records/s (${Math.round(records.length / cpu).toLocaleString('en-US')} per CPU-second), ${ok} verified`,
    );
  };
  const cache = new TacKeyCache(keys);
  time('pure-JS DES (TacKeyCache)', (r) => cache.verify(r));
  const ciphers = new Map<string, crypto.Cipher>();
  time('Node des-ede, a cipher per card, CBC by hand', (r) => {
    let cipher = ciphers.get(r.card_no);
    if (cipher === undefined) {
      const k = tacKeyOf(diversifyKey(MK, r.card_no));
      cipher = crypto.createCipheriv('des-ede', Buffer.concat([k, k]), null);
      cipher.setAutoPadding(false);
      ciphers.set(r.card_no, cipher);
    }
    const data = Buffer.alloc(24);
    macInput(r).copy(data);
    data[22] = 0x80;
    let chain = Buffer.alloc(8);
    for (let at = 0; at < 24; at += 8) {
      for (let i = 0; i < 8; i++) chain[i] ^= data[at + i];
      chain = cipher.update(chain);
    }
    return chain.readUInt32BE(0) === parseInt(r.tac, 16);
  });
}

const ONLY = process.argv[4] as HeldMode | 'tac' | undefined;
if (ONLY === 'tac') {
  compareTac(records);
  process.exit(0);
}
for (const [mode, what] of MODES.filter(([m]) => ONLY === undefined || m === ONLY)) {
  for (let round = 1; round <= 3; round++) {
    const { seconds, cpu_seconds, tally } = run(records, blacklist, mode);
    const rate = (t: number) => Math.round(records.length / t).toLocaleString('en-US');
    console.log(
      `${what}, round ${round}: ${records.length} records in ${seconds.toFixed(2)} s = ${rate(seconds)} records/s ` +
        `(${cpu_seconds.toFixed(2)} s of CPU = ${rate(cpu_seconds)} records per CPU-second)  ${JSON.stringify(tally)}`,
    );
  }
}
