// A name carries file_seq in four digits: day D can send at most 9999 TXN_ACKs to one
// participant. A participant that sends more files than that in one night must not
// make the outbox impossible to plan after the day closed: the file whose answer
// would be the 10,000th waits in the inbox for the next night, and the night closes
// with its outbox.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBatch } from '../../src/batch/run';
import { MAX_FILE_SEQ } from '../../src/files/names';
import { openStore } from '../../src/store/db';
import { loadConfig } from '../recon/support';
import { EXAMPLE_DIR } from '../spec-vectors';

const TMP = process.env.LCT_TEST_TMP ?? (fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir());

test('the upload whose TXN_ACK would be the 10,000th to its sender tonight waits for the next night', { timeout: 120_000 }, () => {
  const dir = fs.mkdtempSync(path.join(TMP, 'lct-answer-room-'));
  const db = openStore(path.join(dir, 'lct.db'));
  try {
    const cfg = loadConfig(EXAMPLE_DIR);
    const D = '20251230';
    const sender = '41010101';
    // An interrupted run of D stored 9,998 refused uploads of the sender, each to be answered.
    db.prepare("INSERT INTO days (date, status) VALUES (?, 'OPEN')").run(D);
    const insert = db.prepare(
      `INSERT INTO files (batch_date, name, sha256, kind, sender_id, outcome, refusal_code, refusal_detail, answer_to)
       VALUES (?, ?, 'x', 'TXN_UPLOAD', ?, 'REFUSED', 'F01', 'no Header: the file is empty', ?)`,
    );
    db.transaction(() => {
      for (let i = 1; i <= MAX_FILE_SEQ - 1; i++)
        insert.run(D, `TXN_UPLOAD_${sender}_${cfg.centre}_20251001_${String(i).padStart(4, '0')}.pb`, sender, sender);
    })();
    // Tonight: two good uploads of the sender, and one of another acquirer.
    const inbox = path.join(dir, 'inbox');
    fs.mkdirSync(inbox);
    const upload = (who: string, seq: number) => `TXN_UPLOAD_${who}_${cfg.centre}_${D}_000${seq}.pb`;
    for (const name of [upload(sender, 1), upload(sender, 2), upload('41010102', 1)]) {
      fs.copyFileSync(path.join(EXAMPLE_DIR, 'inbox', D, name), path.join(inbox, name));
    }
    const progress: string[] = [];
    const run = (date: string) =>
      runBatch({
        db,
        participants: cfg.participants,
        keys: cfg.keys,
        date,
        inboxDir: inbox,
        outboxDir: path.join(dir, 'out', date),
        now: () => '20260101020000',
        progress: (m) => {
          if (typeof m === 'string') progress.push(m);
        },
      });
    const night = run(D);
    assert.equal(night.kind, 'done', night.kind === 'out_of_order' ? night.message : '');
    const outcomeOf = (name: string) => db.prepare('SELECT batch_date, outcome FROM files WHERE name = ?').all(name);
    assert.deepEqual(outcomeOf(upload(sender, 1)), [{ batch_date: D, outcome: 'IMPORTED' }], 'the 9,999th answer fits');
    assert.deepEqual(outcomeOf(upload(sender, 2)), [], 'the 10,000th waits: nothing of it is recorded');
    assert.deepEqual(outcomeOf(upload('41010102', 1)), [{ batch_date: D, outcome: 'IMPORTED' }], 'other senders are not held up');
    assert.ok(
      progress.some((m) => m.includes(`${upload(sender, 2)} waits for a later night`)),
      'the wait is told',
    );
    const acks = fs.readdirSync(path.join(dir, 'out', D)).filter((n) => n.startsWith(`TXN_ACK_${cfg.centre}_${sender}_`));
    assert.equal(acks.length, MAX_FILE_SEQ);
    assert.ok(acks.includes(`TXN_ACK_${cfg.centre}_${sender}_${D}_9999.pb`));
    assert.ok(fs.existsSync(path.join(dir, 'out', D, `SETTLEMENT_${cfg.centre}_${cfg.bank}_${D}_0001.pb`)));

    // The next night imports it, late, and answers it.
    const next = run('20251231');
    assert.equal(next.kind, 'done');
    assert.deepEqual(outcomeOf(upload(sender, 2)), [{ batch_date: '20251231', outcome: 'IMPORTED' }]);
    assert.ok(fs.existsSync(path.join(dir, 'out', '20251231', `TXN_ACK_${cfg.centre}_${sender}_20251231_0001.pb`)));
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
