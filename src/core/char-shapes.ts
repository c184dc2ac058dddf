// The shapes of the exchange files' fixed-width fields (exchange-files.md): n digits,
// n upper-case hex digits, n digits or upper-case letters. E01 asks them of every
// record, several times each, millions a night: a loop over char codes costs a
// fraction of a regular expression's call.

/** The ASCII characters of a class, as a table by char code. */
function charClass(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  for (const c of chars) table[c.charCodeAt(0)] = 1;
  return table;
}

const DIGITS = charClass('0123456789');
const UPPER_HEX = charClass('0123456789ABCDEF');
const DIGITS_OR_UPPER = charClass('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ');

/** Whether s is n characters of the class. */
function isShaped(s: string, n: number, chars: Uint8Array): boolean {
  if (s.length !== n) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || chars[c] === 0) return false;
  }
  return true;
}

/** /^[0-9]{n}$/ */
export function isDigits(s: string, n: number): boolean {
  return isShaped(s, n, DIGITS);
}

/** /^[0-9A-F]{n}$/ */
export function isUpperHex(s: string, n: number): boolean {
  return isShaped(s, n, UPPER_HEX);
}

/** /^[0-9A-Z]{n}$/ */
export function isDigitsOrUpper(s: string, n: number): boolean {
  return isShaped(s, n, DIGITS_OR_UPPER);
}
