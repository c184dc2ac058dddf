// A national verdict is matched to our record by its INTEROP_RESULT's ref_file (the
// INTEROP_OUT it answers) and the verdict's index (docs/decisions.md, "National
// centre"); a verdict that answers a file we never wrote answers no record of ours:
// it is a REMOTE_ONLY item, and nothing is cleared on its word.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateScenario } from '../../fixtures/scenario';
import type { Verdict } from '../../src/core/types';
import { verdictOf } from '../../src/core/types';
import { openStore } from '../../src/store/db';
import { openItemsAt } from '../../src/store/recon-items';
import { interopOutName, loadConfig, readRecords, runNight, writeInteropResult } from './support';

test('a verdict whose ref_file names an INTEROP_OUT we never wrote is REMOTE_ONLY, not a match', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-recon-ref-'));
  try {
    const scenario = generateScenario(dir, { seed: 'ref-file', days: 2, records: 200, anomalies: false, broken_files: false });
    const [d1, d2] = scenario.days.map((d) => d.date) as [string, string];
    const cfg = loadConfig(dir);
    const store = openStore(path.join(dir, 'lct.db'));
    try {
      runNight(store, cfg, d1, path.join(dir, 'inbox', d1), path.join(dir, 'outbox', d1));
      const real = interopOutName(cfg, d1);
      const sent = readRecords(path.join(dir, 'outbox', d1, real), 'INTEROP_OUT').records;
      assert.ok(sent.length >= 2);
      const accept = (index: number): Verdict => {
        const r = sent[index]!;
        return verdictOf(index, r, r.amount_fen, 'ACCEPTED', '');
      };
      // Our day-1 INTEROP_OUT is _0001; these name a _0002, and one to another receiver.
      const neverWritten = [real.replace(/_0001\.pb$/, '_0002.pb'), real.replace(`_${cfg.national}_`, '_99999999_')];
      neverWritten.forEach((ref_file, k) => {
        writeInteropResult(path.join(dir, 'inbox', d2), cfg, d2, k + 1, ref_file, [accept(k)]);
      });
      runNight(store, cfg, d2, path.join(dir, 'inbox', d2), path.join(dir, 'outbox', d2));
      const rows = store
        .prepare(
          'SELECT export_idx, national_status, cleared_date FROM record_view WHERE exported_date = ? AND export_idx IN (0, 1) ORDER BY export_idx',
        )
        .all(d1);
      assert.deepEqual(
        rows,
        [
          { export_idx: 0, national_status: null, cleared_date: null },
          { export_idx: 1, national_status: null, cleared_date: null },
        ],
        'nothing cleared on the word of a verdict for a file we never sent',
      );
      const items = openItemsAt(store, d2, { kind: 'national' }).map((i) => [i.category, i.ref]);
      assert.deepEqual(items.sort(), neverWritten.map((f, k) => ['REMOTE_ONLY', `${f}#${k}`]).sort());
    } finally {
      store.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
