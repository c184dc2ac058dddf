// The stateless rules' verdicts on a file's records (E01 E02 E08 E04 E07 E06 E05:
// src/core/validate.ts, statelessVerdict), a chunk at a time, the same whether they
// ran ahead on the worker thread (validation-pipe.ts) or run here, inline. The batch
// takes them and runs the rules that need history itself.
import { strict as assert } from 'node:assert';
import type { ImportFields, Transaction } from '../core/types';
import { statelessVerdict, type FileContext, type RejectedVerdict, type StatelessContext } from '../core/validate';
import { CHUNK, decodeResult, HISTORY_CARD, HISTORY_TERMINAL, UNKNOWN } from './ring';
import type { ValidationPipe } from './validation-pipe';
import type { RawBlock } from '../store/kept-files';

/**
 * A record of the file being imported, read in part (ImportFields) while the worker
 * judged it, does not decode whole: what the worker read was other bytes, or the file
 * is unreadable. The file is read again whole, alone, and its refusal, if any, names
 * the first frame at fault.
 */
export class ReadAgainWhole extends Error {}

/** The most records judged at once: the importer's chunk. */
export const CHUNK_RECORDS = CHUNK;

/** history[i] when nobody probed history's key runs for the record: the held keys ask the filters. */
export const NOT_PROBED = -1;

/** For each record of a chunk, what ran before the rules that need history. */
export class ChunkVerdicts {
  size = 0;
  /** The record's rejection by a stateless rule, or undefined when it passed them all. */
  readonly rejected: (RejectedVerdict | undefined)[] = new Array(CHUNK).fill(undefined);
  /** Whether history's key runs have its keys (HISTORY_CARD | HISTORY_TERMINAL), or NOT_PROBED. */
  readonly history = new Int32Array(CHUNK);
}

export interface StatelessVerdicts {
  /**
   * A file's records follow (path: the file itself, for a worker to read apart);
   * `next`: the file likely to be imported after it, which a worker may begin reading
   * ahead.
   */
  beginFile(path: string, file: FileContext, next?: string | null): void;
  /**
   * Whether the chunk the importer is about to read will be judged on the worker,
   * which decodes its records whole: the importer then reads only their ImportFields.
   */
  judgesAhead(): boolean;
  /**
   * The verdicts of the file's records [from, from + records.length): at most
   * CHUNK_RECORDS, in order. whole(i): record i whole, for a rule run here.
   */
  judge(from: number, records: readonly ImportFields[], whole: (i: number) => Transaction): ChunkVerdicts;
  /** The records before `count` are stored. */
  release(count: number): void;
  /** After the file's whole read: whether the verdicts were given on these bytes (sha256). */
  sameFile(sha256_hex: string): boolean;
  /**
   * Whether another thread digests the file's record frames (the Trailer's digest):
   * the import then leaves them to it and asks recordsDigest at the file's end.
   */
  readonly digestsRecords: boolean;
  /** That digest, when the other thread read these bytes (file_sha256_hex) whole; else null (the file is read again here). */
  recordsDigest(file_sha256_hex: string): string | null;
  /** The file is done with: committed, refused or failed. */
  endFile(): void;
  /** A block of the file compressed by another thread (KeptFileWriter's `compressed`), or null when none does it. */
  readonly compressedBlock: ((block: RawBlock, wait: boolean) => Buffer | null | false) | null;
}

/** The stateless rules run here, on the main thread. */
export class InlineVerdicts implements StatelessVerdicts {
  private file: FileContext | null = null;
  readonly compressedBlock = null;
  private readonly out = new ChunkVerdicts();

  constructor(private readonly rules: StatelessContext) {
    this.out.history.fill(NOT_PROBED);
  }

  beginFile(_path: string, file: FileContext): void {
    this.file = file;
  }

  judgesAhead(): boolean {
    return false;
  }

  judge(_from: number, records: readonly ImportFields[], whole: (i: number) => Transaction): ChunkVerdicts {
    const file = this.file!;
    const out = this.out;
    assert(records.length <= CHUNK_RECORDS, `stateless verdicts: a chunk of ${records.length}`);
    out.size = records.length;
    for (let i = 0; i < records.length; i++) out.rejected[i] = statelessVerdict(whole(i), file, this.rules);
    return out;
  }

  release(): void {}

  sameFile(): boolean {
    return true;
  }

  readonly digestsRecords = false;

  recordsDigest(): null {
    return null;
  }

  endFile(): void {
    this.file = null;
  }
}

/** The stateless rules ran ahead on the worker; a record it could not answer for, or gave no result for yet at the night's start, is judged here. */
export class PipeVerdicts implements StatelessVerdicts {
  private file: FileContext | null = null;
  /** Records judged here because the worker had not started (cold()). */
  judgedHere = 0;
  readonly compressedBlock = (block: RawBlock, wait: boolean): Buffer | null | false => this.pipe.takeBlock(block, wait);
  private readonly out = new ChunkVerdicts();

  constructor(
    private readonly pipe: ValidationPipe,
    private readonly rules: StatelessContext,
  ) {}

  beginFile(path: string, file: FileContext, next: string | null = null): void {
    this.file = file;
    this.pipe.begin({ kind: 'file', path }, next);
  }

  judgesAhead(): boolean {
    return this.pipe.usable && !this.pipe.cold();
  }

  judge(from: number, records: readonly ImportFields[], whole: (i: number) => Transaction): ChunkVerdicts {
    const file = this.file!;
    const out = this.out;
    assert(records.length <= CHUNK_RECORDS, `stateless verdicts: a chunk of ${records.length}`);
    out.size = records.length;
    // The worker not started yet: judged here (the same verdicts), not waited for,
    // and the worker told to skip them.
    const cold = this.pipe.cold();
    if (cold) {
      this.judgedHere += records.length;
      this.pipe.judgedHere(from + records.length);
    }
    for (let i = 0; i < records.length; i++) {
      const code = cold ? UNKNOWN : this.pipe.resultOf(from + i);
      if (code === UNKNOWN) {
        out.rejected[i] = statelessVerdict(whole(i), file, this.rules);
        out.history[i] = NOT_PROBED;
      } else {
        out.rejected[i] = decodeResult(code);
        out.history[i] = code & (HISTORY_CARD | HISTORY_TERMINAL);
      }
    }
    return out;
  }

  release(count: number): void {
    this.pipe.release(count);
  }

  sameFile(sha256_hex: string): boolean {
    return this.pipe.sameFile(sha256_hex);
  }

  get digestsRecords(): boolean {
    return this.pipe.usable;
  }

  recordsDigest(file_sha256_hex: string): string | null {
    return this.pipe.recordsDigest(file_sha256_hex);
  }

  endFile(): void {
    this.file = null;
    this.pipe.finish();
  }
}
