// Framing: a file is a sequence of messages, each prefixed with its length as a
// base-128 varint (exchange-files.md, "Framing"). protobufjs has no streaming
// reader, so this one reads a file descriptor in chunks with fs.readSync: memory
// stays at one chunk (or one frame, if a frame is bigger) whatever the file's size.
//
// Both directions keep two SHA-256 digests: of the record frames (the Trailer's
// sha256) and of the whole file (the file's identity in the store). Record frames
// lie end to end, so the reader and the writer hash them a buffer-full at a time
// rather than a frame at a time.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';

export const CHUNK_BYTES = 1 << 20;

/**
 * The largest frame a reader accepts. A record of this format is a few hundred
 * bytes; a length prefix beyond this is a broken file, not a reason to allocate.
 */
export const MAX_FRAME_BYTES = 16 << 20;

/** The result of FrameReader.next(). */
export const FRAME = 1;
export const END = 0;
export const BROKEN = -1;
export type FrameStep = typeof FRAME | typeof END | typeof BROKEN;

/**
 * Reads frames one at a time. After next() returns FRAME, the frame's message is
 * buf[body_start..body_end) (valid until the next call), it began at byte
 * frame_offset of the file, and is_last says whether it ends the file. After
 * BROKEN, broken_detail says why and at which byte.
 */
export class FrameReader {
  buf: Buffer;
  body_start = 0;
  body_end = 0;
  frame_offset = 0;
  body_bytes = 0;
  is_last = false;
  broken_detail = '';

  /** SHA-256 of every byte read from the file so far. */
  readonly file_digest = crypto.createHash('sha256');
  /** SHA-256 of the frames given to digestFrame(), prefixes included. */
  readonly frame_digest = crypto.createHash('sha256');

  private readonly fd: number;
  private readonly file_bytes: number;
  private readonly max_frame_bytes: number;
  /** File offset of buf[0]. */
  private buf_offset = 0;
  /** buf[0..filled) holds file bytes. */
  private filled = 0;
  /** Where the next frame starts in buf. */
  private cursor = 0;
  /** Start in buf of the current frame (its length prefix). */
  private frame_start = 0;
  /** buf[digest_from..digest_to) is owed to frame_digest. */
  private digest_from = 0;
  private digest_to = 0;

  constructor(fd: number, file_bytes: number, opts: { chunk_bytes?: number; max_frame_bytes?: number } = {}) {
    this.fd = fd;
    this.file_bytes = file_bytes;
    this.max_frame_bytes = opts.max_frame_bytes ?? MAX_FRAME_BYTES;
    this.buf = Buffer.allocUnsafe(Math.max(16, Math.min(opts.chunk_bytes ?? CHUNK_BYTES, file_bytes)));
  }

  next(): FrameStep {
    const offset = this.buf_offset + this.cursor;
    if (offset >= this.file_bytes) return END;
    if (this.filled - this.cursor < 10) this.fill(10);
    // The length prefix.
    const buf = this.buf;
    let pos = this.cursor;
    let len = 0;
    let scale = 1;
    for (let n = 0; ; n++) {
      if (pos >= this.filled) {
        return this.broken(`framing broken: the length prefix at byte ${offset} is cut off by the end of the file`);
      }
      if (n === 10) return this.broken(`framing broken: the length prefix at byte ${offset} is longer than 10 bytes`);
      const b = buf[pos++];
      len += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) break;
    }
    const prefix_bytes = pos - this.cursor;
    const frame_end = offset + prefix_bytes + len;
    if (frame_end > this.file_bytes) {
      return this.broken(`framing broken: frame at byte ${offset} (length ${len}) is truncated`);
    }
    if (len > this.max_frame_bytes) {
      return this.broken(`framing broken: frame at byte ${offset} (length ${len}) is longer than ${this.max_frame_bytes} bytes`);
    }
    if (this.cursor + prefix_bytes + len > this.filled) {
      if (!this.fill(prefix_bytes + len)) {
        return this.broken(`the file ended at byte ${this.buf_offset + this.filled} while it was being read (it shrank)`);
      }
    }
    this.frame_start = this.cursor;
    this.body_start = this.frame_start + prefix_bytes;
    this.body_end = this.body_start + len;
    this.body_bytes = len;
    this.frame_offset = offset;
    this.cursor = this.body_end;
    this.is_last = frame_end === this.file_bytes;
    return FRAME;
  }

  /** The current frame's bytes, length prefix included (valid until the next call). */
  frameBytes(): Buffer {
    return this.buf.subarray(this.frame_start, this.body_end);
  }

  /** Adds the current frame, length prefix included, to frame_digest. */
  digestFrame(): void {
    if (this.frame_start !== this.digest_to) {
      this.flushFrameDigest();
      this.digest_from = this.frame_start;
    }
    this.digest_to = this.body_end;
  }

  /** frame_digest's hex, once every digested frame is in it. */
  frameDigestHex(): string {
    this.flushFrameDigest();
    return this.frame_digest.digest('hex');
  }

  /** Reads whatever of the file is left, for file_digest only, and returns its hex. */
  fileDigestHex(): string {
    for (;;) {
      this.flushFrameDigest();
      this.buf_offset += this.filled;
      this.filled = 0;
      this.cursor = 0;
      if (this.buf_offset >= this.file_bytes) break;
      if (this.read() === 0) break;
    }
    return this.file_digest.digest('hex');
  }

  /** Bytes of the file after the current frame. */
  bytesAfter(): number {
    return this.file_bytes - (this.buf_offset + this.cursor);
  }

  private broken(detail: string): FrameStep {
    this.broken_detail = detail;
    return BROKEN;
  }

  private flushFrameDigest(): void {
    if (this.digest_to > this.digest_from) {
      this.frame_digest.update(this.buf.subarray(this.digest_from, this.digest_to));
    }
    this.digest_from = this.digest_to = 0;
  }

  /**
   * Makes buf[cursor..cursor+want) hold file bytes (or as many as the file has),
   * moving the unread tail to the front and growing buf if one frame needs it.
   * False when the file ended early.
   */
  private fill(want: number): boolean {
    this.flushFrameDigest();
    const tail = this.filled - this.cursor;
    if (want > this.buf.length) {
      const grown = Buffer.allocUnsafe(want);
      this.buf.copy(grown, 0, this.cursor, this.filled);
      this.buf = grown;
    } else if (this.cursor > 0) {
      this.buf.copyWithin(0, this.cursor, this.filled);
    }
    this.buf_offset += this.cursor;
    this.cursor = 0;
    this.filled = tail;
    this.frame_start = 0;
    while (this.filled < want && this.buf_offset + this.filled < this.file_bytes) {
      if (this.read() === 0) return false;
    }
    return this.filled >= want || this.buf_offset + this.filled >= this.file_bytes;
  }

  private read(): number {
    const room = Math.min(this.buf.length - this.filled, this.file_bytes - (this.buf_offset + this.filled));
    if (room <= 0) return 0;
    const n = fs.readSync(this.fd, this.buf, this.filled, room, this.buf_offset + this.filled);
    if (n > 0) this.file_digest.update(this.buf.subarray(this.filled, this.filled + n));
    this.filled += n;
    return n;
  }
}

/**
 * Writes frames through a buffer to a sink, flushing a chunk at a time. The
 * caller encodes each message into `message` (a reusable scratch writer) and then
 * calls writeFrame.
 */
export class FrameWriter {
  /** SHA-256 of every byte written. */
  readonly file_digest = crypto.createHash('sha256');
  /** SHA-256 of the frames written with digest = true, prefixes included. */
  readonly frame_digest = crypto.createHash('sha256');
  bytes_written = 0;

  private readonly sink: (chunk: Buffer) => void;
  private buf: Buffer;
  private pos = 0;
  private digest_from = 0;
  private digest_to = 0;

  constructor(sink: (chunk: Buffer) => void, chunk_bytes = CHUNK_BYTES) {
    this.sink = sink;
    this.buf = Buffer.allocUnsafe(chunk_bytes);
  }

  /** Writes one frame: the varint length of message[0..length), then those bytes. */
  writeFrame(message: Uint8Array, digest: boolean, length = message.length): void {
    const need = length + 10;
    if (this.pos + need > this.buf.length) {
      this.flush();
      if (need > this.buf.length) this.buf = Buffer.allocUnsafe(need);
    }
    const start = this.pos;
    const buf = this.buf;
    let pos = start;
    let len = length;
    while (len >= 0x80) {
      buf[pos++] = (len & 0x7f) | 0x80;
      len >>>= 7;
    }
    buf[pos++] = len;
    if (length === message.length) buf.set(message, pos);
    else buf.set(message.subarray(0, length), pos);
    pos += length;
    this.pos = pos;
    if (digest) {
      if (start !== this.digest_to) {
        this.flushFrameDigest();
        this.digest_from = start;
      }
      this.digest_to = pos;
    }
  }

  /** frame_digest, final: call it once, after the last digested frame. */
  frameDigest(): Buffer {
    this.flushFrameDigest();
    return this.frame_digest.digest();
  }

  /** Hands everything buffered to the sink. */
  flush(): void {
    this.flushFrameDigest();
    if (this.pos === 0) return;
    const chunk = this.buf.subarray(0, this.pos);
    this.file_digest.update(chunk);
    this.sink(chunk);
    this.bytes_written += this.pos;
    this.pos = 0;
  }

  private flushFrameDigest(): void {
    if (this.digest_to > this.digest_from) {
      this.frame_digest.update(this.buf.subarray(this.digest_from, this.digest_to));
    }
    this.digest_from = this.digest_to = 0;
  }
}

/** Writes all of `bytes` at the descriptor's current position. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done);
}

/** Splits an in-memory file into its frames (for tests and small files): [offset, body] pairs. */
export function splitFrames(bytes: Uint8Array): { offset: number; prefix_bytes: number; body: Uint8Array }[] | string {
  const out: { offset: number; prefix_bytes: number; body: Uint8Array }[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const offset = pos;
    let len = 0;
    let scale = 1;
    for (let n = 0; ; n++) {
      if (pos >= bytes.length) return `the length prefix at byte ${offset} is cut off`;
      if (n === 10) return `the length prefix at byte ${offset} is longer than 10 bytes`;
      const b = bytes[pos++];
      len += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) break;
    }
    if (pos + len > bytes.length) return `frame at byte ${offset} (length ${len}) is truncated`;
    out.push({ offset, prefix_bytes: pos - offset, body: bytes.subarray(pos, pos + len) });
    pos += len;
  }
  return out;
}
