// The `lct` command line: parses arguments with commander, hands each command to
// its module, and maps whatever escapes to one line on stderr and an exit code.
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { UsageError, CheckFailed, EXIT_FAILED, EXIT_USAGE } from './errors';
import { registerFileCommands } from './file-commands';
import { registerBatchCommand } from './batch-command';
import { registerLedgerCommands } from './ledger-commands';
import { registerOperatorCommands } from './operator-commands';
import { printable } from '../src/core/printable';
import { registerCorrectCommands } from './correct-commands';

/**
 * The options every command accepts, used or not, so that one shell alias or cron
 * line (`lct --db ... --config ... --keys ...`) serves them all. They may come
 * before the command name too; given both ways, the one after it wins.
 */
const COMMON_OPTIONS: [flags: string, description: string][] = [
  ['--db <path>', 'the store (default ./lct.db, or $LCT_DB)'],
  ['--config <path>', 'the participants file (default ./participants.json, or $LCT_CONFIG)'],
  ['--keys <path>', 'the keys file (default ./keys.json, or $LCT_KEYS)'],
];
const COMMON_KEYS = ['db', 'config', 'keys'];

/** The command whose help commander printed as an error (a command named without its subcommand). */
let missingSubcommandOf: Command | undefined;

export function buildProgram(): Command {
  const program = new Command('lct')
    .description('lct: the clearing engine of the city one-card')
    .version(`lct ${packageVersion()}`, '-V, --version', 'print the version')
    .enablePositionalOptions()
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({
      // Only help printed as an error comes here (outputError below takes the rest):
      // it is replaced by one line naming the subcommands (exitCodeFor).
      writeErr: () => undefined,
      outputError: (message) => process.stderr.write(oneLine(message)),
    });
  for (const [flags, description] of COMMON_OPTIONS) program.option(flags, description);
  program.on('beforeAllHelp', (context: { error: boolean; command: Command }) => {
    if (context.error) missingSubcommandOf = context.command;
  });
  registerBatchCommand(program);
  registerLedgerCommands(program);
  registerOperatorCommands(program);
  registerCorrectCommands(program);
  registerFileCommands(program);
  for (const command of leaves(program)) {
    for (const [flags, description] of COMMON_OPTIONS) {
      const long = flags.split(' ')[0]!;
      if (!command.options.some((o) => o.long === long)) command.option(flags, `${description} (not used by this command)`);
    }
  }
  program.hook('preAction', (_program, action) => {
    const before = program.opts() as Record<string, string | undefined>;
    for (const key of COMMON_KEYS)
      if (before[key] !== undefined && action.getOptionValue(key) === undefined) action.setOptionValue(key, before[key]);
  });
  return program;
}

function leaves(command: Command): Command[] {
  return command.commands.length === 0 ? [command] : command.commands.flatMap(leaves);
}

function packageVersion(): string {
  // dist/cli/main.js -> the package's root, where package.json sits.
  const file = path.join(__dirname, '..', '..', 'package.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}

/** commander's `error: ...` (and its `(Did you mean ...?)` on the next line) as one `lct: ` line. */
function oneLine(message: string): string {
  const text = message
    .trim()
    .replace(/^error: /, '')
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .join(' ');
  return `lct: ${printable(text)}\n`;
}

/**
 * A closed pipe (`lct recon items | head`) ends the command quietly: what the reader
 * wanted it has; a store being written is not touched by stdout.
 */
function exitQuietlyOnClosedStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

export async function main(argv: string[]): Promise<void> {
  exitQuietlyOnClosedStdout();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander has already printed its one-line message (or the help text, or the version).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
    if (err.code === 'commander.help' && missingSubcommandOf !== undefined) {
      const c = missingSubcommandOf;
      const path = [c, ...ancestors(c)]
        .reverse()
        .map((x) => x.name())
        .join(' ');
      const what = c.parent ? `${path.replace(/^lct /, '')}: which command?` : 'which command?';
      process.stderr.write(`lct: ${what} ${c.commands.map((s) => s.name()).join(', ')} (see ${path} --help)\n`);
    }
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

function ancestors(c: Command): Command[] {
  return c.parent ? [c.parent, ...ancestors(c.parent)] : [];
}
