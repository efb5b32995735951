import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { MediadError } from '../errors.ts';
import { initialProgress, type JobRecord, type JobRequest } from '../queue/job-record.ts';
import type { DownloadService } from '../queue/download-service.ts';
import type { JobStore } from '../queue/job-store.ts';
import { buildApiServer } from './server.ts';

const recordOf = (request: JobRequest, n: number): JobRecord => ({
  id: `job-${n}`, seq: n + 1, request, state: 'queued', progress: initialProgress, attempts: 0, error: null, file: null,
  createdAt: '2026-11-23T10:00:00.000Z', startedAt: null, finishedAt: null, cancelRequestedAt: null,
});

/** The API with its real routes, schemas and error mapping; the queue behind it and the host check are recorded. */
async function apiWith(checkHost: (url: string) => Promise<void>) {
  const queued: JobRequest[][] = [];
  const downloads = {
    enqueueMany: async (requests: readonly JobRequest[]) => {
      queued.push([...requests]);
      return requests.map((request, n) => ({ record: recordOf(request, n), created: true }));
    },
  } as unknown as DownloadService;
  const app = await buildApiServer({
    logger: pino({ level: 'silent' }), store: {} as JobStore, downloads, checkHost,
    pingRedis: async () => true, workers: () => ({ size: 1, jobsPerWorker: 1, busy: 0, pids: [] }),
  });
  return { app, queued };
}

describe('POST /v1/downloads/batch host checks', () => {
  it('checks each distinct host of a list once, however many items name it', async () => {
    const checked: string[] = [];
    const { app, queued } = await apiWith(async (url) => void checked.push(url));
    const urls = ['http://a.example/1', 'http://a.example/2', 'http://b.example/1', 'http://a.example:8080/3', 'http://b.example/2'];
    const response = await app.inject({ method: 'POST', url: '/v1/downloads/batch', payload: { downloads: urls.map((url) => ({ url })) } });
    assert.equal(response.statusCode, 201, response.body);
    assert.deepEqual(checked, ['http://a.example/1', 'http://b.example/1']);
    assert.deepEqual(queued[0]?.map((request) => request.url), urls);
    await app.close();
  });

  it('refuses the whole list at the first item on a refused host, naming that item', async () => {
    const { app, queued } = await apiWith(async (url) => {
      if (new URL(url).hostname === 'internal.example') throw new MediadError('MEDIAD_ERR_PRIVATE_NETWORK', 'internal.example is 10.0.0.1');
    });
    const urls = ['http://a.example/1', 'http://internal.example/x', 'http://internal.example/y'];
    const response = await app.inject({ method: 'POST', url: '/v1/downloads/batch', payload: { downloads: urls.map((url) => ({ url })) } });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().error.code, 'MEDIAD_ERR_PRIVATE_NETWORK');
    assert.match(response.json().error.message, /^downloads\[1\]: /);
    assert.equal(queued.length, 0, 'nothing was queued');
    await app.close();
  });
});
