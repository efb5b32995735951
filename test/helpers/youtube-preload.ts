/**
 * Preloaded into the daemon and its workers by YouTube tests
 * (NODE_OPTIONS="--import tsx --import <this file>"): requests to YouTube's
 * hosts get the fake YouTube's answers, everything else goes to the real
 * network. The production resolver (youtubei.js, which captures
 * globalThis.fetch when it loads) runs unchanged above it.
 *
 * MEDIAD_TEST_FAKE_YOUTUBE names a JSON file, read on every request so a
 * test can change the scenario mid-run:
 *   { "videos": FakeVideo[], "originUrl": string, "swapFixtures"?: { [name]: name } }
 * Each player request is appended to `<file>.calls` so tests can count re-resolutions.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { createFakeYoutube, type FakeVideo } from './fake-youtube.ts';
import { getMediaFixtures, type FixtureName, type MediaFixtures } from './media-fixtures.ts';

interface FakeYoutubeSpec {
  readonly videos: FakeVideo[];
  readonly originUrl: string;
  readonly swapFixtures?: Partial<Record<FixtureName, FixtureName>>;
}

const specFile = process.env.MEDIAD_TEST_FAKE_YOUTUBE;
if (specFile) {
  const fixtures = await getMediaFixtures();
  const realFetch = globalThis.fetch;
  const youtubeHosts = /(^|\.)(youtube\.com|googleapis\.com|youtu\.be)$/;
  globalThis.fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (!youtubeHosts.test(url.hostname)) return realFetch(input, init);
    const spec = JSON.parse(readFileSync(specFile, 'utf8')) as FakeYoutubeSpec;
    const swapped = { ...fixtures } as Record<FixtureName, MediaFixtures[FixtureName]>;
    for (const [from, to] of Object.entries(spec.swapFixtures ?? {})) swapped[from as FixtureName] = fixtures[to as FixtureName];
    if (url.pathname === '/youtubei/v1/player') appendFileSync(`${specFile}.calls`, `${process.pid} ${Date.now()}\n`);
    return createFakeYoutube(spec.videos, { originUrl: spec.originUrl, fixtures: swapped, nowMs: Date.now() }).fetch(input, init);
  };
}
