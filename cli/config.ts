// Reading the configuration files named on the command line. Every problem is a
// UsageError naming the file and the bad field; nothing runs before they pass.
// The keys file's content is never printed, not even in an error.
//
// The files are read strictly: UTF-8 (one leading BOM allowed, as editors on the
// operators' desktops write one), no key given twice in one object, and not bigger
// than any real configuration could be (a hostile or mistaken path to a huge file is
// refused before it is read).
import fs from 'node:fs';
import { parseKeys, parseParticipants } from '../src/core/config';
import type { Keys, Participants } from '../src/core/config-types';
import { parseStrictJson } from '../src/core/json-strict';
import { UsageError } from './errors';

/** The largest configuration file read: a city's participants file is well under 1 MiB. */
export const MAX_CONFIG_BYTES = 16 << 20;

function readJson(filePath: string, what: 'participants file' | 'keys file'): unknown {
  let bytes: Buffer;
  try {
    bytes = readAtMost(filePath, MAX_CONFIG_BYTES);
  } catch (err) {
    if (err instanceof TooLarge) throw new UsageError(`${filePath}: cannot read the ${what}: more than ${MAX_CONFIG_BYTES} bytes`);
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${filePath}: cannot read the ${what}${code === 'ENOENT' ? ': no such file' : `: ${code}`}`);
  }
  let text: string;
  try {
    // fatal: bytes that are not UTF-8 are refused, not replaced; a leading BOM is dropped.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`${filePath}: not UTF-8`);
  }
  const parsed = parseStrictJson(text);
  if (parsed.ok) return parsed.value;
  if (parsed.kind === 'duplicate') throw new UsageError(`${filePath}: ${parsed.path}: ${parsed.message}`);
  const at = `line ${parsed.line}, column ${parsed.column}`;
  // The keys file's message says where only: what was found there could be a key's digit.
  throw new UsageError(`${filePath}: ${what === 'keys file' ? `not valid JSON (at ${at})` : `not valid JSON: ${parsed.message} at ${at}`}`);
}

class TooLarge extends Error {}

/**
 * The file's bytes, read a chunk at a time so that neither its stated size (a
 * sparse file) nor a file with no size (a device, a pipe) can make it allocate
 * more than max_bytes. Throws TooLarge past that.
 */
function readAtMost(filePath: string, max_bytes: number): Buffer {
  const fd = fs.openSync(filePath, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(64 * 1024);
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) return Buffer.concat(chunks, total);
      total += n;
      if (total > max_bytes) throw new TooLarge();
      chunks.push(chunk.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
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
