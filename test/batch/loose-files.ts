// Exchange files with any header at all, for tests of what a participant may send:
// the centre's own writer refuses a header no name can carry, and a participant's
// software does not. Framing, trailer and digest are right, so that the header alone
// decides the outcome.
import crypto from 'node:crypto';
import { HEADER, RECORD_CODEC, TRAILER, type AnyRecord, type MessageCodec } from '../../src/files/codec';
import { WireWriter } from '../../src/files/wire';
import type { FileType, Header, Trailer, Transaction } from '../../src/core/types';
import { frame } from '../files/arbitraries';

/**
 * A file of `header`, `records` (encoded as `record_type`, by default the header's
 * type) and a Trailer that agrees with them, but for what `trailer` changes of it.
 */
export function encodeWithAnyHeader(
  header: Header,
  records: readonly Transaction[],
  record_type: FileType = 'TXN_UPLOAD',
  trailer: Partial<Trailer> = {},
): Buffer {
  const w = new WireWriter(1024);
  HEADER.encode(header, w);
  const parts = [frame(Buffer.from(w.view()))];
  const codec = RECORD_CODEC[record_type] as MessageCodec<AnyRecord>;
  const digest = crypto.createHash('sha256');
  let total = 0;
  for (const r of records) {
    w.reset();
    codec.encode(r, w);
    const f = frame(Buffer.from(w.view()));
    digest.update(f);
    parts.push(f);
    total += r.amount_fen;
  }
  w.reset();
  TRAILER.encode({ record_count: records.length, total_amount_fen: total, sha256: new Uint8Array(digest.digest()), ...trailer }, w);
  parts.push(frame(Buffer.from(w.view())));
  return Buffer.concat(parts);
}
