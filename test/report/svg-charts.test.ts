// The report's own chart renderer and text escaping, as pure functions: sizes,
// proportions, negative amounts, empty data, and every text escaped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { barChart, CHART_WIDTH, emptyChart, lineChart, stackedBarChart } from '../../src/report/svg-charts';
import { escapeHtml, fitText, textWidthEm } from '../../src/report/markup';
import { count, yuan } from '../../src/report/figures';

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
  fill: string;
}

function rects(svg: string): Rect[] {
  return [...svg.matchAll(/<rect x="([-\d.]+)" y="([-\d.]+)" width="([-\d.]+)" height="([-\d.]+)" fill="([^"]+)"\/>/g)].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    width: Number(m[3]),
    height: Number(m[4]),
    fill: m[5]!,
  }));
}

function size(svg: string): { width: number; height: number; viewBox: string } {
  const m = /^<svg [^>]*width="([\d.]+)" height="([\d.]+)" viewBox="([^"]+)"/.exec(svg);
  assert(m, `an svg with width, height and viewBox: ${svg.slice(0, 120)}`);
  return { width: Number(m[1]), height: Number(m[2]), viewBox: m[3]! };
}

/** The x of the zero line: the one vertical line a bar chart draws. */
function zeroX(svg: string): number {
  const m = /<line x1="([-\d.]+)" y1="[-\d.]+" x2="\1" /.exec(svg);
  assert(m, 'a bar chart draws its zero line');
  return Number(m[1]);
}

const near = (a: number, b: number, what: string) => assert(Math.abs(a - b) <= 0.15, `${what}: ${a} is not ${b}`);

test("a bar chart's size follows its rows; its viewBox is its size", () => {
  for (const n of [1, 3, 12]) {
    const svg = barChart(
      Array.from({ length: n }, (_, i) => ({ label: `row ${i}`, value: i + 1 })),
      { title: 't', format: count },
    );
    const s = size(svg);
    assert.equal(s.width, CHART_WIDTH);
    assert.equal(s.height, 6 + n * 22 + 6);
    assert.equal(s.viewBox, `0 0 ${s.width} ${s.height}`);
    assert.equal(rects(svg).length, n);
  }
  assert.equal(size(barChart([{ label: 'a', value: 1 }], { title: 't', format: count, width: 500 })).width, 500);
});

test('bars are as long as their values, all starting at the zero line', () => {
  const svg = barChart(
    [
      { label: 'a', value: 400 },
      { label: 'b', value: 200 },
      { label: 'c', value: 100 },
    ],
    { title: 't', format: count },
  );
  const [a, b, c] = rects(svg);
  const zero = zeroX(svg);
  for (const r of [a!, b!, c!]) near(r.x, zero, 'a bar starts at zero');
  near(a!.width / b!.width, 2, 'a is twice b');
  near(b!.width / c!.width, 2, 'b is twice c');
  // The longest bar ends where the plot ends: value column 110 px and 8 px of air.
  near(a!.x + a!.width, CHART_WIDTH - 110 - 8, 'the longest bar fills the plot');
});

test('negative amounts extend left of the zero line, in another colour, and say so in yuan', () => {
  const svg = barChart(
    [
      { label: 'the participant pays', value: -5000 },
      { label: 'the centre pays', value: 10000 },
    ],
    { title: 'settlement', format: yuan },
  );
  const [neg, pos] = rects(svg);
  const zero = zeroX(svg);
  near(neg!.x + neg!.width, zero, 'a negative bar ends at zero');
  near(pos!.x, zero, 'a positive bar starts at zero');
  near(pos!.width / neg!.width, 2, 'lengths are proportional on both sides');
  assert(zero > 200, 'the zero line moved right to make room for the negative bar');
  assert.notEqual(neg!.fill, pos!.fill);
  assert.match(svg, />-50\.00</);
  assert.match(svg, />100\.00</);
});

test('zero draws no bar; a tiny value still shows', () => {
  const zeros = barChart(
    [
      { label: 'a', value: 0 },
      { label: 'b', value: 0 },
    ],
    { title: 't', format: count },
  );
  assert.equal(rects(zeros).length, 0);
  assert.doesNotMatch(zeros, /NaN|Infinity/);
  const tiny = rects(
    barChart(
      [
        { label: 'big', value: 100_000_000 },
        { label: 'tiny', value: 1 },
      ],
      { title: 't', format: count },
    ),
  );
  assert(tiny[1]!.width >= 1);
});

test('every text in a chart is escaped, control characters shown, nothing becomes markup', () => {
  const hostile = `<img src=x onerror="alert(1)">&'\u0001\u0007\n`;
  const svgs = [
    barChart([{ label: hostile, value: 1 }], { title: hostile, format: () => hostile }),
    stackedBarChart([{ label: hostile, parts: [1, 2] }], [{ name: hostile }, { name: 'b' }], { title: hostile, format: count }),
    lineChart([{ label: hostile, value: 3 }], { title: hostile, format: () => hostile }),
    emptyChart(hostile, hostile),
  ];
  for (const svg of svgs) {
    assert.doesNotMatch(svg, /<img|onerror="/);
    assert.match(svg, /&lt;img src=x onerror=&quot;alert\(1\)&quot;&gt;&amp;&#39;/);
    assert.match(svg, /\u2401\u2407\u240a/);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the check is that none are left
    assert.doesNotMatch(svg, /[\u0000-\u001f\u007f]/);
  }
});

test('an empty chart still has a size and says why', () => {
  for (const svg of [
    barChart([], { title: 't', format: count, empty: 'nothing cleared today' }),
    stackedBarChart([], [{ name: 'a' }], { title: 't', format: count, empty: 'nothing cleared today' }),
    lineChart([], { title: 't', format: count, empty: 'nothing cleared today' }),
  ]) {
    const s = size(svg);
    assert(s.width > 0 && s.height > 0);
    assert.match(svg, /nothing cleared today/);
  }
});

test('stacked bars: positive parts stack right of zero, negative ones left; the legend names each series; the total is written', () => {
  const svg = stackedBarChart(
    [
      { label: 'one', parts: [300, -100, 200] },
      { label: 'two', parts: [0, 0, 50] },
    ],
    [{ name: '1 purchases' }, { name: '2 loads' }, { name: '4 interop out' }],
    { title: 't', format: count },
  );
  const bars = rects(svg).filter((r) => r.height === 14);
  const legend = rects(svg).filter((r) => r.height === 10);
  assert.equal(legend.length, 3);
  assert.deepEqual(
    bars.map((r) => r.fill),
    [legend[0]!.fill, legend[1]!.fill, legend[2]!.fill, legend[2]!.fill],
  );
  const zero = zeroX(svg);
  const [p1, n2, p3, only] = bars;
  near(p1!.x, zero, 'the first positive part starts at zero');
  near(p3!.x, p1!.x + p1!.width, 'the next positive part starts where the first ends');
  near(n2!.x + n2!.width, zero, 'a negative part ends at zero');
  near(p1!.width / n2!.width, 3, 'parts are proportional');
  near(only!.x, zero, "the second row's only part starts at zero");
  for (const name of ['1 purchases', '2 loads', '4 interop out']) assert(svg.includes(`>${name}</text>`), name);
  assert.match(svg, />400<\/text>/, 'the first row totals 400');
});

test('a bar with a part missing, or a value that is not a number, is a bug', () => {
  assert.throws(() => stackedBarChart([{ label: 'x', parts: [1] }], [{ name: 'a' }, { name: 'b' }], { title: 't', format: count }));
  assert.throws(() => barChart([{ label: 'x', value: Number.NaN }], { title: 't', format: count }));
  assert.throws(() => lineChart([{ label: 'x', value: Number.POSITIVE_INFINITY }], { title: 't', format: count }));
});

test('line chart: a point per day, the first and last days under the axis, the scale from zero', () => {
  const points = [
    { label: '2026-01-01', value: 10 },
    { label: '2026-01-02', value: 30 },
    { label: '2026-01-03', value: 20 },
  ];
  const svg = lineChart(points, { title: 't', format: count, height: 120 });
  const circles = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]) }));
  assert.equal(circles.length, 3);
  assert(circles[0]!.x < circles[1]!.x && circles[1]!.x < circles[2]!.x, 'days left to right');
  assert(circles[1]!.y < circles[2]!.y && circles[2]!.y < circles[0]!.y, 'higher values higher up');
  // From zero: 10 is a third of the way from the bottom (y = 98) to the top (y = 10) of the plot.
  near(circles[0]!.y, 98 - (88 * 10) / 30, 'the scale starts at zero');
  assert.match(svg, />2026-01-01<\/text>/);
  assert.match(svg, />2026-01-03<\/text>/);
  assert.doesNotMatch(svg, />2026-01-02<\/text>/);
  assert.equal(size(svg).height, 120);
});

test('line chart: one day, a flat line, and values below zero draw without dividing by zero', () => {
  const one = lineChart([{ label: '2026-01-01', value: 5 }], { title: 't', format: count });
  assert.equal([...one.matchAll(/<circle /g)].length, 1);
  const flat = lineChart(
    [
      { label: 'a', value: 0 },
      { label: 'b', value: 0 },
    ],
    { title: 't', format: count },
  );
  const negative = lineChart(
    [
      { label: 'a', value: -300 },
      { label: 'b', value: 100 },
    ],
    { title: 't', format: yuan },
  );
  for (const svg of [one, flat, negative]) assert.doesNotMatch(svg, /NaN|Infinity/);
  assert.equal([...negative.matchAll(/stroke="#444"/g)].length, 1, 'a zero line when values go below zero');
  assert.match(negative, />-3\.00<\/text>/);
  assert.match(negative, />0\.00<\/text>/);
});

test('escapeHtml: the five markup characters become entities; other text is left alone', () => {
  assert.equal(escapeHtml(`a<b>&"c'`), 'a&lt;b&gt;&amp;&quot;c&#39;');
  assert.equal(escapeHtml('郑州公交 Depot No.1'), '郑州公交 Depot No.1');
  assert.equal(escapeHtml('😀'), '😀', 'a surrogate pair is kept');
  assert.equal(escapeHtml('\u0000\t\n\r\u001f\u007f'), '\u2400\u2409\u240a\u240d\u241f\u2421');
  assert.equal(escapeHtml('a\u0085b\u009fc'), 'a\ufffdb\ufffdc', 'C1 controls');
  assert.equal(escapeHtml('x\ud800y\udc00z'), 'x\ufffdy\ufffdz', 'lone surrogates');
  assert.equal(escapeHtml('\ufdd0\ufffe\uffff'), '\ufffd\ufffd\ufffd', 'noncharacters');
});

const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

test('escapeHtml, property: no markup character, control, lone surrogate or noncharacter survives', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.oneof(anyCodeUnit, fc.constantFrom('<', '>', '&', '"', "'")), maxLength: 40 }), (s) => {
      const out = escapeHtml(s);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the check is that none are left
      assert.doesNotMatch(out, /[<>"'\u0000-\u001f\u007f-\u009f\ufdd0-\ufdef\ufffe\uffff]/);
      assert.doesNotMatch(out, /&(?!amp;|lt;|gt;|quot;|#39;)/, 'every & starts an entity');
      assert.doesNotMatch(out, /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/, 'no lone surrogate');
    }),
  );
});

test('escapeHtml, property: decoding the five entities gives back any text without controls', () => {
  const decode = (s: string) =>
    s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
  fc.assert(
    fc.property(
      // biome-ignore lint/suspicious/noControlCharactersInRegex: texts with controls are the other property's
      fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !/[\u0000-\u001f\u007f-\u009f\ufdd0-\ufdef\ufffe\uffff]/.test(s)),
      (s) => {
        assert.equal(decode(escapeHtml(s)), s);
      },
    ),
  );
});

test('yuan: integer fen as yuan with two decimals and thousands separators, exactly', () => {
  const cases: [number, string][] = [
    [0, '0.00'],
    [5, '0.05'],
    [-5, '-0.05'],
    [100, '1.00'],
    [-100_000, '-1,000.00'],
    [123_456_789, '1,234,567.89'],
    [Number.MAX_SAFE_INTEGER, '90,071,992,547,409.91'],
  ];
  for (const [fen, text] of cases) assert.equal(yuan(fen), text, String(fen));
  assert.throws(() => yuan(1.5), /safe integer/);
  assert.equal(count(1_234_567), '1,234,567');
  assert.equal(count(-1000), '-1,000');
});

test('fitText: a label too long for its column is cut with an ellipsis; wide characters count double', () => {
  assert.equal(fitText('Depot No.1', 20), 'Depot No.1');
  const latin = fitText('Central Plains Retail Acquiring', 10);
  const cjk = fitText('中原零售收单服务有限公司郑州分公司', 10);
  assert(latin.endsWith('…') && cjk.endsWith('…'));
  assert(textWidthEm(latin) <= 10 && textWidthEm(cjk) <= 10);
  assert(cjk.length < latin.length, 'fewer wide characters fit');
});
