// Names beside ids in what people read. The names come from the participants file
// when one is named (--config or $LCT_CONFIG: it must then be readable and sound)
// or when ./participants.json exists; without one, ids are shown alone.
import fs from 'node:fs';
import type { Participants } from '../src/core/config-types';
import { configPath, type ConfigOptions } from './common';
import { loadParticipants } from './config';
import { escapeControl } from './format';

export class ParticipantNames {
  private readonly names = new Map<string, string>();
  private readonly merchants = new Map<string, string>();
  private readonly issuers: string[] = [];

  constructor(p?: Participants) {
    if (p === undefined) return;
    this.issuers = p.issuers.map((i) => i.id);
    for (const x of [p.centre, p.national, p.bank, ...p.issuers, ...p.acquirers, ...p.agents]) this.names.set(x.id, x.name);
    for (const x of [...p.acquirers, ...p.agents]) for (const m of x.merchants) this.merchants.set(m.id, m.name);
  }

  /** The local issuers' ids (none when no file was read). */
  issuerIds(): string[] {
    return [...this.issuers];
  }

  /** The participant's name, or undefined when unknown (or no file was read). */
  name(id: string | null | undefined): string | undefined {
    const n = id ? this.names.get(id) : undefined;
    return n === undefined ? undefined : escapeControl(n);
  }

  /** `41010101 Zhengzhou Bus Group`, or the id alone; `-` for none. */
  label(id: string | null | undefined): string {
    if (id === null || id === undefined || id === '') return '-';
    const n = this.name(id);
    return n === undefined ? escapeControl(id) : `${escapeControl(id)} ${n}`;
  }

  /** A merchant id with its name, when known. */
  merchant(id: string): string {
    const n = this.merchants.get(id);
    return n === undefined ? escapeControl(id) : `${escapeControl(id)} ${escapeControl(n)}`;
  }

  /** A ledger account with the name of the participant it belongs to: `payable:acquirer:41010101 (Zhengzhou Bus Group)`. */
  account(account: string): string {
    const id = /:(\d{8})$/.exec(account)?.[1];
    const n = id === undefined ? undefined : this.name(id);
    return n === undefined ? account : `${account} (${n})`;
  }
}

/** Reads the names for a command that only shows them: a named file must load, the default one is optional. */
export function participantNames(o: ConfigOptions): ParticipantNames {
  const named = o.config !== undefined || (process.env.LCT_CONFIG ?? '') !== '';
  const p = configPath(o);
  if (!named && !fs.existsSync(p)) return new ParticipantNames();
  return new ParticipantNames(loadParticipants(p));
}
