// The participants file turned into the lookups that validation and clearing make per
// record: built once per run, read millions of times a night. Dates are kept as
// YYYYMMDD so that a record's occurred_at date compares with them as text.

import { strict as assert } from 'node:assert';
import type { Limits, Participant, ParticipantRole, Participants } from './config-types';
import { compactDateDayNumber, isoToCompactDate } from './calendar';

export interface RegisteredTerminal {
  terminal_id: string;
  participant_id: string;
  role: ParticipantRole;
  merchant_id: string;
  /** YYYYMMDD, inclusive. */
  active_from: string;
  /** YYYYMMDD inclusive, or null while still active. */
  active_to: string | null;
  /** The same two dates as day numbers (calendar.ts), Infinity while still active. */
  active_from_day: number;
  active_to_day: number;
}

export interface Registry {
  readonly participants: Participants;
  readonly centre_id: string;
  readonly national_id: string;
  readonly bank_id: string;
  /** The same three ids again, under the names the batch code uses. */
  readonly centreId: string;
  readonly nationalId: string;
  readonly bankId: string;
  readonly interop_fee_rate: string;
  readonly limits: Limits;
  readonly local_issuers: ReadonlySet<string>;
  /** Every acquirer and agent by id. */
  readonly by_participant_id: ReadonlyMap<string, Participant>;
  readonly by_terminal_id: ReadonlyMap<string, RegisteredTerminal>;
  terminal(terminal_id: string): RegisteredTerminal | undefined;
  /** An acquirer or agent; undefined for anyone else (the centre, national, bank). */
  participant(participant_id: string): Participant | undefined;
  /**
   * The rate applied to (participant, merchant), exactly as written in the file: the
   * merchant's own where given, else its participant's. Undefined when the merchant is
   * not one of the participant's.
   */
  merchantRate(participant_id: string, merchant_id: string): string | undefined;
  isLocalIssuer(issuer_id: string): boolean;
  /** Acquirer and agent ids in ascending order. */
  readonly participant_ids: readonly string[];
}

/** Builds every lookup once. The input has passed parseParticipants. */
export function buildRegistry(p: Participants): Registry {
  const by_participant_id = new Map<string, Participant>();
  const by_terminal_id = new Map<string, RegisteredTerminal>();
  // Keyed `participant_id/merchant_id`: merchant ids are unique in a checked file, but
  // the pair is what a rate belongs to, and a record names both.
  const rates = new Map<string, string>();

  for (const participant of [...p.acquirers, ...p.agents]) {
    assert(!by_participant_id.has(participant.id), `buildRegistry: duplicate participant ${participant.id}`);
    by_participant_id.set(participant.id, participant);
    for (const m of participant.merchants) {
      rates.set(`${participant.id}/${m.id}`, m.rate ?? participant.rate);
    }
    for (const t of participant.terminals) {
      assert(!by_terminal_id.has(t.id), `buildRegistry: duplicate terminal ${t.id}`);
      assert(rates.has(`${participant.id}/${t.merchant_id}`), `buildRegistry: terminal ${t.id} names an unknown merchant`);
      const active_from = isoToCompactDate(t.active_from);
      const active_to = t.active_to === null ? null : isoToCompactDate(t.active_to);
      const active_from_day = compactDateDayNumber(active_from);
      const active_to_day = active_to === null ? Infinity : compactDateDayNumber(active_to);
      assert(active_from_day !== undefined && active_to_day !== undefined, `buildRegistry: terminal ${t.id} has an impossible date`);
      by_terminal_id.set(t.id, {
        terminal_id: t.id,
        participant_id: participant.id,
        role: participant.role,
        merchant_id: t.merchant_id,
        active_from,
        active_to,
        active_from_day,
        active_to_day,
      });
    }
  }
  const local_issuers = new Set(p.issuers.map((i) => i.id));
  const participant_ids = [...by_participant_id.keys()].sort();

  return {
    participants: p,
    centre_id: p.centre.id,
    national_id: p.national.id,
    bank_id: p.bank.id,
    centreId: p.centre.id,
    nationalId: p.national.id,
    bankId: p.bank.id,
    interop_fee_rate: p.national.interop_fee_rate,
    limits: p.limits,
    local_issuers,
    by_participant_id,
    by_terminal_id,
    participant_ids,
    terminal: (terminal_id) => by_terminal_id.get(terminal_id),
    participant: (participant_id) => by_participant_id.get(participant_id),
    merchantRate: (participant_id, merchant_id) => rates.get(`${participant_id}/${merchant_id}`),
    isLocalIssuer: (issuer_id) => local_issuers.has(issuer_id),
  };
}

/** Whether a registered terminal was active on a YYYYMMDD date (both ends inclusive). */
export function isTerminalActiveOn(t: RegisteredTerminal, date: string): boolean {
  return date >= t.active_from && (t.active_to === null || date <= t.active_to);
}

/** The same, for a day number (calendar.ts): what validation has at hand per record. */
export function isTerminalActiveOnDay(t: RegisteredTerminal, day: number): boolean {
  return day >= t.active_from_day && day <= t.active_to_day;
}
