import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { audioCodecFamily, buildAudioArgs, buildMergeArgs, buildRemuxArgs, planAudioOutput } from './ffmpeg-args.ts';

/** The value following `flag` in an argument list. */
function valueAfter(args: readonly string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index === -1 ? undefined : args[index + 1];
}

describe('buildMergeArgs', () => {
  const base = { videoPath: '/d/v.mp4', audioPath: '/d/a.m4a', outputPath: '/d/out.part' };

  it('copies video from the first input and audio from the second, with faststart for mp4', () => {
    const args = buildMergeArgs({ ...base, container: 'mp4' });
    assert.deepEqual(args, [
      '-hide_banner', '-nostdin', '-y',
      '-i', '/d/v.mp4', '-i', '/d/a.m4a',
      '-map', '0:v:0', '-map', '1:a:0',
      '-c', 'copy',
      '-movflags', '+faststart',
      '-f', 'mp4',
      '-progress', 'pipe:1', '-nostats',
      '/d/out.part',
    ]);
  });

  it('names the matroska muxer for mkv and leaves out mp4-only flags', () => {
    const args = buildMergeArgs({ ...base, container: 'mkv' });
    assert.equal(valueAfter(args, '-f'), 'matroska');
    assert.ok(!args.includes('-movflags'));
  });

  it('keeps the output path last, where ffmpeg expects it', () => {
    for (const container of ['mp4', 'mkv', 'webm'] as const) {
      assert.equal(buildMergeArgs({ ...base, container }).at(-1), '/d/out.part');
    }
  });

  it('passes paths as single arguments even when they contain spaces or dashes', () => {
    const args = buildMergeArgs({ videoPath: '/d/-my video.mp4', audioPath: '/d/a b.m4a', outputPath: '/d/o p', container: 'webm' });
    assert.equal(valueAfter(args, '-i'), '/d/-my video.mp4');
    assert.equal(args.at(-1), '/d/o p');
  });
});

describe('buildRemuxArgs', () => {
  it('copies the first video and the optional first audio stream into the target container', () => {
    const args = buildRemuxArgs({ inputPath: '/in.mp4', outputPath: '/out.mkv', container: 'mkv' });
    assert.deepEqual(args.slice(3, 11), ['-i', '/in.mp4', '-map', '0:v:0', '-map', '0:a:0?', '-c', 'copy']);
    assert.equal(valueAfter(args, '-f'), 'matroska');
  });
});

describe('planAudioOutput and buildAudioArgs', () => {
  const cases = [
    { format: 'best', codec: 'opus', extension: 'opus', muxer: 'opus', codecArgs: ['-c:a', 'copy'] },
    { format: 'best', codec: 'mp4a.40.2', extension: 'm4a', muxer: 'ipod', codecArgs: ['-c:a', 'copy'] },
    { format: 'best', codec: 'vorbis', extension: 'ogg', muxer: 'ogg', codecArgs: ['-c:a', 'copy'] },
    { format: 'best', codec: undefined, extension: 'mka', muxer: 'matroska', codecArgs: ['-c:a', 'copy'] },
    { format: 'm4a', codec: 'mp4a.40.5', extension: 'm4a', muxer: 'ipod', codecArgs: ['-c:a', 'copy'] },
    { format: 'm4a', codec: 'opus', extension: 'm4a', muxer: 'ipod', codecArgs: ['-c:a', 'aac', '-b:a', '192k'] },
    { format: 'opus', codec: 'opus', extension: 'opus', muxer: 'opus', codecArgs: ['-c:a', 'copy'] },
    { format: 'opus', codec: 'mp4a.40.2', extension: 'opus', muxer: 'opus', codecArgs: ['-c:a', 'libopus', '-b:a', '160k'] },
    { format: 'mp3', codec: 'opus', extension: 'mp3', muxer: 'mp3', codecArgs: ['-c:a', 'libmp3lame', '-b:a', '192k'] },
  ] as const;
  for (const testCase of cases) {
    it(`writes ${testCase.format} from ${testCase.codec ?? 'an unknown codec'} as .${testCase.extension} via ${testCase.codecArgs.join(' ')}`, () => {
      assert.deepEqual(planAudioOutput(testCase.format, testCase.codec), {
        extension: testCase.extension,
        muxer: testCase.muxer,
        codecArgs: testCase.codecArgs,
      });
    });
  }

  it('encodes mp3 at the requested bitrate', () => {
    const args = buildAudioArgs({ inputPath: '/in.webm', outputPath: '/out.part', audioFormat: 'mp3', sourceCodec: 'opus', bitrateKbps: 128 });
    assert.equal(valueAfter(args, '-c:a'), 'libmp3lame');
    assert.equal(valueAfter(args, '-b:a'), '128k');
    assert.equal(valueAfter(args, '-f'), 'mp3');
  });

  it('drops video and takes only the first audio stream, so muxed sources work too', () => {
    const args = buildAudioArgs({ inputPath: '/muxed.mp4', outputPath: '/out.part', audioFormat: 'm4a', sourceCodec: 'mp4a.40.2' });
    assert.equal(valueAfter(args, '-map'), '0:a:0');
    assert.ok(args.includes('-vn'));
    assert.equal(valueAfter(args, '-movflags'), '+faststart');
    assert.deepEqual(args.slice(-4), ['-progress', 'pipe:1', '-nostats', '/out.part']);
  });

  it('tells AAC apart from mp3-in-mp4 codec strings', () => {
    assert.equal(audioCodecFamily('mp4a.40.2'), 'aac');
    assert.equal(audioCodecFamily('mp4a.40.34'), 'mp3');
    assert.equal(audioCodecFamily('OPUS'), 'opus');
    assert.equal(audioCodecFamily(undefined), undefined);
  });
});
