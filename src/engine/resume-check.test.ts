import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canResume, checkResumeResponse } from './resume-check.ts';

const known = { etag: '"abc"', lastModified: 'Tue, 01 Jan 2026 00:00:00 GMT', totalBytes: 1000 };
const lmOnly = { etag: null, lastModified: 'Tue, 01 Jan 2026 00:00:00 GMT', totalBytes: 1000 };

describe('checkResumeResponse', () => {
  const cases = [
    { name: 'continues on a matching 206', req: { offset: 400, end: null, known }, status: 206, headers: { 'content-range': 'bytes 400-999/1000', etag: '"abc"' }, action: 'continue' },
    { name: 'continues on a bounded segment', req: { offset: 400, end: 599, known }, status: 206, headers: { 'content-range': 'bytes 400-599/1000', etag: '"abc"' }, action: 'continue' },
    { name: 'restarts when the server ignores Range after partial data', req: { offset: 400, end: null, known }, status: 200, headers: { 'content-length': '1000' }, action: 'restart' },
    { name: 'retries a 206 that starts elsewhere', req: { offset: 400, end: null, known }, status: 206, headers: { 'content-range': 'bytes 0-999/1000' }, action: 'retry' },
    { name: 'retries a 206 that runs past the asked end', req: { offset: 400, end: 499, known }, status: 206, headers: { 'content-range': 'bytes 400-999/1000' }, action: 'retry' },
    { name: 'restarts when the total changed', req: { offset: 400, end: null, known }, status: 206, headers: { 'content-range': 'bytes 400-1199/1200', etag: '"abc"' }, action: 'restart' },
    { name: 'restarts when the ETag changed', req: { offset: 400, end: null, known }, status: 206, headers: { 'content-range': 'bytes 400-999/1000', etag: '"def"' }, action: 'restart' },
    { name: 'restarts when Last-Modified changed and there is no ETag', req: { offset: 400, end: null, known: lmOnly }, status: 206, headers: { 'content-range': 'bytes 400-999/1000', 'last-modified': 'Wed, 02 Jan 2026 00:00:00 GMT' }, action: 'restart' },
    { name: 'retries a 206 without Content-Range', req: { offset: 400, end: null, known }, status: 206, headers: {}, action: 'retry' },
    { name: 'retries an unexpected status', req: { offset: 400, end: null, known }, status: 416, headers: {}, action: 'retry' },
  ] as const;
  for (const c of cases) {
    it(c.name, () => assert.equal(checkResumeResponse(c.req, c.status, c.headers).action, c.action));
  }
});

describe('canResume', () => {
  it('needs a total and a validator', () => {
    assert.equal(canResume(known), true);
    assert.equal(canResume(lmOnly), true);
    assert.equal(canResume({ etag: null, lastModified: null, totalBytes: 1000 }), false);
    assert.equal(canResume({ etag: '"a"', lastModified: null, totalBytes: null }), false);
  });
});
