import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { respawnDelayMs, workerEnv, workerExecArgv } from './pool.ts';

describe('workerExecArgv', () => {
  const cases: { name: string; parent: string[]; expected: string[] }[] = [
    { name: 'adds a small young generation', parent: [], expected: ['--max-semi-space-size=1'] },
    { name: 'keeps the supervisor\'s flags (tsx, --cpu-prof) and adds it', parent: ['--import', 'tsx'], expected: ['--import', 'tsx', '--max-semi-space-size=1'] },
    { name: 'the supervisor\'s semi-space size is not the workers\'', parent: ['--max-semi-space-size=4'], expected: ['--max-semi-space-size=1'] },
    { name: 'drops -e and its script, so a worker runs its own entry', parent: ['--max-old-space-size=512', '-e', 'import("./dist/src/main.js")'], expected: ['--max-old-space-size=512', '--max-semi-space-size=1'] },
    { name: 'drops --eval=…, --print and -p too', parent: ['--eval=1', '--print', 'x', '-p', 'y', '--trace-warnings'], expected: ['--trace-warnings', '--max-semi-space-size=1'] },
    { name: 'drops --input-type, which node refuses without -e', parent: ['--input-type=module', '-e', 'import("./main.js")'], expected: ['--max-semi-space-size=1'] },
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
