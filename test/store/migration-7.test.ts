// Migration 7 (narrow records, each file's records kept as bytes) on a store written
// by the code before it: test/data/store-before-7.db, three nights of the demo made by
// commit 6e92415 (test/data/store-before-7.md says how). The old wide rows are read
// from a copy first, with better-sqlite3 directly; then the copy is opened with
// openStore, which migrates it, and every record must read back as it was: its 17
// fields from the kept bytes, its verdict, status, clearing and interop columns from
// record_view. `record explain` of a few records must tell the same story as the old
// code told (test/data/store-before-7.explain.json, written by 6e92415's explainRecord).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { TRANSACTION_FIELDS, type Transaction } from '../../src/core/types';
import { explainRecord } from '../../src/inquiry/inquiries';
import { openStore, type Db } from '../../src/store/db';
import { KeptRecords, readRecord } from '../../src/store/kept-files';
import { MIGRATIONS } from '../../src/store/migrations';
import { TEST_DATA } from './test-data';

const STORE = path.join(TEST_DATA, 'store-before-7.db');
const STORIES = path.join(TEST_DATA, 'store-before-7.explain.json');

/** The columns record_view shows as the old table had them. */
const VIEW_COLUMNS = [
  'id',
  'file_id',
  'idx',
  'source',
  'card_key',
  'terminal_key',
  'txn_type',
  'amount_fen',
  'acquirer_id',
  'merchant_id',
  'local',
  'verdict_status',
  'verdict_reason',
  'verdict_detail',
  'status',
  'reason',
  'blacklisted_load',
  'cleared_date',
  'suspense_date',
  'exported_date',
  'export_idx',
  'national_status',
  'national_reason',
  'national_file_id',
  'national_date',
] as const;

/** Columns of the old table that the narrow one no longer has (by these names). */
const GONE_COLUMNS = [
  'source',
  'issuer_id',
  'card_no',
  'card_type',
  'card_seq',
  'terminal_id',
  'terminal_seq',
  'acquirer_id',
  'merchant_id',
  'occurred_at',
  'tac',
  'batch_no',
  'line_id',
  'station_id',
  'verdict_status',
  'status',
];

type Row = Record<string, unknown> & { id: number; file_id: number; idx: number };

let dir = '';
let db: Db;
/** Every wide row of the old store, by id (all its columns). */
const old = new Map<number, Row>();
/** The old files table's ids, and which of them brought records. */
let oldFileIds: number[] = [];
let fileIdsWithRecords = new Set<number>();
let versionBefore = 0;

function fieldsOf(row: Row): Transaction {
  return Object.fromEntries(TRANSACTION_FIELDS.map((k) => [k, row[k]])) as unknown as Transaction;
}

/** Fails with every difference found (up to 20 shown), not the first only. */
function noDifferences(what: string, diffs: string[]): void {
  assert.equal(diffs.length, 0, `${what}: ${diffs.length} difference(s):\n${diffs.slice(0, 20).join('\n')}`);
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-migration-7-'));
  const copy = path.join(dir, 'lct.db');
  fs.copyFileSync(STORE, copy);
  const raw = new Database(copy);
  try {
    versionBefore = raw.pragma('user_version', { simple: true }) as number;
    for (const r of raw.prepare('SELECT * FROM records ORDER BY id').all() as Row[]) old.set(r.id, r);
    oldFileIds = raw.prepare('SELECT id FROM files ORDER BY id').pluck().all() as number[];
    fileIdsWithRecords = new Set(raw.prepare('SELECT DISTINCT file_id FROM records').pluck().all() as number[]);
  } finally {
    raw.close();
  }
  db = openStore(copy);
});

after(() => {
  db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the store was written before migration 7, with a bit of everything', () => {
  assert.equal(versionBefore, 6);
  assert.ok(old.size > 1000, `${old.size} records`);
  const rows = [...old.values()];
  const some = (what: string, p: (r: Row) => boolean) => assert.ok(rows.some(p), `the old store has no ${what}`);
  some('INTEROP_IN record', (r) => r.source === 'INTEROP_IN');
  some('accepted record', (r) => r.status === 'ACCEPTED');
  some('suspended record', (r) => r.status === 'SUSPENDED');
  some('released record', (r) => r.verdict_status === 'SUSPENDED' && r.status === 'ACCEPTED');
  some('blacklisted load', (r) => r.blacklisted_load === 1);
  for (const reason of ['E01', 'E02', 'E03', 'E04', 'E05', 'E06', 'E07', 'E08', 'E09'])
    some(`${reason} rejection`, (r) => r.verdict_reason === reason);
  some('record exported and not answered', (r) => r.exported_date !== null && r.national_status === null);
  for (const answer of ['ACCEPTED', 'REJECTED', 'AMOUNT_MISMATCH']) some(`national ${answer}`, (r) => r.national_status === answer);
  some('PENDING_INTEROP rejected by the national centre', (r) => r.verdict_status === 'PENDING_INTEROP' && r.status === 'REJECTED');
});

test('migration 7 brings the store to the last version and keeps every record id', () => {
  assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  const ids = db.prepare('SELECT id FROM records ORDER BY id').pluck().all() as number[];
  assert.equal(ids.length, old.size);
  assert.deepEqual(ids, [...old.keys()]);
  assert.deepEqual(db.prepare('SELECT id FROM files ORDER BY id').pluck().all(), oldFileIds, 'no file row is lost or added');
});

test('every record reads back with the 17 fields of its old row', () => {
  const kept = new KeptRecords(db);
  const diffs: string[] = [];
  for (const [id, row] of old) {
    const want = fieldsOf(row);
    const got = readRecord(db, kept, id);
    if (got === undefined) {
      diffs.push(`record ${id}: readRecord finds nothing`);
      continue;
    }
    for (const k of TRANSACTION_FIELDS) {
      if (!Object.is(got[k], want[k]))
        diffs.push(`record ${id} (file ${row.file_id} #${row.idx}): ${k} ${JSON.stringify(got[k])}, was ${JSON.stringify(want[k])}`);
    }
    const extra = Object.keys(got).filter((k) => !(TRANSACTION_FIELDS as readonly string[]).includes(k));
    if (extra.length > 0) diffs.push(`record ${id}: readRecord gives more than the Transaction's fields: ${extra.join(', ')}`);
  }
  noDifferences('readRecord against the old rows', diffs);
  // And deep-equal, as a whole, for every record (the loop above says where it differs).
  for (const [id, row] of old) assert.deepEqual(readRecord(db, kept, id), fieldsOf(row), `record ${id}`);
});

test("each file's kept records, read in order, are its old rows' fields", () => {
  const kept = new KeptRecords(db);
  const byFile = new Map<number, Row[]>();
  for (const row of old.values()) {
    const list = byFile.get(row.file_id) ?? [];
    list.push(row);
    byFile.set(row.file_id, list);
  }
  const diffs: string[] = [];
  for (const [fileId, rows] of byFile) {
    rows.sort((a, b) => a.idx - b.idx);
    assert.deepEqual(
      rows.map((r) => r.idx),
      rows.map((_, i) => i),
      `file ${fileId}'s records are numbered 0..n-1`,
    );
    const got = [...kept.range(fileId, 0, rows.length - 1)];
    if (got.length !== rows.length) diffs.push(`file ${fileId}: ${got.length} record(s) read back, ${rows.length} before`);
    for (const [i, t] of got.entries()) {
      const want = fieldsOf(rows[i]!);
      for (const k of TRANSACTION_FIELDS) {
        if (!Object.is(t[k], want[k]))
          diffs.push(`file ${fileId} #${i} (record ${rows[i]!.id}): ${k} ${JSON.stringify(t[k])}, was ${JSON.stringify(want[k])}`);
      }
    }
    assert.equal(kept.get(fileId, rows.length), undefined, `file ${fileId} keeps no record past its last`);
  }
  noDifferences('KeptRecords.range against the old rows', diffs);
});

test("record_view shows every record's columns as the old table had them", () => {
  const view = db.prepare(`SELECT ${VIEW_COLUMNS.join(', ')} FROM record_view ORDER BY id`).all() as Row[];
  assert.equal(view.length, old.size, 'record_view has a row for every record');
  const diffs: string[] = [];
  for (const v of view) {
    const row = old.get(v.id);
    if (row === undefined) {
      diffs.push(`record_view has record ${v.id}, which the old store had not`);
      continue;
    }
    for (const c of VIEW_COLUMNS) {
      if (!Object.is(v[c], row[c])) diffs.push(`record ${v.id}: ${c} ${JSON.stringify(v[c])}, was ${JSON.stringify(row[c])}`);
    }
  }
  noDifferences('record_view against the old rows', diffs);
});

test("files that brought records keep them as 'RECORDS'; other files keep nothing", () => {
  const files = db.prepare('SELECT id, kept FROM files ORDER BY id').all() as { id: number; kept: string | null }[];
  const diffs = files
    .filter((f) => f.kept !== (fileIdsWithRecords.has(f.id) ? 'RECORDS' : null))
    .map((f) => `file ${f.id}: kept ${JSON.stringify(f.kept)}, ${fileIdsWithRecords.has(f.id) ? 'it brought records' : 'it brought none'}`);
  noDifferences('files.kept', diffs);
  assert.ok(fileIdsWithRecords.size > 0 && fileIdsWithRecords.size < files.length);
  const blocks = db.prepare('SELECT DISTINCT file_id FROM kept_blocks ORDER BY 1').pluck().all() as number[];
  assert.deepEqual(
    blocks,
    [...fileIdsWithRecords].sort((a, b) => a - b),
    'kept blocks exactly for the files that brought records',
  );
});

test('the old wide columns are gone from records', () => {
  assert.throws(() => db.prepare('SELECT card_no FROM records').all(), /no such column: card_no/);
  const columns = (db.prepare('PRAGMA table_info(records)').all() as { name: string }[]).map((c) => c.name);
  assert.deepEqual(
    GONE_COLUMNS.filter((c) => columns.includes(c)),
    [],
  );
  assert.equal(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'records_narrow'").pluck().get(), 0);
});

test('record explain tells the story the old code told', () => {
  const saved = JSON.parse(fs.readFileSync(STORIES, 'utf8')) as {
    national: string;
    stories: Record<string, { record: Record<string, unknown> }>;
  };
  const ids = Object.keys(saved.stories).map(Number);
  const rows = ids.map((id) => old.get(id)!);
  // The saved stories cover a suspended record, a rejected one (E09 with its conflict), an exported one.
  assert.ok(rows.some((r) => r.status === 'SUSPENDED'));
  assert.ok(rows.some((r) => r.verdict_reason === 'E09'));
  assert.ok(rows.some((r) => r.status === 'REJECTED'));
  assert.ok(rows.some((r) => r.exported_date !== null && r.national_status !== null));
  assert.ok(rows.some((r) => r.exported_date !== null && r.national_status === null));
  for (const id of ids) {
    const story = explainRecord(db, id, { national: saved.national });
    assert.deepEqual(story.record, { id, ...fieldsOf(old.get(id)!) }, `record ${id}: explain's record fields are the old row's`);
    // As JSON, as the saved story was written (a key whose value is undefined is no key there).
    assert.deepEqual(JSON.parse(JSON.stringify(story)), saved.stories[id], `record ${id}: explain's whole story is the old code's`);
  }
});
