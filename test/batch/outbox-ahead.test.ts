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

  // The worker and the outbox claim the files one at a time from one counter: the
  // worker took the first `k` before the outbox came, or every other one after the
  // first (both were writing); the outbox takes what is left. Then the worker
  // reported its files, or failed (its report is empty, its files are temporaries the
  // outbox sweeps, and the outbox writes them all).
  const all = Array.from({ length: aheadCount }, (_, i) => i);
  const shares: [string, number[]][] = [
    ...[0, 1, aheadCount - 1, aheadCount].map((k): [string, number[]] => [`first ${k}`, all.slice(0, k)]),
    ['every other', all.filter((i) => i % 2 === 0)],
  ];
  for (const [[share, workers], failed] of shares.flatMap((s) => [[s, false] as const, [s, true] as const])) {
    const outboxDir = path.join(dir, 'outbox', `shared-${share.replace(' ', '-')}${failed ? '-failed' : ''}`);
    const mains = all.filter((i) => !workers.includes(i));
    const claim = (of: number[]) => () => of.shift() ?? 2 ** 30;
    const files = writeAhead(db, { date: day.date, producedAt: produced_at, ids, outboxDir }, () => false, claim([...workers]));
    assert.equal(files.length, workers.length);
    let took = 0;
    const mainClaims = claim(mains);
    writeOutbox(db, day.date, cfg.participants, ids, outboxDir, {
      take: () => {
        took++;
        return mainClaims();
      },
      written: () => {
        assert.equal(
          took,
          aheadCount - workers.length + 1,
          'the outbox claims the files left, one at a time, before it waits for the worker',
        );
        return new Map<string, WrittenAheadFile>(failed ? [] : files.map((f) => [f.name, f]));
      },
    });
    const shared = digests(outboxDir);
    assert.deepEqual(shared, whole, `the worker wrote ${share} of ${aheadCount}${failed ? ', then failed' : ''}`);
    assert.deepEqual(
      fs.readdirSync(outboxDir).filter((n) => /\.(?:tmp|ahead)-\d+$/.test(n)),
      [],
      'no temporary is left',
    );
  }
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
