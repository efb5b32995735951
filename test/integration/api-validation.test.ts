import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type Daemon } from '../helpers/daemon.ts';
import { startOrigin, type Origin } from '../helpers/origin.ts';
import { fastDaemonEnv } from '../helpers/env.ts';

describe('API input validation', () => {
  let daemon: Daemon;
  let origin: Origin;
  before(async () => {
    origin = await startOrigin();
    origin.setFile('/ok.bin', Buffer.from('hello'));
    daemon = await startDaemon({ workers: 1, env: fastDaemonEnv });
  });
  after(async () => {
    await daemon?.cleanup();
    await origin?.close();
  });

  const badBodies: [string, unknown, number, string][] = [
    ['unknown fields', { url: 'http://127.0.0.1/x', colour: 'red' }, 400, 'MEDIAD_ERR_VALIDATION'],
    ['a missing url', { kind: 'file' }, 400, 'MEDIAD_ERR_URL_INVALID'],
    ['a relative url', { url: '/just/a/path' }, 400, 'MEDIAD_ERR_URL_INVALID'],
    ['a file: url', { url: 'file:///etc/passwd' }, 400, 'MEDIAD_ERR_URL_SCHEME'],
    ['an ftp: url', { url: 'ftp://example.com/a' }, 400, 'MEDIAD_ERR_URL_SCHEME'],
    ['a data: url', { url: 'data:text/plain,hi' }, 400, 'MEDIAD_ERR_URL_SCHEME'],
    ['a javascript: url', { url: 'javascript:alert(1)' }, 400, 'MEDIAD_ERR_URL_SCHEME'],
    ['a url over 8 KiB', { url: `http://127.0.0.1/${'a'.repeat(8200)}` }, 400, 'MEDIAD_ERR_URL_TOO_LONG'],
    ['an absolute filename', { url: 'http://127.0.0.1/x', filename: '/etc/passwd' }, 400, 'MEDIAD_ERR_FILENAME_INVALID'],
    ['a filename with ..', { url: 'http://127.0.0.1/x', filename: '../escape.bin' }, 400, 'MEDIAD_ERR_FILENAME_INVALID'],
    ['a filename that climbs out through a folder', { url: 'http://127.0.0.1/x', filename: 'a/../../escape.bin' }, 400, 'MEDIAD_ERR_FILENAME_INVALID'],
    ['a wrong type', { url: 'http://127.0.0.1/x', priority: 'high' }, 400, 'MEDIAD_ERR_VALIDATION'],
    ['a malformed sha256', { url: 'http://127.0.0.1/x', sha256: 'abc' }, 400, 'MEDIAD_ERR_VALIDATION'],
    ['an unknown kind', { url: 'http://127.0.0.1/x', kind: 'torrent' }, 400, 'MEDIAD_ERR_VALIDATION'],
    ['a video option on a file job', { url: 'http://127.0.0.1/x', quality: '720p' }, 400, 'MEDIAD_ERR_OPTION_INVALID'],
  ];
  for (const [what, body, status, code] of badBodies) {
    it(`refuses ${what} with ${status} ${code}`, async () => {
      const response = await daemon.api('POST', '/v1/downloads', body);
      assert.equal(response.status, status);
      assert.equal(response.body.error.code, code);
      assert.equal(typeof response.body.error.message, 'string');
    });
  }

  it('refuses malformed JSON with 400 MEDIAD_ERR_INVALID_JSON', async () => {
    const response = await daemon.api('POST', '/v1/downloads', undefined, { 'content-type': 'application/json' }, { rawBody: '{"url": "http://x/' });
    assert.equal(response.status, 400);
    assert.equal(response.body.error.code, 'MEDIAD_ERR_INVALID_JSON');
  });

  it('refuses a body that is not JSON with 415', async () => {
    const response = await daemon.api('POST', '/v1/downloads', undefined, { 'content-type': 'text/plain' }, { rawBody: 'url=http://x/' });
    assert.equal(response.status, 415);
    assert.equal(response.body.error.code, 'MEDIAD_ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers 404 with a code for an unknown download and an unknown route', async () => {
    const job = await daemon.api('GET', '/v1/downloads/does-not-exist');
    assert.equal(job.status, 404);
    assert.equal(job.body.error.code, 'MEDIAD_ERR_NOT_FOUND');
    const route = await daemon.api('GET', '/v2/nothing');
    assert.equal(route.status, 404);
    assert.equal(route.body.error.code, 'MEDIAD_ERR_ROUTE_NOT_FOUND');
    const cancel = await daemon.api('DELETE', '/v1/downloads/does-not-exist');
    assert.equal(cancel.status, 404);
  });

  it('never let a refused request reach a worker or the origin', async () => {
    const list = await daemon.api('GET', '/v1/downloads');
    assert.equal(list.status, 200);
    assert.equal(list.body.jobs.length, 0);
    assert.equal(origin.requests.length, 0);
  });

  it('serves health with the worker pool and OpenAPI docs', async () => {
    const health = await daemon.api('GET', '/v1/health');
    assert.equal(health.status, 200);
    assert.equal(health.body.redis, 'up');
    assert.equal(health.body.workers.size, 1);
    assert.equal(health.body.workers.pids.length, 1);
    const docs = await daemon.api('GET', '/docs/json');
    assert.equal(docs.status, 200);
    assert.ok(docs.body.paths['/v1/downloads']);
  });

  it('returns the existing job for a repeated Idempotency-Key', async () => {
    const body = { url: origin.url('/ok.bin'), filename: 'idem.bin' };
    const first = await daemon.api('POST', '/v1/downloads', body, { 'idempotency-key': 'abc-123' });
    const second = await daemon.api('POST', '/v1/downloads', body, { 'idempotency-key': 'abc-123' });
    assert.equal(first.status, 201);
    assert.equal(second.status, 200);
    assert.equal(second.body.id, first.body.id);
    await daemon.waitForState(first.body.id, 'completed');
    assert.equal(origin.requests.filter((r) => r.path === '/ok.bin').length, 1);
  });

  it('pages downloads newest first and filters by state', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await daemon.api('POST', '/v1/downloads', { url: origin.url('/ok.bin'), filename: `page-${i}.bin` });
      ids.push(response.body.id);
    }
    for (const id of ids) await daemon.waitForState(id, 'completed');
    const first = await daemon.api('GET', '/v1/downloads?limit=2');
    assert.deepEqual(first.body.jobs.map((job: { id: string }) => job.id), [ids[4], ids[3]]);
    const second = await daemon.api('GET', `/v1/downloads?limit=2&cursor=${first.body.nextCursor}`);
    assert.deepEqual(second.body.jobs.map((job: { id: string }) => job.id), [ids[2], ids[1]]);
    const completed = await daemon.api('GET', '/v1/downloads?state=completed&limit=100');
    assert.equal(completed.body.jobs.length, 6);
    const failed = await daemon.api('GET', '/v1/downloads?state=failed');
    assert.equal(failed.body.jobs.length, 0);
    const bad = await daemon.api('GET', '/v1/downloads?state=sleeping');
    assert.equal(bad.status, 400);
  });
});

describe('private network refusal', () => {
  let daemon: Daemon;
  let origin: Origin;
  before(async () => {
    origin = await startOrigin();
    origin.setFile('/secret.bin', Buffer.from('internal'));
    daemon = await startDaemon({ workers: 1, allowPrivateNetworks: false, env: fastDaemonEnv });
  });
  after(async () => {
    await daemon?.cleanup();
    await origin?.close();
  });

  for (const host of ['127.0.0.1', 'localhost', '[::1]', '169.254.169.254', '10.0.0.1', '192.168.1.1']) {
    it(`refuses ${host} with 400 MEDIAD_ERR_PRIVATE_NETWORK`, async () => {
      const response = await daemon.api('POST', '/v1/downloads', { url: `http://${host}:${origin.port}/secret.bin` });
      assert.equal(response.status, 400);
      assert.equal(response.body.error.code, 'MEDIAD_ERR_PRIVATE_NETWORK');
    });
  }
  it('sent nothing to the internal origin', () => assert.equal(origin.requests.length, 0));
});
