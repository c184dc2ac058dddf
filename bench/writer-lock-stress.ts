// `node dist/bench/writer-lock-stress.js [--rounds N] [--losers K] [--stagger-ms MS] [--load L] [--thread on|off|mix]`:
// one writer at a time, under stress. Each round starts a `lct batch` of the worked
// example's day (even rounds: the first night of a new store; odd: the second night)
// and K more of the same day, each after a random pause of up to MS, while L busy
// loops load the CPU. Every process must either run (exit 3) or be refused at once
// naming a process of the round that ran; anything else (the holder ending with
// "database is locked", say) is printed with its stderr and counted. LCT_DEBUG=1 in
// the environment adds the failures' stacks.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { EXAMPLE_DIR } from '../test/spec-vectors';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const rounds = Number(arg('rounds', '100'));
const losers = Number(arg('losers', '1'));
const stagger_ms = Number(arg('stagger-ms', '0'));
const load = Number(arg('load', '0'));
const thread = arg('thread', 'mix');

const LCT = path.join(__dirname, '..', '..', 'bin', 'lct.js');
const D1 = '2025-12-30';
const D2 = '2025-12-31';
/** The day's files are stamped with this moment, as in the tests. */
const ENV = { ...process.env, LCT_NOW: '20260102020000' };

interface Run {
  pid: number;
  status: number | null;
  stdout: string;
  stderr: string;
}

function batchArgs(store: string, iso: string, outbox: string): string[] {
  const inbox = path.join(EXAMPLE_DIR, 'inbox', iso.replaceAll('-', ''));
  const config = ['--config', path.join(EXAMPLE_DIR, 'participants.json'), '--keys', path.join(EXAMPLE_DIR, 'keys.json')];
  return ['batch', '--date', iso, '--inbox', inbox, '--outbox', outbox, '--json', '--db', store, ...config];
}

function start(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const child = spawn(process.execPath, [LCT, ...args], { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ pid: child.pid!, status, stdout, stderr })));
}

function removeStore(store: string): void {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(store + suffix, { force: true });
}

/**
 * Why a run is not one of the outcomes the spec allows, or null when it is. A refusal
 * naming a process of the round that then failed is allowed: that failure is the odd one.
 */
function oddity(r: Run, iso: string, round: readonly Run[]): string | null {
  if (r.status === 3) return null;
  const held = /^lct: the store is held by '([^']*)' \(pid (\d+)\) since [-0-9: ]+; try again when it ends\n$/.exec(r.stderr);
  if (r.status !== 1 || r.stdout !== '' || held === null) return `exit ${r.status}`;
  if (held[1] !== `batch --date ${iso}`) return `refused naming '${held[1]}'`;
  if (!round.some((other) => other.pid === Number(held[2]))) return `refused naming pid ${held[2]}, not of this round`;
  return null;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lct-lock-stress-'));
  const loaders: ChildProcess[] = [];
  try {
    const day1 = path.join(dir, 'day1.db');
    const first = spawnSync(process.execPath, [LCT, ...batchArgs(day1, D1, path.join(dir, 'day1-out'))], { env: ENV, encoding: 'utf8' });
    if (first.status !== 3) throw new Error(`the first night alone: exit ${first.status}: ${first.stderr}`);
    for (let i = 0; i < load; i++) loaders.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
    const tally = new Map<string, { rounds: number; odd: number }>();
    let runs = 0;
    let odd = 0;
    const t0 = Date.now();
    for (let i = 0; i < rounds; i++) {
      const iso = i % 2 === 0 ? D1 : D2;
      const store = path.join(dir, `round-${i}.db`);
      if (iso === D2) {
        fs.copyFileSync(day1, store);
        for (const suffix of ['-wal', '-shm']) if (fs.existsSync(day1 + suffix)) fs.copyFileSync(day1 + suffix, store + suffix);
      }
      const outbox = path.join(dir, `round-${i}-out`);
      const mode = thread === 'mix' ? (Math.floor(i / 2) % 2 === 0 ? 'off' : 'on') : thread;
      const env = { ...ENV, LCT_VALIDATION_THREAD: mode };
      const started = [start(batchArgs(store, iso, outbox), env)];
      for (let k = 0; k < losers; k++) {
        if (stagger_ms > 0) await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * stagger_ms)));
        started.push(start(batchArgs(store, iso, outbox), env));
      }
      const ended = await Promise.all(started);
      const key = `${iso === D1 ? 'new store' : 'second night'}, validation thread ${mode}`;
      const t = tally.get(key) ?? { rounds: 0, odd: 0 };
      t.rounds++;
      for (const r of ended) {
        runs++;
        const why = oddity(r, iso, ended);
        if (why === null) continue;
        odd++;
        t.odd++;
        process.stdout.write(`round ${i} (${key}), pid ${r.pid}: ${why}\n${r.stderr}\n`);
      }
      tally.set(key, t);
      removeStore(store);
      fs.rmSync(outbox, { recursive: true, force: true });
      if ((i + 1) % 50 === 0) process.stdout.write(`${i + 1} rounds, ${odd} odd runs, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    }
    process.stdout.write(`${rounds} rounds, ${runs} runs (${losers} beside each first), ${odd} odd\n`);
    for (const [key, t] of tally) process.stdout.write(`  ${key}: ${t.rounds} rounds, ${t.odd} odd\n`);
    process.exitCode = odd === 0 ? 0 : 1;
  } finally {
    for (const l of loaders) l.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
