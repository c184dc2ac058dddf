// Where the tests' data files are (test/data): found from the repository's root, the
// first folder above this file (src or dist) that holds package.json.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';

function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    assert.notEqual(up, dir, `no package.json above ${__dirname}`);
    dir = up;
  }
}

export const TEST_DATA = path.join(repoRoot(), 'test', 'data');
