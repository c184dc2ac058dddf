// `lct batch --date YYYY-MM-DD [--inbox DIR] [--outbox DIR] [--json]` (batch-cli.md).
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { openStore } from '../src/store/db';
import type { ParallelMode } from '../src/batch/import-files';
import { runBatch } from '../src/batch/run';
import { renderSummary } from '../src/batch/report-text';
import { loadKeys, loadParticipants } from './config';
import { configPath, endProgress, keysPath, parseDateOption, progressReporter, storePath, withConfig, withStore } from './common';
import { beijingNow } from './dates';
import { UsageError } from './errors';
import { printText } from './printing';
import { asSoleWriter } from './writer';
import { isCompactTimestamp } from '../src/core/calendar';

interface BatchOptions {
  date: string;
  inbox?: string;
  outbox?: string;
  json?: boolean;
  db?: string;
  config?: string;
  keys?: string;
}

export function registerBatchCommand(program: Command): void {
  withConfig(withStore(program.command('batch')))
    .description('run business day D: import, validate, clear, post, settle, reconcile, close, write the outbox')
    .requiredOption('--date <YYYY-MM-DD>', 'the business day to run')
    .option('--inbox <dir>', "where the night's files arrive (default ./inbox, or $LCT_INBOX)")
    .option('--outbox <dir>', "where the centre's files go (default ./outbox, or $LCT_OUTBOX)")
    .option('--json', 'print the summary as one JSON object')
    .action((o: BatchOptions) => {
      process.exitCode = batchCommand(o);
    });
}

/**
 * The batch's clock: whether day D has begun (a day ahead, or a year, is refused
 * before anything runs) and the moment the day's files are stamped with. LCT_NOW
 * (YYYYMMDDhhmmss, Beijing time) fixes it, for reproducible runs and tests;
 * otherwise the machine's clock in Beijing time.
 */
function clockOf(fixed: string | undefined): () => string {
  if (fixed === undefined) return beijingNow;
  if (!isCompactTimestamp(fixed)) throw new UsageError(`LCT_NOW=${fixed}: not a time of the form YYYYMMDDhhmmss`);
  return () => fixed;
}

export function batchCommand(o: BatchOptions): number {
  const date = parseDateOption(o.date)!;
  const inboxDir = path.resolve(o.inbox ?? (process.env.LCT_INBOX || 'inbox'));
  const outboxDir = path.resolve(o.outbox ?? (process.env.LCT_OUTBOX || 'outbox'));
  // Everything the run needs is checked before anything runs.
  const participants = loadParticipants(configPath(o));
  const keys = loadKeys(keysPath(o), participants);
  if (!fs.existsSync(inboxDir) || !fs.statSync(inboxDir).isDirectory()) throw new UsageError(`${inboxDir}: no such inbox directory`);
  const parallel = parallelMode(process.env.LCT_VALIDATION_THREAD);
  const db = openStore(storePath(o));
  try {
    const progress = progressReporter();
    const run = () =>
      runBatch({ db, participants, keys, date, inboxDir, outboxDir, now: clockOf(process.env.LCT_NOW), progress, parallel });
    let outcome: ReturnType<typeof run>;
    try {
      outcome = asSoleWriter(db, `batch --date ${o.date}`, run);
    } finally {
      endProgress(); // the live line goes before any message, an error's too
    }
    if (outcome.kind === 'out_of_order') throw new UsageError(outcome.message);
    progress('done');
    if (o.json) process.stdout.write(`${JSON.stringify(outcome.summary)}\n`);
    else {
      printText(renderSummary(outcome.summary));
      printText(`  report: ${path.join(outcome.written.reportDir, 'report.txt')}\n`);
    }
    return outcome.summary.exit_code;
  } finally {
    db.close();
  }
}

/** LCT_VALIDATION_THREAD: on, off, or auto (unset; the night's size decides). */
function parallelMode(value: string | undefined): ParallelMode {
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if (value === 'on' || value === 'off') return value;
  throw new UsageError(`LCT_VALIDATION_THREAD=${value}: must be on, off or auto`);
}
