// `npm run demo` (cli/demo.ts) as a child process, on small nights: before the last
// night the two operators correct (an adjustment settling the bank's wrong payment,
// the release of a suspended record), and the last night posts both, as the output
// shows and the store holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { openStore } from '../../src/store/db';

const DEMO = path.join(__dirname, '../../cli/demo.js');

test('the demo corrects between two nights, playing two operators, and the last night posts the corrections', { timeout: 120_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-demo-'));
  try {
    const r = spawnSync(process.execPath, [DEMO, dir], {
      encoding: 'utf8',
      env: { ...process.env, LCT_DEMO_NIGHTS: '4', LCT_DEMO_RECORDS: '500', LCT_DB: '', LCT_CONFIG: '' },
    });
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout;
    assert.match(out, /-- before the night of 2026-01-08: corrections, four eyes \(Li Wei proposes, Zhang Min approves\)/);
    assert.match(
      out,
      /\$ lct correct adjust --participant \d{8} --amount-fen -?\d+ --account expense:adjustments .*--by "Li Wei" --item "bank:AMOUNT_MISMATCH:/,
    );
    assert.match(out, /\$ lct correct release "TXN_UPLOAD_\S+#\d+" .*--by "Li Wei"/);
    assert.match(out, /approved C1: .*effective 2026-01-08/);
    assert.match(out, /approved C2: release .*effective 2026-01-08/);
    const night = out.slice(out.indexOf('== night of 2026-01-08'));
    assert.match(
      night,
      /correction posted: C1 adjustment of \d{8} by -?[\d,.]+ yuan against expense:adjustments, settles bank:AMOUNT_MISMATCH:\S+ \(proposed by Li Wei, approved by Zhang Min; entry 20260108\/adjust\/C1\)/,
    );
    assert.match(
      night,
      /correction posted: C2 release of TXN_UPLOAD_\S+: [\d,.]+ yuan to \d{8} out of suspense \(proposed by Li Wei, approved by Zhang Min; entry 20260108\/release\/C2\)/,
    );
    const db = openStore(path.join(dir, 'lct.db'), { readonly: true });
    try {
      assert.deepEqual(db.prepare('SELECT id, status, effective_date FROM corrections ORDER BY n').raw().all(), [
        ['C1', 'posted', '20260108'],
        ['C2', 'posted', '20260108'],
      ]);
      const item = db
        .prepare("SELECT closed_date, closed_by FROM recon_items WHERE id = (SELECT item_id FROM corrections WHERE id = 'C1')")
        .get();
      assert.deepEqual(item, { closed_date: '20260108', closed_by: 'Zhang Min' }, 'the bank item is settled');
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
