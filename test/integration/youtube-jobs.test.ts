/**
 * Video and audio jobs end to end through the real daemon: the production
 * youtubei.js resolver runs over a fake YouTube network (see
 * helpers/youtube-preload.ts), stream URLs point at a local origin serving
 * real media made with ffmpeg, and ffmpeg/ffprobe are real.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeMedia } from '../../src/postprocess/ffprobe.ts';
import { startDaemon, type Daemon } from '../helpers/daemon.ts';
import { DOWNLOADABLE_STREAMS, FAKE_UPLOADER, type FakeVideo } from '../helpers/fake-youtube.ts';
import { getMediaFixtures, type FixtureName, type MediaFixtures } from '../helpers/media-fixtures.ts';
import { startOrigin, type Origin } from '../helpers/origin.ts';
import { fastDaemonEnv } from '../helpers/env.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';
import { waitFor } from '../helpers/wait-for.ts';

const tempDir = tempDirs('mediad-fake-yt-');

const preload = fileURLToPath(new URL('../helpers/youtube-preload.ts', import.meta.url));
const videos: FakeVideo[] = [
  { id: 'aaaaaaaaaaa', scenario: 'ok', title: 'Test Pattern' },
  { id: 'ppppppppppp', scenario: 'private' },
  { id: 'mmmmmmmmmmm', scenario: 'members-only' },
  { id: 'ggggggggggg', scenario: 'age-restricted' },
  { id: 'uuuuuuuuuuu', scenario: 'unavailable' },
  { id: 'lllllllllll', scenario: 'live' },
];
const watch = (id: string) => `https://www.youtube.com/watch?v=${id}`;

describe('video and audio jobs', () => {
  let daemon: Daemon;
  let origin: Origin;
  let fixtures: MediaFixtures;
  let specFile: string;
  const writeSpec = (extra: Record<string, unknown> = {}) => writeFile(specFile, JSON.stringify({ videos, originUrl: origin.baseUrl, ...extra }));
  const playerCalls = () => (existsSync(`${specFile}.calls`) ? readFileSync(`${specFile}.calls`, 'utf8').trim().split('\n').length : 0);
  const serveStreams = () => {
    for (const spec of DOWNLOADABLE_STREAMS) origin.setFile(`/videoplayback/${spec.itag}`, readFileSync(fixtures[spec.fixture as FixtureName].path));
  };
  const enqueue = async (body: Record<string, unknown>) => {
    const response = await daemon.api('POST', '/v1/downloads', body);
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body.id as string;
  };

  before(async () => {
    fixtures = await getMediaFixtures();
    origin = await startOrigin();
    serveStreams();
    specFile = path.join(await tempDir(), 'spec.json');
    await writeSpec();
    daemon = await startDaemon({
      workers: 2,
      env: {
        // A worker's first resolve loads youtubei.js and runs the player script: its event loop stalls for about a
        // second under CI load, and fastDaemonEnv's 3 s lock (renewed every 1.5 s) was once lost that way. The rest of
        // a small stream then sat unread in the first run's socket when it stopped, and the run that took the job over
        // asked for it again: served twice. A 6 s lock leaves room; crash-modes tests a lost lock on purpose.
        ...fastDaemonEnv, MEDIAD_JOB_LOCK_MS: '6000',
        MEDIAD_CHECKPOINT_INTERVAL_MS: '100', MEDIAD_CHECKPOINT_INTERVAL_BYTES: '65536',
        MEDIAD_TEST_FAKE_YOUTUBE: specFile, NODE_OPTIONS: `--import tsx --import ${preload}`,
      },
    });
  });
  after(async () => {
    await daemon?.cleanup();
    await origin?.close();
  });

  it('merges the best video within 240p and the best matching audio into mp4 without re-encoding', async () => {
    const job = await daemon.waitForState(await enqueue({ url: watch('aaaaaaaaaaa'), kind: 'video', quality: '240p', container: 'mp4' }), ['completed', 'failed'], 60_000);
    assert.equal(job.state, 'completed', JSON.stringify(job.error));
    assert.equal(job.file.name, 'Test Pattern [aaaaaaaaaaa].mp4');
    const probe = await probeMedia(job.file.path, { ffprobePath: 'ffprobe' });
    const video = probe.streams.find((s) => s.type === 'video');
    assert.equal(video?.codec, 'h264');
    assert.equal(video?.height, 240);
    assert.equal(probe.streams.find((s) => s.type === 'audio')?.codec, 'aac');
    assert.ok(Math.abs((probe.durationSeconds ?? 0) - 3) < 0.2);
    assert.ok(origin.bytesServed('/videoplayback/133') >= fixtures.video240Mp4.sizeBytes);
    assert.ok(origin.bytesServed('/videoplayback/140') >= fixtures.audioM4a.sizeBytes);
    assert.equal(origin.bytesServed('/videoplayback/134'), 0, 'the 360p stream was not fetched');
    await waitFor(() => !existsSync(path.join(daemon.downloadDir, '.mediad-partial', job.id)), { timeoutMs: 5000, what: 'the streams and their folder removed' });
  });

  it('muxes vp9 and opus into webm when asked for webm', async () => {
    const id = await enqueue({ url: watch('aaaaaaaaaaa'), kind: 'video', container: 'webm', filename: 'clips/pattern.webm' });
    const done = await daemon.waitForState(id, ['completed', 'failed'], 60_000);
    assert.equal(done.state, 'completed', JSON.stringify(done.error));
    assert.equal(done.file.path, path.join(daemon.downloadDir, 'clips', 'pattern.webm'), 'a requested filename replaces the template');
    const probe = await probeMedia(done.file.path, { ffprobePath: 'ffprobe' });
    assert.deepEqual(probe.streams.map((s) => s.codec).sort(), ['opus', 'vp9']);
  });

  it('converts audio to mp3 at the asked bitrate', async () => {
    const job = await daemon.waitForState(await enqueue({ url: watch('aaaaaaaaaaa'), kind: 'audio', audioFormat: 'mp3', audioBitrate: 128 }), ['completed', 'failed'], 60_000);
    assert.equal(job.state, 'completed', JSON.stringify(job.error));
    assert.equal(job.file.name, 'Test Pattern [aaaaaaaaaaa].mp3');
    const probe = await probeMedia(job.file.path, { ffprobePath: 'ffprobe' });
    assert.deepEqual(probe.streams.map((s) => `${s.type}:${s.codec}`), ['audio:mp3']);
  });

  it('keeps the source codec for audioFormat best (passthrough)', async () => {
    const job = await daemon.waitForState(await enqueue({ url: watch('aaaaaaaaaaa'), kind: 'audio' }), ['completed', 'failed'], 60_000);
    assert.equal(job.state, 'completed', JSON.stringify(job.error));
    const probe = await probeMedia(job.file.path, { ffprobePath: 'ffprobe' });
    assert.deepEqual(probe.streams.map((s) => `${s.type}:${s.codec}`), ['audio:opus'], 'the best audio (opus 160k) copied, not re-encoded');
  });

  const errorCases: [string, string][] = [
    ['ppppppppppp', 'MEDIAD_ERR_VIDEO_PRIVATE'], ['mmmmmmmmmmm', 'MEDIAD_ERR_VIDEO_MEMBERS_ONLY'], ['ggggggggggg', 'MEDIAD_ERR_VIDEO_AGE_RESTRICTED'],
    ['uuuuuuuuuuu', 'MEDIAD_ERR_VIDEO_UNAVAILABLE'], ['lllllllllll', 'MEDIAD_ERR_VIDEO_LIVE'],
  ];
  for (const [id, code] of errorCases) {
    it(`fails ${code} at once, without retrying`, async () => {
      const job = await daemon.waitForState(await enqueue({ url: watch(id), kind: 'video' }), ['completed', 'failed'], 30_000);
      assert.equal(job.state, 'failed');
      assert.equal(job.error.code, code);
      assert.equal(job.attempts, 1);
    });
  }

  it('refuses impossible option combinations with 400 MEDIAD_ERR_OPTION_INVALID', async () => {
    for (const body of [
      { url: watch('aaaaaaaaaaa'), kind: 'audio', container: 'mp4' },
      { url: watch('aaaaaaaaaaa'), kind: 'video', audioFormat: 'mp3' },
      { url: watch('aaaaaaaaaaa'), kind: 'video', quality: 'huge' },
      { url: watch('aaaaaaaaaaa'), kind: 'audio', audioFormat: 'best', audioBitrate: 128 },
    ]) {
      const response = await daemon.api('POST', '/v1/downloads', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.error.code, 'MEDIAD_ERR_OPTION_INVALID', JSON.stringify(body));
    }
  });

  it('resolves a page without queuing anything', async () => {
    const response = await daemon.api('GET', `/v1/resolve?url=${encodeURIComponent(watch('aaaaaaaaaaa'))}`);
    assert.equal(response.status, 200);
    assert.equal(response.body.resolver, 'youtubei');
    assert.equal(response.body.metadata.title, 'Test Pattern');
    assert.equal(response.body.metadata.uploader, FAKE_UPLOADER);
    assert.deepEqual(response.body.formats.map((f: { id: string }) => f.id).sort(), DOWNLOADABLE_STREAMS.map((s) => String(s.itag)).sort());
    assert.equal(response.body.formats[0].url, undefined, 'signed stream URLs are not exposed');
    const privateVideo = await daemon.api('GET', `/v1/resolve?url=${encodeURIComponent(watch('ppppppppppp'))}`);
    assert.equal(privateVideo.body.error.code, 'MEDIAD_ERR_VIDEO_PRIVATE');
  });

  for (const [stage, itag] of [['downloading-video', 134], ['downloading-audio', 140]] as const) {
    it(`resumes the ${stage.split('-')[1]} stream from its checkpoint after a kill`, async () => {
      const urlPath = `/videoplayback/${itag}`;
      const size = itag === 134 ? fixtures.video360Mp4.sizeBytes : fixtures.audioM4a.sizeBytes;
      serveStreams();
      origin.behave(urlPath, { throttleBytesPerSecond: 6 * 1024 });
      const servedBefore = origin.bytesServed(urlPath);
      const id = await enqueue({ url: watch('aaaaaaaaaaa'), kind: 'video', quality: '360p', container: 'mp4' });
      await daemon.waitForJob(id, (job) => job.progress.stage === stage && job.progress.downloadedBytes > 9000, { timeoutMs: 30_000 });
      await daemon.killTree();
      origin.clearBehaviour(urlPath);
      await daemon.restart();
      const job = await daemon.waitForState(id, ['completed', 'failed'], 60_000);
      assert.equal(job.state, 'completed', JSON.stringify(job.error));
      const served = origin.bytesServed(urlPath) - servedBefore;
      assert.ok(served <= size + 16 * 1024, `served ${served} bytes of a ${size}-byte stream: resumed, not restarted`);
      const probe = await probeMedia(job.file.path, { ffprobePath: 'ffprobe' });
      assert.equal(probe.streams.find((s) => s.type === 'video')?.height, 360);
    });
  }

  it('resolves again when the CDN refuses an expired URL mid-download, and resumes the same stream', async () => {
    const urlPath = '/videoplayback/134';
    serveStreams();
    origin.behave(urlPath, { throttleBytesPerSecond: 8 * 1024, resetAfterBytes: 8000, resetTimes: 1 });
    origin.onBytesServed(urlPath, origin.bytesServed(urlPath) + 8000, () => origin.behave(urlPath, { failStatus: 403, failTimes: 1 }));
    const callsBefore = playerCalls();
    const servedBefore = origin.bytesServed(urlPath);
    const requestsBefore = origin.requests.length;
    const job = await daemon.waitForState(await enqueue({ url: watch('aaaaaaaaaaa'), kind: 'video', quality: '360p' }), ['completed', 'failed'], 60_000);
    assert.equal(job.state, 'completed', JSON.stringify(job.error));
    const requests = origin.requests.slice(requestsBefore).filter((r) => r.path === urlPath);
    assert.ok(requests.some((r) => r.status === 403), 'the CDN refused once');
    assert.ok(playerCalls() - callsBefore >= 2, 'the page was resolved again');
    assert.ok(requests[requests.length - 1]?.range?.startsWith('bytes=8000-'), `resumed at 8000: ${JSON.stringify(requests.map((r) => [r.status, r.range]))}`);
    assert.ok(origin.bytesServed(urlPath) - servedBefore <= fixtures.video360Mp4.sizeBytes + 1024);
    origin.clearBehaviour(urlPath);
  });

  it('downloads a stream again from zero when re-resolving shows a different length', async () => {
    const urlPath = '/videoplayback/134';
    serveStreams();
    origin.behave(urlPath, { throttleBytesPerSecond: 8 * 1024, resetAfterBytes: 8000, resetTimes: 1 });
    origin.onBytesServed(urlPath, origin.bytesServed(urlPath) + 8000, () => {
      origin.setFile(urlPath, readFileSync(fixtures.video240Mp4.path)); // the stream was re-encoded: other bytes, other length
      origin.behave(urlPath, { failStatus: 403, failTimes: 1 });
      void writeSpec({ swapFixtures: { video360Mp4: 'video240Mp4' } });
    });
    const id = await enqueue({ url: watch('aaaaaaaaaaa'), kind: 'video', quality: '360p' });
    const job = await daemon.waitForState(id, ['completed', 'failed'], 60_000);
    await writeSpec();
    assert.equal(job.state, 'completed', JSON.stringify(job.error));
    assert.ok(daemon.logs.some((line) => line.jobId === id && String(line.msg).includes('length changed')), 'logged the restart of the stream');
    const probe = await probeMedia(job.file.path, { ffprobePath: 'ffprobe' });
    assert.equal(probe.streams.find((s) => s.type === 'video')?.height, 240, 'the new bytes, whole');
    origin.clearBehaviour(urlPath);
  });

  it('post-processes a plain media URL given as an audio job', async () => {
    origin.setFile('/files/tone.m4a', readFileSync(fixtures.audioM4a.path));
    const job = await daemon.waitForState(await enqueue({ url: origin.url('/files/tone.m4a'), kind: 'audio', audioFormat: 'mp3' }), ['completed', 'failed'], 60_000);
    assert.equal(job.state, 'completed', JSON.stringify(job.error));
    assert.ok(job.file.name.startsWith('tone [') && job.file.name.endsWith('].mp3'), job.file.name);
    const probe = await probeMedia(job.file.path, { ffprobePath: 'ffprobe' });
    assert.deepEqual(probe.streams.map((s) => s.codec), ['mp3']);
  });
});

describe('missing ffmpeg', () => {
  it('fails a media job with MEDIAD_ERR_FFMPEG_MISSING, without retrying', async () => {
    const fixtures = await getMediaFixtures();
    const origin = await startOrigin();
    origin.setFile('/files/tone.m4a', readFileSync(fixtures.audioM4a.path));
    const daemon = await startDaemon({ workers: 1, env: { ...fastDaemonEnv, MEDIAD_FFMPEG_PATH: '/nonexistent/ffmpeg' } });
    try {
      const id = (await daemon.api('POST', '/v1/downloads', { url: origin.url('/files/tone.m4a'), kind: 'audio', audioFormat: 'mp3' })).body.id as string;
      const job = await daemon.waitForState(id, ['completed', 'failed'], 30_000);
      assert.equal(job.state, 'failed');
      assert.equal(job.error.code, 'MEDIAD_ERR_FFMPEG_MISSING');
      assert.equal(job.attempts, 1);
    } finally {
      await daemon.cleanup();
      await origin.close();
    }
  });
});
