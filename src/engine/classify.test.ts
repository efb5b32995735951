import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { codeForStatus, toMediadError } from './classify.ts';
import { MediadError } from '../errors.ts';

describe('codeForStatus', () => {
  const cases: [number, string, boolean][] = [
    [404, 'MEDIAD_ERR_HTTP_404', false],
    [410, 'MEDIAD_ERR_HTTP_410', false],
    [403, 'MEDIAD_ERR_HTTP_403', false],
    [400, 'MEDIAD_ERR_HTTP_4XX', false],
    [408, 'MEDIAD_ERR_HTTP_408', true],
    [429, 'MEDIAD_ERR_HTTP_429', true],
    [500, 'MEDIAD_ERR_HTTP_5XX', true],
    [503, 'MEDIAD_ERR_HTTP_5XX', true],
    [304, 'MEDIAD_ERR_HTTP_UNEXPECTED', true],
  ];
  for (const [status, code, retryable] of cases) {
    it(`${status} is ${code} (${retryable ? 'retried' : 'fails at once'})`, () => {
      assert.equal(codeForStatus(status), code);
      assert.equal(new MediadError(codeForStatus(status)).retryable, retryable);
    });
  }
});

describe('toMediadError', () => {
  const cases: [unknown, string, boolean][] = [
    [Object.assign(new Error('reset'), { code: 'ECONNRESET' }), 'MEDIAD_ERR_NETWORK', true],
    [Object.assign(new Error('body'), { code: 'UND_ERR_BODY_TIMEOUT' }), 'MEDIAD_ERR_STALLED', true],
    [Object.assign(new Error('wrapped'), { cause: Object.assign(new Error('x'), { code: 'ENOSPC' }) }), 'MEDIAD_ERR_DISK_FULL', false],
    [Object.assign(new Error('ro'), { code: 'EROFS' }), 'MEDIAD_ERR_DISK_UNWRITABLE', false],
    ['a string', 'MEDIAD_ERR_NETWORK', true],
  ];
  for (const [thrown, code, retryable] of cases) {
    it(`maps ${String((thrown as Error).message ?? thrown)} to ${code}`, () => {
      const error = toMediadError(thrown);
      assert.equal(error.code, code);
      assert.equal(error.retryable, retryable);
    });
  }
  it('keeps a MediadError as it is', () => {
    const original = new MediadError('MEDIAD_ERR_HTTP_404');
    assert.equal(toMediadError(original), original);
  });
});
