// Tonight's PENDING_INTEROP records, as the import read them, for the day's INTEROP_OUT:
// the close orders them and the outbox writes them without reading the night's kept
// bytes back (which costs a decompression of every block: the pending records are a
// few in every block). Kept as their frames end to end in one buffer, not as objects
// (a 5M night has some 135,000 of them): the frames of their files, as the import
// read them.
import { strict as assert } from 'node:assert';
import type { Transaction } from '../core/types';
import { decodeRecordFrame } from '../store/kept-files';

export class NightPending {
  private ids = new Float64Array(1024);
  /** Where record i's frame ends in bytes (it begins where i - 1's ends). */
  private ends = new Float64Array(1024);
  private bytes = Buffer.allocUnsafe(1 << 16);
  private n = 0;

  /** A record stored tonight as PENDING_INTEROP, by its frame (length prefix first); ids rise. */
  add(id: number, frame: Uint8Array): void {
    if (this.n > 0 && id <= this.ids[this.n - 1]!) assert.fail(`night pending: record ${id} after a later one`);
    const at = this.n === 0 ? 0 : this.ends[this.n - 1]!;
    if (this.n === this.ids.length) {
      const grow = <T extends Float64Array>(a: T): T => {
        const b = new Float64Array(a.length * 2) as T;
        b.set(a);
        return b;
      };
      this.ids = grow(this.ids);
      this.ends = grow(this.ends);
    }
    if (at + frame.length > this.bytes.length) {
      const b = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, at + frame.length));
      this.bytes.copy(b, 0, 0, at);
      this.bytes = b;
    }
    this.bytes.set(frame, at);
    this.ids[this.n] = id;
    this.ends[this.n] = at + frame.length;
    this.n++;
  }

  /** The record with this id, if this run imported it. */
  get(id: number): Transaction | undefined {
    let lo = 0;
    let hi = this.n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.ids[mid]!;
      if (v === id) return decodeRecordFrame(this.bytes, mid === 0 ? 0 : this.ends[mid - 1]!);
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** The ids of the records kept, in order. */
  idList(): number[] {
    return Array.from(this.ids.subarray(0, this.n));
  }

  /** A refused file's records, from id on, were rolled back. */
  forgetFrom(id: number): void {
    while (this.n > 0 && this.ids[this.n - 1]! >= id) this.n--;
  }
}
