import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { createDirectResolver } from './direct.ts';

const signal = new AbortController().signal;

/** A fetch that answers every HEAD with the given headers and records what it was asked. */
function headFetch(status: number, headers: Record<string, string>, seen: string[] = []): typeof fetch {
  return async (input, init) => {
    seen.push(`${init?.method ?? 'GET'} ${String(input)}`);
    return new Response(null, { status, headers });
  };
}

describe('direct resolver', () => {
  it('makes no request without a fetch and reads container and title from the URL', async () => {
    const media = await createDirectResolver().resolve('https://cdn.test/media/My%20Clip.final.MKV?token=1', signal);
    assert.equal(media.resolver, 'direct');
    assert.equal(media.metadata.title, 'My Clip.final');
    assert.match(media.metadata.id, /^[0-9a-f]{11}$/);
    assert.deepEqual(media.streams, [{ id: 'direct', url: 'https://cdn.test/media/My%20Clip.final.MKV?token=1', container: 'mkv', hasVideo: true, hasAudio: true }]);
  });

  it('uses HEAD for type, length and the server-given file name', async () => {
    const seen: string[] = [];
    const resolver = createDirectResolver({
      fetch: headFetch(200, { 'content-type': 'audio/mpeg', 'content-length': '12345', 'content-disposition': `attachment; filename="x.bin"; filename*=UTF-8''Caf%C3%A9%20song.mp3` }, seen),
    });
    const media = await resolver.resolve('https://cdn.test/download?id=7', signal);
    assert.deepEqual(seen, ['HEAD https://cdn.test/download?id=7']);
    assert.equal(media.metadata.title, 'Café song');
    assert.deepEqual(media.streams[0], { id: 'direct', url: 'https://cdn.test/download?id=7', container: 'mp3', hasVideo: false, hasAudio: true, contentLengthBytes: 12345 });
  });

  it('falls back to the content type when the URL has no extension', async () => {
    const media = await createDirectResolver({ fetch: headFetch(200, { 'content-type': 'video/webm; charset=binary' }) }).resolve('https://cdn.test/stream', signal);
    assert.equal(media.streams[0]?.container, 'webm');
    assert.equal(media.streams[0]?.hasVideo, true);
    assert.equal(media.streams[0]?.contentLengthBytes, undefined);
  });

  it('ignores a failed HEAD and leaves the error to the engine', async () => {
    const media = await createDirectResolver({ fetch: headFetch(405, {}) }).resolve('https://cdn.test/a/song.opus', signal);
    assert.deepEqual(media.streams[0], { id: 'direct', url: 'https://cdn.test/a/song.opus', container: 'opus', hasVideo: false, hasAudio: true });
  });

  it('does not trust Content-Length of a compressed response', async () => {
    const media = await createDirectResolver({ fetch: headFetch(200, { 'content-length': '10', 'content-encoding': 'gzip' }) }).resolve('https://cdn.test/a.mp4', signal);
    assert.equal(media.streams[0]?.contentLengthBytes, undefined);
  });

  it('reports CANCELED when aborted during HEAD', async () => {
    const controller = new AbortController();
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    const pending = createDirectResolver({ fetch: hanging }).resolve('https://cdn.test/a.mp4', controller.signal);
    controller.abort();
    await assert.rejects(pending, { code: 'MEDIAD_ERR_CANCELED' });
  });
});

