// The protobuf wire format, read and written by hand. protobufjs's generated
// decoders neither check wire types (a Trailer read as a Transaction "decodes" as
// garbage) nor keep up with a night's files, and its encoder writes a raw bigint
// int64 as 0. This module knows only bytes: messages live in codec.ts.
//
// Every 64-bit integer of the exchange files is held as a JS number, so only values
// within +-(2^53 - 1) are representable: a larger one is refused on reading
// (DecodeError) and is a bug on writing (RangeError). No amount in fen comes near it.

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

export function wireTypeName(wire_type: number): string {
  switch (wire_type) {
    case WIRE_VARINT:
      return 'varint';
    case WIRE_I64:
      return '64-bit';
    case WIRE_LEN:
      return 'length-delimited';
    case 3:
      return 'start-group';
    case 4:
      return 'end-group';
    case WIRE_I32:
      return '32-bit';
    default:
      return `invalid (${wire_type})`;
  }
}

/** Bytes that are not a well-formed message. The reader turns it into an F01 refusal. */
export class DecodeError extends Error {}

const TWO_32 = 4294967296;
/** The high 32-bit word of the largest safe integer, 2^53 - 1. */
const SAFE_HIGH_MAX = 0x1fffff;

/** Buffer's undocumented but long-standing fast path (used by buf.toString('ascii')). */
type AsciiSlicing = Buffer & { asciiSlice(start: number, end: number): string };

// ignoreBOM: a leading U+FEFF is the string's own character, kept (the default drops it).
const utf8_fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The strings repeatedString() keeps, by a hash of their bytes: the latest value to
 * land in a slot stays (a collision only costs a string's making). Per thread, and
 * bounded: 4,096 short strings.
 */
const INTERNED_SLOTS = 4096;
const INTERNED_MAX_LENGTH = 32;
const interned: (string | undefined)[] = new Array(INTERNED_SLOTS).fill(undefined);

/**
 * A cursor over one message's bytes, buf[pos..end). Reused across messages: the
 * hot path allocates nothing but the strings and objects it returns.
 */
export class WireReader {
  buf: Buffer;
  pos: number;
  end: number;

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  reset(buf: Buffer, pos: number, end: number): void {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  /** A varint's low 32 bits, unsigned (how protobuf reads uint32 and int32 fields). */
  varint32(): number {
    const buf = this.buf;
    let pos = this.pos;
    const end = this.end;
    if (pos < end) {
      const b = buf[pos];
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
    }
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (pos >= end) throw new DecodeError('varint runs past the end of the message');
      const b = buf[pos++];
      if (shift === 63 && b > 1 && b < 0x80) throw new DecodeError(TENTH_BYTE);
      if (shift < 28) value |= (b & 0x7f) << shift;
      else if (shift === 28) value |= (b & 0x0f) << 28;
      if (b < 0x80) {
        this.pos = pos;
        return value >>> 0;
      }
    }
    throw new DecodeError('varint longer than 10 bytes');
  }

  /**
   * A 64-bit varint as a safe integer. `signed` reads it as int64 (two's
   * complement), else as uint64.
   */
  varint64(signed: boolean): number {
    const buf = this.buf;
    let pos = this.pos;
    const end = this.end;
    let low = 0;
    let high = 0;
    let shift = 0;
    for (;;) {
      if (pos >= end) throw new DecodeError('varint runs past the end of the message');
      if (shift >= 70) throw new DecodeError('varint longer than 10 bytes');
      const b = buf[pos++];
      if (shift === 63 && b > 1 && b < 0x80) throw new DecodeError(TENTH_BYTE);
      const bits = b & 0x7f;
      if (shift < 28) {
        low |= bits << shift;
      } else if (shift === 28) {
        low |= (bits & 0x0f) << 28;
        high |= bits >>> 4;
      } else {
        high |= bits << (shift - 32);
      }
      shift += 7;
      if (b < 0x80) break;
    }
    this.pos = pos;
    low >>>= 0;
    high >>>= 0;
    if (signed && high >= 0x80000000) {
      // Negative: the magnitude is the two's complement of the 64 bits.
      let mag_low = (~low >>> 0) + 1;
      let mag_high = ~high >>> 0;
      if (mag_low === TWO_32) {
        mag_low = 0;
        mag_high = (mag_high + 1) >>> 0;
      }
      if (mag_high > SAFE_HIGH_MAX) throw new DecodeError(`${int64String(low, high)} is beyond the safe integer range`);
      return -(mag_high * TWO_32 + mag_low);
    }
    if (high > SAFE_HIGH_MAX) {
      throw new DecodeError(`${signed ? int64String(low, high) : uint64String(low, high)} is beyond the safe integer range`);
    }
    return high * TWO_32 + low;
  }

  /** A zigzag-encoded sint32. */
  sint32(): number {
    const n = this.varint32();
    return (n >>> 1) ^ -(n & 1);
  }

  /** The length of a length-delimited field, checked against the message's end. */
  length(): number {
    const len = this.varint32();
    if (len > this.end - this.pos) {
      throw new DecodeError(`length ${len} runs past the end of the message`);
    }
    return len;
  }

  /** A string field: its bytes must be well-formed UTF-8 (proto3 requires it). */
  string(): string {
    const len = this.length();
    const start = this.pos;
    const stop = start + len;
    this.pos = stop;
    if (len === 0) return '';
    const buf = this.buf;
    for (let i = start; i < stop; i++) {
      if (buf[i] >= 0x80) return decodeUtf8(buf, start, stop);
    }
    return asciiString(buf, start, len);
  }

  /**
   * A string field of a kind that repeats from record to record (an issuer, an
   * acquirer, a merchant, a terminal, a line): the same value as string(), but a
   * short ASCII one seen lately is given as the string made then. A night's records
   * carry a few hundred such values millions of times: this spares a string's
   * making per field (a call into C++ and a young object), and the Maps keyed by
   * them hash a string once.
   */
  repeatedString(): string {
    const len = this.length();
    const start = this.pos;
    const stop = start + len;
    this.pos = stop;
    if (len === 0) return '';
    const buf = this.buf;
    let h = len;
    for (let i = start; i < stop; i++) {
      const b = buf[i];
      if (b >= 0x80) return decodeUtf8(buf, start, stop);
      h = (Math.imul(h, 31) + b) | 0;
    }
    if (len > INTERNED_MAX_LENGTH) return (buf as AsciiSlicing).asciiSlice(start, stop);
    const slot = (h ^ (h >>> 13)) & (INTERNED_SLOTS - 1);
    const seen = interned[slot];
    if (seen !== undefined && seen.length === len) {
      let i = 0;
      while (i < len && seen.charCodeAt(i) === buf[start + i]) i++;
      if (i === len) return seen;
    }
    const made = asciiString(buf, start, len);
    interned[slot] = made;
    return made;
  }

  /** A bytes field, copied out of the (reused) read buffer. */
  bytes(): Uint8Array {
    const len = this.length();
    const out = new Uint8Array(len);
    out.set(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return out;
  }

  /** Skips a field of a number this reader does not know (proto3 keeps going). */
  skip(wire_type: number): void {
    switch (wire_type) {
      case WIRE_VARINT:
        this.varint64Skip();
        return;
      case WIRE_I64:
        this.advance(8);
        return;
      case WIRE_LEN:
        this.advance(this.length());
        return;
      case WIRE_I32:
        this.advance(4);
        return;
      default:
        // Groups (3, 4) are proto2 only; 6 and 7 are not wire types at all.
        throw new DecodeError(`wire type ${wire_type} is not allowed`);
    }
  }

  private varint64Skip(): void {
    const end = this.end;
    for (let n = 0; n < 10; n++) {
      if (this.pos >= end) throw new DecodeError('varint runs past the end of the message');
      const b = this.buf[this.pos++]!;
      if (n === 9 && b > 1 && b < 0x80) throw new DecodeError(TENTH_BYTE);
      if (b < 0x80) return;
    }
    throw new DecodeError('varint longer than 10 bytes');
  }

  private advance(n: number): void {
    if (n > this.end - this.pos) throw new DecodeError(`${n} bytes run past the end of the message`);
    this.pos += n;
  }
}

// A varint's 10th byte holds only bit 63: any other bit there would be dropped
// silently, so two different byte strings would decode to the same number (a
// flipped bit in a trailer's total would go unseen).
const TENTH_BYTE = "varint's 10th byte is more than bit 63";

/**
 * The string of len ASCII bytes at buf[start..]. The exchange files' usual widths (an
 * id or a TAC of 8, a timestamp of 14, a card number of 20) are made in JavaScript,
 * without the call into C++ that Node's own slice costs (about 60 ns; a night
 * makes millions): a decode of a record takes a fifth less.
 */
function asciiString(b: Buffer, at: number, len: number): string {
  switch (len) {
    case 8:
      return String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!, b[at + 4]!, b[at + 5]!, b[at + 6]!, b[at + 7]!);
    case 14:
      return String.fromCharCode(
        b[at]!,
        b[at + 1]!,
        b[at + 2]!,
        b[at + 3]!,
        b[at + 4]!,
        b[at + 5]!,
        b[at + 6]!,
        b[at + 7]!,
        b[at + 8]!,
        b[at + 9]!,
        b[at + 10]!,
        b[at + 11]!,
        b[at + 12]!,
        b[at + 13]!,
      );
    case 20:
      return String.fromCharCode(
        b[at]!,
        b[at + 1]!,
        b[at + 2]!,
        b[at + 3]!,
        b[at + 4]!,
        b[at + 5]!,
        b[at + 6]!,
        b[at + 7]!,
        b[at + 8]!,
        b[at + 9]!,
        b[at + 10]!,
        b[at + 11]!,
        b[at + 12]!,
        b[at + 13]!,
        b[at + 14]!,
        b[at + 15]!,
        b[at + 16]!,
        b[at + 17]!,
        b[at + 18]!,
        b[at + 19]!,
      );
    default:
      return (b as AsciiSlicing).asciiSlice(at, at + len);
  }
}

function decodeUtf8(buf: Buffer, start: number, stop: number): string {
  try {
    return utf8_fatal.decode(buf.subarray(start, stop));
  } catch {
    throw new DecodeError('not valid UTF-8');
  }
}

function uint64String(low: number, high: number): string {
  return ((BigInt(high) << 32n) | BigInt(low)).toString();
}

function int64String(low: number, high: number): string {
  return BigInt.asIntN(64, (BigInt(high) << 32n) | BigInt(low)).toString();
}

/**
 * A growable output buffer for messages and frames. Fields equal to their proto3
 * default are the caller's to skip: the writer writes what it is told.
 */
export class WireWriter {
  buf: Buffer;
  pos = 0;

  constructor(initial_bytes = 4096) {
    this.buf = Buffer.allocUnsafe(initial_bytes);
  }

  reset(): void {
    this.pos = 0;
  }

  /** The bytes written so far (a view, valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  tag(field_no: number, wire_type: number): void {
    this.varint32((field_no << 3) | wire_type);
  }

  /** An unsigned 32-bit value (also a non-negative enum). */
  varint32(value: number): void {
    this.ensure(5);
    const buf = this.buf;
    let v = value >>> 0;
    while (v >= 0x80) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.pos++] = v;
  }

  /** A safe integer as a 64-bit varint (negative values as 10-byte two's complement). */
  varint64(value: number): void {
    this.ensure(10);
    let low: number;
    let high: number;
    if (value >= 0) {
      low = (value % TWO_32) >>> 0;
      high = Math.floor(value / TWO_32) >>> 0;
    } else {
      const mag = -value;
      let mag_low = (mag % TWO_32) >>> 0;
      let mag_high = Math.floor(mag / TWO_32) >>> 0;
      // two's complement of the magnitude
      mag_low = (~mag_low + 1) >>> 0;
      mag_high = ~mag_high >>> 0;
      if (mag_low === 0) mag_high = (mag_high + 1) >>> 0;
      low = mag_low;
      high = mag_high;
    }
    const buf = this.buf;
    while (high !== 0 || low >= 0x80) {
      buf[this.pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    buf[this.pos++] = low;
  }

  sint32(value: number): void {
    this.varint32(((value << 1) ^ (value >> 31)) >>> 0);
  }

  /** A string: tag, length, UTF-8 bytes. */
  string(field_no: number, value: string): void {
    const n = value.length;
    if (n < 0x80) {
      // Most strings here are short ASCII ids: write them in one pass, one length byte.
      this.ensure(n + 6);
      const start = this.pos;
      this.tag(field_no, WIRE_LEN);
      const buf = this.buf;
      const len_pos = this.pos;
      let pos = len_pos + 1;
      let ascii = true;
      for (let i = 0; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        buf[pos++] = c;
      }
      if (ascii) {
        buf[len_pos] = n;
        this.pos = pos;
        return;
      }
      this.pos = start;
    }
    this.tag(field_no, WIRE_LEN);
    // Buffer would write a lone surrogate as U+FFFD: the record would not read back.
    if (!(value as unknown as { isWellFormed(): boolean }).isWellFormed()) {
      throw new TypeError(`field ${field_no}: ${JSON.stringify(value)} is not a well-formed string (lone surrogate)`);
    }
    const len = Buffer.byteLength(value, 'utf8');
    this.varint32(len);
    this.ensure(len);
    this.pos += this.buf.write(value, this.pos, len, 'utf8');
  }

  bytes(field_no: number, value: Uint8Array): void {
    this.tag(field_no, WIRE_LEN);
    this.varint32(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }
}
