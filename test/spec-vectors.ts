// Where the spec's vectors are. The external standard lives beside the project in
// ../shared/spec; a copy of its vectors is kept in fixtures/spec/vectors so that a
// checkout placed anywhere (CI) can run the tests. When the original is present the
// tests use it, and test/spec-copy.test.ts checks that the copy has not drifted.
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
export const ORIGINAL_VECTORS = path.join(ROOT, '..', 'shared', 'spec', 'vectors');
export const COPIED_VECTORS = path.join(ROOT, 'fixtures', 'spec', 'vectors');
export const SPEC_VECTORS = fs.existsSync(ORIGINAL_VECTORS) ? ORIGINAL_VECTORS : COPIED_VECTORS;
export const EXAMPLE_DIR = path.join(SPEC_VECTORS, 'example');
export const TAC_VECTORS = path.join(SPEC_VECTORS, 'tac.json');
