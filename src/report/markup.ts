// Text into HTML and SVG. Much of what the day's report shows came from
// participants' files (names, refusal details quoting their bytes, references), so
// every piece of text goes through escapeHtml before it reaches the page: the five
// characters that mean markup become entities, and characters that have no business
// in a page become visible stand-ins, never raw bytes a browser would act on or drop.

const CONTROL_PICTURES = 0x2400; // U+2400..U+241F: a visible picture of each C0 control
const DELETE_PICTURE = '\u2421';
const REPLACEMENT = '\uFFFD';

/**
 * Escapes text for an HTML text node or a double- or single-quoted attribute (also
 * inside inline SVG). & < > " ' become entities; C0 controls (tab and line breaks
 * included: no text in the report is meant to span lines) and DEL become their
 * control pictures (U+2400 block); C1 controls, lone surrogates and the
 * noncharacters U+FDD0..U+FDEF, U+FFFE, U+FFFF become U+FFFD.
 */
export function escapeHtml(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let replacement: string | undefined;
    if (c === 0x26) replacement = '&amp;';
    else if (c === 0x3c) replacement = '&lt;';
    else if (c === 0x3e) replacement = '&gt;';
    else if (c === 0x22) replacement = '&quot;';
    else if (c === 0x27) replacement = '&#39;';
    else if (c < 0x20) replacement = String.fromCharCode(CONTROL_PICTURES + c);
    else if (c === 0x7f) replacement = DELETE_PICTURE;
    else if (c >= 0x80 && c <= 0x9f) replacement = REPLACEMENT;
    else if ((c >= 0xfdd0 && c <= 0xfdef) || c === 0xfffe || c === 0xffff) replacement = REPLACEMENT;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++; // a well-formed pair: kept as it is
        continue;
      }
      replacement = REPLACEMENT;
    } else if (c >= 0xdc00 && c <= 0xdfff) replacement = REPLACEMENT;
    if (replacement === undefined) continue;
    out += text.slice(from, i) + replacement;
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** Roughly how wide text is drawn, in units of the font size: wide (CJK) characters count 1, others about 0.58. */
export function textWidthEm(text: string): number {
  let w = 0;
  for (const ch of text) w += isWide(ch.codePointAt(0)!) ? 1 : 0.58;
  return w;
}

/** The text cut, with an ellipsis, to fit max_em (see textWidthEm). */
export function fitText(text: string, max_em: number): string {
  if (textWidthEm(text) <= max_em) return text;
  let out = '';
  let w = 0;
  for (const ch of text) {
    const cw = isWide(ch.codePointAt(0)!) ? 1 : 0.58;
    if (w + cw > max_em - 0.6) break;
    out += ch;
    w += cw;
  }
  return `${out}…`;
}

/** East Asian wide and fullwidth characters, the ranges names in this city use. */
function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}
