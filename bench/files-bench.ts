// How fast exchange files are written and read, and how much memory that takes.
//
//     node dist/bench/files-bench.js [--records N] [--keep]
//
// Writes an N-record TXN_UPLOAD file (default 1,000,000 realistic Transactions) to
// a temporary directory with writeExchangeFile, then reads it back with
// scanExchangeFile, touching every record. Each phase runs in its own child
// process, so that each one's peak RSS is its own. Targets: reading at >= 500,000
// records/s, peak RSS < 200 MB whatever the file's size.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Header, Transaction } from '../src/core/types';
import { exchangeFileName } from '../src/files/names';
import { refusalOf, scanExchangeFile } from '../src/files/reader';
import { writeExchangeFile } from '../src/files/writer';

const READ_TARGET_RECORDS_PER_S = 500_000;
const RSS_TARGET_BYTES = 200 * 1024 * 1024;

interface PhaseResult {
  phase: 'write' | 'read';
  records: number;
  bytes: number;
  seconds: number;
  max_rss_bytes: number;
  refusal?: string;
}

const HEADER: Header = {
  format_version: 1,
  file_type: 'TXN_UPLOAD',
  sender_id: '41010101',
  receiver_id: '41010000',
  business_date: '20261126',
  file_seq: 1,
  created_at: '20261126233000',
  ref_file: '',
  ref_reason: '',
};

/**
 * A deterministic stream of plausible bus and metro transactions. The strings come
 * from pools made up front (cards, terminals, times, TACs), so that the write
 * figure measures the file writer rather than the making of strings.
 */
function* transactions(count: number): Generator<Transaction> {
  let seed = 0x2545f491;
  const next = (): number => {
    // xorshift32
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const hex = (n: number, width: number): string => n.toString(16).toUpperCase().padStart(width, '0').slice(-width);
  const pad = (n: number, width: number): string => String(n).padStart(width, '0');
  const cards = Array.from({ length: 1 << 16 }, (_, i) => `3101${pad((i * 7919) % 10_000_000_000, 16)}`);
  const terminals = Array.from({ length: 5_000 }, (_, i) => `0A${hex(i * 104_729, 10)}`);
  const merchants = Array.from({ length: 200 }, (_, i) => `BUS${pad(i, 12)}`);
  const batches = Array.from({ length: 90 }, (_, i) => pad(i + 1, 6));
  const lines = Array.from({ length: 30 }, (_, i) => `L${pad(i, 3)}`);
  const stations = Array.from({ length: 400 }, (_, i) => `S${pad(i, 4)}`);
  const times = Array.from(
    { length: 86_400 },
    (_, s) => `20261126${pad(Math.floor(s / 3600), 2)}${pad(Math.floor(s / 60) % 60, 2)}${pad(s % 60, 2)}`,
  );
  const tacs = Array.from({ length: 1 << 16 }, () => hex(next(), 8));
  for (let i = 0; i < count; i++) {
    const card = next() & 0xffff;
    const amount = 100 + (next() % 900);
    const before = 500 + (next() % 20_000);
    const composite = next() % 3 === 0;
    const terminal = next() % terminals.length;
    yield {
      issuer_id: card % 10 === 7 ? '41020001' : '41010001',
      card_no: cards[card],
      card_type: 1 + (card % 4),
      txn_type: composite ? 9 : 6,
      amount_fen: amount,
      balance_before_fen: before,
      balance_after_fen: before - amount,
      card_seq: 1 + (next() % 65_535),
      terminal_id: terminals[terminal],
      terminal_seq: 1 + i,
      acquirer_id: HEADER.sender_id,
      merchant_id: merchants[terminal % merchants.length],
      occurred_at: times[i % times.length],
      tac: tacs[next() & 0xffff],
      batch_no: batches[terminal % batches.length],
      line_id: composite ? lines[terminal % lines.length] : '',
      station_id: composite ? stations[terminal % stations.length] : '',
    };
  }
}

function runWrite(file: string, count: number): PhaseResult {
  const t0 = process.hrtime.bigint();
  const written = writeExchangeFile(file, HEADER, transactions(count));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { phase: 'write', records: written.trailer.record_count, bytes: written.bytes, seconds, max_rss_bytes: maxRssBytes() };
}

function runRead(file: string): PhaseResult {
  let touched = 0;
  const t0 = process.hrtime.bigint();
  const scan = scanExchangeFile(file, (record) => {
    const t = record as Transaction;
    touched += t.amount_fen + t.card_no.length;
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const refusal = refusalOf(scan);
  if (touched === 0) throw new Error('no record was touched');
  return {
    phase: 'read',
    records: scan.records,
    bytes: scan.bytes,
    seconds,
    max_rss_bytes: maxRssBytes(),
    ...(refusal === null ? {} : { refusal: `${refusal.code}: ${refusal.detail}` }),
  };
}

function maxRssBytes(): number {
  // resourceUsage().maxRSS is in kilobytes.
  return process.resourceUsage().maxRSS * 1024;
}

function child(phase: string, file: string, count: number): PhaseResult {
  const r = spawnSync(process.execPath, [__filename, '--phase', phase, '--file', file, '--records', String(count)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`the ${phase} phase failed (exit ${r.status})`);
  return JSON.parse(r.stdout) as PhaseResult;
}

function report(r: PhaseResult): string {
  const per_s = r.records / r.seconds;
  const mb_s = r.bytes / 1e6 / r.seconds;
  return `${r.phase.padEnd(5)}  ${r.records.toLocaleString('en-US')} records  ${(r.bytes / 1e6).toFixed(1)} MB  ${r.seconds.toFixed(2)} s  ${Math.round(per_s).toLocaleString('en-US')} records/s  ${mb_s.toFixed(1)} MB/s  peak RSS ${(r.max_rss_bytes / 1048576).toFixed(1)} MiB`;
}

function main(argv: string[]): void {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  const count = Number(arg('--records') ?? 1_000_000);
  const phase = arg('--phase');
  if (phase !== undefined) {
    const file = arg('--file') as string;
    const result = phase === 'write' ? runWrite(file, count) : runRead(file);
    process.stdout.write(JSON.stringify(result));
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-files-bench-'));
  const file = path.join(dir, exchangeFileName(HEADER));
  try {
    const write = child('write', file, count);
    const read = child('read', file, count);
    console.log(report(write));
    console.log(report(read));
    const read_ok = read.records / read.seconds >= READ_TARGET_RECORDS_PER_S;
    const rss_ok = Math.max(write.max_rss_bytes, read.max_rss_bytes) < RSS_TARGET_BYTES;
    console.log(
      `targets: read >= ${READ_TARGET_RECORDS_PER_S.toLocaleString('en-US')} records/s: ${read_ok ? 'met' : 'MISSED'}; peak RSS < 200 MB: ${rss_ok ? 'met' : 'MISSED'}`,
    );
    if (read.refusal !== undefined) console.log(`the file read back was refused: ${read.refusal}`);
    if (!read_ok || !rss_ok || read.refusal !== undefined || read.records !== count) process.exitCode = 1;
  } finally {
    if (argv.includes('--keep')) console.log(`kept ${file}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

main(process.argv.slice(2));
