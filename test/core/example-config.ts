// The worked example's configuration (shared/spec/vectors/example), parsed the way the
// batch parses it, for the core's tests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseKeys, parseParticipants } from '../../src/core/config';
import type { Keys, Participants } from '../../src/core/config-types';
import { buildRegistry, type Registry } from '../../src/core/registry';

import { EXAMPLE_DIR } from '../spec-vectors';

export { EXAMPLE_DIR };

export function readExampleJson(name: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(EXAMPLE_DIR, name), 'utf8'));
}

export function exampleParticipants(): Participants {
  const r = parseParticipants(readExampleJson('participants.json'));
  if (!r.ok) throw new Error(`example participants.json refused: ${r.path}: ${r.message}`);
  return r.value;
}

export function exampleKeys(p: Participants = exampleParticipants()): Keys {
  const r = parseKeys(
    readExampleJson('keys.json'),
    p.issuers.map((i) => i.id),
  );
  if (!r.ok) throw new Error(`example keys.json refused: ${r.path}: ${r.message}`);
  return r.value;
}

export function exampleRegistry(): Registry {
  return buildRegistry(exampleParticipants());
}
