// The copy of the spec's vectors in fixtures/spec must be the spec's own, byte for
// byte, wherever the spec itself is at hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { COPIED_VECTORS, ORIGINAL_VECTORS } from './spec-vectors';

function digests(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

test("the copied spec vectors are the spec's own", {
  skip: !fs.existsSync(ORIGINAL_VECTORS) && 'the spec is not beside this checkout',
}, () => {
  assert.deepEqual(digests(COPIED_VECTORS), digests(ORIGINAL_VECTORS));
});

test('the copied spec vectors are complete', () => {
  const d = digests(COPIED_VECTORS);
  assert.ok('tac.json' in d);
  assert.ok(Object.keys(d).filter((k) => k.startsWith('example/inbox/')).length > 50);
  assert.ok('example/expected/20251230.json' in d && 'example/expected/20251231.json' in d);
});
