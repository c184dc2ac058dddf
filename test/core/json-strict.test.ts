// The configuration's JSON parser: the same value as JSON.parse for every JSON text
// without a repeated key, a key given twice refused with its path at any depth, and
// every syntax error a refusal with its line and column, never an exception.
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { MAX_JSON_DEPTH, parseStrictJson, pathOfKey } from '../../src/core/json-strict';

function value(text: string): unknown {
  const r = parseStrictJson(text);
  assert.ok(r.ok, `${JSON.stringify(text)}: ${JSON.stringify(r)}`);
  return r.value;
}

describe('parseStrictJson: JSON as JSON.parse reads it', () => {
  it('a table of texts', () => {
    for (const text of [
      '{}',
      '[]',
      ' \t\r\n{ "a" : [ 1 , -2.5e3 , 0.25 , 1E+2 , 0 , -0 ] , "b" : { } }\n',
      '"x"',
      '"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u4e2d\\ud83d\\ude00"',
      'true',
      'false',
      'null',
      '123456789012345678901234567890',
      '1e400',
      '{"":1,"a b":2,"中文":"李伟"}',
      '[[[[[]]]]]',
    ]) {
      assert.deepStrictEqual(value(text), JSON.parse(text), text);
    }
  });

  it('property: any JSON value, written any way JSON.stringify writes it, reads back equal', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.constantFrom(undefined, 1, '\t'), (v, indent) => {
        const text = JSON.stringify(v, null, indent);
        assert.deepStrictEqual(value(text), JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it('a key "__proto__" is a key like any other, not the prototype', () => {
    const v = value('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    assert.deepEqual(Object.keys(v), ['__proto__', 'a']);
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    assert.equal((v as { polluted?: boolean }).polluted, undefined);
    assert.equal(({} as { polluted?: boolean }).polluted, undefined);
  });
});

describe('parseStrictJson: a key given twice', () => {
  const cases: [string, string][] = [
    ['{"a":1,"a":2}', 'a'],
    ['{"fee_rate":"0.0030","fee_rate":"0.9"}', 'fee_rate'],
    ['{"national":{"id":"1","name":"n","id":"2"}}', 'national.id'],
    ['{"acquirers":[{"id":"1"},{"id":"2"},{"fee_rate":"0.0030","fee_rate":"0.9"}]}', 'acquirers[2].fee_rate'],
    ['{"acquirers":[{"merchants":[{},{"id":"x","name":"a","name":"b"}]}]}', 'acquirers[0].merchants[1].name'],
    ['{"issuers":{"41010001":{"tac_master_key":"A","tac_master_key":"B"}}}', 'issuers.41010001.tac_master_key'],
    ['{"issuers":{"41010001":{},"41010001":{}}}', 'issuers.41010001'],
    // The same key written two ways is still the same key.
    ['{"a":1,"\\u0061":2}', 'a'],
    ['[{"x":1},{"x":1,"x":1}]', '[1].x'],
    ['{"a b":1,"a b":2}', '["a b"]'],
  ];
  for (const [text, path] of cases) {
    it(`${text} -> ${path}`, () => {
      const r = parseStrictJson(text);
      assert.ok(!r.ok && r.kind === 'duplicate', JSON.stringify(r));
      assert.equal(r.path, path);
      assert.equal(r.message, 'key given twice in one object');
    });
  }

  it('the same key in two different objects is no duplicate', () => {
    assert.deepEqual(value('{"a":{"id":1},"b":{"id":1},"c":[{"id":1},{"id":1}]}'), {
      a: { id: 1 },
      b: { id: 1 },
      c: [{ id: 1 }, { id: 1 }],
    });
  });
});

describe('parseStrictJson: not JSON', () => {
  const cases: [string, RegExp, number, number][] = [
    ['', /unexpected end/, 1, 1],
    ['{', /unexpected end/, 1, 2],
    ['{"a":1,}', /unexpected "}"/, 1, 8],
    ['{"a" 1}', /unexpected "1"/, 1, 6],
    ["{'a':1}", /unexpected "'"/, 1, 2],
    ['[1,]', /unexpected "]"/, 1, 4],
    ['[1 2]', /unexpected "2"/, 1, 4],
    ['{"a":1}\n{"b":2}', /after the end/, 2, 1],
    ['{\n  "a": 01\n}', /unexpected "1"/, 2, 9],
    ['{\n  "a": .5\n}', /unexpected "\."/, 2, 8],
    ['{\n  "a": +1\n}', /unexpected "\+"/, 2, 8],
    ['{"a": 1.}', /unexpected "\."/, 1, 8],
    ['{"a": NaN}', /unexpected "N"/, 1, 7],
    ['{"a": tru}', /unexpected "t"/, 1, 7],
    ['{"a": "x\ny"}', /control character inside a string/, 1, 9],
    ['{"a": "\\x41"}', /unknown escape \\x/, 1, 8],
    ['{"a": "\\u12G4"}', /\\u escape/, 1, 8],
    ['{"a": "open', /not closed/, 1, 12],
    ['\ufeff{}', /unexpected "\ufeff"/, 1, 1],
    ['/* comment */ {}', /unexpected "\/"/, 1, 1],
  ];
  for (const [text, message, line, column] of cases) {
    it(JSON.stringify(text), () => {
      const r = parseStrictJson(text);
      assert.ok(!r.ok && r.kind === 'syntax', JSON.stringify(r));
      assert.match(r.message, message);
      assert.deepEqual([r.line, r.column], [line, column], r.message);
      assert.throws(() => JSON.parse(text), 'JSON.parse refuses it too');
    });
  }

  it(`nesting deeper than ${MAX_JSON_DEPTH} is refused, not a stack overflow`, () => {
    assert.ok(parseStrictJson(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`).ok);
    for (const depth of [MAX_JSON_DEPTH + 1, 1_000_000]) {
      const r = parseStrictJson(`${'['.repeat(depth)}${']'.repeat(depth)}`);
      assert.ok(!r.ok && r.kind === 'syntax' && /nested more than 64 deep/.test(r.message), JSON.stringify(r).slice(0, 200));
    }
    const r = parseStrictJson('{"a":'.repeat(100_000));
    assert.ok(!r.ok && /nested/.test(r.message));
  });

  it('property: any text at all is a value or a refusal, never an exception, and a value only where JSON.parse gives one', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json().map((j) => j.slice(0, j.length - 1)),
        ),
        (text) => {
          const r = parseStrictJson(text);
          let expected: unknown;
          let valid = true;
          try {
            expected = JSON.parse(text);
          } catch {
            valid = false;
          }
          if (r.ok) assert.deepStrictEqual(r.value, expected);
          else if (r.kind === 'syntax') assert.equal(valid, false, `${JSON.stringify(text)}: ${r.message}`);
        },
      ),
      { numRuns: 500 },
    );
  });
});

it('pathOfKey writes plain keys with a dot and others quoted', () => {
  assert.equal(pathOfKey(null, 'centre'), 'centre');
  assert.equal(pathOfKey('acquirers[2]', 'fee_rat'), 'acquirers[2].fee_rat');
  assert.equal(pathOfKey('issuers', '41010001'), 'issuers.41010001');
  assert.equal(pathOfKey(null, 'a.b'), '["a.b"]');
  assert.equal(pathOfKey('limits', 'x\u001b[2J'), 'limits["x\\u001b[2J"]');
});
