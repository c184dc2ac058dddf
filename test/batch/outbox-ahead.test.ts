// The files written ahead, shared out (src/batch/outbox.ts, NEXT_AHEAD): whichever
// of the TXN_ACKs and INTEROP_IN_RESULTs the worker wrote before the outbox took the
// rest, the outbox holds the same files, byte for byte, as when the outbox wrote them
// all, and no temporary is left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateScenario } from '../../fixtures/scenario';
import { openStore } from '../../src/store/db';
import { idsOf } from '../../src/batch/run';
import { writeOutbox } from '../../src/batch/outbox';
import { writeAhead, type WrittenAheadFile } from '../../src/machinery/written-ahead';
import { planOutbox, writableBeforeClose } from '../../src/store/outbox-plan';
import { loadConfig, runNight } from '../recon/support';
import { sha256Hex } from './model-support';

function digests(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (fs.statSync(p).isFile()) out[name] = sha256Hex(fs.readFileSync(p));
  }
  return out;
}

test('whichever files the worker wrote ahead, and whether it then failed, the outbox is the same', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-ahead-'));
  const manifest = generateScenario(dir, { seed: 'ahead', days: 1, records: 600 });
  const cfg = loadConfig(dir);
  const db = openStore(path.join(dir, 'lct.db'));
  const day = manifest.days[0]!;
  runNight(db, cfg, day.date, path.join(dir, day.inbox_dir), path.join(dir, 'outbox', 'whole'));
  const ids = idsOf(cfg.participants);
  const { produced_at } = db.prepare('SELECT produced_at FROM days WHERE date = ?').get(day.date) as { produced_at: string };
  const aheadCount = planOutbox(db, { date: day.date, produced_at }, ids).filter(writableBeforeClose).length;
  assert.ok(aheadCount >= 3, `the day answers several files (${aheadCount})`);
  const whole = digests(path.join(dir, 'outbox', 'whole'));

  // The worker wrote the first `k` files (in its claims' order) before the outbox took
  // the rest; then it reported them, or failed (its report is empty, its files are
  // temporaries the outbox sweeps, and the outbox writes them all).
  for (const [k, failed] of [0, 1, aheadCount - 1, aheadCount].flatMap((k) => [[k, false] as const, [k, true] as const])) {
    const outboxDir = path.join(dir, 'outbox', `shared-${k}${failed ? '-failed' : ''}`);
    let claims = 0;
    const files = writeAhead(
      db,
      { date: day.date, producedAt: produced_at, ids, outboxDir },
      () => false,
      () => (claims < k ? claims++ : 2 ** 30),
    );
    assert.equal(files.length, k);
    let taken = false;
    writeOutbox(db, day.date, cfg.participants, ids, outboxDir, {
      takeRest: () => {
        taken = true;
        return k;
      },
      written: () => {
        assert.ok(taken, 'the outbox takes the rest before it waits for the worker');
        return new Map<string, WrittenAheadFile>(failed ? [] : files.map((f) => [f.name, f]));
      },
    });
    const shared = digests(outboxDir);
    assert.deepEqual(shared, whole, `the worker wrote ${k} of ${aheadCount}${failed ? ', then failed' : ''}`);
    assert.deepEqual(
      fs.readdirSync(outboxDir).filter((n) => /\.(?:tmp|ahead)-\d+$/.test(n)),
      [],
      'no temporary is left',
    );
  }
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
