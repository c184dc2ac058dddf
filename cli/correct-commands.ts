// `lct correct adjust|release|approve|reject|list` (batch-cli.md, "Corrections").
// Usage is checked first (exit 2), then the participants file (exit 2), then the
// store: each proposal or decision is one function, correctionAct(), that checks and
// writes inside one write transaction (BEGIN IMMEDIATE), so what was checked is what
// is written. A refusal is exit 1 with one line, and nothing is recorded.
import type { Command } from 'commander';
import { isCompactTimestamp } from '../src/core/calendar';
import { buildRegistry } from '../src/core/registry';
import { CORRECTION_STATUSES, type CorrectionStatus, isCorrectionId } from '../src/core/corrections';
import type { Db } from '../src/store/db';
import {
  type Authority,
  type CorrectionOutcome,
  type CorrectionView,
  decideCorrection,
  listCorrections,
  proposeAdjustment,
  proposeRelease,
} from '../src/store/corrections';
import { configPath, openExistingStore, withStore } from './common';
import { asSoleWriter } from './writer';
import { loadParticipants } from './config';
import { beijingNow } from './dates';
import { CheckFailed, UsageError } from './errors';

interface ActOptions {
  db?: string;
  config?: string;
  by: string;
  note?: string;
  item?: string;
  json?: boolean;
}

function withConfigOnly(cmd: Command): Command {
  return withStore(cmd).option('--config <path>', 'the participants file, for the operators (default ./participants.json, or $LCT_CONFIG)');
}

/** A required text option: present and not blank; kept as given, less surrounding spaces. */
function text(value: string | undefined, option: string): string {
  const t = value?.trim() ?? '';
  if (t === '') throw new UsageError(`${option}: must not be empty`);
  return t;
}

/** The moment an act is recorded: LCT_NOW (YYYYMMDDhhmmss) when set, as for the batch, else Beijing time now. */
function now(): string {
  const fixed = process.env.LCT_NOW;
  if (fixed === undefined || fixed === '') return beijingNow();
  if (!isCompactTimestamp(fixed)) throw new UsageError(`LCT_NOW=${fixed}: not a time of the form YYYYMMDDhhmmss`);
  return fixed;
}

function amountFen(value: string): number {
  const n = Number(value);
  if (!/^-?[1-9][0-9]*$/.test(value) || !Number.isSafeInteger(n)) {
    throw new UsageError(`--amount-fen ${value}: not a non-zero integer number of fen`);
  }
  return n;
}

function correctionId(value: string): string {
  if (!isCorrectionId(value)) throw new UsageError(`${value}: not a correction id (C1, C2, ...)`);
  return value;
}

function recordId(value: string): { file_name: string; index: number } {
  const m = /^([^#]+)#(0|[1-9][0-9]*)$/.exec(value);
  if (m === null || !Number.isSafeInteger(Number(m[2]))) throw new UsageError(`${value}: not a record id (FILE_NAME#INDEX, INDEX from 0)`);
  return { file_name: m[1]!, index: Number(m[2]) };
}

/**
 * One operator's act on the store: the participants file is read, then the check and
 * the write run in one BEGIN IMMEDIATE transaction (the store's writers run one at a
 * time). Around it, the writer lock of batch-cli.md ("Common options"): one writer at a time.
 */
export function correctionAct(
  o: { db?: string; config?: string },
  command: string,
  act: (db: Db, auth: Authority, at: string) => CorrectionOutcome,
): CorrectionView {
  const participants = loadParticipants(configPath(o));
  const auth: Authority = { operators: participants.operators, registry: buildRegistry(participants) };
  const at = now();
  const db = openExistingStore(o);
  try {
    const outcome = asSoleWriter(db, command, () => db.transaction(() => act(db, auth, at)).immediate());
    if (!outcome.ok) throw new CheckFailed(`refused: ${outcome.refusal.message}`);
    return outcome.correction;
  } finally {
    db.close();
  }
}

function signed(fen: number): string {
  return `${fen > 0 ? '+' : ''}${fen} fen`;
}

function describe(c: CorrectionView): string {
  const what =
    c.kind === 'adjustment'
      ? `adjustment of ${c.participant} by ${signed(c.amount_fen)} against ${c.account}`
      : `release of record ${c.record} (${c.amount_fen} fen to acquirer ${c.participant})`;
  return `${c.id}: ${what}${c.item === null ? '' : `, settles item ${c.item}`}`;
}

function print(c: CorrectionView, json: boolean | undefined, line: string): void {
  process.stdout.write(json ? `${JSON.stringify(c)}\n` : `${line}\n`);
}

function effectiveText(c: CorrectionView): string {
  return c.effective_date === null ? "the next batch's day" : c.effective_date;
}

export function registerCorrectCommands(program: Command): void {
  const correct = program
    .command('correct')
    .description('corrections: adjustments and releases of suspended records, proposed by one operator and approved by another');

  withConfigOnly(correct.command('adjust'))
    .description("propose moving money between a participant's account and a counter account")
    .requiredOption('--participant <id>', 'an acquirer, an agent or the national centre')
    .requiredOption('--amount-fen <n>', 'non-zero: > 0 the centre owes the participant more, < 0 the participant owes the centre more')
    .requiredOption('--account <account>', 'the counter account: float:cards, income:fees, suspense:blacklist or expense:adjustments')
    .requiredOption('--note <text>', 'why')
    .requiredOption('--by <name>', 'the proposing operator, as listed in the participants file')
    .option('--item <item-id>', 'the reconciliation item it settles')
    .option('--json', 'print the correction as JSON')
    .action((o: ActOptions & { participant: string; amountFen: string; account: string }) => {
      const req = {
        by: text(o.by, '--by'),
        participant_id: text(o.participant, '--participant'),
        account: text(o.account, '--account'),
        amount_fen: amountFen(o.amountFen),
        note: text(o.note, '--note'),
        item_id: o.item === undefined ? null : text(o.item, '--item'),
      };
      const c = correctionAct(o, `correct adjust --participant ${req.participant_id} --by ${req.by}`, (db, auth, at) =>
        proposeAdjustment(db, auth, req, at),
      );
      print(c, o.json, `proposed ${describe(c)}; it moves nothing until another operator approves it`);
    });

  withConfigOnly(correct.command('release'))
    .description('propose paying a SUSPENDED record after all')
    .argument('<record-id>', 'FILE_NAME#INDEX: the file that brought it and its 0-based position there')
    .requiredOption('--note <text>', 'why')
    .requiredOption('--by <name>', 'the proposing operator, as listed in the participants file')
    .option('--item <item-id>', 'the reconciliation item it settles')
    .option('--json', 'print the correction as JSON')
    .action((ref: string, o: ActOptions) => {
      const req = {
        ...recordId(ref),
        by: text(o.by, '--by'),
        note: text(o.note, '--note'),
        item_id: o.item === undefined ? null : text(o.item, '--item'),
      };
      const c = correctionAct(o, `correct release ${ref} --by ${req.by}`, (db, auth, at) => proposeRelease(db, auth, req, at));
      print(c, o.json, `proposed ${describe(c)}; it moves nothing until another operator approves it`);
    });

  withConfigOnly(correct.command('approve'))
    .description('approve another operator’s proposal: it is posted by the batch of its effective day')
    .argument('<id>', 'the correction, C1, C2, ...')
    .requiredOption('--by <name>', 'the approving operator (not the proposer)')
    .option('--note <text>', 'a note kept with the approval')
    .option('--json', 'print the correction as JSON')
    .action((id: string, o: ActOptions) => {
      const req = {
        decision: 'approve' as const,
        id: correctionId(id),
        by: text(o.by, '--by'),
        note: o.note === undefined ? null : text(o.note, '--note'),
      };
      const c = correctionAct(o, `correct approve ${req.id} --by ${req.by}`, (db, auth, at) => decideCorrection(db, auth, req, at));
      print(c, o.json, `approved ${describe(c)}; effective ${effectiveText(c)}: posted by that day's batch`);
    });

  withConfigOnly(correct.command('reject'))
    .description('reject a proposal: it never moves anything')
    .argument('<id>', 'the correction, C1, C2, ...')
    .requiredOption('--by <name>', 'an operator who may approve')
    .requiredOption('--note <text>', 'why')
    .option('--json', 'print the correction as JSON')
    .action((id: string, o: ActOptions) => {
      const req = { decision: 'reject' as const, id: correctionId(id), by: text(o.by, '--by'), note: text(o.note, '--note') };
      const c = correctionAct(o, `correct reject ${req.id} --by ${req.by}`, (db, auth, at) => decideCorrection(db, auth, req, at));
      print(c, o.json, `rejected ${describe(c)}`);
    });

  withConfigOnly(correct.command('list'))
    .description('every correction, oldest first')
    .option('--status <status>', `only this status: ${CORRECTION_STATUSES.join(', ')}`)
    .option('--json', 'print a JSON array')
    .action((o: { db?: string; status?: string; json?: boolean }) => {
      if (o.status !== undefined && !CORRECTION_STATUSES.includes(o.status as CorrectionStatus))
        throw new UsageError(`--status ${o.status}: not one of ${CORRECTION_STATUSES.join(', ')}`);
      const db = openExistingStore(o);
      try {
        const list = listCorrections(db, o.status as CorrectionStatus | undefined);
        if (o.json) {
          process.stdout.write(`${JSON.stringify(list)}\n`);
          return;
        }
        for (const c of list) {
          const decided =
            c.decided_by === null ? '' : `; ${c.status === 'rejected' ? 'rejected' : 'approved'} by ${c.decided_by} at ${c.decided_at}`;
          const effective = c.status === 'approved' || c.status === 'posted' ? `; effective ${effectiveText(c)}` : '';
          const entry = c.entry_id === null ? '' : `; entry ${c.entry_id}`;
          process.stdout.write(
            `${describe(c)} [${c.status}]\n    proposed by ${c.proposed_by} at ${c.proposed_at}${decided}${effective}${entry}\n    note: ${c.note}\n`,
          );
        }
        process.stdout.write(`${list.length} correction(s)\n`);
      } finally {
        db.close();
      }
    });
}
