// The night's tables are sized before the import from the bytes of its files, at
// most RESERVED_RECORDS_MAX records: a file's size is only what it claims (a sparse
// 64 GB file once reserved some 470 million slots and stopped the night with "Array
// buffer allocation failed"); past the cap the tables grow as records arrive.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { NightCards } from '../../src/machinery/night-cards';
import { NightKeys } from '../../src/machinery/night-keys';
import { RECORD_FILE_BYTES, RESERVED_RECORDS_MAX, recordsToReserve } from '../../src/machinery/tonight';

test('records reserved: a record per 132 bytes, rounded up, at most 2^23 whatever the files claim', () => {
  assert.equal(RECORD_FILE_BYTES, 132);
  assert.equal(RESERVED_RECORDS_MAX, 1 << 23);
  assert.deepEqual([0, 1, 132, 133, 132 * 1_000_000].map(recordsToReserve), [0, 1, 1, 2, 1_000_000]);
  assert.equal(recordsToReserve(RECORD_FILE_BYTES * RESERVED_RECORDS_MAX + 1), RESERVED_RECORDS_MAX);
  assert.equal(recordsToReserve(64e9), RESERVED_RECORDS_MAX);
  assert.equal(recordsToReserve(2 ** 53), RESERVED_RECORDS_MAX);
});

test('tables reserved for the cap still take records past it: they grow', () => {
  const keys = new NightKeys(1, 4);
  keys.reserve(8);
  const cards = new NightCards();
  cards.reserve(8);
  for (let id = 1; id <= 5000; id++) {
    keys.add(id, 2 ** 47 + id, id, true);
    cards.append('41010000', String(id).padStart(20, '0'), (id + 1) * 65536, id, 1, 100, 50);
  }
  assert.equal(keys.size, 5000);
  let found = 0;
  keys.byCard.find(2 ** 47 + 4321, (id) => {
    found = id;
    return id;
  });
  assert.equal(found, 4321);
  assert.equal([...cards.cards()].length, 5000);
});
