/**
 * kill -9 of the whole daemon (supervisor, workers and embedded Redis at once),
 * at seeded random moments, at least five times: every file must end
 * byte-identical, no job lost or duplicated, interrupted jobs picked up within
 * 20 s of each restart, and the origin must have served at most the file sizes
 * plus one checkpoint interval per kill per active download.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { startDaemon, type Daemon } from '../helpers/daemon.ts';
import { randomBytesSeeded, sha256, sha256File, startOrigin, type Origin } from '../helpers/origin.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { MiB } from '../helpers/env.ts';
import { chooseSeed, seededRandom } from '../helpers/seeded-random.ts';

const seed = chooseSeed('kill-whole-daemon');
const random = seededRandom(seed);
const kills = 5;
const files = 6;
const fileBytes = 20 * MiB;
const workers = 2;
const checkpointIntervalBytes = 2 * MiB;

describe('kill -9 of the whole daemon at random moments', () => {
  let daemon: Daemon;
  let origin: Origin;
  before(async () => {
    origin = await startOrigin();
    daemon = await startDaemon({
      workers,
      env: {
        MEDIAD_CONNECTIONS: '2', MEDIAD_MIN_SEGMENT_BYTES: String(4 * MiB),
        MEDIAD_CHECKPOINT_INTERVAL_BYTES: String(checkpointIntervalBytes), MEDIAD_CHECKPOINT_INTERVAL_MS: '500',
        MEDIAD_RETRY_BASE_DELAY_MS: '200', MEDIAD_PROGRESS_INTERVAL_MS: '250',
        // job lock and stalled check stay at their defaults: the 20 s pickup promise is about those
      },
    });
  });
  after(async () => {
    await daemon?.cleanup();
    await origin?.close();
  });

  it(`finishes every file byte-identical after ${kills} kills, re-fetching at most one checkpoint interval per kill per download`, async () => {
    const expected = new Map<string, string>();
    const ids: string[] = [];
    for (let i = 0; i < files; i++) {
      const data = randomBytesSeeded(fileBytes, seed + i);
      origin.setFile(`/chaos-${i}.bin`, data);
      origin.behave(`/chaos-${i}.bin`, { throttleBytesPerSecond: 768 * 1024 }); // per connection: downloads take seconds
      const response = await daemon.api('POST', '/v1/downloads', { url: origin.url(`/chaos-${i}.bin`) });
      assert.equal(response.status, 201);
      ids.push(response.body.id);
      expected.set(response.body.id, sha256(data));
    }

    let activeAtKills = 0;
    for (let k = 1; k <= kills; k++) {
      await waitFor(async () => {
        const states = await Promise.all(ids.map(async (id) => (await daemon.api('GET', `/v1/downloads/${id}`)).body));
        return states.some((job) => job.state === 'active' && job.progress.downloadedBytes > 0);
      }, { timeoutMs: 25_000, intervalMs: 100, what: `a download is running before kill ${k}` });
      await new Promise((resolve) => setTimeout(resolve, 500 + Math.floor(random() * 2500)));
      const before = await Promise.all(ids.map(async (id) => (await daemon.api('GET', `/v1/downloads/${id}`)).body));
      const active = before.filter((job) => job.state === 'active');
      activeAtKills += Math.max(active.length, workers);
      console.log(`# kill ${k}: ${active.length} active, served so far ${origin.bytesServed()} bytes`);
      await daemon.killTree();
      await daemon.restart();
      const restartedAt = Date.now();
      // right after a restart the API shows the resumed offset, not zero, and nothing is "active" before a worker takes it
      for (const job of active) {
        const now = (await daemon.api('GET', `/v1/downloads/${job.id}`)).body;
        if (job.progress.downloadedBytes > 0) assert.ok(now.progress.downloadedBytes > 0, `job ${job.id} shows its resumed offset after restart`);
        assert.ok(now.state === 'queued' || now.state === 'active', `job ${job.id} is ${now.state} after restart`);
      }
      const interrupted = active.map((job) => new URL(job.url).pathname);
      if (interrupted.length > 0) {
        await waitFor(() => interrupted.every((urlPath) => origin.requests.some((r) => r.path === urlPath && r.at >= restartedAt)), {
          timeoutMs: 20_000, intervalMs: 100, what: `every interrupted job asks the origin again within 20 s of restart ${k}`,
        });
        console.log(`# restart ${k}: ${interrupted.length} interrupted jobs picked up after ${Date.now() - restartedAt} ms`);
      }
    }

    const finished = await Promise.all(ids.map((id) => daemon.waitForState(id, 'completed', 180_000)));
    for (const job of finished) {
      assert.equal(await sha256File(job.file.path), expected.get(job.id), `bytes on disk of ${job.file.name}`);
    }
    const names = (await readdir(daemon.downloadDir)).filter((name) => !name.startsWith('.')).sort();
    assert.deepEqual(names, Array.from({ length: files }, (_, i) => `chaos-${i}.bin`).sort(), 'one file per job: none lost, none duplicated');
    const list = await daemon.api('GET', '/v1/downloads?limit=100');
    assert.equal(list.body.jobs.length, files);
    assert.ok(list.body.jobs.every((job: { state: string }) => job.state === 'completed'));

    const served = origin.bytesServed();
    const budget = files * fileBytes + kills * workers * checkpointIntervalBytes;
    console.log(`# served ${served} bytes for ${files * fileBytes} (re-fetched ${served - files * fileBytes}, budget ${budget - files * fileBytes}, active downloads at kills ${activeAtKills})`);
    assert.ok(served <= budget, `origin served ${served} bytes, budget ${budget}`);
  });
});
