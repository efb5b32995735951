import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { oneRunPerJob } from './one-run-per-job.ts';

describe('oneRunPerJob', () => {
  it('a second run of the same job starts only after the first ended, even when the first failed', async () => {
    const guard = oneRunPerJob();
    const events: string[] = [];
    const first = guard.run('a', async () => {
      events.push('first start');
      await sleep(30);
      events.push('first end');
      throw new Error('lock lost');
    });
    const second = guard.run('a', async () => {
      events.push('second start');
      return 'done';
    });
    assert.deepEqual(guard.running(), ['a']);
    await assert.rejects(first, /lock lost/);
    assert.equal(await second, 'done');
    assert.deepEqual(events, ['first start', 'first end', 'second start']);
    assert.deepEqual(guard.running(), []);
  });

  it('different jobs run side by side', async () => {
    const guard = oneRunPerJob();
    let together = 0;
    let most = 0;
    const body = async () => {
      most = Math.max(most, ++together);
      await sleep(20);
      together--;
    };
    await Promise.all([guard.run('a', body), guard.run('b', body)]);
    assert.equal(most, 2);
  });

  it('keeps a job listed while its second run goes on after the first ended', async () => {
    const guard = oneRunPerJob();
    let release!: () => void;
    const first = guard.run('a', async () => undefined);
    const second = guard.run('a', () => new Promise<void>((resolve) => { release = resolve; }));
    await first;
    await sleep(5);
    assert.deepEqual(guard.running(), ['a']);
    release();
    await second;
    assert.deepEqual(guard.running(), []);
  });
});
