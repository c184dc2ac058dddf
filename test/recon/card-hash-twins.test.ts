// Two cards whose identities hash alike share a card base: their records sit under
// the same keys in the key tables. The card-float walk reads a card's history from
// the records' rows (counter from the key, balances from the row), and reads the
// names from the kept bytes only when card_float holds two cards under the base: a
// late record of one card must walk that card's history alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { computeTac } from '../../src/core/tac';
import type { Transaction } from '../../src/core/types';
import { scanExchangeFile } from '../../src/files/reader';
import { writeExchangeFile } from '../../src/files/writer';
import { openStore } from '../../src/store/db';
import { cardBase } from '../../src/store/record-keys';
import { EXAMPLE_DIR } from '../spec-vectors';
import { loadConfig, runNight } from './support';

const cfg = loadConfig(EXAMPLE_DIR);
const D1 = '20251230';
const D2 = '20251231';
const ACQUIRER = '41010101';
const ISSUER = '41010001';
// Found by search: the two numbers' card hashes are equal (src/store/record-keys.ts).
const A = '41010001000000462389';
const B = '41010001000000679592';

/** A record of the worked example's first upload, as a template: its terminal and merchant are known. */
function template(): Transaction {
  let first: Transaction | undefined;
  scanExchangeFile(path.join(EXAMPLE_DIR, 'inbox', D1, `TXN_UPLOAD_${ACQUIRER}_${cfg.centre}_${D1}_0001.pb`), (r) => {
    const t = r as Transaction;
    if (first === undefined && t.issuer_id === ISSUER) first = t;
  });
  assert.ok(first, 'the example has a local record');
  return first;
}

/** The card's records at these counters, each spending 100 fen from `start`, with genuine TACs. */
function records(card_no: string, seqs: number[], start: number, terminalSeq: number): Transaction[] {
  const t = template();
  const key = cfg.keys.tac_master_keys.get(ISSUER)!;
  return seqs.map((seq, i) => {
    const before = start - 100 * (seq - 1);
    const r: Transaction = {
      ...t,
      card_no,
      card_seq: seq,
      amount_fen: 100,
      balance_before_fen: before,
      balance_after_fen: before - 100,
      terminal_seq: terminalSeq + i,
      tac: '',
    };
    return { ...r, tac: computeTac(key, r) };
  });
}

function upload(dir: string, D: string, business: string, seq: number, recs: Transaction[]): void {
  fs.mkdirSync(dir, { recursive: true });
  writeExchangeFile(
    path.join(dir, `TXN_UPLOAD_${ACQUIRER}_${cfg.centre}_${business}_${String(seq).padStart(4, '0')}.pb`),
    {
      format_version: 1,
      file_type: 'TXN_UPLOAD',
      sender_id: ACQUIRER,
      receiver_id: cfg.centre,
      business_date: business,
      file_seq: seq,
      created_at: `${D}235900`,
      ref_file: '',
      ref_reason: '',
    },
    recs,
  );
}

test('a late record of one of two cards that share a hash walks its own history, not its twin', () => {
  assert.equal(cardBase(ISSUER, A), cardBase(ISSUER, B), 'the two cards share a base');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-twins-'));
  try {
    // Night 1: card A's counters 1, 2, 4 (3 is late: a gap), card B's 1..3 with other balances.
    upload(path.join(dir, 'inbox', D1), D1, D1, 1, [...records(A, [1, 2, 4], 10_000, 500), ...records(B, [1, 2, 3], 55_500, 600)]);
    // Night 2: A's counter 3 arrives, late, in a second file of day 1.
    upload(path.join(dir, 'inbox', D2), D2, D1, 2, records(A, [3], 10_000, 503));
    const db = openStore(path.join(dir, 'lct.db'));
    try {
      const floatItems = () =>
        db.prepare("SELECT id FROM recon_items WHERE kind = 'float' AND closed_date IS NULL ORDER BY id").pluck().all() as string[];
      const s1 = runNight(db, cfg, D1, path.join(dir, 'inbox', D1), path.join(dir, 'outbox', D1));
      assert.equal(s1.records.accepted, 6);
      assert.deepEqual(floatItems(), [`float:SEQ_GAP:${ISSUER}/${A}:3-3`], 'night 1: A misses counter 3; B is whole');
      assert.equal(db.prepare('SELECT COUNT(*) FROM card_float WHERE card_base = ?').pluck().get(cardBase(ISSUER, A)), 2);
      const s2 = runNight(db, cfg, D2, path.join(dir, 'inbox', D2), path.join(dir, 'outbox', D2));
      assert.equal(s2.records.accepted, 1);
      // Had B's records joined A's walk, A would show breaks and duplicates at B's counters.
      assert.deepEqual(floatItems(), [], "night 2: the late counter closes A's gap, and nothing of B is in A's walk");
      const float = db
        .prepare('SELECT card_no, first_seq, last_seq, movement_fen FROM card_float WHERE card_base = ? ORDER BY card_no')
        .all(cardBase(ISSUER, A));
      assert.deepEqual(float, [
        { card_no: A, first_seq: 1, last_seq: 4, movement_fen: -400 },
        { card_no: B, first_seq: 1, last_seq: 3, movement_fen: -300 },
      ]);
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
