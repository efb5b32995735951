import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { respawnDelayMs, startWorkerPool, workerEnv, workerExecArgv, workerV8Flags } from './pool.ts';
import { tempDirs } from '../../test/helpers/temp-dirs.ts';

const tempDir = tempDirs('mediad-pool-');

describe('workerExecArgv', () => {
  const cases: { name: string; parent: string[]; expected: string[] }[] = [
    { name: 'adds a small young generation, a roomier old one, and gc() for the engine\'s scavenges', parent: [], expected: ['--max-semi-space-size=2', '--initial-old-space-size=16', '--expose-gc'] },
    { name: 'keeps the supervisor\'s flags (tsx, --cpu-prof) and adds it', parent: ['--import', 'tsx'], expected: ['--import', 'tsx', ...workerV8Flags] },
    { name: 'the supervisor\'s heap sizes are not the workers\'', parent: ['--max-semi-space-size=4', '--initial-old-space-size=8'], expected: [...workerV8Flags] },
    { name: 'drops -e and its script, so a worker runs its own entry', parent: ['--max-old-space-size=512', '-e', 'import("./dist/src/main.js")'], expected: ['--max-old-space-size=512', ...workerV8Flags] },
    { name: 'drops --eval=…, --print and -p too', parent: ['--eval=1', '--print', 'x', '-p', 'y', '--trace-warnings'], expected: ['--trace-warnings', ...workerV8Flags] },
    { name: 'drops --input-type, which node refuses without -e', parent: ['--input-type=module', '-e', 'import("./main.js")'], expected: [...workerV8Flags] },
  ];
  for (const { name, parent, expected } of cases) it(name, () => assert.deepEqual(workerExecArgv(parent), expected));
});

describe('workerEnv', () => {
  it('caps malloc arenas unless the operator set MALLOC_ARENA_MAX', () => {
    assert.equal(workerEnv({ PATH: '/bin' })['MALLOC_ARENA_MAX'], '2');
    assert.equal(workerEnv({ MALLOC_ARENA_MAX: '8' })['MALLOC_ARENA_MAX'], '8');
    assert.equal(workerEnv({ PATH: '/bin' })['PATH'], '/bin');
  });
});

describe('respawnDelayMs', () => {
  const cases: [number, number][] = [[0, 100], [1, 200], [3, 800], [6, 5000], [50, 5000]];
  for (const [restarts, delay] of cases) it(`${restarts} quick restarts in a row → ${delay} ms`, () => assert.equal(respawnDelayMs(restarts), delay));
});

/** True once the kernel says `pid` exited (a zombie its parent has not reaped yet), read without the event loop. */
const exitedUnreaped = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? false;

describe('startWorkerPool shutdown', () => {
  it('stops without warnings when its workers already exited (Ctrl-C and systemd signal the whole group)', async () => {
    const entry = path.join(await tempDir(), 'worker.mjs');
    writeFileSync(entry, "process.on('message', (m) => { if (m.type === 'shutdown') process.exit(0); }); setInterval(() => {}, 1000);");
    const warnings: string[] = [];
    const pool = startWorkerPool({ size: 2, env: process.env, entry, log: { info: () => undefined, warn: (details, message) => void warnings.push(`${message} ${JSON.stringify(details)}`) } });
    const pids = pool.pids();
    assert.equal(pids.length, 2);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    // wait without yielding, so the pool has not yet heard of the exits and still sees both channels as connected
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const deadline = Date.now() + 5000;
    while (!pids.every(exitedUnreaped) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 10);
    assert.ok(pids.every(exitedUnreaped), 'both workers exited');
    const started = Date.now();
    await pool.shutdown(3000);
    await new Promise((resolve) => setTimeout(resolve, 100)); // a failed IPC write is reported a turn or two later
    assert.ok(Date.now() - started < 2000, 'shutdown saw the exits, not its kill timer');
    assert.deepEqual(warnings, []);
  });

  it('tells who died before the replacement starts, so the dead worker\'s spare lock files can go', async () => {
    const entry = path.join(await tempDir(), 'worker.mjs');
    writeFileSync(entry, "process.on('message', (m) => { if (m.type === 'shutdown') process.exit(0); }); setInterval(() => {}, 1000);");
    const died: number[] = [];
    const pool = startWorkerPool({ size: 1, env: process.env, entry, log: { info: () => undefined, warn: () => undefined }, onWorkerDied: (pid) => void died.push(pid) });
    const [victim] = pool.pids();
    process.kill(victim as number, 'SIGKILL');
    const deadline = Date.now() + 5000;
    while (died.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(died, [victim]);
    await pool.shutdown(3000);
    assert.deepEqual(died, [victim], 'a worker stopped by shutdown is not reported as died');
  });
});
