// The TAC against every vector of tac.json, and the pure-JS DES against OpenSSL's.
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import fc from 'fast-check';
import { DesKey } from '../../src/core/des';
import {
  PreparedCardKey,
  TacKeyCache,
  computeTac,
  diversifyKey,
  macInput,
  prepareCardKey,
  tacKeyOf,
  tacOfMacInput,
} from '../../src/core/tac';
import type { Transaction } from '../../src/core/types';

import { TAC_VECTORS as VECTORS } from '../spec-vectors';

interface TacCase {
  name: string;
  master_key: string;
  issuer_id: string;
  card_no: string;
  amount_fen: number;
  txn_type: number;
  terminal_id: string;
  terminal_seq: number;
  occurred_at: string;
  diversified_key: string;
  tac_key: string;
  mac_input: string;
  tac: string;
}

const vectors = JSON.parse(fs.readFileSync(VECTORS, 'utf8')) as {
  known_answers: Record<string, string>[];
  cases: TacCase[];
};

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const bytes = (h: string) => Buffer.from(h, 'hex');

function opensslDes(key: Buffer, block: Buffer, decrypt = false): Buffer {
  const k = Buffer.concat([key, key]); // single DES is des-ede with K || K
  const c = decrypt ? crypto.createDecipheriv('des-ede', k, null) : crypto.createCipheriv('des-ede', k, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}

function recordOf(c: TacCase): Transaction {
  return {
    issuer_id: c.issuer_id,
    card_no: c.card_no,
    card_type: 1,
    txn_type: c.txn_type,
    amount_fen: c.amount_fen,
    balance_before_fen: 0,
    balance_after_fen: 0,
    card_seq: 1,
    terminal_id: c.terminal_id,
    terminal_seq: c.terminal_seq,
    acquirer_id: '41010101',
    merchant_id: '410101010000001',
    occurred_at: c.occurred_at,
    tac: c.tac,
    batch_no: '',
    line_id: '',
    station_id: '',
  };
}

describe('DES', () => {
  it('agrees with OpenSSL on random keys and blocks, both directions', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), (k, b) => {
        const key = Buffer.from(k);
        const block = Buffer.from(b);
        const des = new DesKey(key);
        assert.equal(hex(des.encryptBlock(block)), hex(opensslDes(key, block)));
        assert.equal(hex(des.decryptBlock(block)), hex(opensslDes(key, block, true)));
      }),
      { numRuns: 2000 },
    );
  });

  it('gives the classic FIPS example (key 133457799BBCDFF1)', () => {
    const des = new DesKey(bytes('133457799BBCDFF1'));
    assert.equal(hex(des.encryptBlock(bytes('0123456789ABCDEF'))), '85E813540F0AB405');
  });
});

describe('TAC known answers', () => {
  const [diversification, fromKey] = vectors.known_answers;

  it('key diversification', () => {
    // D is given as 16 digits; any card_no ending in them diversifies the same.
    const dtk = diversifyKey(bytes(diversification.master_key), `4101${diversification.d}`);
    assert.equal(hex(dtk), diversification.diversified_key);
  });

  it('TAC from a diversified key', () => {
    const k = tacKeyOf(bytes(fromKey.diversified_key));
    assert.equal(hex(k), fromKey.tac_key);
    assert.equal(tacOfMacInput(k, bytes(fromKey.mac_input)), fromKey.tac);
  });
});

describe('TAC cases', () => {
  assert.ok(vectors.cases.length >= 12, 'every case of tac.json is loaded');
  for (const c of vectors.cases) {
    it(c.name, () => {
      const mk = bytes(c.master_key);
      const dtk = diversifyKey(mk, c.card_no);
      assert.equal(hex(dtk), c.diversified_key, 'diversified_key');
      assert.equal(hex(tacKeyOf(dtk)), c.tac_key, 'tac_key');
      const rec = recordOf(c);
      assert.equal(hex(macInput(rec)), c.mac_input, 'mac_input');
      assert.equal(computeTac(mk, rec), c.tac, 'computeTac');
      assert.equal(prepareCardKey(mk, c.card_no).tacOf(rec), c.tac, 'PreparedCardKey');
      assert.ok(new PreparedCardKey(mk, c.card_no).verify(rec));

      const cache = new TacKeyCache({ tac_master_keys: new Map([[c.issuer_id, mk]]) });
      assert.equal(cache.tacOf(rec), c.tac, 'TacKeyCache.tacOf');
      assert.equal(cache.verify(rec), true, 'TacKeyCache.verify');
      assert.equal(cache.verify({ ...rec, tac: c.tac === '00000000' ? '00000001' : '00000000' }), false);
      assert.equal(
        cache.verify({
          ...rec,
          amount_fen: (rec.amount_fen % 1000) + 1 === rec.amount_fen ? rec.amount_fen + 1 : (rec.amount_fen % 1000) + 1,
        }),
        false,
      );
    });
  }
});

describe('TacKeyCache', () => {
  const mk = bytes('11223344556677888877665544332211');
  const mk2 = bytes('0123456789ABCDEFFEDCBA9876543210');
  const keys = {
    tac_master_keys: new Map([
      ['41010001', mk],
      ['41010002', mk2],
    ]),
  };

  const arbRecord = fc.record({
    issuer_id: fc.constantFrom('41010001', '41010002'),
    card_no: fc.stringMatching(/^[0-9]{20}$/),
    amount_fen: fc.integer({ min: 1, max: 0xffffffff }),
    txn_type: fc.constantFrom(2, 6, 9),
    terminal_id: fc.stringMatching(/^[0-9A-F]{12}$/),
    terminal_seq: fc.integer({ min: 0, max: 0xffffffff }),
    occurred_at: fc
      .tuple(
        fc.integer({ min: 2000, max: 2099 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 28 }),
        fc.integer({ min: 0, max: 86399 }),
      )
      .map(([y, m, d, s]) =>
        [y, m, d, Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60].map((v, i) => String(v).padStart(i === 0 ? 4 : 2, '0')).join(''),
      ),
  });

  it('the fast form computes what the step-by-step form computes', () => {
    const cache = new TacKeyCache(keys, 3); // tiny, so that it starts over often
    fc.assert(
      fc.property(arbRecord, (r) => {
        const expected = computeTac(keys.tac_master_keys.get(r.issuer_id)!, r);
        assert.equal(cache.tacOf(r), expected);
        assert.equal(cache.verify({ ...r, tac: expected }), true);
        assert.ok(cache.size <= 3);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps one card number under two issuers apart', () => {
    const cache = new TacKeyCache(keys);
    const r = {
      card_no: '41010001000000012345',
      amount_fen: 1,
      txn_type: 6,
      terminal_id: '0A00000000FF',
      terminal_seq: 1,
      occurred_at: '20251230000000',
    };
    const a = cache.tacOf({ ...r, issuer_id: '41010001' });
    const b = cache.tacOf({ ...r, issuer_id: '41010002' });
    assert.equal(a, '5A16E476');
    assert.notEqual(a, b);
    assert.equal(cache.tacOf({ ...r, issuer_id: '41010001' }), a);
  });

  it('keys a card by D, the last 16 digits, as the TAC key itself does', () => {
    // Two card numbers that differ only before their last 16 digits diversify alike, so
    // the cache may share their schedule; the TACs prove it is the same key.
    const r = { amount_fen: 350, txn_type: 9, terminal_id: '0C02A1B2C3D4', terminal_seq: 88, occurred_at: '20260102235959' };
    const a = { ...r, issuer_id: '41010001', card_no: '41010001000098765432' };
    const b = { ...r, issuer_id: '41010001', card_no: '99990001000098765432' };
    assert.equal(computeTac(mk, a), computeTac(mk, b));
    const cache = new TacKeyCache(keys);
    assert.equal(cache.tacOf(a), computeTac(mk, a));
    assert.equal(cache.tacOf(b), computeTac(mk, b));
    assert.equal(cache.size, 1);
  });

  it('refuses to check a card of an issuer without a key (a setup bug, not a verdict)', () => {
    const cache = new TacKeyCache(keys);
    assert.equal(cache.hasKey('41019999'), false);
    assert.throws(() =>
      cache.verify({
        issuer_id: '41019999',
        card_no: '41019999000000000001',
        amount_fen: 1,
        txn_type: 6,
        terminal_id: '000000000000',
        terminal_seq: 1,
        occurred_at: '20251230000000',
        tac: '00000000',
      }),
    );
  });
});
