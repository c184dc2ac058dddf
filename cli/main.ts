// The `lct` command line: parses arguments with commander, hands each command to
// its module, and maps whatever escapes to one line on stderr and an exit code.
import { Command, CommanderError } from 'commander';
import { UsageError, CheckFailed, EXIT_FAILED, EXIT_USAGE } from './errors';
import { registerFileCommands } from './file-commands';
import { registerBatchCommand } from './batch-command';
import { registerLedgerCommands } from './ledger-commands';
import { registerOperatorCommands } from './operator-commands';
import { printable, printableText } from '../src/core/printable';
import { registerCorrectCommands } from './correct-commands';

export function buildProgram(): Command {
  const program = new Command('lct')
    .description('lct: the clearing engine of the city one-card')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeErr: (s) => process.stderr.write(printableText(s)) });
  registerBatchCommand(program);
  registerLedgerCommands(program);
  registerOperatorCommands(program);
  registerCorrectCommands(program);
  registerFileCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander has already printed its one-line message (or the help text).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
    return EXIT_USAGE;
  }
  // A message names files, fields and values from outside: one line, escaped.
  if (err instanceof UsageError) {
    process.stderr.write(`lct: ${printable(err.message)}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof CheckFailed) {
    process.stderr.write(`lct: ${printable(err.message)}\n`);
    return EXIT_FAILED;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`lct: failed: ${printable(message)}\n`);
  if (process.env.LCT_DEBUG) process.stderr.write(`${err instanceof Error ? err.stack : ''}\n`);
  return EXIT_FAILED;
}
