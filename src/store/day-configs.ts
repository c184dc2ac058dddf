// The participants a day closed with (migration 6). A closed day's files are written
// again, at any time, byte for byte as they were first written (clearing-rules.md,
// "The business day"): who gets a BLACKLIST, who the centre, the national centre and
// the bank are, must be those of that day, not of today's participants file, which
// may have gained an acquirer since. Each configuration is kept once, by the SHA-256
// of its canonical JSON; a day names its own.
import { strict as assert } from 'node:assert';
import crypto from 'node:crypto';
import type { Participants } from '../core/config-types';
import type { Db } from './db';

/**
 * Records `participants` as the configuration of day D, which must be open: the run
 * that closes the day records what it runs with, so a resumed run with another file
 * replaces what an interrupted one recorded.
 */
export function recordOpenDayParticipants(db: Db, D: string, participants: Participants): void {
  db.transaction(() => {
    const hash = keepConfig(db, participants);
    const set = db.prepare("UPDATE days SET config_hash = ? WHERE date = ? AND status = 'OPEN'").run(hash, D);
    assert.equal(set.changes, 1, `recordOpenDayParticipants: day ${D} is not open`);
  }).immediate();
}

/**
 * The participants closed day D ran with; null for a day closed before they were
 * recorded (a store older than migration 6).
 */
export function participantsOfDay(db: Db, D: string): Participants | null {
  const row = db
    .prepare(
      "SELECT c.hash, c.participants_json FROM days d JOIN day_configs c ON c.hash = d.config_hash WHERE d.date = ? AND d.status = 'CLOSED'",
    )
    .get(D) as { hash: string; participants_json: string } | undefined;
  if (row === undefined) return null;
  // Read back as it was written: the digest is the key it was kept under.
  assert.equal(sha256Hex(row.participants_json), row.hash, `day ${D}: the recorded participants do not match their digest`);
  return JSON.parse(row.participants_json) as Participants;
}

/**
 * A closed day that has no participants recorded (closed before migration 6) takes
 * these, once: every later rerun of it uses the same.
 */
export function adoptClosedDayParticipants(db: Db, D: string, participants: Participants): void {
  db.transaction(() => {
    const hash = keepConfig(db, participants);
    const set = db.prepare("UPDATE days SET config_hash = ? WHERE date = ? AND status = 'CLOSED' AND config_hash IS NULL").run(hash, D);
    assert.equal(set.changes, 1, `adoptClosedDayParticipants: day ${D} is not closed, or has its participants already`);
  }).immediate();
}

function keepConfig(db: Db, participants: Participants): string {
  const json = canonicalJson(participants);
  const hash = sha256Hex(json);
  db.prepare('INSERT OR IGNORE INTO day_configs (hash, participants_json) VALUES (?, ?)').run(hash, json);
  return hash;
}

/** JSON with every object's keys sorted and undefined members left out: the same configuration always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortedKeys(value));
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortedKeys(v);
  }
  return out;
}

function sha256Hex(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}
