import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errorCatalog, isErrorCode, MediadError } from './errors.ts';

describe('error catalog', () => {
  const entries = Object.entries(errorCatalog);
  it('has unique, prefixed codes and unique messages', () => {
    const codes = entries.map(([code]) => code);
    assert.equal(new Set(codes).size, codes.length);
    assert.ok(codes.every((code) => /^MEDIAD_ERR_[A-Z0-9_]+$/.test(code)));
    const messages = entries.map(([, spec]) => spec.message);
    assert.equal(new Set(messages).size, messages.length, 'each code says something different');
  });
  it('gives every code an HTTP status and a retry decision', () => {
    for (const [code, spec] of entries) {
      assert.ok(spec.status >= 400 && spec.status <= 599, `${code} status ${spec.status}`);
      assert.equal(typeof spec.retryable, 'boolean');
    }
  });
  it('builds errors that carry code, status and retryability', () => {
    const error = new MediadError('MEDIAD_ERR_HTTP_429', undefined, { retryAfterMs: 5000 });
    assert.deepEqual(error.toJSON(), { code: 'MEDIAD_ERR_HTTP_429', message: errorCatalog.MEDIAD_ERR_HTTP_429.message });
    assert.equal(error.retryable, true);
    assert.equal(error.retryAfterMs, 5000);
    assert.equal(isErrorCode('MEDIAD_ERR_HTTP_429'), true);
    assert.equal(isErrorCode('toString'), false);
  });
});
