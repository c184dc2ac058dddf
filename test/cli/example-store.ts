// The worked example's store, built by the real CLI in a fresh folder, and a way to
// run `lct` against it as an operator would: a child process, no participants
// file in the folder unless a test puts one there, no LCT_* from the environment.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { EXAMPLE_DIR } from '../spec-vectors';

export const LCT = path.join(__dirname, '../../../bin/lct.js');
export const PARTICIPANTS = path.join(EXAMPLE_DIR, 'participants.json');
export const KEYS = path.join(EXAMPLE_DIR, 'keys.json');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export const CLEAN_ENV = { ...process.env, LCT_DB: '', LCT_CONFIG: '', LCT_KEYS: '', LCT_INBOX: '', LCT_OUTBOX: '' };

export function lctIn(cwd: string, args: string[]): Run {
  const r = spawnSync(process.execPath, [LCT, ...args], { cwd, encoding: 'utf8', env: CLEAN_ENV });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A folder holding lct.db after the example's nights (YYYYMMDD), each run as `lct batch`. */
export function exampleStore(nights: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-cliops-'));
  for (const d of nights) {
    const r = lctIn(dir, [
      'batch',
      '--date',
      `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}`,
      '--inbox',
      path.join(EXAMPLE_DIR, 'inbox', d),
      '--outbox',
      path.join(dir, 'out', d),
      '--db',
      path.join(dir, 'lct.db'),
      '--config',
      PARTICIPANTS,
      '--keys',
      KEYS,
    ]);
    assert.equal(r.status, 3, r.stderr);
  }
  return dir;
}

/** The one line of stderr, checked to be one `lct: ` line and no stack trace. */
export function errorLine(r: Run): string {
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at |Error:/, 'no stack trace');
  assert.match(lines[0]!, /^lct: \S/, `the house style: ${lines[0]}`);
  return lines[0]!;
}
