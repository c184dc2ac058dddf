// The import's second thread (src/machinery/validation-pipe.ts) must change nothing but
// the time: three nights of a synthetic city with anomalies (duplicates and key
// conflicts across nights, resends, late files, broken files, blacklisted cards) run
// once with the worker and once without, in two stores; after the first night the
// key filters are made too small, so that the second night's close grows them. Without
// the worker, the close also reads the night's keys back from the rows (not kept in memory). Every verdict must be the
// one the generator states, and the two stores and outboxes must be identical.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test, before } from 'node:test';
import { generateScenario, type ScenarioManifest } from '../../fixtures/scenario';
import { addDays } from '../../src/core/calendar';
import { openStore, type Db } from '../../src/store/db';
import { runBatch } from '../../src/batch/run';
import type { ParallelMode } from '../../src/batch/import-files';
import { loadConfig } from '../recon/support';
import { fileDigests, sha256Hex } from './model-support';
import crypto from 'node:crypto';
import { ValidationPipe } from '../../src/machinery/validation-pipe';
import { RING, UNKNOWN } from '../../src/machinery/ring';
import { KeyFilter } from '../../src/machinery/key-filter';
import { loadKeyFilters, saveKeyFilters } from '../../src/machinery/key-tables';
import { historyKeys } from '../store/history-keys';
import { EXAMPLE_DIR } from '../spec-vectors';
import { scanExchangeFile } from '../../src/files/reader';
import { encodeWithAnyHeader } from './loose-files';
import { listInbox } from '../../src/batch/inbox';
import { RECORD_FILE_BYTES } from '../../src/machinery/tonight';
import type { Transaction } from '../../src/core/types';
import type { FileContext } from '../../src/core/validate';
import { buildRegistry } from '../../src/core/registry';
import { TacKeyCache } from '../../src/core/tac';
import { CHUNK_RECORDS, InlineVerdicts, PipeVerdicts, type StatelessVerdicts } from '../../src/machinery/stateless-verdicts';

interface Truth {
  status: string;
  reason: string;
}

function storeDigests(db: Db): Record<string, string> {
  const out: Record<string, string> = {};
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
  for (const t of tables) {
    const rows = (db.prepare(`SELECT * FROM "${t}"`).raw().all() as unknown[][]).map((r) => JSON.stringify(r)).sort();
    out[t] = sha256Hex(Buffer.from(rows.join('\n')));
  }
  return out;
}

/** Replaces the saved filters by one-block filters holding the same keys (all "maybe", none missing). */
function shrinkFilters(db: Db): void {
  const small = (kind: 'card' | 'terminal') => {
    const f = new KeyFilter(new Int32Array(new SharedArrayBuffer(64)), 0);
    for (const [, k] of historyKeys(db, kind)) f.add(k);
    return f;
  };
  saveKeyFilters(db, { card: small('card'), terminal: small('terminal') });
  assert.equal(loadKeyFilters(db).card.hasRoomFor(1000), false);
}

describe('validation on a second thread', () => {
  let dir: string;
  let manifest: ScenarioManifest;
  const truth = new Map<string, Truth[]>();
  const runs = new Map<ParallelMode, { store: Record<string, string>; outbox: Record<string, string>; verdicts: Map<string, Truth[]> }>();

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-parallel-'));
    manifest = generateScenario(dir, {
      seed: 'parallel-test',
      days: 3,
      records: 3000,
      anomaly_rate: 0.02,
      max_records_per_file: 700,
      on_record: (file, index, _rec, status, reason) => {
        const key = `${file.late === true ? addDays(file.business_date, 1) : file.business_date}/${file.name}`;
        let list = truth.get(key);
        if (list === undefined) truth.set(key, (list = []));
        assert.equal(index, list.length);
        list.push({ status, reason });
      },
    });
    const cfg = loadConfig(dir);
    for (const mode of ['off', 'on'] as const) {
      // 'off' also reads each night's keys back from its rows at the close, where 'on'
      // keeps them from the import (a night of millions would): the key runs must not differ either.
      if (mode === 'off') process.env.LCT_KEY_COLUMNS_MAX = '0';
      else delete process.env.LCT_KEY_COLUMNS_MAX;
      const db = openStore(path.join(dir, `${mode}.db`));
      const outbox = path.join(dir, `outbox-${mode}`);
      for (const day of manifest.days) {
        const outcome = runBatch({
          db,
          participants: cfg.participants,
          keys: cfg.keys,
          date: day.date,
          inboxDir: path.join(dir, day.inbox_dir),
          outboxDir: path.join(outbox, day.date),
          now: () => `${addDays(day.date, 1)}013000`,
          progress: () => {},
          parallel: mode,
        });
        assert.equal(outcome.kind, 'done');
        // After the first night, filters too small for the next: the close must grow
        // them (the worker from history while the day closes, or the close itself).
        if (day === manifest.days[0]) shrinkFilters(db);
      }
      const verdicts = new Map<string, Truth[]>();
      const rows = db
        .prepare(
          `SELECT f.batch_date, f.name, r.verdict_status, r.verdict_reason FROM record_view r JOIN files f ON f.id = r.file_id
            WHERE f.kind = 'TXN_UPLOAD' ORDER BY r.id`,
        )
        .raw()
        .all() as [string, string, string, string][];
      for (const [batch, name, status, reason] of rows) {
        const key = `${batch}/${name}`;
        let list = verdicts.get(key);
        if (list === undefined) verdicts.set(key, (list = []));
        list.push({ status, reason });
      }
      runs.set(mode, { store: storeDigests(db), outbox: fileDigests(outbox), verdicts });
      db.close();
    }
    delete process.env.LCT_KEY_COLUMNS_MAX;
  });

  test('the scenario has what the worker must get right: history duplicates and conflicts, rejections of every stateless kind', () => {
    const reasons = new Set([...truth.values()].flat().map((t) => t.reason));
    for (const r of ['E01', 'E02', 'E03', 'E04', 'E05', 'E09', 'S01']) assert.ok(reasons.has(r), `the scenario has ${r} records`);
    // A duplicate of an earlier night's record is found through the worker's probe of the key tables.
    const kinds = new Set(manifest.days.flatMap((d) => d.anomalies.map((a) => a.kind)));
    assert.ok(kinds.has('E03_across_days'), 'a duplicate across nights');
  });

  test('with the worker, every record of every imported upload gets the verdict the generator states', () => {
    const got = runs.get('on')!.verdicts;
    assert.ok(got.size > 10, 'uploads were imported');
    for (const [key, verdicts] of got) {
      const want = truth.get(key);
      assert.ok(want, `${key}: the generator made it`);
      assert.deepEqual(
        verdicts.map((v) => `${v.status}/${v.reason}`),
        want.map((v) => (v.status === 'ACCEPTED' && v.reason !== '' ? `${v.status}/` : `${v.status}/${v.reason}`)),
        key,
      );
    }
  });

  test('the store and the outbox are identical with and without the worker', () => {
    const on = runs.get('on')!;
    const off = runs.get('off')!;
    assert.deepEqual(on.store, off.store);
    assert.deepEqual(on.outbox, off.outbox);
  });
});

/** A pipe on a fresh store, and two uploads of the worked example (a, b) with a digest of a file's bytes. */
function examplePipe(storePath?: string): {
  dir: string;
  db: Db;
  a: string;
  b: string;
  digest: (p: string) => string;
  pipe: ValidationPipe;
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-pipe-'));
  const cfg = loadConfig(EXAMPLE_DIR);
  const db = openStore(path.join(dir, 'lct.db'));
  const inbox = path.join(EXAMPLE_DIR, 'inbox', '20251230');
  return {
    dir,
    db,
    a: path.join(inbox, 'TXN_UPLOAD_41010101_41010000_20251230_0001.pb'),
    b: path.join(inbox, 'TXN_UPLOAD_41010101_41010000_20251230_0002.pb'),
    digest: (p: string) => crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex'),
    pipe: new ValidationPipe(cfg.participants, cfg.keys, storePath ?? db.name, loadKeyFilters(db)),
  };
}

test('the worker vouches only for the bytes it read: another file under the same name is caught', () => {
  const { db, a, b, digest, pipe } = examplePipe();
  try {
    pipe.begin({ kind: 'file', path: a });
    assert.notEqual(pipe.resultOf(0), UNKNOWN, 'the worker answers for the first record');
    assert.equal(pipe.sameFile(digest(a)), true, 'the same bytes');
    pipe.finish();
    pipe.begin({ kind: 'file', path: a });
    pipe.resultOf(0);
    assert.equal(pipe.sameFile(digest(b)), false, 'other bytes than the worker read');
    pipe.finish();
    pipe.begin({ kind: 'file', path: a });
    assert.equal(pipe.sameFile(digest(b)), true, 'no result taken: nothing to vouch for');
  } finally {
    pipe.close();
    db.close();
  }
});

interface Refusal {
  refusal_code: string;
  refusal_frame: number | null;
  refusal_detail: string;
}

/** The refusal of file `name` after one night of `inbox`, with the worker and without: they must agree. */
function refusalOnAndOff(dir: string, cfgDir: string, inbox: string, date: string, name: string): Refusal {
  const cfg = loadConfig(cfgDir);
  const refusals: Record<string, unknown> = {};
  for (const mode of ['on', 'off'] as const) {
    const db = openStore(path.join(dir, `${mode}.db`));
    try {
      const outcome = runBatch({
        db,
        participants: cfg.participants,
        keys: cfg.keys,
        date,
        inboxDir: inbox,
        outboxDir: path.join(dir, `outbox-${mode}`),
        now: () => `${addDays(date, 1)}013000`,
        progress: () => {},
        parallel: mode,
      });
      assert.equal(outcome.kind, 'done');
      refusals[mode] = db.prepare('SELECT refusal_code, refusal_frame, refusal_detail FROM files WHERE name = ?').get(name);
    } finally {
      db.close();
    }
  }
  assert.deepEqual(refusals.on, refusals.off);
  assert.ok(refusals.on !== undefined, `${name} is in the store`);
  return refusals.on as Refusal;
}

test("the worker's digest of the records is the Trailer's, given only for the bytes it read whole", () => {
  const { db, a, b, digest, pipe } = examplePipe();
  const recordsDigest = (p: string): string => scanExchangeFile(p).sha256_hex;
  try {
    pipe.begin({ kind: 'file', path: a });
    assert.equal(pipe.recordsDigest(digest(a)), recordsDigest(a), 'the records of a, as the main thread would hash them');
    pipe.finish();
    pipe.begin({ kind: 'file', path: a });
    assert.equal(pipe.recordsDigest(digest(b)), null, 'not for other bytes than it read');
    pipe.finish();
    assert.equal(pipe.recordsDigest(digest(a)), null, 'nor when no file is begun');
  } finally {
    pipe.close();
    db.close();
  }
});

test('a worker that cannot open the store fails its job: it vouches for nothing, and is not asked again', () => {
  const { db, a, digest, pipe } = examplePipe('/nonexistent/lct.db');
  try {
    pipe.begin({ kind: 'file', path: a });
    assert.equal(pipe.usable, true, 'not known yet');
    assert.equal(pipe.recordsDigest(digest(a)), null, 'no digest: the file is read again alone');
    assert.equal(pipe.usable, false, 'and the files after it are read on the main thread alone');
  } finally {
    pipe.close();
    db.close();
  }
});

test('a file the main thread judged whole while the worker was cold: the worker reads it to the end without waiting for room in the ring', () => {
  const { dir, db, a, pipe } = examplePipe();
  try {
    // More records than the ring holds, all judged on the main thread (cold) and released
    // while the worker gave none: it publishes their count only, and needs room all the same.
    const records: Transaction[] = [];
    const scan = scanExchangeFile(a, (r) => void records.push(r as Transaction));
    const many = Array.from({ length: RING + CHUNK_RECORDS }, (_, i) => records[i % records.length]!);
    const big = path.join(dir, path.basename(a));
    fs.writeFileSync(big, encodeWithAnyHeader(scan.header!, many));
    pipe.begin({ kind: 'file', path: big });
    pipe.judgedHere(many.length);
    pipe.release(many.length);
    const t0 = performance.now();
    const digest = pipe.recordsDigest(crypto.createHash('sha256').update(fs.readFileSync(big)).digest('hex'));
    assert.equal(digest, scanExchangeFile(big).sha256_hex);
    assert.ok(performance.now() - t0 < 20_000, `the worker ended the file in ${Math.round(performance.now() - t0)} ms`);
    assert.equal(pipe.usable, true);
  } finally {
    pipe.close();
    db.close();
  }
});

test("a Trailer whose digest is wrong is refused F02 alike with and without the worker, which digests the records in the main thread's place", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-digest-'));
  const inbox = path.join(dir, 'inbox');
  fs.cpSync(path.join(EXAMPLE_DIR, 'inbox', '20251230'), inbox, { recursive: true });
  // Upload 0002 with a Trailer whose digest is of no records; 0001 as it came.
  const name = 'TXN_UPLOAD_41010101_41010000_20251230_0002.pb';
  const records: Transaction[] = [];
  const scan = scanExchangeFile(path.join(inbox, name), (r) => records.push(r as Transaction));
  const wrong = new Uint8Array(32).fill(7);
  fs.writeFileSync(path.join(inbox, name), encodeWithAnyHeader(scan.header!, records, 'TXN_UPLOAD', { sha256: wrong }));
  const refused = refusalOnAndOff(dir, EXAMPLE_DIR, inbox, '20251230', name);
  assert.equal(refused.refusal_code, 'F02');
  assert.equal(refused.refusal_detail, `sha256 ${'07'.repeat(32)}, records hash to ${scan.sha256_hex}`);
});

/** Where each frame of an exchange file begins and ends (length prefix included). */
function frameSpans(bytes: Buffer): [number, number][] {
  const spans: [number, number][] = [];
  for (let pos = 0; pos < bytes.length; ) {
    let len = 0;
    let at = pos;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++]!;
      len += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    spans.push([pos, at + len]);
    pos = at + len;
  }
  return spans;
}

test('a record that does not decode in a field the main thread skips is refused F01 there, with or without the worker', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-part-'));
  const manifest = generateScenario(dir, { seed: 'read-in-part', days: 1, records: 30_000, max_records_per_file: 30_000, anomaly_rate: 0 });
  const inbox = path.join(dir, manifest.days[0]!.inbox_dir);
  // The last upload of several chunks in the night's order: the worker is warm by then.
  const uploads = listInbox(inbox, manifest.days[0]!.date).files.filter((f) => f.kind === 'TXN_UPLOAD');
  const { name: upload, path: file } = uploads.filter((f) => f.bytes > 2 * CHUNK_RECORDS * RECORD_FILE_BYTES).at(-1)!;
  assert.notEqual(upload, uploads[0]!.name, 'other files come first');
  const records: Transaction[] = [];
  scanExchangeFile(file, (r) => void records.push(r as Transaction));
  assert.ok(records.length > CHUNK_RECORDS + 200, `a file of more than a chunk (${records.length})`);
  // Late in the file (the worker warm by then): a TAC that is no UTF-8, which the
  // main thread does not decode while the worker judges; and after it a card number
  // that is no UTF-8 either, which the main thread decodes.
  const bytes = fs.readFileSync(file);
  const spans = frameSpans(bytes);
  const spoil = (index: number, tag: number, value: string): void => {
    const [from, to] = spans[index + 1]!; // frame 1 is the Header
    const at = bytes.indexOf(Buffer.concat([Buffer.from([tag, value.length]), Buffer.from(value)]), from);
    assert.ok(at > 0 && at < to, `record ${index}'s field is found`);
    bytes.fill(0xff, at + 2, at + 2 + value.length);
  };
  const tacAt = CHUNK_RECORDS + 10;
  spoil(tacAt, (14 << 3) | 2, records[tacAt]!.tac);
  spoil(tacAt + 100, (2 << 3) | 2, records[tacAt + 100]!.card_no);
  fs.writeFileSync(file, bytes);
  const got = refusalOnAndOff(dir, dir, inbox, manifest.days[0]!.date, upload);
  assert.equal(got.refusal_code, 'F01');
  assert.equal(got.refusal_frame, tacAt + 2, 'the first record that does not decode: the one whose TAC is spoilt');
  assert.match(got.refusal_detail, /Transaction\.tac/);
});

test('a file posted ahead is judged as if begun in its turn, and one not begun is dropped for the file that comes', () => {
  const { db, a, b, digest, pipe } = examplePipe();
  /** Every result of the current file, released as taken. */
  const results = (): number[] => {
    const out: number[] = [];
    for (let code = pipe.resultOf(0); code !== UNKNOWN; code = pipe.resultOf(out.length)) {
      out.push(code);
      pipe.release(out.length);
    }
    return out;
  };
  try {
    pipe.begin({ kind: 'file', path: b });
    const bAlone = results();
    assert.ok(bAlone.length > 0, 'the worker answers for b');
    pipe.begin({ kind: 'file', path: a });
    const aAlone = results();
    assert.ok(aAlone.length > 0, 'the worker answers for a');
    // a, with b posted ahead: b is read while a ends, and begun where it was read.
    pipe.begin({ kind: 'file', path: a }, b);
    assert.deepEqual(results(), aAlone);
    assert.equal(pipe.sameFile(digest(a)), true);
    pipe.begin({ kind: 'file', path: b }, b);
    assert.equal(pipe.begunAhead, 1, 'b was begun as posted ahead');
    assert.deepEqual(results(), bAlone, 'the file read ahead gives the results it gives alone');
    assert.equal(pipe.sameFile(digest(b)), true, 'and vouches for its own bytes');
    // b posted ahead again, but a comes first: b is dropped, a judged in its place.
    pipe.begin({ kind: 'file', path: a });
    assert.deepEqual(results(), aAlone, 'a, begun while b was posted ahead');
    assert.equal(pipe.sameFile(digest(a)), true, "a's digest, not b's");
    pipe.finish();
    assert.equal(pipe.begunAhead, 1, 'a was not taken for b');
    assert.equal(pipe.usable, true, 'nothing stalled');
  } finally {
    pipe.close();
    db.close();
  }
});

test('while the worker starts, the first chunks are judged on the main thread, and the worker skips them: the verdicts are the same', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-cold-'));
  const manifest = generateScenario(dir, {
    seed: 'cold-start',
    days: 1,
    records: 40_000,
    max_records_per_file: 40_000,
    anomaly_rate: 0.02,
  });
  const cfg = loadConfig(dir);
  const db = openStore(path.join(dir, 'lct.db'));
  const inbox = path.join(dir, manifest.days[0]!.inbox_dir);
  // The biggest upload of the night.
  const upload = fs
    .readdirSync(inbox)
    .filter((n) => n.startsWith('TXN_UPLOAD_'))
    .sort((a, b) => fs.statSync(path.join(inbox, b)).size - fs.statSync(path.join(inbox, a)).size)[0]!;
  const file = path.join(inbox, upload);
  const records: Transaction[] = [];
  let fileCtx: FileContext | null = null;
  scanExchangeFile(file, (r) => void records.push(r as Transaction), {
    onHeader: (h) => {
      fileCtx = { file_type: 'TXN_UPLOAD', sender_id: h.sender_id, business_date: h.business_date };
    },
  });
  assert.ok(records.length > CHUNK_RECORDS + 200, `a file of more than a chunk (${records.length})`);
  const rules = { registry: buildRegistry(cfg.participants), limits: cfg.participants.limits, tac: new TacKeyCache(cfg.keys) };
  const judged = (verdicts: StatelessVerdicts): string[] => {
    const out: string[] = [];
    verdicts.beginFile(file, fileCtx!);
    for (let from = 0; from < records.length; from += CHUNK_RECORDS) {
      const chunk = records.slice(from, from + CHUNK_RECORDS);
      const v = verdicts.judge(from, chunk, (i) => chunk[i]!);
      for (let i = 0; i < chunk.length; i++) out.push(JSON.stringify(v.rejected[i] ?? 'passed'));
      verdicts.release(from + chunk.length);
      // After the first chunk, time for the worker to start (this loop stores nothing: it outruns any worker).
      if (from === 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    }
    assert.equal(verdicts.sameFile(crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')), true);
    verdicts.endFile();
    return out;
  };
  const pipe = new ValidationPipe(cfg.participants, cfg.keys, db.name, loadKeyFilters(db));
  try {
    const piped = new PipeVerdicts(pipe, rules);
    const got = judged(piped); // begun at once: the worker is not up yet
    assert.ok(piped.judgedHere >= CHUNK_RECORDS, `the first chunk was judged here (${piped.judgedHere})`);
    assert.ok(piped.judgedHere < records.length, 'and the worker judged the rest');
    assert.deepEqual(got, judged(new InlineVerdicts(rules)));
    assert.ok(
      got.some((v) => v !== '"passed"'),
      'the file has rejections to agree on',
    );
  } finally {
    pipe.close();
    db.close();
  }
});
