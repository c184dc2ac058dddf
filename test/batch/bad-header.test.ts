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
import { loadConfig } from '../recon/support';
import { EXAMPLE_DIR } from '../spec-vectors';

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
