// F04 WRONG_PARTY (exchange-files.md, "Refusing a file whole"): the receiver must be
// this centre, and the sender one that may send the file's type.
import type { Registry } from './registry';
import type { FileRefusal, Header } from './types';

export function wrongParty(registry: Registry, header: Pick<Header, 'file_type' | 'sender_id' | 'receiver_id'>): FileRefusal | undefined {
  if (header.receiver_id !== registry.centre_id) {
    return { code: 'F04', detail: `receiver ${header.receiver_id} is not this centre` };
  }
  const sender = header.sender_id;
  let allowed: boolean;
  switch (header.file_type) {
    case 'TXN_UPLOAD': {
      const role = registry.participant(sender)?.role;
      allowed = role === 'acquirer' || role === 'agent';
      break;
    }
    case 'INTEROP_RESULT':
    case 'INTEROP_IN':
      allowed = sender === registry.national_id;
      break;
    case 'BLACKLIST':
      allowed = registry.isLocalIssuer(sender);
      break;
    default:
      allowed = false; // the centre receives no other type
  }
  return allowed ? undefined : { code: 'F04', detail: `sender ${sender} may not send ${header.file_type}` };
}
