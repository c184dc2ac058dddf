// Text that came from outside (a participant's file, an operator's note, a file's
// name) made safe to show on an operator's terminal. A raw ESC in a national
// centre's ref_file can clear the screen and print "ALL RECONCILED"; a right-to-left
// override can make "C21" read as "12C". Such characters are shown as visible
// escapes instead, so the operator sees that they are there and what they are.
//
// Escaped: C0 (U+0000-U+001F), DEL (U+007F), C1 (U+0080-U+009F), the line and
// paragraph separators U+2028 and U+2029 (line breaks to some viewers), and the bidi
// embeddings, overrides and isolates U+202A-U+202E and U+2066-U+2069. Everything else,
// Chinese names included, is shown as written. A backslash is left as it is: the aim
// is a terminal that cannot be driven by data, not a reversible encoding.

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what this module is for
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same, without the global flag's lastIndex state: for test(). */
const UNSAFE_ANY = new RegExp(UNSAFE.source);
/** The same, but a line break is kept: for text of several lines whose breaks are the writer's own. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what this module is for
const UNSAFE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** Those JSON.stringify leaves raw (it escapes C0 itself). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function visibleEscape(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

function jsonEscape(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Whether s holds a character that printable() would escape. */
export function holdsControlCharacter(s: string): boolean {
  return UNSAFE_ANY.test(s);
}

/** s with every control character shown as `\xNN` or `\uNNNN` (a newline too: one value, one line). */
export function printable(s: string): string {
  return s.replace(UNSAFE, visibleEscape);
}

/** As printable, keeping line breaks: for a whole text of lines composed by lct around outside values. */
export function printableText(s: string): string {
  return s.replace(UNSAFE_BUT_NEWLINE, visibleEscape);
}

/**
 * JSON text (from JSON.stringify) with the characters it leaves raw written as JSON
 * escapes instead: the same value to any JSON reader, and safe on a terminal.
 */
export function printableJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, jsonEscape);
}
