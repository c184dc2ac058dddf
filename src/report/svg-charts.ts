// The report's charts, drawn on the server as inline SVG: horizontal bars (negative
// values extend left of a zero line), stacked horizontal bars with a legend, and a
// small line chart for the 30-day trends. Pure functions from numbers to markup; no
// script, no external font or style, so the page needs nothing but itself.
//
// Every chart has fixed width and height attributes and a viewBox (it scales down to
// the page with CSS), a <title> that names it for screen readers, and a <title> per
// bar or point with its exact figure. Every text passes through escapeHtml; labels
// too long for their column are cut with an ellipsis (the full text stays in the
// bar's title). A chart with nothing to draw still draws a box saying so: a chart
// never vanishes from the page.
import { strict as assert } from 'node:assert';
import { escapeHtml, fitText, textWidthEm } from './markup';

export const CHART_WIDTH = 720;
const FONT_PX = 12;
const FONT_FAMILY = "system-ui, 'Segoe UI', 'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif";
const ROW_PX = 22;
const BAR_PX = 14;
const PAD_PX = 6;

/** Okabe-Ito: told apart by people with colour-blindness, and in grey on a black-and-white printer. */
export const PALETTE: readonly string[] = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#666666'];
const POSITIVE = '#0072B2';
const NEGATIVE = '#D55E00';

export interface Bar {
  label: string;
  value: number;
}

export interface ChartOptions {
  /** What the chart shows: its accessible name, and the text of an empty chart. */
  title: string;
  /** A value as the chart's text shows it (e.g. fen as yuan). */
  format: (value: number) => string;
  width?: number;
  /** Width of the label column, in px. */
  label_px?: number;
  /** Width of the value column on the right, in px. */
  value_px?: number;
  /** Shown instead of bars when there are none. */
  empty?: string;
}

export interface Series {
  name: string;
  colour?: string;
}

export interface StackedBar {
  label: string;
  /** One value per series, in the series' order; negative parts stack left of zero. */
  parts: readonly number[];
}

export interface Point {
  label: string;
  value: number;
}

/** Horizontal bars, one per row; a negative value is drawn left of the zero line in another colour. */
export function barChart(bars: readonly Bar[], opts: ChartOptions): string {
  return stackedBarChart(
    bars.map((b) => ({ label: b.label, parts: [b.value] })),
    [{ name: opts.title }],
    opts,
    false,
  );
}

/**
 * Horizontal stacked bars: per row, the positive parts stack right from zero and the
 * negative parts left, each in its series' colour; the row's total is written on the
 * right. With `legend`, the series are named above the bars.
 */
export function stackedBarChart(bars: readonly StackedBar[], series: readonly Series[], opts: ChartOptions, legend = true): string {
  const width = opts.width ?? CHART_WIDTH;
  if (bars.length === 0) return emptyChart(opts.title, opts.empty ?? 'nothing to show', width);
  for (const b of bars) {
    assert.equal(b.parts.length, series.length, `bar ${JSON.stringify(b.label)}: one part per series`);
    for (const v of b.parts) assert(Number.isFinite(v), `bar ${JSON.stringify(b.label)}: a part is not a finite number`);
  }
  const single = series.length === 1 && !legend;
  const label_px = opts.label_px ?? 200;
  const value_px = opts.value_px ?? 110;
  const x0 = label_px;
  const x1 = width - value_px - 8;
  assert(x1 - x0 >= 40, 'the chart is too narrow for its label and value columns');

  const colours = series.map((s, i) => s.colour ?? PALETTE[i % PALETTE.length]!);
  const legendRows = legend ? legendLayout(series, width) : [];
  const top = PAD_PX + legendRows.length * 18;
  const height = top + bars.length * ROW_PX + PAD_PX;

  let lo = 0;
  let hi = 0;
  for (const b of bars) {
    lo = Math.min(lo, sum(b.parts.filter((v) => v < 0)));
    hi = Math.max(hi, sum(b.parts.filter((v) => v > 0)));
  }
  if (lo === hi) hi = 1; // all zero: any scale draws nothing
  const sx = (v: number) => x0 + ((v - lo) / (hi - lo)) * (x1 - x0);
  const zero = sx(0);

  const out: string[] = [svgOpen(width, height, opts.title)];
  legendRows.forEach((row, r) => {
    for (const item of row) {
      const y = PAD_PX + r * 18;
      out.push(
        `<rect x="${px(item.x)}" y="${px(y + 1)}" width="10" height="10" fill="${colours[item.index]}"/>`,
        `<text x="${px(item.x + 14)}" y="${px(y + 10)}">${escapeHtml(item.text)}</text>`,
      );
    }
  });
  bars.forEach((b, r) => {
    const y = top + r * ROW_PX;
    const total = sum(b.parts);
    const tip = single
      ? `${b.label}: ${opts.format(total)}`
      : `${b.label}: ${b.parts.map((v, i) => `${series[i]!.name} ${opts.format(v)}`).join(', ')}; total ${opts.format(total)}`;
    out.push(`<g><title>${escapeHtml(tip)}</title>`);
    out.push(
      `<text x="${px(x0 - 8)}" y="${px(y + 15)}" text-anchor="end">${escapeHtml(fitText(b.label, (label_px - 12) / FONT_PX))}</text>`,
    );
    let right = 0;
    let left = 0;
    b.parts.forEach((v, i) => {
      if (v === 0) return;
      const from = v > 0 ? right : left;
      const to = from + v;
      if (v > 0) right = to;
      else left = to;
      const a = sx(Math.min(from, to));
      const w = Math.max(1, sx(Math.max(from, to)) - a); // a tiny value still shows
      const fill = single ? (v < 0 ? NEGATIVE : POSITIVE) : colours[i]!;
      out.push(`<rect x="${px(a)}" y="${px(y + (ROW_PX - BAR_PX) / 2)}" width="${px(w)}" height="${BAR_PX}" fill="${fill}"/>`);
    });
    out.push(`<text x="${px(width - 4)}" y="${px(y + 15)}" text-anchor="end">${escapeHtml(opts.format(total))}</text>`);
    out.push('</g>');
  });
  out.push(`<line x1="${px(zero)}" y1="${px(top - 2)}" x2="${px(zero)}" y2="${px(height - PAD_PX + 2)}" stroke="#444" stroke-width="1"/>`);
  out.push('</svg>');
  return out.join('');
}

/**
 * A small line chart: the points evenly spaced in their order, the value axis from
 * zero (or the lowest value, when below zero) to the highest, labelled at both ends;
 * the first and last labels under the axis.
 */
export function lineChart(points: readonly Point[], opts: ChartOptions & { height?: number }): string {
  const width = opts.width ?? CHART_WIDTH;
  if (points.length === 0) return emptyChart(opts.title, opts.empty ?? 'nothing to show', width);
  for (const p of points) assert(Number.isFinite(p.value), `point ${JSON.stringify(p.label)}: not a finite number`);
  const height = opts.height ?? 120;
  const left = opts.label_px ?? 96;
  const right = 16;
  const top = 10;
  const bottom = 22;
  const values = points.map((p) => p.value);
  const lo = Math.min(0, ...values);
  let hi = Math.max(0, ...values);
  if (lo === hi) hi = lo + 1;
  const sx = (i: number) => (points.length === 1 ? (left + width - right) / 2 : left + (i / (points.length - 1)) * (width - left - right));
  const sy = (v: number) => top + (1 - (v - lo) / (hi - lo)) * (height - top - bottom);

  const out: string[] = [svgOpen(width, height, opts.title)];
  const axis = (v: number, colour: string) =>
    `<line x1="${px(left)}" y1="${px(sy(v))}" x2="${px(width - right)}" y2="${px(sy(v))}" stroke="${colour}" stroke-width="1"/>`;
  out.push(axis(hi, '#ddd'), axis(lo, '#ddd'));
  if (lo < 0) out.push(axis(0, '#444'));
  const yLabel = (v: number) =>
    `<text x="${px(left - 6)}" y="${px(sy(v) + 4)}" text-anchor="end">${escapeHtml(fitText(opts.format(v), (left - 8) / FONT_PX))}</text>`;
  out.push(yLabel(hi), yLabel(lo));
  if (lo < 0 && hi > 0) out.push(yLabel(0));
  out.push(
    `<polyline fill="none" stroke="${POSITIVE}" stroke-width="2" points="${points.map((p, i) => `${px(sx(i))},${px(sy(p.value))}`).join(' ')}"/>`,
  );
  points.forEach((p, i) => {
    out.push(
      `<circle cx="${px(sx(i))}" cy="${px(sy(p.value))}" r="3" fill="${POSITIVE}"><title>${escapeHtml(`${p.label}: ${opts.format(p.value)}`)}</title></circle>`,
    );
  });
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const baseline = height - 6;
  if (points.length === 1) {
    out.push(`<text x="${px(sx(0))}" y="${px(baseline)}" text-anchor="middle">${escapeHtml(first.label)}</text>`);
  } else {
    out.push(`<text x="${px(left)}" y="${px(baseline)}">${escapeHtml(first.label)}</text>`);
    out.push(`<text x="${px(width - right)}" y="${px(baseline)}" text-anchor="end">${escapeHtml(last.label)}</text>`);
  }
  out.push('</svg>');
  return out.join('');
}

/** The box an empty chart draws: its size is never zero. */
export function emptyChart(title: string, message: string, width = CHART_WIDTH): string {
  const height = 36;
  return (
    svgOpen(width, height, title) +
    `<rect x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" fill="none" stroke="#bbb" stroke-dasharray="4 3"/>` +
    `<text x="${px(width / 2)}" y="22" text-anchor="middle" fill="#555">${escapeHtml(message)}</text></svg>`
  );
}

function svgOpen(width: number, height: number, title: string): string {
  assert(width > 0 && height > 0, 'a chart has a size');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${width}" height="${px(height)}" viewBox="0 0 ${width} ${px(height)}"` +
    ` role="img" aria-label="${escapeHtml(title)}" font-family="${escapeHtml(FONT_FAMILY)}" font-size="${FONT_PX}" fill="#222">` +
    `<title>${escapeHtml(title)}</title>`
  );
}

interface LegendItem {
  index: number;
  text: string;
  x: number;
}

/** The series' swatches and names, laid out left to right, wrapping onto new rows. */
function legendLayout(series: readonly Series[], width: number): LegendItem[][] {
  const rows: LegendItem[][] = [[]];
  let x = 0;
  series.forEach((s, index) => {
    const text = fitText(s.name, (width - 20) / FONT_PX);
    const w = 14 + textWidthEm(text) * FONT_PX + 16;
    if (x > 0 && x + w > width) {
      rows.push([]);
      x = 0;
    }
    rows[rows.length - 1]!.push({ index, text, x });
    x += w;
  });
  return rows;
}

function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/** Coordinates to one decimal: enough for a screen, and the same text on every run. */
function px(v: number): string {
  return String(Math.round(v * 10) / 10);
}
