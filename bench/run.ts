// `npm run bench [-- --records N] [-- --dir DIR]`: the nightly batch on N records.
//
// Generates two consecutive nights of N records each as upload files (the fixtures
// generator), measures the floor (the same rows into a bare SQLite table with one
// prepared statement in one transaction), then runs the real `lct batch` (a child
// process) for night 1 in a fresh store and for night 2 on the same store, so that
// the second night validates against a full history. Prints records/s end to end,
// the ratio to the floor, peak RSS and the store's size per million records. The floor
// is measured again after the nights, and each night's ratio to it printed too.
import { TRANSACTION_FIELDS } from '../src/core/types';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { generateUploadNight } from '../fixtures/scenario';
import { scanExchangeFile } from '../src/files/reader';
import type { Transaction } from '../src/core/types';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const LCT = path.join(__dirname, '..', '..', 'bin', 'lct.js');

function floorInsert(dbPath: string, inbox: string): { ms: number; rows: number } {
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) fs.rmSync(f, { force: true });
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const cols = TRANSACTION_FIELDS;
  const types: Record<string, string> = {
    card_type: 'INTEGER',
    txn_type: 'INTEGER',
    amount_fen: 'INTEGER',
    balance_before_fen: 'INTEGER',
    balance_after_fen: 'INTEGER',
    card_seq: 'INTEGER',
    terminal_seq: 'INTEGER',
  };
  db.exec(`CREATE TABLE records (id INTEGER PRIMARY KEY, ${cols.map((c) => `${c} ${types[c] ?? 'TEXT'} NOT NULL`).join(', ')}) STRICT`);
  const insert = db.prepare(`INSERT INTO records (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
  let rows = 0;
  const t0 = performance.now();
  db.transaction(() => {
    for (const name of fs.readdirSync(inbox).sort()) {
      scanExchangeFile(path.join(inbox, name), (r) => {
        const t = r as Transaction;
        insert.run(
          t.issuer_id,
          t.card_no,
          t.card_type,
          t.txn_type,
          t.amount_fen,
          t.balance_before_fen,
          t.balance_after_fen,
          t.card_seq,
          t.terminal_id,
          t.terminal_seq,
          t.acquirer_id,
          t.merchant_id,
          t.occurred_at,
          t.tac,
          t.batch_no,
          t.line_id,
          t.station_id,
        );
        rows++;
      });
    }
  })();
  const ms = performance.now() - t0;
  db.close();
  return { ms, rows };
}

interface Run {
  ms: number;
  /** Seconds into the run at which each step began, from the batch's progress lines. */
  steps: Record<string, number>;
  peak_rss_mb: number;
  exit: number | null;
  summary: { records: Record<string, number>; cleared: { count: number } } | null;
}

/** Runs `lct batch` as a child, sampling its peak RSS (VmHWM) from /proc while it runs. */
function runNight(dir: string, date: string, inbox: string, db: string): Promise<Run> {
  return new Promise((resolve) => {
    const iso = `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`;
    const t0 = performance.now();
    const child = spawn(
      process.execPath,
      [
        LCT,
        'batch',
        '--date',
        iso,
        '--inbox',
        inbox,
        '--outbox',
        path.join(dir, 'outbox', date),
        '--db',
        db,
        '--config',
        path.join(dir, 'participants.json'),
        '--keys',
        path.join(dir, 'keys.json'),
        '--json',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LCT_NOW: `${date}235959` } },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    let hwm = 0;
    child.stdout.on('data', (d) => (out += d));
    const sample = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) hwm = Math.max(hwm, Number(m[1]));
      } catch {
        // the process has just ended
      }
    }, 25);
    child.on('exit', (code) => {
      clearInterval(sample);
      let summary: Run['summary'] = null;
      try {
        summary = JSON.parse(out);
      } catch {
        // reported below through the exit code
      }
      const steps: Record<string, number> = {};
      for (const m of err.matchAll(/^\[\s*([\d.]+) s\] (\w+)/gm)) steps[m[2]!] ??= Number(m[1]);
      if (code !== 0 && code !== 3) process.stderr.write(err);
      resolve({ ms: performance.now() - t0, steps, peak_rss_mb: hwm / 1024, exit: code, summary });
    });
  });
}

/** A full collection of this process's heap (node --expose-gc, as `npm run bench` runs it); nothing without the flag. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Waits until every file written so far is on disk (sync(1)). */
function settleDisk(): void {
  execFileSync('sync');
}

function sizeMb(db: string): number {
  return [db, `${db}-wal`].reduce((s, f) => s + (fs.existsSync(f) ? fs.statSync(f).size : 0), 0) / 2 ** 20;
}

async function main(): Promise<void> {
  const n = Number(arg('records', '1000000'));
  const nightCount = Number(arg('nights', '2'));
  const dir = path.resolve(arg('dir', 'bench-run'));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  console.log(`lct bench: ${n.toLocaleString('en')} records a night, ${nightCount} nights, in ${dir}`);

  let t0 = performance.now();
  const gen = generateUploadNight(dir, n, 'bench', { nights: nightCount });
  console.log(
    `generated ${nightCount} nights in ${((performance.now() - t0) / 1000).toFixed(1)} s (${gen.nights[0]!.files.length} files a night)`,
  );

  // The files are on disk before either is measured, as a night's files are long before
  // the batch: the kernel's writeback of the generated files (some 180 MB a million
  // records) would otherwise take the machine's time from whatever runs next.
  settleDisk();
  t0 = performance.now();
  const floor = floorInsert(path.join(dir, 'floor.db'), gen.nights[0]!.inbox_dir);
  const floorRate = floor.rows / (floor.ms / 1000);
  console.log(
    `floor: bare insert of ${floor.rows.toLocaleString('en')} rows (read from the files) in ${(floor.ms / 1000).toFixed(2)} s: ${Math.round(floorRate).toLocaleString('en')} rows/s`,
  );
  fs.rmSync(path.join(dir, 'floor.db'), { force: true });

  const db = path.join(dir, 'lct.db');
  const results: Record<string, unknown>[] = [];
  let sizeBefore = 0;
  for (const [i, night] of gen.nights.entries()) {
    // This process's own garbage (the generator's, the floor's million rows) is
    // collected now, not by V8's background threads while the night runs on the
    // machine's two cores.
    collectGarbage();
    settleDisk();
    const r = await runNight(dir, night.date, night.inbox_dir, db);
    if (r.exit !== 0 && r.exit !== 3) throw new Error(`lct batch for ${night.date} exited ${r.exit}`);
    const rate = n / (r.ms / 1000);
    const span = (from: string, to: string) => (r.steps[to] ?? 0) - (r.steps[from] ?? 0);
    const row = {
      night: i + 1,
      date: night.date,
      seconds: Number((r.ms / 1000).toFixed(2)),
      records_per_s: Math.round(rate),
      ratio_to_floor: Number((rate / floorRate).toFixed(2)),
      peak_rss_mb: Math.round(r.peak_rss_mb),
      store_mb_per_million: Number(((sizeMb(db) / ((i + 1) * n)) * 1e6).toFixed(0)),
      // What the night added to the store: a year of nights grows it by this much a million records.
      store_growth_mb_per_million: Number((((sizeMb(db) - sizeBefore) / n) * 1e6).toFixed(0)),
      import_s: Number(span('import', 'clear').toFixed(1)),
      clear_s: Number(span('clear', 'reconcile').toFixed(1)),
      reconcile_s: Number(span('reconcile', 'keys').toFixed(1)),
      // The close's last big step: tonight's card keys into the key runs.
      keys_s: Number(span('keys', 'close').toFixed(1)),
      close_s: Number(span('close', 'write').toFixed(1)),
      write_s: Number(span('write', 'done').toFixed(1)),
      reconcile_records_per_s: Math.round(n / Math.max(0.001, span('reconcile', 'keys'))),
      reconcile_share: Number((span('reconcile', 'keys') / (r.ms / 1000)).toFixed(2)),
      accepted: r.summary?.records.accepted,
      cleared: r.summary?.cleared.count,
    };
    sizeBefore = sizeMb(db);
    results.push(row);
    console.log(
      `night ${row.night} (${row.date}): ${row.seconds} s, ${row.records_per_s.toLocaleString('en')} records/s end to end, ` +
        `${row.ratio_to_floor} of the floor, peak RSS ${row.peak_rss_mb} MB, store ${row.store_mb_per_million} MB per million records ` +
        `(this night added ${row.store_growth_mb_per_million} MB a million)\n` +
        `  steps: import ${row.import_s} s, clear+post ${row.clear_s} s, reconcile ${row.reconcile_s} s (${Math.round(row.reconcile_share * 100)}% of the night, ` +
        `${row.reconcile_records_per_s.toLocaleString('en')} records/s), night's keys ${row.keys_s} s, summary+commit ${row.close_s} s, ` +
        `write ${row.write_s} s (with the checkpoint beside it)`,
    );
  }
  // The floor again, after the nights: the machine's speed drifts within a run, and a
  // night's ratio to the floor before and to the floor after bound what drift did.
  const after = floorInsert(path.join(dir, 'floor.db'), gen.nights[0]!.inbox_dir);
  const afterRate = after.rows / (after.ms / 1000);
  fs.rmSync(path.join(dir, 'floor.db'), { force: true });
  for (const row of results) row.ratio_to_floor_after = Number(((row.records_per_s as number) / afterRate).toFixed(2));
  console.log(
    `floor after the nights: ${(after.ms / 1000).toFixed(2)} s, ${Math.round(afterRate).toLocaleString('en')} rows/s ` +
      `(the nights' ratios to it: ${results.map((r) => r.ratio_to_floor_after).join(', ')})`,
  );
  console.log(
    JSON.stringify({ records: n, floor_rows_per_s: Math.round(floorRate), floor_after_rows_per_s: Math.round(afterRate), nights: results }),
  );
}

main().catch((err) => {
  console.error(`bench: ${(err as Error).message}`);
  process.exitCode = 1;
});
