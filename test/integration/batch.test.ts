import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type Daemon } from '../helpers/daemon.ts';
import { randomBytesSeeded, sha256, sha256File, startOrigin, type Origin } from '../helpers/origin.ts';
import { fastDaemonEnv } from '../helpers/env.ts';

const KiB = 1024;

describe('POST /v1/downloads/batch', () => {
  let daemon: Daemon;
  let origin: Origin;
  const files = [0, 1, 2].map((n) => ({ path: `/list-${n}.bin`, data: randomBytesSeeded(48 * KiB + n, 700 + n) }));
  before(async () => {
    origin = await startOrigin();
    for (const file of files) origin.setFile(file.path, file.data);
    daemon = await startDaemon({ workers: 1, env: fastDaemonEnv });
  });
  after(async () => {
    await daemon?.cleanup();
    await origin?.close();
  });

  const listOf = (prefix: string) => files.map((file, n) => ({ url: origin.url(file.path), filename: `${prefix}/${n}.bin` }));
  const servedCount = (path: string) => origin.requests.filter((request) => request.path === path).length;
  const jobCount = async () => (await daemon.api('GET', '/v1/downloads?limit=100')).body.jobs.length as number;

  it('queues every item in list order, and each file ends byte-identical', async () => {
    const response = await daemon.api('POST', '/v1/downloads/batch', { downloads: listOf('ordered') });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    const jobs = response.body.jobs as { id: string; state: string; filename: string }[];
    assert.deepEqual(jobs.map((job) => job.filename), ['ordered/0.bin', 'ordered/1.bin', 'ordered/2.bin']);
    assert.equal(new Set(jobs.map((job) => job.id)).size, 3);
    for (const [n, job] of jobs.entries()) {
      const done = await daemon.waitForState(job.id, 'completed');
      assert.equal(await sha256File(done.file.path), sha256(files[n]!.data), `item ${n}`);
    }
    const newestFirst = (await daemon.api('GET', '/v1/downloads?limit=3')).body.jobs.map((job: { id: string }) => job.id);
    assert.deepEqual(newestFirst, jobs.map((job) => job.id).reverse(), 'numbered in list order');
  });

  it('refuses the whole list when one item is bad, names the item, and queues none of it', async () => {
    const before = await jobCount();
    const served = servedCount(files[0]!.path);
    const list = [listOf('refused')[0], { url: 'ftp://example.com/a.bin' }, listOf('refused')[2]];
    const response = await daemon.api('POST', '/v1/downloads/batch', { downloads: list });
    assert.equal(response.status, 400);
    assert.equal(response.body.error.code, 'MEDIAD_ERR_URL_SCHEME');
    assert.match(response.body.error.message, /^downloads\[1\]: /);
    assert.equal(await jobCount(), before, 'no job was queued');
    assert.equal(servedCount(files[0]!.path), served, 'the good items were not fetched');
  });

  const badBodies: [string, unknown, string][] = [
    ['an empty list', { downloads: [] }, 'MEDIAD_ERR_VALIDATION'],
    ['no list', { url: 'http://127.0.0.1/x' }, 'MEDIAD_ERR_VALIDATION'],
    ['more than 1000 items', { downloads: Array.from({ length: 1001 }, (_, n) => ({ url: `http://127.0.0.1/${n}` })) }, 'MEDIAD_ERR_VALIDATION'],
    ['an unknown field in an item', { downloads: [{ url: 'http://127.0.0.1/x', colour: 'red' }] }, 'MEDIAD_ERR_VALIDATION'],
    ['an item without a url', { downloads: [{ url: 'http://127.0.0.1/x' }, { filename: 'a.bin' }] }, 'MEDIAD_ERR_URL_INVALID'],
    ['an item whose filename climbs out', { downloads: [{ url: 'http://127.0.0.1/x', filename: '../a.bin' }] }, 'MEDIAD_ERR_FILENAME_INVALID'],
  ];
  for (const [what, body, code] of badBodies) {
    it(`refuses ${what} with 400 ${code}`, async () => {
      const before = await jobCount();
      const response = await daemon.api('POST', '/v1/downloads/batch', body);
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.equal(response.body.error.code, code);
      assert.equal(await jobCount(), before, 'no job was queued');
    });
  }

  it('replays a list sent again with the same Idempotency-Key: same jobs, each file fetched once', async () => {
    const list = listOf('idempotent');
    const first = await daemon.api('POST', '/v1/downloads/batch', { downloads: list }, { 'idempotency-key': 'list-42' });
    assert.equal(first.status, 201);
    for (const job of first.body.jobs) await daemon.waitForState(job.id, 'completed');
    const served = files.map((file) => servedCount(file.path));
    const again = await daemon.api('POST', '/v1/downloads/batch', { downloads: list }, { 'idempotency-key': 'list-42' });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body.jobs.map((job: { id: string }) => job.id), first.body.jobs.map((job: { id: string }) => job.id));
    assert.deepEqual(again.body.jobs.map((job: { state: string }) => job.state), ['completed', 'completed', 'completed']);
    assert.deepEqual(files.map((file) => servedCount(file.path)), served, 'nothing fetched again');
  });

  it('refuses another list under a key already used with 409 MEDIAD_ERR_IDEMPOTENCY_CONFLICT, and queues nothing', async () => {
    const list = listOf('keyed');
    assert.equal((await daemon.api('POST', '/v1/downloads/batch', { downloads: list }, { 'idempotency-key': 'list-43' })).status, 201);
    const before = await jobCount();
    const other = await daemon.api('POST', '/v1/downloads/batch', { downloads: list.slice(1) }, { 'idempotency-key': 'list-43' });
    assert.equal(other.status, 409, JSON.stringify(other.body));
    assert.equal(other.body.error.code, 'MEDIAD_ERR_IDEMPOTENCY_CONFLICT');
    assert.equal(await jobCount(), before, 'no job was queued');
  });
});
