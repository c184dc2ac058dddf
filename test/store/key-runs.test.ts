// History's keys as runs (src/store/key-runs.ts): whatever the keys (repeated, far
// apart, at 2^53's edge) and however the runs fall, a range read over every night
// finds exactly the (key, id) pairs stored in it, the radix sort orders as a
// comparison sort does, and equal keys never straddle two runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { MIGRATIONS, applyMigration } from '../../src/store/migrations';
import { appendRuns, cutRuns, entriesBetween, KeyRuns, type KeyRunRow, RUN_KEYS, sortPairs } from '../../src/store/key-runs';

function store(): Database.Database {
  const db = new Database(':memory:');
  for (let i = 0; i < MIGRATIONS.length; i++) applyMigration(db, i);
  return db;
}

/** Keys as a night has them: clustered (one card's counters, one terminal's numbers), repeated, or anywhere below 2^53. */
const keyArb = fc.oneof(
  fc.integer({ min: 0, max: 300 }),
  fc.integer({ min: 2 ** 32, max: 2 ** 32 + 200 }),
  fc.constantFrom(0, 2 ** 48 - 1, 2 ** 48, 2 ** 53 - 1),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);

/** A night: (key, id) pairs with distinct ids, in id order (as the close reads them). */
const nightArb = fc
  .oneof(
    fc.array(keyArb, { maxLength: 400 }),
    // Long streaks of one key: a run grows past RUN_KEYS rather than split them.
    fc.array(fc.constantFrom(5, 9, 2 ** 40), { minLength: 100, maxLength: 300 }),
  )
  .chain((keys) => fc.tuple(fc.constant(keys), fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 1, max: 1000 })))
  .map(([keys, base, step]) => keys.map((key, i) => [key, base + i * step] as [number, number]));

const byKeyThenId = (a: readonly [number, number], b: readonly [number, number]) => a[0] - b[0] || a[1] - b[1];

test('sortPairs orders as a comparison sort by key, then id', () => {
  fc.assert(
    fc.property(nightArb, (pairs) => {
      const keys = Float64Array.from(pairs, (p) => p[0]);
      const ids = Float64Array.from(pairs, (p) => p[1]);
      sortPairs(keys, ids, pairs.length);
      const expected = [...pairs].sort(byKeyThenId);
      assert.deepEqual(
        Array.from(keys),
        expected.map((p) => p[0]),
      );
      assert.deepEqual(
        Array.from(ids),
        expected.map((p) => p[1]),
      );
    }),
  );
});

test('runs keep equal keys together and hold at most RUN_KEYS otherwise', () => {
  fc.assert(
    fc.property(nightArb, (pairs) => {
      const sorted = [...pairs].sort(byKeyThenId);
      const runs: KeyRunRow[] = [];
      cutRuns(
        sorted.map((p) => p[0]),
        sorted.map((p) => p[1]),
        sorted.length,
        0,
        (r) => runs.push(r),
      );
      assert.equal(
        runs.reduce((n, r) => n + r.keys, 0),
        pairs.length,
      );
      for (let i = 0; i < runs.length; i++) {
        const r = runs[i]!;
        assert.ok(r.first_key <= r.last_key);
        if (i > 0) assert.ok(runs[i - 1]!.last_key < r.first_key, 'equal keys in one run, runs in key order');
        const keys: number[] = [];
        entriesBetween(r, r.first_key, r.last_key, (key) => keys.push(key));
        assert.equal(keys.length, r.keys);
        // Past RUN_KEYS, a run goes on only with the key it had reached.
        for (let k = RUN_KEYS; k < keys.length; k++) assert.equal(keys[k], keys[RUN_KEYS - 1]);
      }
    }),
  );
});

test('a range read over every night finds exactly the pairs stored in it', () => {
  fc.assert(
    fc.property(
      fc.array(nightArb, { minLength: 1, maxLength: 4 }),
      fc.array(fc.tuple(keyArb, fc.nat(5000)), { minLength: 1, maxLength: 20 }),
      (nights, ranges) => {
        const db = store();
        const all: [number, number, number][] = [];
        nights.forEach((pairs, n) => {
          const night = 20260101 + n;
          db.prepare("INSERT INTO days (date, status) VALUES (?, 'CLOSED')").run(String(night));
          // As the close gives them: offsets from the night's first id, in a Uint32Array.
          const first = Math.min(...pairs.map((p) => p[1]));
          const keys = Float64Array.from(pairs, (p) => p[0]);
          const offsets = Uint32Array.from(pairs, (p) => p[1] - first);
          sortPairs(keys, offsets, pairs.length);
          appendRuns(db, 'card', night, keys, offsets, pairs.length, first);
          for (const [key, id] of pairs) all.push([night, key, id]);
        });
        // The terminal kind is apart: the same keys under it are never found as card keys.
        appendRuns(db, 'terminal', 20260101, [1, 2, 3], [1, 2, 3], 3);
        const runs = new KeyRuns(db);
        // Ranges around stored keys (so that most find something), and single keys.
        const probes = ranges.flatMap(([key, width]) => [
          [key, Math.min(Number.MAX_SAFE_INTEGER, key + width)],
          [key, key],
        ]);
        for (const [lo, hi] of probes as [number, number][]) {
          const found: string[] = [];
          runs.between('card', lo, hi, (key, id) => found.push(`${key}:${id}`));
          const expected = all.filter(([, key]) => key >= lo && key <= hi).map(([, key, id]) => `${key}:${id}`);
          assert.deepEqual(found.sort(), expected.sort(), `keys ${lo}..${hi}`);
        }
        const stored = all.map(([, key]) => key);
        const someKeys = [...stored.slice(0, 10), 2 ** 53 - 2, 7];
        assert.deepEqual(
          runs.heldAmong('card', someKeys),
          [...new Set(someKeys)].filter((k) => stored.includes(k)),
        );
        const asked = new Set(someKeys);
        assert.deepEqual(
          runs.idsOf('card', [...asked]).sort((a, b) => a - b),
          all
            .filter(([, key]) => asked.has(key))
            .map(([, , id]) => id)
            .sort((a, b) => a - b),
        );
        assert.equal(runs.count('card'), all.length);
        db.close();
      },
    ),
    { numRuns: 60 },
  );
});

test('a night not in days is not history (its close never finished)', () => {
  const db = store();
  db.prepare("INSERT INTO days (date, status) VALUES ('20260101', 'CLOSED')").run();
  appendRuns(db, 'card', 20260101, [5], [1], 1);
  appendRuns(db, 'card', 20260102, [5], [2], 1);
  assert.deepEqual(new KeyRuns(db).idsOf('card', [5]), [1]);
  db.close();
});
