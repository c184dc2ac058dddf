// Human output on the operators' terminals. Values in it come from outside (a
// participant's file, an operator's note, a file's name): their control characters
// are shown as visible escapes (src/core/printable.ts), so that no file can drive
// the terminal of the operator reading about it. JSON output is for programs and
// goes out as JSON.stringify writes it.
import { printableText } from '../src/core/printable';

/** Writes text of lct's own making, with values from outside in it, to stdout: line breaks kept, control characters escaped. */
export function printText(text: string): void {
  process.stdout.write(printableText(text));
}
