// The night's in-memory state, checked against plain models: tonight's key tables
// (night-keys.ts), the card runs (night-cards.ts), the blacklist filter
// (card-blacklist.ts), and the filter over history's keys (key-filter.ts, saved by
// key-tables.ts).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { NightKeys } from '../../src/machinery/night-keys';
import { NightCards } from '../../src/machinery/night-cards';
import { CardBlacklist } from '../../src/machinery/card-blacklist';
import { cardKey } from '../../src/store/record-keys';
import type { BlacklistEntry } from '../../src/core/types';
import { KeyFilter } from '../../src/machinery/key-filter';
import { loadKeyFilters, saveKeyFilters } from '../../src/machinery/key-tables';
import { openStore } from '../../src/store/db';
import { appendRuns, sortPairs } from '../../src/store/key-runs';

const found = (keys: NightKeys, which: 'byCard' | 'byTerminal', key: number): number[] => {
  const ids: number[] = [];
  keys[which].find(key, (id) => void ids.push(id));
  return ids.sort((a, b) => a - b);
};

test("property: night keys find every id holding a key, none other, keep every record's key in id order, and forget a rolled-back file", () => {
  // Few distinct keys, so that keys repeat; the tables start small, so that they grow.
  const op = fc.oneof(
    fc.record({
      kind: fc.constant('add' as const),
      card: fc.integer({ min: 0, max: 40 }),
      terminal: fc.integer({ min: 0, max: 40 }),
      holds: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('rollback' as const), back: fc.integer({ min: 0, max: 30 }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 3000 }), fc.integer({ min: 1, max: 2 ** 40 }), (ops, base) => {
      const keys = new NightKeys(base, 4);
      const model: { id: number; card: number; terminal: number; holds: boolean }[] = [];
      let next = base;
      const big = 2 ** 47; // keys near the top of the range, as real card keys are
      for (const o of ops) {
        if (o.kind === 'add') {
          keys.add(next, big + o.card, o.terminal, o.holds);
          model.push({ id: next++, card: big + o.card, terminal: o.terminal, holds: o.holds });
        } else {
          // A refused file gives its ids back; the next file reuses them.
          const from = Math.max(base, next - o.back);
          keys.forgetFrom(from);
          while (model.length > 0 && model[model.length - 1]!.id >= from) model.pop();
          next = from;
        }
      }
      for (let k = 0; k <= 40; k++) {
        assert.deepEqual(
          found(keys, 'byCard', big + k),
          model.filter((m) => m.holds && m.card === big + k).map((m) => m.id),
        );
        assert.deepEqual(
          found(keys, 'byTerminal', k),
          model.filter((m) => m.holds && m.terminal === k).map((m) => m.id),
        );
      }
      // Every record's keys, held or not, in id order: what the close writes as the night's runs.
      assert.equal(keys.size, model.filter((m) => m.holds).length);
      const held: number[] = [];
      keys.byCard.forEachKey((k) => void held.push(k));
      assert.deepEqual(
        held,
        model.filter((m) => m.holds).map((m) => m.card),
      );
      assert.deepEqual(keys.byCard.column(), { first_id: base, keys: new Float64Array(model.map((m) => m.card)) });
      assert.deepEqual(keys.byTerminal.column(), { first_id: base, keys: new Float64Array(model.map((m) => m.terminal)) });
    }),
    { numRuns: 60 },
  );
});

test("property: night cards group each card's runs in append order, keep cards that share a hash apart, and forget a rolled-back file", () => {
  const rec = fc.record({
    card: fc.integer({ min: 0, max: 30 }),
    seq: fc.integer({ min: 1, max: 60000 }),
    before: fc.integer({ min: -1000, max: 100000 }),
  });
  fc.assert(
    fc.property(fc.array(rec, { maxLength: 2000 }), fc.nat(2000), (recs, cut) => {
      const cards = new NightCards();
      const model = new Map<string, number[]>();
      const all: { id: number; name: string; issuer: string; card_no: string; seq: number; before: number }[] = [];
      recs.forEach((r, i) => {
        const issuer = r.card % 2 === 0 ? '41010000' : '41020000';
        // Card 30 has a name of another shape (kept as a string); the rest are 20 digits.
        const card_no = r.card === 30 ? 'odd-card-number' : `1000000000000000${String(r.card).padStart(4, '0')}`;
        // Cards 0-9 all share one hash: only their names tell them apart.
        const key = r.card < 10 ? 12345 * 65536 + r.seq : cardKey(issuer, card_no, r.seq);
        all.push({ id: 100 + i, name: `${issuer}/${card_no}`, issuer, card_no, seq: r.seq, before: r.before });
        cards.append(issuer, card_no, key, 100 + i, r.seq, r.before, r.before - 1);
      });
      const from = 100 + Math.min(cut, recs.length);
      cards.forgetFrom(from);
      for (const a of all.filter((a) => a.id < from)) {
        const flat = model.get(a.name) ?? [];
        flat.push(a.id, a.seq, a.before, a.before - 1);
        model.set(a.name, flat);
      }
      const got = new Map([...cards.cards()].map(([issuer, card_no, flat]) => [`${issuer}/${card_no}`, flat]));
      assert.deepEqual(got, model);
      assert.equal(cards.firstId, from > 100 ? 100 : null);
    }),
    { numRuns: 80 },
  );
});

test('the blacklist filter answers every listed card and nothing for others', () => {
  const entry = (card_no: string): BlacklistEntry => ({
    issuer_id: '41010000',
    card_no,
    action: 1,
    effective_at: '20260101000000',
    reason: 'lost',
  });
  const listed = Array.from({ length: 500 }, (_, i) => `1000000000000${String(i * 7).padStart(7, '0')}`);
  const byCard = new Map(listed.map((c) => [`41010000|${c}`, [entry(c)]]));
  const blacklist = new CardBlacklist(byCard);
  for (const c of listed) assert.deepEqual(blacklist.of('41010000', c, cardKey('41010000', c, 3)), [entry(c)], c);
  let none = 0;
  for (let i = 0; i < 20000; i++) {
    const c = `2000000000000${String(i).padStart(7, '0')}`;
    assert.equal(blacklist.of('41010000', c, cardKey('41010000', c, 1)), undefined);
    none++;
  }
  assert.equal(none, 20000);
  // A listed card's name under another issuer is another card.
  assert.equal(blacklist.of('41020000', listed[0]!, cardKey('41020000', listed[0]!, 1)), undefined);
});

test('property: the key filter never says no for a key it took, and its bits survive a save', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 53 - 1 }), { maxLength: 3000 }), (keys) => {
      const filter = KeyFilter.sized(keys.length);
      for (const k of keys) filter.add(k);
      for (const k of keys) assert.ok(filter.mayHave(k), `key ${k}`);
      const again = KeyFilter.fromBytes(filter.bytes(), filter.keys);
      assert.equal(again.keys, keys.length);
      for (const k of keys) assert.ok(again.mayHave(k));
    }),
    { numRuns: 50 },
  );
});

test('the key filter says maybe for few keys it never took, at its sized load', () => {
  const n = 200_000;
  const filter = KeyFilter.sized(n);
  // Fill it to its rated capacity, with keys shaped like card keys.
  let taken = 0;
  for (let i = 0; filter.hasRoomFor(1); i++, taken++) filter.add(cardKey('41010000', `1000${String(i).padStart(16, '0')}`, 1 + (i % 500)));
  assert.ok(taken >= n, `room for at least ${n} keys (took ${taken})`);
  let maybe = 0;
  const trials = 200_000;
  for (let i = 0; i < trials; i++) if (filter.mayHave(cardKey('41020000', `2000${String(i).padStart(16, '0')}`, 7))) maybe++;
  assert.ok(maybe / trials < 0.01, `false "maybe" rate ${maybe / trials}`);
});

test('a filter built from the key runs has every key, and loads back as saved', () => {
  const db = openStore(':memory:');
  // Every night's runs are a day's (the close of that day made them).
  for (const d of ['20260101', '20260102', '20260103']) db.prepare("INSERT INTO days (date, status) VALUES (?, 'CLOSED')").run(d);
  const keys = Array.from({ length: 5000 }, (_, i) => cardKey('41010000', `card${i}`, 1 + (i % 9)));
  for (let night = 0; night < 3; night++) {
    const mine = keys.map((k, i) => [k, i + 1] as const).filter(([, id]) => (id - 1) % 3 === night);
    const sortedKeys = Float64Array.from(mine, (p) => p[0]);
    const ids = Float64Array.from(mine, (p) => p[1]);
    sortPairs(sortedKeys, ids, mine.length);
    appendRuns(db, 'card', 20260101 + night, sortedKeys, ids, mine.length);
  }
  appendRuns(db, 'terminal', 20260101, [2 ** 32 + 5], [1], 1);
  const built = loadKeyFilters(db); // nothing saved yet: built from the runs
  assert.equal(built.card.keys, keys.length);
  for (const k of keys) assert.ok(built.card.mayHave(k));
  assert.ok(built.terminal.mayHave(2 ** 32 + 5));
  saveKeyFilters(db, built);
  db.exec('DELETE FROM key_runs'); // the saved bits are what loads now, not the runs
  const loaded = loadKeyFilters(db);
  assert.equal(loaded.card.keys, keys.length);
  assert.deepEqual(loaded.card.bytes(), built.card.bytes());
  db.close();
});

test("the night tables refuse ids that do not rise, and a rollback after the interrupted run's records were read back", () => {
  const keys = new NightKeys(100, 4);
  keys.add(100, 1, 1, true);
  keys.add(102, 2, 2, true);
  assert.throws(() => keys.add(101, 3, 3, true), /ids must rise/);
  assert.equal(keys.byCard.column(), null, 'a column with a hole (101) is not given');
  keys.forgetFrom(101); // a refused file gives 101 on back: the next file starts there
  keys.add(101, 3, 3, false);
  assert.deepEqual(keys.byCard.column(), { first_id: 100, keys: new Float64Array([1, 3]) });
  const cards = new NightCards();
  cards.append('41010000', '10000000000000000001', cardKey('41010000', '10000000000000000001', 1), 200, 1, 0, 0);
  assert.throws(
    () => cards.append('41010000', '10000000000000000001', cardKey('41010000', '10000000000000000001', 2), 200, 2, 0, 0),
    /ids must rise/,
  );
  assert.throws(
    () => cards.appendEarlier('41010000', '10000000000000000001', cardKey('41010000', '10000000000000000001', 2), 250, 2, 0, 0),
    /not of an earlier run/,
  );
  cards.appendEarlier('41010000', '10000000000000000001', cardKey('41010000', '10000000000000000001', 3), 150, 3, 0, 0);
  assert.throws(() => cards.forgetFrom(200), /after the read-back/);
  assert.deepEqual(
    [...cards.cards()].map(([, , runs]) => runs),
    [[200, 1, 0, 0, 150, 3, 0, 0]],
  );
});
