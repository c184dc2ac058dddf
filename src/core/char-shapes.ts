// The shapes of the exchange files' fixed-width fields (exchange-files.md): n digits,
// n upper-case hex digits, n digits or upper-case letters. E01 asks them of every
// record, several times each, millions a night: a loop over char codes costs a
// fraction of a regular expression's call.

const C_0 = 48;
const C_9 = 57;
const C_A = 65;
const C_F = 70;
const C_Z = 90;

/** /^[0-9]{n}$/ */
export function isDigits(s: string, n: number): boolean {
  if (s.length !== n) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < C_0 || c > C_9) return false;
  }
  return true;
}

/** /^[0-9A-F]{n}$/ */
export function isUpperHex(s: string, n: number): boolean {
  if (s.length !== n) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < C_0 || (c > C_9 && c < C_A) || c > C_F) return false;
  }
  return true;
}

/** /^[0-9A-Z]{n}$/ */
export function isDigitsOrUpper(s: string, n: number): boolean {
  if (s.length !== n) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < C_0 || (c > C_9 && c < C_A) || c > C_Z) return false;
  }
  return true;
}
