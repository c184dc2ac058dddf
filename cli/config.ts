// Reading the configuration files named on the command line. Every problem is a
// UsageError naming the file and the bad field; nothing runs before they pass.
// The keys file's content is never printed, not even in an error.
import fs from 'node:fs';
import { parseKeys, parseParticipants } from '../src/core/config';
import type { Keys, Participants } from '../src/core/config-types';
import { UsageError } from './errors';

function readJson(filePath: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(filePath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${filePath}: cannot read the ${what}${code === 'ENOENT' ? ': no such file' : `: ${code}`}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = what === 'keys file' ? 'not valid JSON' : `not valid JSON: ${(err as Error).message}`;
    throw new UsageError(`${filePath}: ${message}`);
  }
}

export function loadParticipants(filePath: string): Participants {
  const parsed = parseParticipants(readJson(filePath, 'participants file'));
  if (!parsed.ok) throw new UsageError(`${filePath}: ${parsed.path}: ${parsed.message}`);
  return parsed.value;
}

export function loadKeys(filePath: string, participants: Participants): Keys {
  const parsed = parseKeys(
    readJson(filePath, 'keys file'),
    participants.issuers.map((i) => i.id),
  );
  if (!parsed.ok) throw new UsageError(`${filePath}: ${parsed.path}: ${parsed.message}`);
  return parsed.value;
}
