// The spec's worked example (../shared/spec/vectors/example): two nights run with
// the real command line on one store, each night's outcome compared with the
// expected one: inbox outcomes, every outbox file, summary, reconciliation counts,
// exceptions, ledger balances and exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { scanExchangeFile } from '../../src/files/reader';
import { openStore } from '../../src/store/db';
import { compareInboxNames } from '../../src/files/names';

import { EXAMPLE_DIR as EXAMPLE } from '../spec-vectors';
const LCT = path.join(__dirname, '../../../bin/lct.js');

interface ExpectedOutboxFile {
  name: string;
  type: string;
  receiver: string;
  ref_file?: string;
  ref_reason?: string;
  record_count: number;
  total_amount_fen: number;
  verdicts?: [number, string, string][];
  records?: Record<string, unknown>[];
}

interface ExpectedNight {
  date: string;
  inbox: { name: string; type: string; outcome: string; code?: string }[];
  exit_code: number;
  summary: Record<string, unknown>;
  reconciliation: { kinds: Record<string, Record<string, number>> };
  exceptions: { key_conflicts: [string, string][]; suspended: string[]; blacklisted_loads: string[] };
  balances: Record<string, number>;
  outbox: ExpectedOutboxFile[];
}

export function runLct(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [LCT, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

function readAll(file: string) {
  const records: unknown[] = [];
  const scan = scanExchangeFile(file, (r) => records.push(r));
  return { scan, records };
}

const nights = ['20251230', '20251231'].map(
  (d) => JSON.parse(fs.readFileSync(path.join(EXAMPLE, 'expected', `${d}.json`), 'utf8')) as ExpectedNight,
);

test('the worked example: two nights give exactly the expected outcomes', async (t) => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-example-'));
  const db = path.join(work, 'lct.db');
  for (const night of nights) {
    const D = night.date.replace(/-/g, '');
    const outbox = path.join(work, 'outbox', D);
    const r = runLct([
      'batch',
      '--date',
      night.date,
      '--inbox',
      path.join(EXAMPLE, 'inbox', D),
      '--outbox',
      outbox,
      '--db',
      db,
      '--config',
      path.join(EXAMPLE, 'participants.json'),
      '--keys',
      path.join(EXAMPLE, 'keys.json'),
      '--json',
    ]);
    await t.test(`${night.date}: exit code and summary`, () => {
      assert.equal(r.stderr.includes('    at '), false, `no stack trace: ${r.stderr}`);
      assert.equal(r.status, night.exit_code, r.stderr);
      const summary = JSON.parse(r.stdout);
      for (const [k, v] of Object.entries(night.summary)) assert.deepEqual(summary[k], v, `summary.${k}`);
      const onDisk = JSON.parse(fs.readFileSync(path.join(outbox, 'reports', D, 'summary.json'), 'utf8'));
      assert.deepEqual(onDisk, summary);
      // `journal` is not in the expected files (its hashes are lct's own): it must be the
      // journal as the night left it, which no later night changes.
      const store = openStore(db, { readonly: true });
      try {
        const entries = store.prepare('SELECT COUNT(*) FROM entries').pluck().get() as number;
        const head = store.prepare('SELECT hash FROM entries ORDER BY seq DESC LIMIT 1').pluck().get() as string;
        assert.ok(entries > 0, 'the night posted');
        assert.deepEqual(summary.journal, { entries, head }, 'summary.journal');
      } finally {
        store.close();
      }
    });
    await t.test(`${night.date}: inbox outcomes`, () => {
      const store = openStore(db, { readonly: true });
      try {
        for (const f of night.inbox) {
          if (f.outcome === 'skipped') {
            const n = store.prepare('SELECT COUNT(*) FROM sightings WHERE batch_date = ? AND name = ?').pluck().get(D, f.name);
            assert.equal(n, 1, `${f.name} skipped`);
            continue;
          }
          const row = store.prepare('SELECT outcome, refusal_code FROM files WHERE batch_date = ? AND name = ?').get(D, f.name) as
            | { outcome: string; refusal_code: string | null }
            | undefined;
          assert.ok(row, `${f.name} recorded`);
          assert.equal(row.outcome, f.outcome.toUpperCase(), f.name);
          if (f.code) assert.equal(row.refusal_code, f.code, f.name);
        }
      } finally {
        store.close();
      }
    });
    await t.test(`${night.date}: every outbox file`, () => {
      const written = fs
        .readdirSync(outbox)
        .filter((n) => n.endsWith('.pb'))
        .sort();
      assert.deepEqual(written, night.outbox.map((o) => o.name).sort(), 'the set of files written');
      for (const exp of night.outbox) {
        const { scan, records } = readAll(path.join(outbox, exp.name));
        assert.equal(scan.unreadable ?? scan.trailer_mismatch ?? scan.name_mismatch, undefined, exp.name);
        const h = scan.header!;
        assert.equal(h.file_type, exp.type, exp.name);
        assert.equal(h.receiver_id, exp.receiver, exp.name);
        if (exp.ref_file !== undefined) assert.equal(h.ref_file, exp.ref_file, `${exp.name} ref_file`);
        if (exp.ref_reason !== undefined) assert.equal(h.ref_reason, exp.ref_reason, `${exp.name} ref_reason`);
        assert.equal(scan.trailer!.record_count, exp.record_count, `${exp.name} record_count`);
        assert.equal(scan.trailer!.total_amount_fen, exp.total_amount_fen, `${exp.name} total`);
        if (exp.verdicts) {
          const got = (records as { index: number; status: string; reason: string }[]).map((v) => [v.index, v.status, v.reason]);
          assert.deepEqual(got, exp.verdicts, `${exp.name} verdicts`);
        }
        if (exp.records) {
          assert.equal(records.length, exp.records.length, exp.name);
          exp.records.forEach((want, i) => {
            const got = records[i] as Record<string, unknown>;
            for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k], v, `${exp.name} record ${i} ${k}`);
          });
        }
      }
    });
    await t.test(`${night.date}: reconciliation and exceptions`, () => {
      const recon = JSON.parse(fs.readFileSync(path.join(outbox, 'reports', D, 'reconciliation.json'), 'utf8'));
      for (const [kind, counts] of Object.entries(night.reconciliation.kinds)) {
        for (const [k, v] of Object.entries(counts)) assert.equal(recon.kinds[kind][k], v, `${kind}.${k}`);
      }
      assert.equal(recon.open_items.length, night.summary.open_mismatches);
      const x = JSON.parse(fs.readFileSync(path.join(outbox, 'reports', D, 'exceptions.json'), 'utf8'));
      const pairs = x.key_conflicts.map((c: { record: { card_no: string }; held: { card_no: string } }) =>
        [c.record.card_no, c.held.card_no].sort(),
      );
      assert.deepEqual(pairs.sort(), night.exceptions.key_conflicts.map((p) => [...p].sort()).sort());
      assert.deepEqual(x.suspended.map((s: { card_no: string }) => s.card_no).sort(), [...night.exceptions.suspended].sort());
      assert.deepEqual(
        x.blacklisted_loads.map((s: { card_no: string }) => s.card_no).sort(),
        [...night.exceptions.blacklisted_loads].sort(),
      );
    });
    await t.test(`${night.date}: every refused file named: summary, exceptions.json, report.txt, lct exceptions`, () => {
      // batch-cli.md: in import order (by type, then by name), the sender as the name gives it.
      const want = night.inbox
        .filter((f) => f.outcome === 'refused')
        .sort((a, b) => compareInboxNames(a.name, b.name))
        .map((f) => ({
          file: f.name,
          sender: /^(?:TXN_UPLOAD|INTEROP_IN|INTEROP_RESULT|BLACKLIST)_(\d{8})_/.exec(f.name)![1],
          code: f.code,
        }));
      assert.ok(want.length > 0);
      const summary = JSON.parse(r.stdout) as { refused_files: { file: string; sender: string; code: string; detail: string }[] };
      assert.deepEqual(
        summary.refused_files.map(({ file, sender, code }) => ({ file, sender, code })),
        want,
      );
      for (const f of summary.refused_files) assert.ok(f.detail.length > 0, `${f.file}: says what was wrong`);
      // The hints of the expected outcome are in the details (e.g. "record_count 4, records 3").
      for (const f of night.inbox.filter(
        (f) => f.outcome === 'refused' && /^(record_count|total_amount_fen|format_version) /.test((f as { detail?: string }).detail ?? ''),
      )) {
        const got = summary.refused_files.find((g) => g.file === f.name)!;
        assert.ok(got.detail.includes((f as { detail?: string }).detail!), `${f.name}: ${got.detail}`);
      }
      const x = JSON.parse(fs.readFileSync(path.join(outbox, 'reports', D, 'exceptions.json'), 'utf8'));
      assert.deepEqual(x.refused_files, summary.refused_files, 'exceptions.json names them too');
      const report = fs.readFileSync(path.join(outbox, 'reports', D, 'report.txt'), 'utf8');
      assert.match(report, new RegExp(`^Refused files: ${want.length}$`, 'm'));
      for (const f of summary.refused_files) {
        assert.ok(
          report.split('\n').some((l) => l.startsWith(`  ${f.file}  ${f.code}  from ${f.sender}: `)),
          `report.txt names ${f.file}`,
        );
      }
      const ex = runLct(['exceptions', '--date', night.date, '--db', db, '--config', path.join(EXAMPLE, 'participants.json')]);
      assert.equal(ex.status, 0, ex.stderr);
      assert.match(ex.stdout, new RegExp(`^refused files: ${want.length}$`, 'm'));
      for (const f of want) {
        const line = ex.stdout.split('\n').find((l) => l.includes(f.file));
        assert.ok(line?.includes(` ${f.code} `) && line.includes(f.sender), `lct exceptions names ${f.file}: ${line}`);
      }
    });
    await t.test(`${night.date}: ledger balances`, () => {
      const b = runLct(['ledger', 'balances', '--date', night.date, '--json', '--db', db]);
      assert.equal(b.status, 0, b.stderr);
      const got = Object.fromEntries(
        (JSON.parse(b.stdout) as { account: string; balance_fen: number }[])
          .filter((x) => x.balance_fen !== 0)
          .map((x) => [x.account, x.balance_fen]),
      );
      const want = Object.fromEntries(Object.entries(night.balances).filter(([, v]) => v !== 0));
      assert.deepEqual(got, want);
    });
  }
  await t.test('the ledger verifies', () => {
    const v = runLct(['ledger', 'verify', '--db', db]);
    assert.equal(v.status, 0, v.stderr + v.stdout);
  });
  await t.test("the ledger holds both nights' published journal heads", () => {
    const v = runLct(['ledger', 'verify', '--db', db, '--heads', path.join(work, 'outbox'), '--json']);
    assert.equal(v.status, 0, v.stderr + v.stdout);
    assert.deepEqual(JSON.parse(v.stdout).heads, { ok: true, days: nights.length });
  });
  fs.rmSync(work, { recursive: true, force: true });
});
