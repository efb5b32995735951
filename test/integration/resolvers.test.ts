/**
 * Every resolver against a fake YouTube. The production code paths run
 * unchanged (youtubei.js with its player parsing and our sandboxed evaluator,
 * ytdl-core with its regex extraction and vm, a spawned yt-dlp); only the
 * network (fetch / undici dispatcher) and the yt-dlp binary are fakes. The
 * local CDN refuses any URL whose n or sig was not deciphered, so a resolver
 * that skipped deciphering fails here.
 */
import ytdl from '@distube/ytdl-core';
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createDirectResolver } from '../../src/sources/direct.ts';
import { isExpired } from '../../src/sources/same-stream.ts';
import { selectFormats, type FormatPlan } from '../../src/sources/select-formats.ts';
import type { ResolvedMedia, Resolver } from '../../src/sources/types.ts';
import { createYoutubeiResolver } from '../../src/sources/youtubei.ts';
import { createYtdlCoreResolver } from '../../src/sources/ytdl-core.ts';
import { createYtDlpResolver } from '../../src/sources/yt-dlp.ts';
import {
  DOWNLOADABLE_STREAMS, FAKE_SIGNATURE_TIMESTAMP, FAKE_UPLOADER, createFakeYoutube, writeFakeYtDlp,
  type FakeScenario, type FakeVideo, type FakeYoutube,
} from '../helpers/fake-youtube.ts';
import { startFakeGooglevideo, type FakeGooglevideo } from '../helpers/fake-googlevideo.ts';
import { getMediaFixtures, type FixtureName, type MediaFixtures } from '../helpers/media-fixtures.ts';
import { startOrigin } from '../helpers/origin.ts';

const VIDEOS: readonly FakeVideo[] = [
  { id: 'okVideo0001', scenario: 'ok', title: 'A fake: "video" / test' },
  { id: 'privVideo01', scenario: 'private' },
  { id: 'membVideo01', scenario: 'members-only' },
  { id: 'ageVideo001', scenario: 'age-restricted' },
  { id: 'unavVideo01', scenario: 'unavailable' },
  { id: 'liveVideo01', scenario: 'live' },
  { id: 'expdVideo01', scenario: 'expired' },
];
const ERROR_CODES: readonly [FakeScenario, string][] = [
  ['private', 'MEDIAD_ERR_VIDEO_PRIVATE'],
  ['members-only', 'MEDIAD_ERR_VIDEO_MEMBERS_ONLY'],
  ['age-restricted', 'MEDIAD_ERR_VIDEO_AGE_RESTRICTED'],
  ['unavailable', 'MEDIAD_ERR_VIDEO_UNAVAILABLE'],
  ['live', 'MEDIAD_ERR_VIDEO_LIVE'],
];
const watchUrl = (scenario: FakeScenario): string => `https://www.youtube.com/watch?v=${VIDEOS.find((video) => video.scenario === scenario)?.id ?? ''}`;
const noSignal = (): AbortSignal => new AbortController().signal;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const describePlan = (plan: FormatPlan): string => (plan.kind === 'separate' ? `${plan.video.id}+${plan.audio.id}` : `${plan.kind} ${plan.stream.id}`);

let fixtures: MediaFixtures;
let cdn: FakeGooglevideo;
let youtube: FakeYoutube;
let workDir: string;
let savedPath: string | undefined;

before(async () => {
  fixtures = await getMediaFixtures();
  const contents = new Map<FixtureName, Buffer>();
  for (const name of Object.keys(fixtures) as FixtureName[]) contents.set(name, await readFile(fixtures[name].path));
  cdn = await startFakeGooglevideo(contents);
  const context = { originUrl: cdn.url, fixtures, nowMs: Date.now() };
  youtube = createFakeYoutube(VIDEOS, context);
  workDir = await mkdtemp(join(tmpdir(), 'mediad-resolvers-'));
  await writeFakeYtDlp(join(workDir, 'bin'), VIDEOS, context);
  // The yt-dlp resolver looks its executable up on PATH by default; ours comes first.
  savedPath = process.env['PATH'];
  process.env['PATH'] = `${join(workDir, 'bin')}${delimiter}${savedPath ?? ''}`;
});

after(async () => {
  process.env['PATH'] = savedPath;
  await youtube.close();
  await cdn.close();
  await rm(workDir, { recursive: true, force: true });
});

const RESOLVERS: readonly { name: string; create: () => Resolver }[] = [
  { name: 'youtubei', create: () => createYoutubeiResolver({ fetch: youtube.fetch }) },
  { name: 'ytdl-core', create: () => createYtdlCoreResolver({ agent: { ...ytdl.createAgent(), dispatcher: youtube.mockAgent } }) },
  { name: 'yt-dlp', create: () => createYtDlpResolver() },
];

for (const { name, create } of RESOLVERS) {
  describe(`${name} resolver against the fake YouTube`, () => {
    let media: ResolvedMedia;

    before(async () => {
      media = await create().resolve(watchUrl('ok'), noSignal());
    });

    it('returns the video metadata', () => {
      assert.equal(media.resolver, name);
      assert.equal(media.pageUrl, watchUrl('ok'));
      assert.equal(media.metadata.id, 'okVideo0001');
      assert.equal(media.metadata.title, 'A fake: "video" / test');
      assert.equal(media.metadata.uploader, FAKE_UPLOADER);
      assert.equal(media.metadata.durationSeconds, 3);
      assert.equal(media.metadata.thumbnailUrl, 'https://i.ytimg.com/vi/okVideo0001/hqdefault.jpg');
      assert.notEqual(media.metadata.isLive, true);
    });

    it('lists every itag that has a URL (skipping SABR-only ones) with its length, codecs and an unexpired local URL', () => {
      assert.deepEqual(media.streams.map((stream) => stream.id).sort(), DOWNLOADABLE_STREAMS.map((spec) => String(spec.itag)).sort());
      for (const spec of DOWNLOADABLE_STREAMS) {
        const stream = media.streams.find((candidate) => candidate.id === String(spec.itag));
        assert.ok(stream, `itag ${spec.itag}`);
        assert.equal(stream.contentLengthBytes, fixtures[spec.fixture].sizeBytes, `length of ${spec.itag}`);
        assert.ok(stream.url.startsWith(`${cdn.url}/videoplayback/${spec.itag}?`), stream.url);
        assert.equal(stream.hasVideo, spec.vcodec !== undefined, `hasVideo of ${spec.itag}`);
        assert.equal(stream.hasAudio, spec.acodec !== undefined, `hasAudio of ${spec.itag}`);
        assert.equal(stream.videoCodec, spec.vcodec);
        assert.equal(stream.audioCodec, spec.acodec);
        assert.equal(stream.height, spec.height);
        assert.equal(isExpired(stream, Date.now()), false);
      }
    });

    it('hands out URLs the CDN accepts: n and sig deciphered, bytes identical to the fixture', async () => {
      const before = cdn.served.length;
      for (const spec of DOWNLOADABLE_STREAMS) {
        const stream = media.streams.find((candidate) => candidate.id === String(spec.itag));
        const response = await fetch(stream?.url ?? '', { headers: stream?.headers ?? {} });
        assert.equal(response.status, 200, `itag ${spec.itag}: ${await response.clone().text().catch(() => '')}`);
        assert.equal(sha256(new Uint8Array(await response.arrayBuffer())), fixtures[spec.fixture].sha256, `bytes of itag ${spec.itag}`);
      }
      assert.deepEqual(cdn.served.slice(before).map((served) => served.status), DOWNLOADABLE_STREAMS.map(() => 200));
    });

    it('selects 134+140 for 1080p mp4, 243+251 for webm, 251 for opus audio, 140 for m4a', () => {
      assert.equal(describePlan(selectFormats(media.streams, { kind: 'video', quality: '1080p', container: 'mp4' })), '134+140');
      assert.equal(describePlan(selectFormats(media.streams, { kind: 'video', container: 'webm' })), '243+251');
      assert.equal(describePlan(selectFormats(media.streams, { kind: 'video', quality: '240p' })), '133+140');
      assert.equal(describePlan(selectFormats(media.streams, { kind: 'audio', audioFormat: 'opus' })), 'audio 251');
      assert.equal(describePlan(selectFormats(media.streams, { kind: 'audio', audioFormat: 'm4a' })), 'audio 140');
    });

    for (const [scenario, code] of ERROR_CODES) {
      it(`reports ${code} for a ${scenario} video`, async () => {
        await assert.rejects(create().resolve(watchUrl(scenario), noSignal()), (error: { code?: string; message?: string }) => {
          assert.equal(error.code, code, error.message);
          return true;
        });
      });
    }

    it('passes expired URLs through as expired, and the CDN refuses them', async () => {
      const expired = await create().resolve(watchUrl('expired'), noSignal());
      assert.ok(expired.streams.length > 0);
      for (const stream of expired.streams) assert.equal(isExpired(stream, Date.now()), true, stream.id);
      const response = await fetch(expired.streams[0]?.url ?? '');
      assert.equal(response.status, 403);
      assert.equal(await response.text(), 'expired');
    });

    it('asked the fake network nothing it had no answer for', () => {
      assert.deepEqual(youtube.unexpected, []);
    });
  });
}

describe('youtubei resolver specifics', () => {
  it('parses the player once per player id and sends its signature timestamp with /player', async () => {
    const resolver = createYoutubeiResolver({ fetch: youtube.fetch });
    const start = youtube.requests.length;
    const callsBefore = youtube.playerCalls.length;
    await resolver.resolve(watchUrl('ok'), noSignal());
    await resolver.resolve(watchUrl('expired'), noSignal());
    const playerDownloads = youtube.requests.slice(start).filter((line) => line.includes('/base.js'));
    assert.equal(playerDownloads.length, 1, youtube.requests.slice(start).join('\n'));
    const calls = youtube.playerCalls.slice(callsBefore);
    assert.deepEqual(calls.map((call) => [call.via, call.clientName, call.signatureTimestamp]), [
      ['youtubei.js', 'WEB', FAKE_SIGNATURE_TIMESTAMP],
      ['youtubei.js', 'WEB', FAKE_SIGNATURE_TIMESTAMP],
    ]);
  });

  it('passes the abort signal down to fetch and reports CANCELED', async () => {
    let sawAbort = false;
    const hangOnPlayer: typeof fetch = (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (!url.includes('/youtubei/v1/player')) return youtube.fetch(input, init);
      return new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => {
          sawAbort = true;
          reject(init.signal?.reason);
        });
      });
    };
    const controller = new AbortController();
    const pending = createYoutubeiResolver({ fetch: hangOnPlayer }).resolve(watchUrl('ok'), controller.signal);
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(pending, { code: 'MEDIAD_ERR_CANCELED' });
    assert.equal(sawAbort, true);
  });

  it('turns a network failure into a retryable RESOLVE_FAILED', async () => {
    const offline: typeof fetch = () => Promise.reject(new TypeError('fetch failed'));
    await assert.rejects(createYoutubeiResolver({ fetch: offline }).resolve(watchUrl('ok'), noSignal()), (error: { code?: string; retryable?: boolean }) => {
      assert.equal(error.code, 'MEDIAD_ERR_RESOLVE_FAILED');
      assert.equal(error.retryable, true);
      return true;
    });
  });
});

describe('ytdl-core resolver specifics', () => {
  it('asks the player API as IOS, ANDROID, WEB_EMBEDDED and TV, the last two with the player signature timestamp', () => {
    const calls = youtube.playerCalls.filter((call) => call.via === 'ytdl-core' && call.videoId === 'okVideo0001');
    assert.deepEqual(calls.map((call) => call.clientName).sort(), ['ANDROID', 'IOS', 'TVHTML5', 'WEB_EMBEDDED_PLAYER']);
    for (const call of calls.filter((c) => c.clientName === 'TVHTML5' || c.clientName === 'WEB_EMBEDDED_PLAYER')) {
      assert.equal(call.signatureTimestamp, String(FAKE_SIGNATURE_TIMESTAMP));
    }
  });
});

describe('yt-dlp resolver specifics', () => {
  it('runs the executable found on PATH as `yt-dlp -J --no-warnings --no-playlist -- <url>`', async () => {
    const calls = (await readFile(join(workDir, 'bin', 'calls.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as string[]);
    assert.ok(calls.length > 0);
    assert.deepEqual(calls[0], ['-J', '--no-warnings', '--no-playlist', '--', watchUrl('ok')]);
  });

  it('reports MEDIAD_ERR_YTDLP_MISSING when the executable does not exist', async () => {
    const resolver = createYtDlpResolver({ executablePath: join(workDir, 'no-such-yt-dlp') });
    await assert.rejects(resolver.resolve(watchUrl('ok'), noSignal()), { code: 'MEDIAD_ERR_YTDLP_MISSING' });
  });

  it('kills a hanging yt-dlp on abort (CANCELED) and on timeout (retryable RESOLVE_FAILED)', async () => {
    const sleeper = join(workDir, 'sleepy-yt-dlp');
    await writeFile(sleeper, `#!${process.execPath}\nsetTimeout(() => {}, 30000);\n`);
    await chmod(sleeper, 0o755);
    const controller = new AbortController();
    const startedMs = Date.now();
    const pending = createYtDlpResolver({ executablePath: sleeper }).resolve(watchUrl('ok'), controller.signal);
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(pending, { code: 'MEDIAD_ERR_CANCELED' });
    await assert.rejects(createYtDlpResolver({ executablePath: sleeper, timeoutMs: 300 }).resolve(watchUrl('ok'), noSignal()), /stopped after 300 ms/);
    assert.ok(Date.now() - startedMs < 10_000, 'neither run waited for the 30 s sleep');
  });
});

describe('direct resolver against the local origin', () => {
  it('reads title, container and exact length from the URL and one HEAD request', async () => {
    const origin = await startOrigin();
    try {
      origin.setFile('/files/video-360.webm', await readFile(fixtures.video360Webm.path));
      origin.behave('/files/video-360.webm', { contentType: 'video/webm' });
      const url = origin.url('/files/video-360.webm');
      const media = await createDirectResolver({ fetch }).resolve(url, noSignal());
      assert.equal(media.metadata.title, 'video-360');
      assert.deepEqual(media.streams, [{ id: 'direct', url, container: 'webm', hasVideo: true, hasAudio: true, contentLengthBytes: fixtures.video360Webm.sizeBytes }]);
      assert.deepEqual(origin.requests.map((request) => `${request.method} ${request.path} ${request.status}`), ['HEAD /files/video-360.webm 200']);
    } finally {
      await origin.close();
    }
  });
});

describe('live YouTube smoke test', () => {
  const enabled = process.env['MEDIAD_LIVE_YOUTUBE'] === '1';
  it('resolves a real video with youtubei.js', { skip: enabled ? false : 'set MEDIAD_LIVE_YOUTUBE=1 to run against the real YouTube (needs internet)' }, async () => {
    // "Me at the zoo", the first YouTube upload: unlikely to disappear.
    const media = await createYoutubeiResolver().resolve('https://www.youtube.com/watch?v=jNQXAC9IVRw', AbortSignal.timeout(30_000));
    assert.equal(media.metadata.id, 'jNQXAC9IVRw');
    assert.ok(media.streams.length > 0);
    const plan = selectFormats(media.streams, { kind: 'audio' });
    const stream = plan.kind === 'separate' ? plan.audio : plan.stream;
    const response = await fetch(stream.url, { headers: { range: 'bytes=0-1023' }, signal: AbortSignal.timeout(30_000) });
    assert.ok(response.status === 206 || response.status === 200, `googlevideo answered ${response.status}`);
  });
});
