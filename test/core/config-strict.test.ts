// Strict configuration (batch-cli.md, "Common options"; issue 11): a key the format
// does not know is refused with its path at every depth of the participants file and
// the keys file, and the operators list (clearing-rules.md, "Corrections") is parsed
// and checked.
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { parseKeys, parseParticipants } from '../../src/core/config';
import { readExampleJson } from './example-config';

// biome-ignore lint/suspicious/noExplicitAny: the tests edit arbitrary paths of the parsed JSON
type Json = any;

function example(): Json {
  return structuredClone(readExampleJson('participants.json'));
}

function refusal(j: Json): { path: string; message: string } {
  const r = parseParticipants(j);
  assert.ok(!r.ok, 'refused');
  return { path: r.path, message: r.message };
}

describe('parseParticipants: an unknown key is refused with its path', () => {
  const cases: { name: string; change: (j: Json) => void; path: string }[] = [
    { name: 'at the root', change: (j) => (j.operator = []), path: 'operator' },
    { name: 'in centre', change: (j) => (j.centre.kind = 'x'), path: 'centre.kind' },
    { name: 'in national (a misspelt rate)', change: (j) => (j.national.interop_fee = '0.9'), path: 'national.interop_fee' },
    { name: 'in bank', change: (j) => (j.bank.account = '1'), path: 'bank.account' },
    { name: 'in an issuer', change: (j) => (j.issuers[0].tac_master_key = 'x'), path: 'issuers[0].tac_master_key' },
    { name: "in an acquirer (the issue's fee_rat)", change: (j) => (j.acquirers[2].fee_rat = '0.9'), path: 'acquirers[2].fee_rat' },
    { name: 'kind in an agent', change: (j) => (j.agents[0].kind = 'merchant'), path: 'agents[0].kind' },
    {
      name: 'in a merchant',
      change: (j) => (j.acquirers[0].merchants[1].fee_rat = '0.9'),
      path: 'acquirers[0].merchants[1].fee_rat',
    },
    {
      name: 'in a terminal',
      change: (j) => (j.agents[1].terminals[0].active_until = null),
      path: 'agents[1].terminals[0].active_until',
    },
    { name: 'in limits', change: (j) => (j.limits.max_load_fen = 1), path: 'limits.max_load_fen' },
    { name: 'in an operator', change: (j) => (j.operators = [{ name: 'Li Wei', may: ['propose'], role: 'x' }]), path: 'operators[0].role' },
    { name: 'a key that is not a plain word', change: (j) => (j.limits['late window'] = 1), path: 'limits["late window"]' },
    {
      name: 'a key "__proto__"',
      change: (j) => Object.defineProperty(j.centre, '__proto__', { value: {}, enumerable: true }),
      path: 'centre.__proto__',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const j = example();
      c.change(j);
      assert.deepEqual(refusal(j), { path: c.path, message: 'unknown key' });
    });
  }

  it("keeps the rate-key message for the other role's rate key", () => {
    const j = example();
    j.agents[0].merchants[0].fee_rate = '0.001';
    const r = refusal(j);
    assert.equal(r.path, 'agents[0].merchants[0].fee_rate');
    assert.match(r.message, /not allowed here/);
  });

  it('the example and every optional key pass', () => {
    const j = example();
    j.operators = [{ name: 'Li Wei', may: ['propose'] }];
    assert.ok(parseParticipants(j).ok);
  });
});

describe('parseKeys: an unknown key is refused with its path', () => {
  const KEY = '2291D8CDC310411E7EC27378A661C935';
  const cases: [unknown, string][] = [
    [{ issuers: { '41010001': { tac_master_key: KEY } }, comment: 'x' }, 'comment'],
    [{ issuers: { '41010001': { tac_master_key: KEY, tac_key: KEY } } }, 'issuers.41010001.tac_key'],
  ];
  for (const [doc, path] of cases) {
    it(path, () => {
      const r = parseKeys(doc, ['41010001']);
      assert.ok(!r.ok);
      assert.deepEqual({ path: r.path, message: r.message }, { path, message: 'unknown key' });
      assert.ok(!JSON.stringify(r).includes(KEY.slice(0, 8)), 'no key in the message');
    });
  }
  it('an issuer id that is not a plain word is named quoted', () => {
    const r = parseKeys({ issuers: { '4101.0001': { tac_master_key: KEY } } });
    assert.ok(!r.ok && r.path === 'issuers["4101.0001"]' && /8-digit/.test(r.message), JSON.stringify(r));
  });
});

describe('parseParticipants: operators', () => {
  it('absent: an empty list', () => {
    const r = parseParticipants(example());
    assert.ok(r.ok);
    assert.deepEqual(r.value.operators, []);
  });

  it('an operator with no rights is kept listed (rights withdrawn, name still in the history)', () => {
    const j = example();
    j.operators = [{ name: 'Zhao Lei', may: [] }];
    const r = parseParticipants(j);
    assert.ok(r.ok);
    assert.deepEqual(r.value.operators, [{ name: 'Zhao Lei', may: [] }]);
  });

  it('given: kept as written, in order', () => {
    const j = example();
    j.operators = [
      { name: 'Li Wei', may: ['propose'] },
      { name: '张敏', may: ['approve', 'propose'] },
    ];
    const r = parseParticipants(j);
    assert.ok(r.ok);
    assert.deepEqual(r.value.operators, [
      { name: 'Li Wei', may: ['propose'] },
      { name: '张敏', may: ['approve', 'propose'] },
    ]);
  });

  const faults: { name: string; operators: unknown; path: string; message: RegExp }[] = [
    { name: 'not an array', operators: { name: 'Li Wei' }, path: 'operators', message: /^not an array$/ },
    { name: 'an entry not an object', operators: ['Li Wei'], path: 'operators[0]', message: /^not an object$/ },
    { name: 'name missing', operators: [{ may: ['propose'] }], path: 'operators[0].name', message: /^missing$/ },
    { name: 'name not text', operators: [{ name: 7, may: ['propose'] }], path: 'operators[0].name', message: /^not a string$/ },
    { name: 'name empty', operators: [{ name: '', may: ['propose'] }], path: 'operators[0].name', message: /^empty$/ },
    { name: 'name blank', operators: [{ name: '  ', may: ['propose'] }], path: 'operators[0].name', message: /^empty$/ },
    { name: 'name padded', operators: [{ name: 'Li Wei ', may: ['propose'] }], path: 'operators[0].name', message: /space/ },
    {
      name: 'name with an escape sequence',
      operators: [{ name: 'Li\u001b[2JWei', may: ['propose'] }],
      path: 'operators[0].name',
      message: /control character/,
    },
    {
      name: 'name with a right-to-left override',
      operators: [{ name: 'Li\u202eWei', may: ['propose'] }],
      path: 'operators[0].name',
      message: /control character/,
    },
    {
      name: 'the same name twice',
      operators: [
        { name: 'Li Wei', may: ['propose'] },
        { name: 'Zhang Min', may: ['approve'] },
        { name: 'Li Wei', may: ['approve'] },
      ],
      path: 'operators[2].name',
      message: /^duplicate operator name Li Wei \(also at operators\[0\]\.name\)$/,
    },
    { name: 'may missing', operators: [{ name: 'Li Wei' }], path: 'operators[0].may', message: /^missing$/ },
    { name: 'may not an array', operators: [{ name: 'Li Wei', may: 'propose' }], path: 'operators[0].may', message: /^not an array$/ },
    {
      name: 'a right that does not exist',
      operators: [{ name: 'Li Wei', may: ['propose', 'post'] }],
      path: 'operators[0].may[1]',
      message: /^not propose or approve$/,
    },
    { name: 'a right in capitals', operators: [{ name: 'Li Wei', may: ['APPROVE'] }], path: 'operators[0].may[0]', message: /not propose/ },
    {
      name: 'a right given twice',
      operators: [{ name: 'Li Wei', may: ['approve', 'approve'] }],
      path: 'operators[0].may[1]',
      message: /^approve given twice$/,
    },
  ];
  for (const f of faults) {
    it(`refused: ${f.name}`, () => {
      const j = example();
      j.operators = f.operators;
      const r = refusal(j);
      assert.equal(r.path, f.path, `${r.path}: ${r.message}`);
      assert.match(r.message, f.message);
    });
  }
});
