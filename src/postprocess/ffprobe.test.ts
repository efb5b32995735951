import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { getMediaFixtures } from '../../test/helpers/media-fixtures.ts';
import { parseProbeOutput, probeMedia } from './ffprobe.ts';

describe('parseProbeOutput', () => {
  it('reads streams and the container duration, skipping what is absent', () => {
    const result = parseProbeOutput({
      streams: [
        { index: 0, codec_type: 'video', codec_name: 'h264', width: 640, height: 360, duration: '3.000000' },
        { index: 1, codec_type: 'audio', codec_name: 'aac', duration: 'N/A' },
      ],
      format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '3.021000' },
    });
    assert.deepEqual(result, {
      streams: [
        { index: 0, type: 'video', codec: 'h264', width: 640, height: 360, durationSeconds: 3 },
        { index: 1, type: 'audio', codec: 'aac' },
      ],
      formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
      durationSeconds: 3.021,
    });
  });

  it('survives empty output', () => assert.deepEqual(parseProbeOutput({}), { streams: [] }));
});

describe('probeMedia with the real ffprobe', () => {
  it('sees the video and audio of the muxed fixture', async () => {
    const fixtures = await getMediaFixtures();
    const probe = await probeMedia(fixtures.muxedMp4.path, { ffprobePath: 'ffprobe' });
    assert.deepEqual(probe.streams.map((s) => [s.type, s.codec, s.width]), [['video', 'h264', 640], ['audio', 'aac', undefined]]);
    assert.ok(Math.abs((probe.durationSeconds ?? 0) - 3) < 0.1);
  });

  it('reports OUTPUT_INVALID for a file that is not media, and FFMPEG_MISSING without ffprobe', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mediad-ffprobe-'));
    try {
      const junk = join(dir, 'junk.webm');
      await writeFile(junk, 'not media');
      await assert.rejects(probeMedia(junk, { ffprobePath: 'ffprobe' }), { code: 'MEDIAD_ERR_OUTPUT_INVALID' });
      await assert.rejects(probeMedia(junk, { ffprobePath: join(dir, 'nope') }), { code: 'MEDIAD_ERR_FFMPEG_MISSING' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
