// The command line's manners, through real child processes: a closed pipe ends a
// command quietly, --version answers, every error is one `lct: ` line with the
// right exit code (commander's own usage errors included), and --db, --config and
// --keys are accepted by every command, after the command's name or before it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { CLEAN_ENV, KEYS, LCT, PARTICIPANTS, errorLine, exampleStore, lctIn } from './example-store';
import { EXAMPLE_DIR } from '../spec-vectors';

let dir = '';
let db = '';
const lct = (args: string[]) => lctIn(dir, args);

before(() => {
  dir = exampleStore(['20251230']);
  db = path.join(dir, 'lct.db');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs lct with its stdout's reading end closed before it writes: `lct ... | head` where head has already gone. */
function withClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LCT, ...args], { cwd: dir, env: CLEAN_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test('a closed pipe (EPIPE) ends recon items quietly, exit 0, no stack trace', async () => {
  for (const args of [
    ['recon', 'items', '--db', db],
    ['recon', 'items', '--all', '--json', '--db', db],
    ['ledger', 'balances', '--db', db],
  ]) {
    const r = await withClosedStdout(args);
    assert.equal(r.stderr, '', `${args.join(' ')}: nothing on stderr`);
    assert.equal(r.code, 0, args.join(' '));
  }
});

test('--version and -V print the version of package.json', () => {
  const version = (JSON.parse(fs.readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')) as { version: string }).version;
  for (const flag of ['--version', '-V']) {
    const r = lct([flag]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `lct ${version}\n`);
  }
});

test("commander's own usage errors are one `lct: ` line, exit 2", () => {
  const cases: [string[], RegExp][] = [
    [['recon', 'items', '--nope', '--db', db], /^lct: unknown option '--nope'$/],
    [['recon', 'item', '--db', db], /^lct: unknown command 'item' \(Did you mean items\?\)$/],
    [['recon', 'resolve', 'x', '--db', db], /^lct: required option '--by <name>' not specified$/],
    [['record', 'explain', '--db', db], /^lct: missing required argument 'record'$/],
    [['recon'], /^lct: recon: which command\? items, resolve \(see lct recon --help\)$/],
    [[], /^lct: which command\? batch, ledger, recon, /],
  ];
  for (const [args, says] of cases) {
    const r = lct(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(errorLine(r), says);
    assert.equal(r.stdout, '', 'nothing on stdout');
  }
});

test('configuration errors are one `lct: ` line naming the file, exit 2, in reading commands too', () => {
  fs.writeFileSync(path.join(dir, 'broken.json'), '{ "centre": ');
  for (const args of [
    ['recon', 'items', '--config', 'broken.json', '--db', db],
    ['ledger', 'balances', '--config', 'broken.json', '--db', db],
    ['batch', '--date', '2025-12-31', '--config', 'broken.json', '--db', db, '--inbox', path.join(EXAMPLE_DIR, 'inbox', '20251231')],
  ]) {
    const r = lct(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(errorLine(r), /^lct: \/.*broken\.json: not valid JSON/);
  }
  const missing = lct(['card', 'history', '41010001042307689879', '--config', 'nowhere.json', '--db', db]);
  assert.equal(missing.status, 2);
  assert.match(errorLine(missing), /nowhere\.json: cannot read the participants file: no such file/);
});

test('--db, --config and --keys are accepted by every command, used or not', () => {
  const config = ['--config', PARTICIPANTS, '--keys', KEYS];
  const plain = lct(['ledger', 'balances', '--json', '--db', db]);
  assert.equal(plain.status, 0, plain.stderr);
  const balances = lct(['ledger', 'balances', '--json', '--db', db, ...config]);
  assert.equal(balances.status, 0, balances.stderr);
  assert.equal(balances.stdout, plain.stdout, 'the same balances');
  const verify = lct(['ledger', 'verify', '--db', db, ...config]);
  assert.equal(verify.status, 0, verify.stderr);
  assert.match(verify.stdout, /^ledger verify: ok/);
  const inspect = lct([
    'file',
    'inspect',
    path.join(EXAMPLE_DIR, 'inbox', '20251230', 'BLACKLIST_41010001_41010000_20251230_0001.pb'),
    '--keys',
    KEYS,
  ]);
  assert.equal(inspect.status, 0, inspect.stderr);
  for (const args of [
    ['exceptions', '--date', '2025-12-30', '--json'],
    ['recon', 'items', '--json'],
    ['card', 'history', '41010001042307689879', '--json'],
    ['record', 'explain', '1', '--json'],
  ]) {
    const r = lct([...args, '--db', db, ...config]);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  }
});

test('one alias serves every command: the common options may come before the command name', () => {
  const alias = ['--db', db, '--config', PARTICIPANTS, '--keys', KEYS];
  const verify = lct([...alias, 'ledger', 'verify']);
  assert.equal(verify.status, 0, verify.stderr);
  const items = lct([...alias, 'recon', 'items', '--json']);
  assert.equal(items.status, 0, items.stderr);
  assert.ok((JSON.parse(items.stdout) as unknown[]).length > 0, 'read from the store named before the command');
  // Given both ways, the one after the command's name wins.
  const wins = lct(['--db', path.join(dir, 'none.db'), 'ledger', 'verify', '--db', db]);
  assert.equal(wins.status, 0, wins.stderr);
  const refused = lct(['--db', path.join(dir, 'none.db'), 'ledger', 'verify']);
  assert.equal(refused.status, 2);
  assert.match(errorLine(refused), /none\.db: no such store/);
});
