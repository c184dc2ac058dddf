// The worker ring's result codes (src/machinery/ring.ts): every verdict the stateless
// rules can give travels through the ring unchanged; what cannot is UNKNOWN, and the
// main thread judges that record itself.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { TRANSACTION_FIELDS } from '../../src/core/types';
import type { RejectedVerdict } from '../../src/core/validate';
import {
  decodeResult,
  encodeRejection,
  HISTORY_CARD,
  HISTORY_TERMINAL,
  PASSED,
  STATELESS_REASONS,
  UNKNOWN,
} from '../../src/machinery/ring';

test('every stateless reason with every field, or none, round-trips, hints or not', () => {
  for (const reason of STATELESS_REASONS) {
    for (const field of [undefined, ...TRANSACTION_FIELDS]) {
      const v = { status: 'REJECTED', reason, field } as RejectedVerdict;
      const code = encodeRejection(v);
      assert.notEqual(code, UNKNOWN);
      assert.deepEqual(decodeResult(code), { status: 'REJECTED', reason, field });
    }
  }
  assert.equal(decodeResult(PASSED), undefined);
  assert.equal(decodeResult(PASSED | HISTORY_CARD | HISTORY_TERMINAL), undefined);
});

test('a verdict the ring cannot carry is UNKNOWN; a code no verdict makes is refused', () => {
  assert.equal(encodeRejection({ status: 'REJECTED', reason: 'E03' }), UNKNOWN);
  assert.equal(encodeRejection({ status: 'REJECTED', reason: 'E01', field: 'no_such_field' }), UNKNOWN);
  assert.throws(() => decodeResult(UNKNOWN), /no result encodes/);
  assert.throws(() => decodeResult(15 << 8), /reason 15/);
});
