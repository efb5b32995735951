import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { findSameStream, isExpired } from './same-stream.ts';
import type { MediaStream } from './types.ts';

const stream = (id: string, extra: Partial<MediaStream> = {}): MediaStream => ({
  id, url: `https://cdn.test/${id}?v=1`, container: 'mp4', hasVideo: true, hasAudio: false, ...extra,
});

describe('findSameStream', () => {
  it('finds the stream with the same id and reports an unchanged length', () => {
    const found = findSameStream(stream('137', { contentLengthBytes: 1000 }), [stream('140'), stream('137', { contentLengthBytes: 1000, url: 'https://cdn.test/137?v=2' })]);
    assert.equal(found?.stream.url, 'https://cdn.test/137?v=2');
    assert.equal(found?.sameLength, true);
  });

  it('flags a stream whose length changed, so partial bytes are not reused', () => {
    assert.equal(findSameStream(stream('137', { contentLengthBytes: 1000 }), [stream('137', { contentLengthBytes: 999 })])?.sameLength, false);
  });

  it('does not vouch for a length nobody knows', () => {
    assert.equal(findSameStream(stream('137'), [stream('137')])?.sameLength, false);
    assert.equal(findSameStream(stream('137', { contentLengthBytes: 5 }), [stream('137')])?.sameLength, false);
  });

  it('returns undefined when the stream is gone', () => {
    assert.equal(findSameStream(stream('137'), [stream('136'), stream('140')]), undefined);
  });
});

describe('isExpired', () => {
  const nowMs = 1_700_000_000_000;
  it('is false for a URL valid for hours', () => assert.equal(isExpired(stream('1', { expiresAtMs: nowMs + 6 * 3600_000 }), nowMs), false));
  it('is true for a URL past its expiry', () => assert.equal(isExpired(stream('1', { expiresAtMs: nowMs - 1 }), nowMs), true));
  it('is true inside the safety margin before expiry', () => assert.equal(isExpired(stream('1', { expiresAtMs: nowMs + 30_000 }), nowMs), true));
  it('honours a custom margin', () => assert.equal(isExpired(stream('1', { expiresAtMs: nowMs + 30_000 }), nowMs, 0), false));
  it('is false for streams without an expiry', () => assert.equal(isExpired(stream('1'), nowMs), false));
});
