// What every step of a batch needs: the store, the configuration, the blacklist as
// imported so far, and the night's machinery (src/machinery), which holds everything
// that exists only for a night's volume.
import type { Db } from '../store/db';
import type { Participants, Keys } from '../core/config-types';
import { buildRegistry, type Registry } from '../core/registry';
import { TacKeyCache } from '../core/tac';
import type { StatelessContext } from '../core/validate';
import { loadBlacklist, type CardBlacklist } from '../machinery/card-blacklist';
import { Tonight } from '../machinery/tonight';

export type Progress = (message: string) => void;

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
  };
}
