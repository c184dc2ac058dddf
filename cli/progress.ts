// Progress of `lct batch` on stderr (batch-cli.md): a live bar on a terminal, a line
// per step otherwise. On a terminal the import is one line redrawn in place (records
// read of about how many, records a second, time left, files done), other steps a
// line of text redrawn the same way. Elsewhere (cron's mail, a log file) a line is
// written when a step begins and when a file of the import is done, each with the
// seconds since the start. What is drawn is computed by pure functions of the state
// (renderImportBar, importLine), so that a test can hold them against their output.
import type { ImportProgress, Progress } from '../src/batch/context';
import { printable } from '../src/core/printable';

/** Where progress goes: stderr, or a test's stand-in. */
export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
  /** The terminal's width; 0 or absent when unknown. */
  columns?: number;
}

/** What the bar shows: the import's counts and how long it has run. */
export interface BarState {
  files_done: number;
  files_total: number;
  records_done: number;
  records_expected: number;
  elapsed_ms: number;
}

/** The bar is not drawn more often than this, except for the import's last file. */
export const REDRAW_EVERY_MS = 100;
/** The width assumed when the terminal does not say. */
const DEFAULT_COLUMNS = 80;
const BAR_WIDTH_MIN = 10;
const BAR_WIDTH_MAX = 40;

/** 1234567 -> '1,234,567' (the same on every machine, whatever its locale). */
export function grouped(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Seconds as m:ss, or h:mm:ss from an hour on. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const mm = String(Math.floor(s / 60) % 60);
  const ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm.padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/**
 * The import's live line, at most columns - 1 wide (the last column would wrap on
 * some terminals):
 *   import [#########-----------]  45%  123,456/270,000 records  58,000/s  0:03 left  12/40 files
 * The total is an estimate from the files' bytes: until the last file is done the
 * bar stops at 99%, and time left is unknown ('?') until a record has been read or
 * once the estimate is passed. On a narrow terminal the files, then the rate, give
 * way to the bar; narrower still, the bar goes and the line is cut.
 */
export function renderImportBar(s: BarState, columns: number): string {
  const width = (columns > 0 ? columns : DEFAULT_COLUMNS) - 1;
  const finished = s.files_done >= s.files_total;
  const fraction = finished ? 1 : s.records_expected > 0 ? Math.min(s.records_done / s.records_expected, 0.99) : 0;
  const rate = s.elapsed_ms > 0 ? (s.records_done * 1000) / s.elapsed_ms : 0;
  const left = s.records_expected - s.records_done;
  const time_left = finished ? clock(0) : rate > 0 && left >= 0 ? clock(left / rate) : '?';
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const records = `${grouped(s.records_done)}/${grouped(Math.max(s.records_expected, s.records_done))} records`;
  const rated = `${grouped(rate)}/s`;
  const files = `${s.files_done}/${s.files_total} files`;
  const layouts = [
    [percent, records, rated, `${time_left} left`, files],
    [percent, records, rated, `${time_left} left`],
    [percent, records, `${time_left} left`],
  ];
  for (const parts of layouts) {
    const rest = parts.join('  ');
    const room = width - 'import [] '.length - rest.length;
    if (room < BAR_WIDTH_MIN) continue;
    const bar_width = Math.min(room, BAR_WIDTH_MAX);
    const filled = Math.floor(fraction * bar_width);
    return `import [${'#'.repeat(filled)}${'-'.repeat(bar_width - filled)}] ${rest}`;
  }
  return `import ${layouts[layouts.length - 1]!.join('  ')}`.slice(0, width);
}

/** The line a file of the import gets where there is no terminal; null for the counts sent within a file. */
export function importLine(e: ImportProgress): string | null {
  if (e.done === null) return null;
  return `import: ${e.files_done}/${e.files_total} ${printable(e.done.name)}: ${e.done.outcome}`;
}

/** A line of the log: the seconds since the start, then the message. */
export function logLine(elapsed_ms: number, message: string): string {
  return `[${(elapsed_ms / 1000).toFixed(1).padStart(6)} s] ${message}\n`;
}

/**
 * The batch's progress reporter on `sink`. every_line: print every message, not only
 * a step's first (LCT_PROGRESS=all, for looking into a slow night). now: the clock in
 * milliseconds (a test's own).
 */
export function makeProgressReporter(sink: ProgressSink, opts: { every_line?: boolean; now?: () => number } = {}): Progress {
  const now = opts.now ?? (() => performance.now());
  const started = now();
  const tty = sink.isTTY === true;
  const columns = () => ((sink.columns ?? 0) > 0 ? sink.columns! : DEFAULT_COLUMNS);
  let lastStep = '';
  let import_started: number | null = null;
  let drawn_at = Number.NEGATIVE_INFINITY;
  return (event) => {
    const at = now();
    if (typeof event !== 'string') {
      import_started ??= at;
      if (tty) {
        const last = event.files_done >= event.files_total;
        if (!last && at - drawn_at < REDRAW_EVERY_MS) return;
        drawn_at = at;
        sink.write(`\r\x1b[K${renderImportBar({ ...event, elapsed_ms: at - import_started }, columns())}`);
        return;
      }
      const line = importLine(event);
      if (line !== null) sink.write(logLine(at - started, line));
      lastStep = 'import';
      return;
    }
    const message = printable(event); // it names files: their names come from outside
    const step = message.split(':')[0]!;
    if (step === 'import') import_started = at;
    if (tty) {
      const line = message === 'done' ? '' : message.slice(0, columns() - 1);
      sink.write(`\r\x1b[K${line}`);
      return;
    }
    if (step !== lastStep || opts.every_line) sink.write(logLine(at - started, message));
    lastStep = step;
  };
}
