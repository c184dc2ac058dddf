// What every step of a batch needs: the store, the configuration, the blacklist as
// imported so far, and the night's machinery (src/machinery), which holds everything
// that exists only for a night's volume.
import type { Db } from '../store/db';
import type { IgnoredEntry } from '../core/reports';
import type { Participants, Keys } from '../core/config-types';
import { buildRegistry, type Registry } from '../core/registry';
import { TacKeyCache } from '../core/tac';
import type { StatelessContext } from '../core/validate';
import { loadBlacklist, type CardBlacklist } from '../machinery/card-blacklist';
import { Tonight } from '../machinery/tonight';

/**
 * How far the import has got: sent when a file is done, and while a big file is read
 * (at most every 100 ms, checked every few thousand records: nothing per record).
 */
export interface ImportProgress {
  step: 'import';
  /** Files done (imported, refused, or passed over as a resend), of the files to import tonight. */
  files_done: number;
  files_total: number;
  /** The file just done and what became of it ('imported', 'refused F01', 'skipped'); null while a file is read. */
  done: { name: string; outcome: string } | null;
  /**
   * Records read from uploads and INTEROP_IN files so far, and about how many there
   * are: estimated from the files' bytes, corrected as each file is read, exact once
   * every file is.
   */
  records_done: number;
  records_expected: number;
}

/** A step's progress for the operator: a line of text, or the import's counts. */
export type Progress = (event: string | ImportProgress) => void;

export interface BatchContext {
  db: Db;
  participants: Participants;
  /** The TAC master keys: never printed or logged. */
  keys: Keys;
  registry: Registry;
  /** The BLACKLIST entries imported so far, by card. */
  blacklist: CardBlacklist;
  /** The night's machinery: tonight's keys and card runs, the key filters, the worker thread. */
  readonly tonight: Tonight;
  /** The day being run, YYYYMMDD. */
  date: string;
  progress: Progress;
  /** Inbox entries that are not files, as the import listed them: the day's report names them. */
  ignored_entries: IgnoredEntry[];
}

export function makeContext(db: Db, participants: Participants, keys: Keys, date: string, progress: Progress): BatchContext {
  let tac: TacKeyCache | undefined;
  const registry = buildRegistry(participants);
  // The TAC checker is made on first use: with the worker thread, the main thread rarely needs its 40 MB.
  const rules: StatelessContext = {
    registry,
    limits: participants.limits,
    get tac(): TacKeyCache {
      tac ??= new TacKeyCache(keys);
      return tac;
    },
  };
  return {
    db,
    participants,
    keys,
    registry,
    blacklist: loadBlacklist(db),
    tonight: new Tonight(db, date, { participants, keys }, rules),
    date,
    progress,
    ignored_entries: [],
  };
}
