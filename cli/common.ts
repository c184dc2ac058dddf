// Options shared by the commands that touch the store or the configuration, with
// the defaults and environment variables of batch-cli.md.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { openStore, type Db } from '../src/store/db';
import { compactDate } from './dates';
import { UsageError } from './errors';
import type { Progress } from '../src/batch/context';
import { makeProgressReporter } from './progress';

export interface StoreOptions {
  db?: string;
}
export interface ConfigOptions {
  config?: string;
  keys?: string;
}

export function withStore(cmd: Command): Command {
  return cmd.option('--db <path>', 'the store (default ./lct.db, or $LCT_DB)');
}
export function withConfig(cmd: Command): Command {
  return cmd
    .option('--config <path>', 'the participants file (default ./participants.json, or $LCT_CONFIG)')
    .option('--keys <path>', 'the keys file (default ./keys.json, or $LCT_KEYS)');
}

export function storePath(o: StoreOptions): string {
  return path.resolve(o.db ?? (process.env.LCT_DB || 'lct.db'));
}
export function configPath(o: ConfigOptions): string {
  return path.resolve(o.config ?? (process.env.LCT_CONFIG || 'participants.json'));
}
export function keysPath(o: ConfigOptions): string {
  return path.resolve(o.keys ?? (process.env.LCT_KEYS || 'keys.json'));
}

/** Opens an existing store for reading commands: a missing store is a usage error, not a new empty one. */
export function openExistingStore(o: StoreOptions): Db {
  const p = storePath(o);
  if (!fs.existsSync(p)) throw new UsageError(`${p}: no such store (run lct batch first, or pass --db)`);
  return openStore(p, { mustExist: true });
}

export function parseDateOption(value: string | undefined, option = '--date'): string | undefined {
  if (value === undefined) return undefined;
  const d = compactDate(value);
  if (!d) throw new UsageError(`${option} ${value}: not a date of the form YYYY-MM-DD`);
  return d;
}

/** Progress on stderr: a live bar on a terminal, a line per step and per imported file otherwise (cli/progress.ts). */
export function progressReporter(): Progress {
  return makeProgressReporter(process.stderr, { every_line: process.env.LCT_PROGRESS === 'all' });
}

export function endProgress(): void {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
}
