// Bad input of any kind gets one clear line naming the file and field, the right
// exit code, no stack trace, and nothing half-applied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const LCT = path.join(__dirname, '../../../bin/lct.js');
import { EXAMPLE_DIR as EXAMPLE } from '../spec-vectors';

function lct(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [LCT, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, LCT_DB: '', LCT_CONFIG: '', LCT_KEYS: '' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function work(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-cli-'));
  fs.copyFileSync(path.join(EXAMPLE, 'participants.json'), path.join(dir, 'participants.json'));
  fs.copyFileSync(path.join(EXAMPLE, 'keys.json'), path.join(dir, 'keys.json'));
  fs.mkdirSync(path.join(dir, 'inbox'));
  return dir;
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got: ${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  return lines[0]!;
}

const participants = JSON.parse(fs.readFileSync(path.join(EXAMPLE, 'participants.json'), 'utf8'));

const cases: { what: string; args: string[]; setup?: (dir: string) => void; exit: number; says: RegExp }[] = [
  { what: 'missing --date', args: ['batch'], exit: 2, says: /--date/ },
  { what: 'a date that does not exist', args: ['batch', '--date', '2025-02-30'], exit: 2, says: /--date 2025-02-30/ },
  { what: 'a date in the wrong form', args: ['batch', '--date', '20251230'], exit: 2, says: /YYYY-MM-DD/ },
  { what: 'an unknown command', args: ['frobnicate'], exit: 2, says: /unknown command/ },
  { what: 'an unknown option', args: ['batch', '--date', '2025-12-30', '--nope'], exit: 2, says: /unknown option/ },
  {
    what: 'a missing participants file',
    args: ['batch', '--date', '2025-12-30', '--config', 'nowhere.json'],
    exit: 2,
    says: /nowhere\.json: cannot read the participants file: no such file/,
  },
  {
    what: 'a participants file that is not JSON',
    setup: (d) => fs.writeFileSync(path.join(d, 'participants.json'), '{ "centre": '),
    args: ['batch', '--date', '2025-12-30'],
    exit: 2,
    says: /participants\.json: not valid JSON/,
  },
  {
    what: 'a bad rate, named by its path',
    setup: (d) => {
      const p = structuredClone(participants);
      p.acquirers[2].merchants[1].fee_rate = '0.0o45';
      fs.writeFileSync(path.join(d, 'participants.json'), JSON.stringify(p));
    },
    args: ['batch', '--date', '2025-12-30'],
    exit: 2,
    says: /participants\.json: acquirers\[2\]\.merchants\[1\]\.fee_rate: /,
  },
  {
    what: 'a bad key, never printed',
    setup: (d) =>
      fs.writeFileSync(path.join(d, 'keys.json'), JSON.stringify({ issuers: { '41010001': { tac_master_key: 'SECRETSECRET' } } })),
    args: ['batch', '--date', '2025-12-30'],
    exit: 2,
    says: /keys\.json: issuers\.41010001\.tac_master_key: /,
  },
  {
    what: 'a missing inbox',
    args: ['batch', '--date', '2025-12-30', '--inbox', 'no-inbox'],
    exit: 2,
    says: /no-inbox: no such inbox directory/,
  },
  {
    what: 'ledger on a store that does not exist',
    args: ['ledger', 'verify', '--db', 'none.db'],
    exit: 2,
    says: /none\.db: no such store/,
  },
  { what: 'inspect a missing file', args: ['file', 'inspect', 'missing.pb'], exit: 2, says: /missing\.pb/ },
  {
    what: 'explain a record of an empty store',
    setup: () => undefined,
    args: ['record', 'explain', 'X.pb#0', '--db', 'none.db'],
    exit: 2,
    says: /no such store/,
  },
];

for (const c of cases) {
  test(`bad input: ${c.what}`, () => {
    const dir = work();
    c.setup?.(dir);
    const r = lct(c.args, dir);
    assert.equal(r.status, c.exit, `${c.what}: ${r.stderr}`);
    const line = oneLine(r.stderr);
    assert.match(line, c.says);
    assert.doesNotMatch(r.stderr, /SECRET/);
    // Nothing ran: no store was created by a refused batch.
    if (c.args[0] === 'batch') assert.equal(fs.existsSync(path.join(dir, 'lct.db')), false, 'no store created');
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

test('a day before a closed day is refused with exit 2, and changes nothing', () => {
  const dir = work();
  const run = (date: string) => lct(['batch', '--date', date, '--outbox', 'out'], dir);
  assert.ok([0, 3].includes(run('2025-12-31').status!));
  const size = fs.statSync(path.join(dir, 'lct.db')).size;
  const r = run('2025-12-30');
  assert.equal(r.status, 2);
  assert.match(oneLine(r.stderr), /2025-12-31|20251231/);
  assert.equal(fs.statSync(path.join(dir, 'lct.db')).size, size);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a wrong LCT_VALIDATION_THREAD is refused with exit 2 before the store is touched', () => {
  const dir = work();
  const r = spawnSync(process.execPath, [LCT, 'batch', '--date', '2025-12-30', '--db', 'lct.db'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, LCT_DB: '', LCT_CONFIG: '', LCT_KEYS: '', LCT_VALIDATION_THREAD: 'sometimes' },
  });
  assert.equal(r.status, 2);
  assert.match(oneLine(r.stderr), /LCT_VALIDATION_THREAD=sometimes: must be on, off or auto/);
  assert.equal(fs.existsSync(path.join(dir, 'lct.db')), false, 'no store created');
});
