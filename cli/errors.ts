// The CLI's error classes. One top-level handler (cli/main.ts) maps them to the
// exit codes of batch-cli.md and prints a single line; nothing else catches them.

/** Usage or configuration error, or a day asked for out of order: nothing ran (exit 2). */
export class UsageError extends Error {}

/** The command ran and found the thing it checks to be faulty (exit 1), e.g. a broken file or ledger. */
export class CheckFailed extends Error {}

/** Exit codes of batch-cli.md the handler maps errors to (0 and 3 are the batch's own, from its summary). */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
