// Parsing and checking the participants file and the keys file (clearing-rules.md,
// "The participants file"). Input is JSON already parsed by the shell; output is the
// typed configuration or the first problem in document order, named by its path
// (`acquirers[2].merchants[0].fee_rate`) so that an operator can find it. A malformed
// file is refused whole: nothing runs on half a configuration.
//
// The readers below never throw: each records a problem and hands back a placeholder,
// so that one walk of the document finds the first problem without exceptions for
// control flow. Only the first problem is returned.
//
// A key the format does not know is refused, not ignored (batch-cli.md, "Common
// options"): `fee_rat` is a rate someone meant to set. Each object's keys are checked
// when the object is read, before its fields. (A key given twice is caught earlier,
// by parseStrictJson: the parsed value no longer shows it.)

import type { Keys, Limits, Merchant, Operator, OperatorRight, Participant, ParticipantRole, Participants, Terminal } from './config-types';
import { isIsoDate } from './calendar';
import { rateProblem } from './fees';
import { pathOfKey } from './json-strict';
import { holdsControlCharacter } from './printable';

export type ConfigResult<T> = { ok: true; value: T } | { ok: false; path: string; message: string };

interface Problem {
  path: string;
  message: string;
}

const INSTITUTION_ID = /^[0-9]{8}$/;
const MERCHANT_ID = /^[0-9A-Z]{15}$/;
const TERMINAL_ID = /^[0-9A-F]{12}$/;
const MASTER_KEY = /^[0-9A-Fa-f]{32}$/;

/** The path of the document's root, for a problem with the whole document. */
export const ROOT_PATH = '(root)';

class Reader {
  readonly problems: Problem[] = [];

  fail(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  /**
   * An object whose keys must all be among `keys` (null: a map, whose keys are data
   * the caller checks); path null is the document's root.
   */
  object(value: unknown, path: string | null, keys: readonly string[] | null): Record<string, unknown> {
    const where = path ?? ROOT_PATH;
    if (value === undefined) this.fail(where, 'missing');
    else if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(where, 'not an object');
    else {
      if (keys !== null) {
        for (const key of Object.keys(value)) if (!keys.includes(key)) this.fail(pathOfKey(path, key), 'unknown key');
      }
      return value as Record<string, unknown>;
    }
    return {};
  }

  array(value: unknown, path: string): unknown[] {
    if (value === undefined) this.fail(path, 'missing');
    else if (!Array.isArray(value)) this.fail(path, 'not an array');
    else return value;
    return [];
  }

  string(value: unknown, path: string): string {
    if (value === undefined) this.fail(path, 'missing');
    else if (typeof value !== 'string') this.fail(path, 'not a string');
    else return value;
    return '';
  }

  matching(value: unknown, path: string, pattern: RegExp, what: string): string {
    const s = this.string(value, path);
    if (typeof value === 'string' && !pattern.test(s)) this.fail(path, `not ${what}`);
    return s;
  }

  institutionId(value: unknown, path: string): string {
    return this.matching(value, path, INSTITUTION_ID, '8 digits');
  }

  rate(value: unknown, path: string): string {
    if (value === undefined) {
      this.fail(path, 'missing');
      return '0';
    }
    const problem = rateProblem(value);
    if (problem !== undefined) {
      this.fail(path, problem);
      return '0';
    }
    return value as string;
  }

  isoDate(value: unknown, path: string): string {
    const s = this.string(value, path);
    if (typeof value === 'string' && !isIsoDate(s)) this.fail(path, 'not a real date (YYYY-MM-DD)');
    return s;
  }

  count(value: unknown, path: string): number {
    if (value === undefined) this.fail(path, 'missing');
    else if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) this.fail(path, 'not a non-negative integer');
    else return value;
    return 0;
  }
}

/** Where an id was first seen, to name both places of a duplicate. */
type FirstSeen = Map<string, string>;

function unique(r: Reader, seen: FirstSeen, id: string, path: string, what: string): void {
  if (id === '') return; // already reported as malformed
  const first = seen.get(id);
  if (first !== undefined) r.fail(path, `duplicate ${what} ${id} (also at ${first})`);
  else seen.set(id, path);
}

const PARTY_KEYS = ['id', 'name'] as const;

function parseParty(r: Reader, value: unknown, path: string): { id: string; name: string } {
  const o = r.object(value, path, PARTY_KEYS);
  return { id: r.institutionId(o.id, `${path}.id`), name: r.string(o.name, `${path}.name`) };
}

interface Seen {
  participants: FirstSeen;
  merchants: FirstSeen;
  terminals: FirstSeen;
}

const TERMINAL_KEYS = ['id', 'merchant_id', 'active_from', 'active_to'] as const;

function parseParticipant(r: Reader, value: unknown, path: string, role: ParticipantRole, seen: Seen): Participant {
  // The merchant-level override has the same key as the participant's own rate; the
  // other key is refused rather than ignored, because whoever wrote it meant a rate
  // (with its own message, so it passes the unknown-key check).
  const rateKey = role === 'acquirer' ? 'fee_rate' : 'commission_rate';
  const wrongRateKey = role === 'acquirer' ? 'commission_rate' : 'fee_rate';
  const keys = ['id', 'name', ...(role === 'acquirer' ? ['kind'] : []), rateKey, wrongRateKey, 'merchants', 'terminals'];
  const o = r.object(value, path, keys);
  const id = r.institutionId(o.id, `${path}.id`);
  unique(r, seen.participants, id, `${path}.id`, 'participant id');
  const name = r.string(o.name, `${path}.name`);

  let kind: Participant['kind'] = 'agent';
  if (role === 'acquirer') {
    if (o.kind === undefined) r.fail(`${path}.kind`, 'missing');
    else if (o.kind !== 'transit' && o.kind !== 'merchant') r.fail(`${path}.kind`, 'not transit or merchant');
    else kind = o.kind;
  }
  if (o[wrongRateKey] !== undefined) r.fail(`${path}.${wrongRateKey}`, `not allowed here (an ${role}'s rate is ${rateKey})`);
  const rate = r.rate(o[rateKey], `${path}.${rateKey}`);

  const merchants: Merchant[] = [];
  const merchantIds = new Set<string>();
  r.array(o.merchants, `${path}.merchants`).forEach((mv, i) => {
    const mp = `${path}.merchants[${i}]`;
    const m = r.object(mv, mp, ['id', 'name', rateKey, wrongRateKey]);
    const mid = r.matching(m.id, `${mp}.id`, MERCHANT_ID, '15 characters of [0-9A-Z]');
    unique(r, seen.merchants, mid, `${mp}.id`, 'merchant id');
    merchantIds.add(mid);
    const merchant: Merchant = { id: mid, name: r.string(m.name, `${mp}.name`) };
    if (m[wrongRateKey] !== undefined)
      r.fail(`${mp}.${wrongRateKey}`, `not allowed here (a merchant's own rate under an ${role} is ${rateKey})`);
    if (m[rateKey] !== undefined) merchant.rate = r.rate(m[rateKey], `${mp}.${rateKey}`);
    merchants.push(merchant);
  });

  const terminals: Terminal[] = [];
  r.array(o.terminals, `${path}.terminals`).forEach((tv, i) => {
    const tp = `${path}.terminals[${i}]`;
    const t = r.object(tv, tp, TERMINAL_KEYS);
    const tid = r.matching(t.id, `${tp}.id`, TERMINAL_ID, '12 upper-case hex digits');
    unique(r, seen.terminals, tid, `${tp}.id`, 'terminal id');
    const merchant_id = r.string(t.merchant_id, `${tp}.merchant_id`);
    if (typeof t.merchant_id === 'string' && !merchantIds.has(merchant_id)) {
      r.fail(`${tp}.merchant_id`, `not a merchant of ${id}`);
    }
    const active_from = r.isoDate(t.active_from, `${tp}.active_from`);
    let active_to: string | null = null;
    if (t.active_to === undefined) r.fail(`${tp}.active_to`, 'missing (null means still active)');
    else if (t.active_to !== null) {
      active_to = r.isoDate(t.active_to, `${tp}.active_to`);
      // Both are YYYY-MM-DD, so text order is date order.
      if (isIsoDate(active_to) && isIsoDate(active_from) && active_to < active_from) {
        r.fail(`${tp}.active_to`, 'before active_from');
      }
    }
    terminals.push({ id: tid, merchant_id, active_from, active_to });
  });

  return { id, name, role, kind, rate, merchants, terminals };
}

const LIMITS_KEYS = [
  'max_card_balance_fen',
  'max_purchase_fen',
  'overdraft_limit_fen',
  'late_window_days',
  'blacklist_grace_hours',
] as const;

function parseLimits(r: Reader, value: unknown): Limits {
  const o = r.object(value, 'limits', LIMITS_KEYS);
  return {
    max_card_balance_fen: r.count(o.max_card_balance_fen, 'limits.max_card_balance_fen'),
    max_purchase_fen: r.count(o.max_purchase_fen, 'limits.max_purchase_fen'),
    overdraft_limit_fen: r.count(o.overdraft_limit_fen, 'limits.overdraft_limit_fen'),
    late_window_days: r.count(o.late_window_days, 'limits.late_window_days'),
    blacklist_grace_hours: r.count(o.blacklist_grace_hours, 'limits.blacklist_grace_hours'),
  };
}

const RIGHTS: readonly OperatorRight[] = ['propose', 'approve'];

/**
 * The operators (clearing-rules.md, "Corrections"): optional, each named once. A
 * name is matched exactly against `--by`, so one that could not be typed back or
 * shown as written (blank, padded, holding a control character) is refused.
 */
function parseOperators(r: Reader, value: unknown): Operator[] {
  if (value === undefined) return [];
  const seen: FirstSeen = new Map();
  return r.array(value, 'operators').map((v, i) => {
    const path = `operators[${i}]`;
    const o = r.object(v, path, ['name', 'may']);
    const name = r.string(o.name, `${path}.name`);
    if (typeof o.name === 'string') {
      if (name.trim() === '') r.fail(`${path}.name`, 'empty');
      else if (holdsControlCharacter(name)) r.fail(`${path}.name`, 'holds a control character');
      else if (name.trim() !== name) r.fail(`${path}.name`, 'begins or ends with a space');
      else unique(r, seen, name, `${path}.name`, 'operator name');
    }
    const may: OperatorRight[] = [];
    const rights = r.array(o.may, `${path}.may`);
    rights.forEach((right, j) => {
      if (!RIGHTS.includes(right as OperatorRight)) r.fail(`${path}.may[${j}]`, 'not propose or approve');
      else if (may.includes(right as OperatorRight)) r.fail(`${path}.may[${j}]`, `${right} given twice`);
      else may.push(right as OperatorRight);
    });
    return { name, may };
  });
}

const ROOT_KEYS = ['centre', 'national', 'bank', 'issuers', 'acquirers', 'agents', 'limits', 'operators'] as const;

/**
 * The participants file, checked. Ids are unique across the centre, the national
 * centre, the bank, acquirers and agents (one settlement account per id); merchant and
 * terminal ids are unique across the whole file, because a record names a terminal by
 * its id alone. Issuer ids are unique among issuers (an issuer may also be a party).
 */
export function parseParticipants(json: unknown): ConfigResult<Participants> {
  const r = new Reader();
  const root = r.object(json, null, ROOT_KEYS);
  const seen: Seen = { participants: new Map(), merchants: new Map(), terminals: new Map() };

  const centre = parseParty(r, root.centre, 'centre');
  unique(r, seen.participants, centre.id, 'centre.id', 'participant id');
  const nationalObject = r.object(root.national, 'national', ['id', 'name', 'interop_fee_rate']);
  const national = {
    id: r.institutionId(nationalObject.id, 'national.id'),
    name: r.string(nationalObject.name, 'national.name'),
    interop_fee_rate: r.rate(nationalObject.interop_fee_rate, 'national.interop_fee_rate'),
  };
  unique(r, seen.participants, national.id, 'national.id', 'participant id');
  const bank = parseParty(r, root.bank, 'bank');
  unique(r, seen.participants, bank.id, 'bank.id', 'participant id');

  const issuerSeen: FirstSeen = new Map();
  const issuers = r.array(root.issuers, 'issuers').map((v, i) => {
    const issuer = parseParty(r, v, `issuers[${i}]`);
    unique(r, issuerSeen, issuer.id, `issuers[${i}].id`, 'issuer id');
    return issuer;
  });
  const acquirers = r.array(root.acquirers, 'acquirers').map((v, i) => parseParticipant(r, v, `acquirers[${i}]`, 'acquirer', seen));
  const agents = r.array(root.agents, 'agents').map((v, i) => parseParticipant(r, v, `agents[${i}]`, 'agent', seen));
  const limits = parseLimits(r, root.limits);
  const operators = parseOperators(r, root.operators);

  const first = r.problems[0];
  if (first !== undefined) return { ok: false, path: first.path, message: first.message };
  return { ok: true, value: { centre, national, bank, issuers, acquirers, agents, limits, operators } };
}

/**
 * The keys file: `{ "issuers": { "<id>": { "tac_master_key": "<32 hex>" } } }`. A
 * message never contains a key's value, only where it is. With issuerIds (the
 * participants file's local issuers), every local issuer must have a key (else its
 * cards' TACs cannot be checked) and every key must belong to a local issuer (a key for
 * anyone else is a configuration mistake worth stopping for).
 */
export function parseKeys(json: unknown, issuerIds?: string[]): ConfigResult<Keys> {
  const r = new Reader();
  const root = r.object(json, null, ['issuers']);
  // Its keys are issuer ids, checked one by one below.
  const issuers = r.object(root.issuers, 'issuers', null);
  const tac_master_keys = new Map<string, Buffer>();
  for (const id of Object.keys(issuers).sort()) {
    const path = pathOfKey('issuers', id);
    if (!INSTITUTION_ID.test(id)) {
      r.fail(path, 'not an 8-digit issuer id');
      continue;
    }
    const entry = r.object(issuers[id], path, ['tac_master_key']);
    const key = entry.tac_master_key;
    if (key === undefined) r.fail(`${path}.tac_master_key`, 'missing');
    else if (typeof key !== 'string' || !MASTER_KEY.test(key)) r.fail(`${path}.tac_master_key`, 'not 32 hex digits');
    else tac_master_keys.set(id, Buffer.from(key, 'hex'));
  }
  if (issuerIds !== undefined) {
    const local = new Set(issuerIds);
    for (const id of [...local].sort()) {
      if (!Object.hasOwn(issuers, id)) r.fail(`issuers.${id}`, 'missing: no TAC master key for this local issuer');
    }
    for (const id of tac_master_keys.keys()) {
      if (!local.has(id)) r.fail(`issuers.${id}`, 'not a local issuer of the participants file');
    }
  }
  const first = r.problems[0];
  if (first !== undefined) return { ok: false, path: first.path, message: first.message };
  return { ok: true, value: { tac_master_keys } };
}
