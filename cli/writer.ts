// The commands that change the store (batch, recon resolve, the correct commands) run
// their whole check-then-write sequence as its only writer (batch-cli.md, "Common
// options"); a second one is refused at once, exit 1, naming the holder, and records nothing.
import { hostname } from 'node:os';
import { compactToIsoDate } from '../src/core/calendar';
import type { Db } from '../src/store/db';
import { withWriterLock, type WriterLockHolder } from '../src/store/writer-lock';
import { beijingNow } from './dates';
import { CheckFailed } from './errors';

/** Another command holds the store: exit 1, nothing of this one ran. */
export class StoreHeld extends CheckFailed {}

/** Runs `fn` (synchronous) holding the store alone; `command` names it to anyone refused meanwhile. */
export function asSoleWriter<T>(db: Db, command: string, fn: () => T): T {
  const outcome = withWriterLock(
    db,
    {
      command,
      now: beijingNow,
      onTakeOver: (stale) => process.stderr.write(`lct: ${describe(stale)} ended without letting go of the store; taken over\n`),
    },
    fn,
  );
  if (outcome.kind === 'ran') return outcome.value;
  if (outcome.holder === null) {
    throw new StoreHeld('the store is being written by a program other than lct; try again when it ends');
  }
  throw new StoreHeld(`the store is held by ${describe(outcome.holder)}; try again when it ends`);
}

/** `'batch --date 2026-01-05' (pid 123) since 2026-01-05 02:10:11`, with the host when it is not this one. */
function describe(h: WriterLockHolder): string {
  const s = h.since;
  const since = `${compactToIsoDate(s.slice(0, 8))} ${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)}`;
  const where = h.host === hostname() ? '' : ` on ${h.host}`;
  return `'${h.command}' (pid ${h.pid}${where}) since ${since}`;
}
