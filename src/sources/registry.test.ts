import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { createResolvers, pickResolver } from './registry.ts';
import type { Resolver, ResolverName } from './types.ts';

const stub = (name: ResolverName, canResolve = true): Resolver => ({
  name,
  canResolve: () => canResolve,
  resolve: () => Promise.reject(new Error('not called')),
});
const all = [stub('youtubei'), stub('ytdl-core'), stub('yt-dlp'), stub('direct')];

describe('pickResolver', () => {
  it('sends YouTube videos to the configured YouTube resolver', () => {
    for (const name of ['youtubei', 'ytdl-core', 'yt-dlp'] as const) {
      assert.equal(pickResolver(new URL('https://youtu.be/dQw4w9WgXcQ'), name, all).name, name);
    }
  });

  it('sends every other http(s) URL to direct', () => {
    assert.equal(pickResolver(new URL('https://cdn.test/a.mp4'), 'youtubei', all).name, 'direct');
  });

  it('refuses YouTube pages that name no video instead of downloading HTML', () => {
    assert.throws(() => pickResolver(new URL('https://www.youtube.com/@someone'), 'youtubei', all), { code: 'MEDIAD_ERR_UNSUPPORTED_URL' });
  });

  it('reports a configured resolver that was never built as a config error', () => {
    assert.throws(() => pickResolver(new URL('https://youtu.be/dQw4w9WgXcQ'), 'yt-dlp', [stub('direct')]), { code: 'MEDIAD_ERR_CONFIG' });
  });

  it('refuses URLs no resolver accepts', () => {
    assert.throws(() => pickResolver(new URL('ftp://host/file'), 'youtubei', [stub('direct', false)]), { code: 'MEDIAD_ERR_UNSUPPORTED_URL' });
  });
});

describe('createResolvers', () => {
  it('builds the configured YouTube resolver and direct', () => {
    for (const name of ['youtubei', 'ytdl-core', 'yt-dlp'] as const) {
      const names = createResolvers({ youtube: { resolver: name }, ytDlp: {} }).map((resolver) => resolver.name);
      assert.deepEqual(names, [name, 'direct']);
    }
  });
});
