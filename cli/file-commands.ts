// `lct file ...`: commands on exchange files. (Filled in by the exchange-files work.)
import { Command } from 'commander';

export function registerFileCommands(program: Command): void {
  program.command('file').description('inspect exchange files');
}
