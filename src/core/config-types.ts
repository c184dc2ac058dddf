// The centre's configuration once parsed and checked (clearing-rules.md,
// "The participants file"). Rates stay the decimal strings written in the file:
// statement lines must carry them exactly as written.

export interface Limits {
  max_card_balance_fen: number;
  max_purchase_fen: number;
  overdraft_limit_fen: number;
  late_window_days: number;
  blacklist_grace_hours: number;
}

export interface Terminal {
  id: string; // 12 upper-case hex digits
  merchant_id: string;
  active_from: string; // YYYY-MM-DD, inclusive
  active_to: string | null; // YYYY-MM-DD inclusive, null = still active
}

export interface Merchant {
  id: string;
  name: string;
  /** The merchant's own rate as written, or undefined to use its participant's. */
  rate?: string;
}

export type ParticipantRole = 'acquirer' | 'agent';

export interface Participant {
  id: string;
  name: string;
  role: ParticipantRole;
  kind: 'transit' | 'merchant' | 'agent';
  /** fee_rate for an acquirer, commission_rate for an agent, as written. */
  rate: string;
  merchants: Merchant[];
  terminals: Terminal[];
}

export interface Participants {
  centre: { id: string; name: string };
  national: { id: string; name: string; interop_fee_rate: string };
  bank: { id: string; name: string };
  issuers: { id: string; name: string }[];
  acquirers: Participant[];
  agents: Participant[];
  limits: Limits;
  operators: { name: string; may: ('propose' | 'approve')[] }[];
}

export interface Keys {
  /** issuer_id -> 16-byte TAC master key. Never printed or logged. */
  tac_master_keys: Map<string, Buffer>;
}
