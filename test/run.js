#!/usr/bin/env node
// Runs every compiled test file with node's own runner. Node 20's `node --test`
// does not expand globs, so the list is built here and its length printed: a
// missing file shows up as a smaller count, not as a silent pass.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', 'dist', 'test');
function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return walk(p);
    return e.name.endsWith('.test.js') ? [p] : [];
  });
}
const filter = process.argv.slice(2);
const files = walk(root)
  .filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('test/run.js: no test files found under dist/test (did tsc run?)');
  process.exit(1);
}
console.error(`test/run.js: ${files.length} test files`);
// Every record an import stores is read back from its row and its file's kept bytes
// and compared with the record read (a night in production reads back a sample).
const env = { ...process.env, LCT_READ_BACK_EVERY: process.env.LCT_READ_BACK_EVERY ?? '1' };
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit', env });
process.exit(r.status === null ? 1 : r.status);
