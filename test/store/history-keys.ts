// History's keys as the tests compare them: [night, key, record id] for every entry
// of the key runs (src/store/key-runs.ts), in (night, key, id) order.
import type { Db } from '../../src/store/db';
import { type KeyKind, KeyRuns } from '../../src/store/key-runs';

export function historyKeys(db: Db, kind: KeyKind): [number, number, number][] {
  const runs = new KeyRuns(db);
  const out: [number, number, number][] = [];
  for (const night of db.prepare('SELECT DISTINCT night FROM key_runs ORDER BY 1').pluck().all() as number[]) {
    runs.forEachOfNight(kind, night, (key, id) => out.push([night, key, id]));
  }
  return out;
}
