// A TXN_UPLOAD whose header carries a business_date that is no date is refused whole
// (F05: no well-formed name can carry it), its records are never judged, and the
// night goes on. It used to stop the whole batch on an assertion.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src/store/db';
import { runBatch } from '../../src/batch/run';
import { spawnSync } from 'node:child_process';
import type { Transaction } from '../../src/core/types';
import { scanExchangeFile } from '../../src/files/reader';
import { loadConfig } from '../recon/support';
import { EXAMPLE_DIR } from '../spec-vectors';
import { encodeWithAnyHeader } from './loose-files';

const LCT = path.join(__dirname, '../../../bin/lct.js');

test('an upload whose business_date is no date is refused F05, and the batch closes the day', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-badheader-'));
  const cfg = loadConfig(EXAMPLE_DIR);
  // A real upload of the worked example, whose records pass every rule up to E06.
  const good = fs.readFileSync(path.join(EXAMPLE_DIR, 'inbox', '20251230', 'TXN_UPLOAD_41010101_41010000_20251230_0001.pb'));
  // The same bytes with the header's date made impossible (the digest no longer matches either).
  const at = good.indexOf(Buffer.from('20251230'));
  assert.ok(at > 0);
  const bad = Buffer.from(good);
  bad.write('20251200', at, 'latin1');
  const inbox = path.join(dir, 'inbox');
  fs.mkdirSync(inbox);
  const name = 'TXN_UPLOAD_41010101_41010000_20251200_0001.pb';
  fs.writeFileSync(path.join(inbox, name), bad);
  const db = openStore(path.join(dir, 'lct.db'));
  for (const parallel of ['off', 'on'] as const) {
    const D = parallel === 'off' ? '20251230' : '20251231';
    const outcome = runBatch({
      db,
      participants: cfg.participants,
      keys: cfg.keys,
      date: D,
      inboxDir: inbox,
      outboxDir: path.join(dir, 'out', D),
      now: () => `${D}235959`,
      progress: () => {},
      parallel,
    });
    assert.equal(outcome.kind, 'done');
    const row = db.prepare('SELECT outcome, refusal_code FROM files WHERE name = ? AND batch_date = ?').get(name, D) as {
      outcome: string;
      refusal_code: string;
    };
    assert.deepEqual(row, { outcome: 'REFUSED', refusal_code: 'F05' }, `with the worker ${parallel}`);
  }
  db.close();
});

// Issue 11, finding 1: an upload refused because its header's sender_id is 7 digits,
// under a well-formed name, is answered; naming that answer used to throw after the
// day had closed: exit 1, nothing in the outbox (no SETTLEMENT for the bank), and the
// same on every rerun and every later night, as refused files are judged again. Its
// TXN_ACK now goes to the sender the name gives, the night closes with its outbox,
// the refusal is listed, and the day reruns byte for byte.
test('an upload whose header sender is 7 digits is refused and answered by its name; the night and the next close', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-badsender-'));
  try {
    const name = 'TXN_UPLOAD_41010101_41010000_20251230_0001.pb';
    const records: Transaction[] = [];
    const scan = scanExchangeFile(path.join(EXAMPLE_DIR, 'inbox', '20251230', name), (r) => records.push(r as Transaction));
    assert.ok(scan.header && records.length > 0);
    const inbox = path.join(dir, 'inbox');
    fs.mkdirSync(inbox);
    fs.writeFileSync(path.join(inbox, name), encodeWithAnyHeader({ ...scan.header, sender_id: '4101010' }, records));
    const store = path.join(dir, 'lct.db');
    const run = (iso: string, outbox: string) =>
      spawnSync(
        process.execPath,
        [
          ...[LCT, 'batch', '--date', iso, '--inbox', inbox, '--outbox', outbox, '--json', '--db', store],
          ...['--config', path.join(EXAMPLE_DIR, 'participants.json'), '--keys', path.join(EXAMPLE_DIR, 'keys.json')],
        ],
        { encoding: 'utf8', env: { ...process.env, LCT_NOW: '20260101020000' } },
      );
    const names = (outbox: string) => fs.readdirSync(outbox).filter((n) => n.endsWith('.pb'));
    for (const [iso, D] of [
      ['2025-12-30', '20251230'],
      ['2025-12-31', '20251231'],
    ]) {
      const outbox = path.join(dir, 'out', D!);
      const r = run(iso!, outbox);
      assert.equal(r.status, 3, `night ${D}: ${r.stderr}`);
      assert.equal(r.stderr.includes('    at '), false, r.stderr);
      const summary = JSON.parse(r.stdout);
      assert.equal(summary.files.refused, 1);
      assert.equal(summary.refused_files.length, 1);
      assert.deepEqual(
        { ...summary.refused_files[0], detail: undefined },
        { file: name, sender: '41010101', code: 'F05', detail: undefined },
        `night ${D}: the refusal is named`,
      );
      const ack = `TXN_ACK_41010000_41010101_${D}_0001.pb`;
      assert.ok(names(outbox).includes(ack), `night ${D}: the refusal is answered to the name's sender: ${names(outbox)}`);
      const answer = scanExchangeFile(path.join(outbox, ack), () => {});
      assert.deepEqual([answer.header!.ref_file, answer.header!.ref_reason, answer.records], [name, 'F05', 0]);
      assert.ok(names(outbox).includes(`SETTLEMENT_41010000_10000001_${D}_0001.pb`), `night ${D}: the bank gets its SETTLEMENT`);
      assert.ok(fs.existsSync(path.join(outbox, 'reports', D!, 'report.txt')), `night ${D}: the reports are written`);
      // And the day runs again, byte for byte.
      const again = run(iso!, `${outbox}-again`);
      assert.equal(again.status, 3, again.stderr);
      assert.equal(again.stdout, r.stdout);
      for (const n of names(outbox)) {
        assert.ok(
          fs.readFileSync(path.join(outbox, n)).equals(fs.readFileSync(path.join(`${outbox}-again`, n))),
          `${n} rewritten byte for byte`,
        );
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
