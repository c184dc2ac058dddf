// Hostile inputs through the real CLI (issue 11): a configuration with a key given
// twice or a key the format does not know is refused before anything runs, a BOM is
// accepted; `lct file inspect` refuses a sparse 64 GB file at once in flat memory;
// and what came from outside (a file's ref_file, its records, an operator's note, a
// file's name) reaches the terminal with its control characters escaped.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BlacklistEntry } from '../../src/core/types';
import { exchangeFileName } from '../../src/files/names';
import { encodeExchangeFile } from '../../src/files/writer';
import { sampleHeader } from '../files/arbitraries';
import { EXAMPLE_DIR } from '../spec-vectors';

const LCT = path.join(__dirname, '../../../bin/lct.js');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-cli-hostile-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** Records the child's peak resident memory (bytes) in $LCT_TEST_PEAK when it exits. */
const PEAK = path.join(root, 'peak.js');
fs.writeFileSync(
  PEAK,
  "process.on('exit', () => require('node:fs').writeFileSync(process.env.LCT_TEST_PEAK, String(process.resourceUsage().maxRSS * 1024)));\n",
);

function lct(args: string[], cwd: string) {
  const peak = path.join(root, `peak-${process.pid}-${Math.random()}`);
  const r = spawnSync(process.execPath, ['--require', PEAK, LCT, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, LCT_DB: '', LCT_CONFIG: '', LCT_KEYS: '', LCT_TEST_PEAK: peak },
  });
  const max_rss_bytes = fs.existsSync(peak) ? Number(fs.readFileSync(peak, 'utf8')) : Number.NaN;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, max_rss_bytes };
}

function work(): string {
  const dir = fs.mkdtempSync(path.join(root, 'w-'));
  fs.copyFileSync(path.join(EXAMPLE_DIR, 'participants.json'), path.join(dir, 'participants.json'));
  fs.copyFileSync(path.join(EXAMPLE_DIR, 'keys.json'), path.join(dir, 'keys.json'));
  fs.mkdirSync(path.join(dir, 'inbox'));
  return dir;
}

/** A character that would act on a terminal (a line break aside). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got: ${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  return lines[0]!;
}

const participantsText = fs.readFileSync(path.join(EXAMPLE_DIR, 'participants.json'), 'utf8');
const keysText = fs.readFileSync(path.join(EXAMPLE_DIR, 'keys.json'), 'utf8');
const KEY = (JSON.parse(keysText) as { issuers: Record<string, { tac_master_key: string }> }).issuers['41010001']!.tac_master_key;

describe('strict configuration: refused before anything runs (exit 2, one line, no store)', () => {
  const compact = JSON.stringify(JSON.parse(participantsText));
  const cases: { what: string; file: 'participants.json' | 'keys.json'; text: string | Buffer; says: string }[] = [
    {
      what: 'a rate given twice (JSON.parse would keep the 90%)',
      file: 'participants.json',
      text: compact.replace('"fee_rate":"0.0030"', '"fee_rate":"0.0030","fee_rate":"0.9"'),
      says: 'participants.json: acquirers[0].fee_rate: key given twice in one object',
    },
    {
      what: 'a section given twice',
      file: 'participants.json',
      text: compact.replace(/}$/, ',"limits":{}}'),
      says: 'participants.json: limits: key given twice in one object',
    },
    {
      what: 'a misspelt key',
      file: 'participants.json',
      text: (() => {
        const p = JSON.parse(participantsText);
        p.acquirers[2].fee_rat = '0.9';
        return JSON.stringify(p, null, 2);
      })(),
      says: 'participants.json: acquirers[2].fee_rat: unknown key',
    },
    {
      what: 'an operator with a right that does not exist',
      file: 'participants.json',
      text: compact.replace(/}$/, ',"operators":[{"name":"Li Wei","may":["post"]}]}'),
      says: 'participants.json: operators[0].may[0]: not propose or approve',
    },
    {
      what: 'bytes that are not UTF-8',
      file: 'participants.json',
      text: Buffer.concat([Buffer.from(participantsText.slice(0, 40)), Buffer.from([0xc3, 0x28]), Buffer.from(participantsText.slice(40))]),
      says: 'participants.json: not UTF-8',
    },
    {
      what: 'a syntax error, with its line and column',
      file: 'participants.json',
      text: '{\n  "centre": {,\n}',
      says: 'participants.json: not valid JSON: unexpected "," at line 2, column 14',
    },
    {
      what: 'a key given twice in the keys file (the key never printed)',
      file: 'keys.json',
      text: `{"issuers":{"41010001":{"tac_master_key":"${KEY}","tac_master_key":"${KEY}"}}}`,
      says: 'keys.json: issuers.41010001.tac_master_key: key given twice in one object',
    },
    {
      what: 'an unknown key in the keys file',
      file: 'keys.json',
      text: `{"issuers":{"41010001":{"tac_master_key":"${KEY}","tac_master_kye":"${KEY}"}}}`,
      says: 'keys.json: issuers.41010001.tac_master_kye: unknown key',
    },
    {
      what: 'a syntax error in the keys file: where, not what',
      file: 'keys.json',
      text: `{"issuers":{"41010001":{"tac_master_key":${KEY}}}}`,
      says: 'keys.json: not valid JSON (at line 1, column 46)',
    },
  ];
  for (const c of cases) {
    it(c.what, () => {
      const dir = work();
      fs.writeFileSync(path.join(dir, c.file), c.text);
      const r = lct(['batch', '--date', '2025-12-30'], dir);
      assert.equal(r.status, 2, r.stderr);
      assert.equal(oneLine(r.stderr), `lct: ${path.join(dir, c.file)}: ${c.says.slice(c.file.length + 2)}`);
      assert.ok(!r.stderr.includes(KEY.slice(0, 8)), 'no key in the message');
      assert.equal(fs.existsSync(path.join(dir, 'lct.db')), false, 'no store created');
    });
  }

  it('a sparse 64 GB participants file is refused without being read', () => {
    const dir = work();
    fs.truncateSync(path.join(dir, 'participants.json'), 64e9);
    const r = lct(['batch', '--date', '2025-12-30'], dir);
    assert.equal(r.status, 2, r.stderr);
    assert.match(oneLine(r.stderr), /participants\.json: cannot read the participants file: more than 16777216 bytes$/);
    assert.ok(r.max_rss_bytes < 200 * 2 ** 20, `peak ${r.max_rss_bytes}`);
  });

  it('a BOM at the start of both files is accepted, and the night runs', () => {
    const dir = work();
    fs.writeFileSync(path.join(dir, 'participants.json'), `\ufeff${participantsText}`);
    fs.writeFileSync(path.join(dir, 'keys.json'), `\ufeff${keysText}`);
    const r = lct(['batch', '--date', '2025-12-30', '--json'], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).date, '2025-12-30');
  });
});

describe('lct file inspect: huge files', () => {
  it('a sparse 64 GB TXN_UPLOAD: F01 at once, exit 1, one line, flat memory', () => {
    const dir = work();
    const name = 'TXN_UPLOAD_41010101_41010000_20251231_0001.pb';
    fs.writeFileSync(path.join(dir, name), '');
    fs.truncateSync(path.join(dir, name), 64e9);
    const started = performance.now();
    const r = lct(['file', 'inspect', name], dir);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(
      oneLine(r.stderr),
      `lct: ${name}: an import would refuse it F01: the file is 64000000000 bytes, more than the 4294967296 an exchange file may have: not read`,
    );
    assert.match(r.stdout, /framing +FAULT: the file is 64000000000 bytes/);
    assert.doesNotMatch(r.stdout, /undefined/);
    assert.ok(performance.now() - started < 15_000, 'not read');
    assert.ok(r.max_rss_bytes < 200 * 2 ** 20, `peak ${r.max_rss_bytes}`);
  });

  it('a sparse 4 GB bank statement: F01 at once, exit 1, flat memory', () => {
    const dir = work();
    const name = 'BANK_10000001_20251231_0001.csv';
    fs.writeFileSync(path.join(dir, name), '');
    fs.truncateSync(path.join(dir, name), 4e9);
    const r = lct(['file', 'inspect', name], dir);
    assert.equal(r.status, 1, r.stderr);
    assert.match(oneLine(r.stderr), /F01: line 0: the file is 4000000000 bytes, more than the 16777216 a statement may have: not read$/);
    assert.ok(r.max_rss_bytes < 200 * 2 ** 20, `peak ${r.max_rss_bytes}`);
  });
});

describe('what came from outside is printed with its control characters escaped', () => {
  const CLEAR = '\u001b[2J\u001b[H';
  const REF = `${CLEAR}ALL RECONCILED\u0007`;
  const header = sampleHeader('BLACKLIST', { ref_file: REF, ref_reason: 'F0\u202e1' });
  const entry: BlacklistEntry = {
    issuer_id: header.sender_id,
    card_no: '41010001000000000001',
    action: 1,
    effective_at: '20251230120000',
    reason: `LOST${CLEAR}\u009b31m`,
  };
  const name = exchangeFileName(header);
  let dir = '';
  before(() => {
    dir = work();
    fs.writeFileSync(path.join(dir, name), encodeExchangeFile(header, [entry]));
  });

  it('text: the header ref_file and a record field show as escapes, nothing raw', () => {
    const r = lct(['file', 'inspect', name], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, RAW);
    assert.match(r.stdout, /ref_file +\\x1b\[2J\\x1b\[HALL RECONCILED\\x07\n/);
    assert.match(r.stdout, /ref_reason +F0\\u202e1\n/);
    assert.match(r.stdout, /LOST\\x1b\[2J\\x1b\[H\\x9b31m/);
  });

  it('JSON: the same values to a JSON reader, nothing raw on a terminal', () => {
    const r = lct(['file', 'inspect', name, '--json'], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, RAW);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines[0].header.ref_file, REF);
    assert.equal(lines[0].header.ref_reason, 'F0\u202e1');
    assert.equal(lines[1].record.reason, entry.reason);
  });

  it('an error naming a file with control characters in its name: one line, escaped', () => {
    const r = lct(['file', 'inspect', `x${CLEAR}.pb`], dir);
    assert.equal(r.status, 2);
    assert.equal(oneLine(r.stderr), 'lct: x\\x1b[2J\\x1b[H.pb: no such file');
  });
});

describe("an operator's note reaches other operators escaped", () => {
  let db = '';
  before(() => {
    const dir = fs.mkdtempSync(path.join(root, 'ops-'));
    db = path.join(dir, 'lct.db');
    for (const d of ['20251230', '20251231']) {
      const iso = `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}`;
      const inbox = path.join(EXAMPLE_DIR, 'inbox', d);
      const args = ['batch', '--date', iso, '--inbox', inbox, '--outbox', path.join(dir, 'out'), '--db', db];
      const r = lct([...args, '--config', path.join(EXAMPLE_DIR, 'participants.json'), '--keys', path.join(EXAMPLE_DIR, 'keys.json')], dir);
      assert.equal(r.status, 3, r.stderr);
    }
  });

  it('recon items --all shows the note and the name escaped', () => {
    const items = JSON.parse(lct(['recon', 'items', '--kind', 'bank', '--json', '--db', db], root).stdout) as { id: string }[];
    const id = items[0]!.id;
    const note = `checked\u001b[2J\u001b[HALL RECONCILED \u202eok`;
    const resolved = lct(['recon', 'resolve', id, '--by', 'Li\u001b[8mWei', '--note', note, '--db', db], root);
    assert.equal(resolved.status, 0, resolved.stderr);
    assert.doesNotMatch(resolved.stdout, RAW);
    const r = lct(['recon', 'items', '--kind', 'bank', '--all', '--db', db], root);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, RAW);
    assert.match(r.stdout, /by Li\\x1b\[8mWei/);
    assert.match(r.stdout, / {2}checked\\x1b\[2J\\x1b\[HALL RECONCILED \\u202eok\n/, 'the note, last in its row');
  });
});
