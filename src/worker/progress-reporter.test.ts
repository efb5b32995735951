import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startProgressReporter } from './progress-reporter.ts';
import { initialProgress, type JobRecord } from '../queue/job-record.ts';

function fakeStore() {
  const updates: Partial<JobRecord>[] = [];
  return { updates, store: { update: async (_id: string, fields: Partial<JobRecord>) => { updates.push(fields); }, isCancelRequested: async () => false } };
}

describe('progress reporter', () => {
  it('reports speed from 100 ms samples however many chunks arrive, and notices a cancel on its tick', async () => {
    let now = 0;
    const { updates, store } = fakeStore();
    let canceled = false;
    const reporter = startProgressReporter({
      store: { ...store, isCancelRequested: async () => now >= 3000 }, jobId: 'j', intervalMs: 10, now: () => now, initial: initialProgress,
      onCancelRequested: () => { canceled = true; }, onError: (error) => { throw error; },
    });
    reporter.stage('downloading');
    for (let bytes = 0; bytes <= 3_000_000; bytes += 1000) {
      now = bytes / 1000; // 1000 chunks per second at 1 MB/s
      reporter.bytes(bytes, 10_000_000);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    await reporter.stop();
    const last = updates[updates.length - 1]?.progress;
    assert.equal(last?.downloadedBytes, 3_000_000);
    assert.equal(last?.bytesPerSecond, 1_000_000);
    assert.equal(last?.etaSeconds, 7);
    assert.equal(canceled, true);
  });
});
