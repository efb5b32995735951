import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { classifyYtDlpFailure } from './yt-dlp.ts';
import { mapYtDlpFormat, mapYtDlpInfo } from './yt-dlp-map.ts';

// Trimmed from real `yt-dlp -J` output: one of each kind of format entry.
const info = {
  id: 'dQw4w9WgXcQ', title: 'A title', uploader: 'Uploader', channel: 'Channel', duration: 212, thumbnail: 'https://i.ytimg.com/vi/x/maxres.jpg',
  is_live: false, live_status: 'not_live',
  formats: [
    { format_id: 'sb0', url: 'https://i.ytimg.com/sb/x/storyboard3_L0/default.jpg', ext: 'mhtml', protocol: 'mhtml', vcodec: 'none', acodec: 'none' },
    { format_id: '233', url: 'https://manifest.googlevideo.com/api/manifest/hls_playlist/x', ext: 'mp4', protocol: 'm3u8_native', vcodec: 'none', acodec: 'unknown' },
    { format_id: '140', url: 'https://rr1.googlevideo.com/videoplayback?expire=1700003600&itag=140', ext: 'm4a', protocol: 'https', vcodec: 'none', acodec: 'mp4a.40.2', abr: 129.475, tbr: 129.475, filesize: 3433514, audio_ext: 'm4a', video_ext: 'none', http_headers: { 'User-Agent': 'Mozilla/5.0', Accept: '*/*' } },
    { format_id: '137', url: 'https://rr1.googlevideo.com/videoplayback?expire=1700003600&itag=137', ext: 'mp4', protocol: 'https', vcodec: 'avc1.640028', acodec: 'none', width: 1920, height: 1080, fps: 25, tbr: 4400.1, filesize_approx: 100000000 },
    { format_id: '18', url: 'https://rr1.googlevideo.com/videoplayback?itag=18', ext: 'mp4', protocol: 'https', vcodec: 'avc1.42001E', acodec: 'mp4a.40.2', width: 640, height: 360, fps: 25, tbr: 500, filesize: 9000000 },
    { format_id: 'http-720p', url: 'https://vimeo.test/720.mp4', ext: 'mp4', protocol: 'https', vcodec: null, acodec: null, width: 1280, height: 720 },
  ],
};

describe('mapYtDlpInfo', () => {
  const media = mapYtDlpInfo(info, 'https://www.youtube.com/watch?v=dQw4w9WgXcQ');

  it('keeps only formats the engine can fetch with Range requests', () => {
    assert.deepEqual(media.streams.map((stream) => stream.id), ['140', '137', '18', 'http-720p']);
  });

  it('maps metadata', () => {
    assert.deepEqual(media.metadata, { id: 'dQw4w9WgXcQ', title: 'A title', uploader: 'Uploader', durationSeconds: 212, thumbnailUrl: 'https://i.ytimg.com/vi/x/maxres.jpg' });
    assert.equal(media.resolver, 'yt-dlp');
  });

  it('maps an audio-only format with its headers, exact size and expiry', () => {
    assert.deepEqual(media.streams[0], {
      id: '140', url: 'https://rr1.googlevideo.com/videoplayback?expire=1700003600&itag=140', container: 'm4a', hasVideo: false, hasAudio: true,
      audioCodec: 'mp4a.40.2', bitrateBps: 129475, contentLengthBytes: 3433514, expiresAtMs: 1700003600000,
      headers: { 'User-Agent': 'Mozilla/5.0', Accept: '*/*' },
    });
  });

  it('does not pass filesize_approx off as an exact length', () => {
    assert.equal(media.streams[1]?.contentLengthBytes, undefined);
    assert.equal(media.streams[1]?.height, 1080);
    assert.equal(media.streams[1]?.hasAudio, false);
  });

  it('treats unknown (null) codecs with a picture size as a muxed video', () => {
    const stream = mapYtDlpFormat(info.formats[5]);
    assert.equal(stream?.hasVideo, true);
    assert.equal(stream?.videoCodec, undefined);
  });

  it('refuses live and upcoming broadcasts and playlists', () => {
    assert.throws(() => mapYtDlpInfo({ ...info, is_live: true }, 'u'), { code: 'MEDIAD_ERR_VIDEO_LIVE' });
    assert.throws(() => mapYtDlpInfo({ ...info, is_live: false, live_status: 'is_upcoming' }, 'u'), { code: 'MEDIAD_ERR_VIDEO_LIVE' });
    assert.throws(() => mapYtDlpInfo({ _type: 'playlist', entries: [] }, 'u'), { code: 'MEDIAD_ERR_UNSUPPORTED_URL' });
  });

  it('fails retryably when nothing downloadable is listed', () => {
    assert.throws(() => mapYtDlpInfo({ ...info, formats: [info.formats[0]] }, 'u'), { code: 'MEDIAD_ERR_RESOLVE_FAILED' });
  });
});

describe('classifyYtDlpFailure', () => {
  const cases: [string, string][] = [
    ["ERROR: [youtube] abc: Private video. Sign in if you've been granted access to this video", 'MEDIAD_ERR_VIDEO_PRIVATE'],
    ['ERROR: [youtube] abc: Join this channel to get access to members-only content like this video, and other exclusive perks.', 'MEDIAD_ERR_VIDEO_MEMBERS_ONLY'],
    ['ERROR: [youtube] abc: Sign in to confirm your age. This video may be inappropriate for some users.', 'MEDIAD_ERR_VIDEO_AGE_RESTRICTED'],
    ['ERROR: [youtube] abc: Video unavailable', 'MEDIAD_ERR_VIDEO_UNAVAILABLE'],
    ['ERROR: Unsupported URL: https://example.com/', 'MEDIAD_ERR_UNSUPPORTED_URL'],
    ['ERROR: [youtube] abc: Unable to download API page: <urlopen error [Errno -3] Temporary failure in name resolution>', 'MEDIAD_ERR_RESOLVE_FAILED'],
  ];
  for (const [line, code] of cases) {
    it(`maps "${line.slice(0, 60)}…" to ${code}`, () => {
      assert.equal(classifyYtDlpFailure(['[youtube] Extracting URL', line], 'exited with code 1').code, code);
    });
  }
});
