// A JSON parser for the configuration files that refuses what JSON.parse lets
// through: a key given twice in one object. JSON.parse keeps the last value, so
// `"fee_rate":"0.0030", "fee_rate":"0.9"` would charge 90% while a reader of the
// file sees 0.30%; the spec (batch-cli.md, "Common options") calls such a file
// malformed. Otherwise it accepts exactly RFC 8259 JSON, as JSON.parse does.
//
// Pure: text in, a value or the first problem out. A duplicate is named by its path
// in the form the configuration's messages use (`acquirers[2].fee_rate`); a syntax
// error by its line and column. Nesting is bounded, so that a hostile file of a
// million `[` is a refusal rather than a stack overflow.

/** The deepest nesting of objects and arrays accepted (the configuration needs 5). */
export const MAX_JSON_DEPTH = 64;

export type StrictJsonResult =
  | { ok: true; value: unknown }
  /** A key given twice in one object: path names the second one. */
  | { ok: false; kind: 'duplicate'; path: string; message: string }
  /** Not JSON: message says what was found, never more than one character of the text. */
  | { ok: false; kind: 'syntax'; message: string; line: number; column: number };

/** The path of a key under parent (null: the document's root), as the configuration's messages write it. */
export function pathOfKey(parent: string | null, key: string): string {
  const plain = /^[A-Za-z0-9_]+$/.test(key);
  if (parent === null) return plain ? key : `[${JSON.stringify(key)}]`;
  return plain ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/** Raised inside the parser only, to unwind to parseStrictJson; never escapes it. */
class Refusal {
  constructor(readonly result: StrictJsonResult) {}
}

export function parseStrictJson(text: string): StrictJsonResult {
  const p = new Parser(text);
  try {
    p.space();
    const value = p.value(null, 0);
    p.space();
    if (p.pos < text.length) p.fail('text after the end of the JSON value');
    return { ok: true, value };
  } catch (err) {
    if (err instanceof Refusal) return err.result;
    throw err;
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

class Parser {
  pos = 0;

  constructor(private readonly text: string) {}

  fail(what: string): never {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < this.pos && i < this.text.length; i++) {
      if (this.text.charCodeAt(i) === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    throw new Refusal({ ok: false, kind: 'syntax', message: what, line, column: this.pos - lineStart + 1 });
  }

  private unexpected(): never {
    if (this.pos >= this.text.length) this.fail('unexpected end of the text');
    this.fail(`unexpected ${JSON.stringify(this.text[this.pos])}`);
  }

  space(): void {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++;
      else return;
    }
  }

  /** path: where the value sits (null at the root), for naming a duplicate below it. */
  value(path: string | null, depth: number): unknown {
    const c = this.text[this.pos];
    if (c === '{') return this.object(path, depth + 1);
    if (c === '[') return this.array(path, depth + 1);
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    return this.unexpected();
  }

  private enter(depth: number): void {
    if (depth > MAX_JSON_DEPTH) this.fail(`nested more than ${MAX_JSON_DEPTH} deep`);
    this.pos++;
    this.space();
  }

  private object(path: string | null, depth: number): Record<string, unknown> {
    this.enter(depth);
    const out: Record<string, unknown> = {};
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    const seen = new Set<string>();
    for (;;) {
      if (this.text[this.pos] !== '"') this.unexpected();
      const key = this.string();
      const keyPath = pathOfKey(path, key);
      if (seen.has(key)) throw new Refusal({ ok: false, kind: 'duplicate', path: keyPath, message: 'key given twice in one object' });
      seen.add(key);
      this.space();
      if (this.text[this.pos] !== ':') this.unexpected();
      this.pos++;
      this.space();
      const v = this.value(keyPath, depth);
      // A plain assignment of "__proto__" would set the object's prototype, not a key.
      if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v;
      this.space();
      const c = this.text[this.pos];
      this.pos++;
      if (c === '}') return out;
      if (c !== ',') {
        this.pos--;
        this.unexpected();
      }
      this.space();
    }
  }

  private array(path: string | null, depth: number): unknown[] {
    this.enter(depth);
    const out: unknown[] = [];
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(`${path ?? ''}[${out.length}]`, depth));
      this.space();
      const c = this.text[this.pos];
      this.pos++;
      if (c === ']') return out;
      if (c !== ',') {
        this.pos--;
        this.unexpected();
      }
      this.space();
    }
  }

  private string(): string {
    const t = this.text;
    this.pos++; // the opening quote
    let out = '';
    let from = this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail('a string is not closed');
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) {
        out += t.slice(from, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) this.fail('a control character inside a string (write it as an escape)');
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += t.slice(from, this.pos);
      const e = t[this.pos + 1];
      if (e === 'u') {
        const hex = t.slice(this.pos + 2, this.pos + 6);
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) this.fail('a \\u escape without 4 hex digits');
        out += String.fromCharCode(Number.parseInt(hex, 16));
        this.pos += 6;
      } else if (e !== undefined && Object.hasOwn(ESCAPES, e)) {
        out += ESCAPES[e];
        this.pos += 2;
      } else if (e === undefined) {
        this.pos++;
        this.fail('a string is not closed');
      } else this.fail(`an unknown escape \\${e}`);
      from = this.pos;
    }
  }

  private number(): number {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (m === null) return this.unexpected();
    this.pos += m[0].length;
    return Number(m[0]);
  }
}
