import { strict as assert } from 'node:assert';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getMediaFixtures, type MediaFixtures } from '../../test/helpers/media-fixtures.ts';
import { buildAudioArgs, buildMergeArgs, buildRemuxArgs } from './ffmpeg-args.ts';
import { createLineTail, readProgressPercent, runFfmpeg } from './ffmpeg.ts';
import { probeMedia } from './ffprobe.ts';
import { verifyOutput } from './verify-output.ts';

describe('readProgressPercent', () => {
  const cases: [string, number | undefined, number | undefined][] = [
    ['out_time_us=1500000', 3, 50],
    ['out_time_us=0', 3, 0],
    ['out_time_us=9000000', 3, 100],
    ['out_time_us=N/A', 3, undefined],
    ['out_time_us=1500000', undefined, undefined],
    ['out_time_ms=1500000', 3, undefined],
    ['progress=continue', 3, undefined],
    ['progress=end', undefined, 100],
  ];
  for (const [line, duration, percent] of cases) {
    it(`reads ${percent ?? 'nothing'} from "${line}" over ${duration ?? '?'} s`, () => assert.equal(readProgressPercent(line, duration), percent));
  }
});

describe('createLineTail', () => {
  it('keeps the last lines across chunk boundaries', () => {
    const tail = createLineTail(2);
    tail.push('one\ntw');
    tail.push('o\nthree\nfou');
    assert.deepEqual(tail.lines(), ['three', 'fou']);
  });
});

describe('runFfmpeg with the real ffmpeg', () => {
  let fixtures: MediaFixtures;
  let dir: string;
  before(async () => {
    fixtures = await getMediaFixtures();
    dir = await mkdtemp(join(tmpdir(), 'mediad-ffmpeg-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('merges video-only and audio-only files into a verified mp4, reporting progress up to 100', async () => {
    const outputPath = join(dir, 'merged.part');
    const percents: number[] = [];
    await runFfmpeg({
      ffmpegPath: 'ffmpeg',
      args: buildMergeArgs({ videoPath: fixtures.video360Mp4.path, audioPath: fixtures.audioM4a.path, outputPath, container: 'mp4' }),
      durationSeconds: fixtures.video360Mp4.durationSeconds,
      onProgress: (percent) => percents.push(percent),
    });
    const probe = await probeMedia(outputPath, { ffprobePath: 'ffprobe' });
    assert.equal(probe.formatName, 'mov,mp4,m4a,3gp,3g2,mj2');
    assert.deepEqual(probe.streams.map((stream) => `${stream.type}:${stream.codec}`), ['video:h264', 'audio:aac']);
    assert.equal(verifyOutput(probe, { video: true, audio: true, durationSeconds: fixtures.video360Mp4.durationSeconds }), undefined);
    assert.equal(percents.at(-1), 100);
    assert.deepEqual([...percents].sort((a, b) => a - b), percents, 'progress never goes backwards');
  });

  it('merges VP9 and Opus into webm and remuxes a muxed mp4 into mkv', async () => {
    const webm = join(dir, 'merged.webm');
    await runFfmpeg({ ffmpegPath: 'ffmpeg', args: buildMergeArgs({ videoPath: fixtures.video360Webm.path, audioPath: fixtures.audioOpusWebm.path, outputPath: webm, container: 'webm' }) });
    assert.deepEqual((await probeMedia(webm, { ffprobePath: 'ffprobe' })).streams.map((s) => s.codec), ['vp9', 'opus']);
    const mkv = join(dir, 'remuxed.mkv');
    await runFfmpeg({ ffmpegPath: 'ffmpeg', args: buildRemuxArgs({ inputPath: fixtures.muxedMp4.path, outputPath: mkv, container: 'mkv' }) });
    const probe = await probeMedia(mkv, { ffprobePath: 'ffprobe' });
    assert.equal(probe.formatName, 'matroska,webm');
    assert.deepEqual(probe.streams.map((s) => s.codec), ['h264', 'aac']);
  });

  it('extracts audio from a muxed file and encodes mp3 at the asked bitrate', async () => {
    const outputPath = join(dir, 'audio.part');
    await runFfmpeg({ ffmpegPath: 'ffmpeg', args: buildAudioArgs({ inputPath: fixtures.muxedMp4.path, outputPath, audioFormat: 'mp3', sourceCodec: 'mp4a.40.2', bitrateKbps: 96 }) });
    const probe = await probeMedia(outputPath, { ffprobePath: 'ffprobe' });
    assert.equal(probe.formatName, 'mp3');
    assert.deepEqual(probe.streams.map((s) => `${s.type}:${s.codec}`), ['audio:mp3']);
    assert.equal(verifyOutput(probe, { video: false, audio: true, durationSeconds: 3 }), undefined);
    // 96 kbit/s over ~3 s is ~36 KB; a default 192 kbit/s encode would be twice that.
    assert.ok((await stat(outputPath)).size < 50_000, `size ${(await stat(outputPath)).size}`);
  });

  it('copies Opus into an .opus file without re-encoding', async () => {
    const outputPath = join(dir, 'copy.opus');
    await runFfmpeg({ ffmpegPath: 'ffmpeg', args: buildAudioArgs({ inputPath: fixtures.audioOpusWebm.path, outputPath, audioFormat: 'opus', sourceCodec: 'opus' }) });
    const probe = await probeMedia(outputPath, { ffprobePath: 'ffprobe' });
    assert.equal(probe.formatName, 'ogg');
    assert.deepEqual(probe.streams.map((s) => s.codec), ['opus']);
  });

  it('reports FFMPEG_FAILED with ffmpeg\'s own last words when the input is not media', async () => {
    const junk = join(dir, 'junk.mp4');
    await writeFile(junk, 'this is not a video');
    await assert.rejects(
      runFfmpeg({ ffmpegPath: 'ffmpeg', args: buildRemuxArgs({ inputPath: junk, outputPath: join(dir, 'x.mkv'), container: 'mkv' }) }),
      (error: { code?: string; message?: string }) => {
        assert.equal(error.code, 'MEDIAD_ERR_FFMPEG_FAILED');
        assert.match(error.message ?? '', /exited with code \d+:\n.*Invalid data found when processing input/s);
        return true;
      },
    );
  });

  it('reports FFMPEG_MISSING when the executable does not exist', async () => {
    await assert.rejects(runFfmpeg({ ffmpegPath: join(dir, 'no-ffmpeg'), args: ['-version'] }), { code: 'MEDIAD_ERR_FFMPEG_MISSING' });
  });

  it('kills ffmpeg on abort and settles only once the process is gone', async () => {
    const controller = new AbortController();
    let pid = 0;
    const startedMs = Date.now();
    const running = runFfmpeg({
      ffmpegPath: 'ffmpeg',
      // An endless encode: only the abort can end it.
      args: ['-hide_banner', '-nostdin', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'null', '-progress', 'pipe:1', '-nostats', '-'],
      durationSeconds: 60,
      onStart: (childPid) => (pid = childPid),
      onProgress: () => controller.abort(),
      signal: controller.signal,
    });
    await assert.rejects(running, { code: 'MEDIAD_ERR_CANCELED' });
    assert.ok(pid > 0);
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, 'the ffmpeg process no longer exists');
    assert.ok(Date.now() - startedMs < 10_000);
  });
});
