import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { selectFormats, validateJobOptions, type FormatPlan, type FormatSelection } from './select-formats.ts';
import type { MediaStream } from './types.ts';

function video(id: string, height: number, codec: string, container: string, bitrateKbps: number, fps = 30): MediaStream {
  return { id, url: `https://cdn.test/${id}`, container, hasVideo: true, hasAudio: false, videoCodec: codec, height, width: Math.round((height * 16) / 9), fps, bitrateBps: bitrateKbps * 1000 };
}
function audio(id: string, codec: string, container: string, bitrateKbps: number): MediaStream {
  return { id, url: `https://cdn.test/${id}`, container, hasVideo: false, hasAudio: true, audioCodec: codec, bitrateBps: bitrateKbps * 1000 };
}
const muxed18: MediaStream = {
  id: '18', url: 'https://cdn.test/18', container: 'mp4', hasVideo: true, hasAudio: true,
  videoCodec: 'avc1.42001E', audioCodec: 'mp4a.40.2', height: 360, width: 640, fps: 30, bitrateBps: 500_000,
};

// A typical YouTube listing, in no particular order.
const youtube: MediaStream[] = [
  audio('139', 'mp4a.40.5', 'm4a', 48),
  video('160', 144, 'avc1.4d400c', 'mp4', 100),
  video('399', 1080, 'av01.0.08M.08', 'mp4', 1500),
  video('137', 1080, 'avc1.640028', 'mp4', 4000),
  video('248', 1080, 'vp9', 'webm', 2500),
  video('313', 2160, 'vp9', 'webm', 12000),
  video('136', 720, 'avc1.4d401f', 'mp4', 2000),
  video('134', 360, 'avc1.4d401e', 'mp4', 600),
  video('299', 1080, 'avc1.64002a', 'mp4', 6000, 60),
  audio('251', 'opus', 'webm', 160),
  audio('140', 'mp4a.40.2', 'm4a', 128),
  audio('249', 'opus', 'webm', 50),
  video('243', 360, 'vp9', 'webm', 400),
  muxed18,
];

/** A plan as ids, for compact tables: "137+140", "muxed 18", "audio 251". */
function describePlan(plan: FormatPlan): string {
  if (plan.kind === 'separate') return `${plan.video.id}+${plan.audio.id}`;
  return `${plan.kind} ${plan.stream.id}`;
}

describe('selectFormats', () => {
  const cases: { name: string; streams: MediaStream[]; selection: FormatSelection; expected: string }[] = [
    { name: 'best mp4 takes the tallest, then highest-fps avc1/av01 video and AAC audio', streams: youtube, selection: { kind: 'video' }, expected: '299+140' },
    { name: '720p mp4 stays at or under 720 lines', streams: youtube, selection: { kind: 'video', quality: '720p', container: 'mp4' }, expected: '136+140' },
    { name: '1080p webm pairs VP9 with Opus', streams: youtube, selection: { kind: 'video', quality: '1080p', container: 'webm' }, expected: '248+251' },
    { name: 'best webm reaches 2160p VP9', streams: youtube, selection: { kind: 'video', quality: 'best', container: 'webm' }, expected: '313+251' },
    { name: 'best mkv takes any codec: 2160p VP9 with the best audio overall', streams: youtube, selection: { kind: 'video', container: 'mkv' }, expected: '313+251' },
    { name: 'worst mp4 takes the shortest video and the smallest AAC audio', streams: youtube, selection: { kind: 'video', quality: 'worst' }, expected: '160+139' },
    { name: 'a limit between listed heights rounds down (400p → 360p)', streams: youtube, selection: { kind: 'video', quality: '400p', container: 'mp4' }, expected: '134+140' },
    { name: 'mp4 falls back to a muxed stream when no AAC audio-only stream exists', streams: [video('137', 1080, 'avc1.640028', 'mp4', 4000), audio('251', 'opus', 'webm', 160), muxed18], selection: { kind: 'video', container: 'mp4' }, expected: 'muxed 18' },
    { name: 'a muxed stream taller than every video-only stream wins', streams: [video('160', 144, 'avc1.4d400c', 'mp4', 100), audio('140', 'mp4a.40.2', 'm4a', 128), muxed18], selection: { kind: 'video' }, expected: 'muxed 18' },
    { name: 'a stream of unknown codec counts when it already is in the target container', streams: [{ id: 'hls-720', url: 'u', container: 'mp4', hasVideo: true, hasAudio: true, height: 720 }], selection: { kind: 'video', container: 'mp4' }, expected: 'muxed hls-720' },
    { name: 'audio best takes the highest bitrate of any codec', streams: youtube, selection: { kind: 'audio' }, expected: 'audio 251' },
    { name: 'audio m4a needs AAC', streams: youtube, selection: { kind: 'audio', audioFormat: 'm4a' }, expected: 'audio 140' },
    { name: 'audio opus needs Opus', streams: youtube, selection: { kind: 'audio', audioFormat: 'opus' }, expected: 'audio 251' },
    { name: 'audio mp3 is encoded from the best source', streams: youtube, selection: { kind: 'audio', audioFormat: 'mp3', audioBitrate: 192 }, expected: 'audio 251' },
    { name: 'audio is extracted from a muxed stream when there is no audio-only one', streams: [video('137', 1080, 'avc1.640028', 'mp4', 4000), muxed18], selection: { kind: 'audio', audioFormat: 'm4a' }, expected: 'audio 18' },
  ];
  for (const testCase of cases) {
    it(`${testCase.name} (${testCase.expected})`, () => {
      assert.equal(describePlan(selectFormats(testCase.streams, testCase.selection)), testCase.expected);
    });
  }

  const failures: { name: string; streams: MediaStream[]; selection: FormatSelection }[] = [
    { name: 'a height below every stream', streams: youtube, selection: { kind: 'video', quality: '100p' } },
    { name: 'webm when only H.264 and AAC exist', streams: [video('137', 1080, 'avc1.640028', 'mp4', 4000), audio('140', 'mp4a.40.2', 'm4a', 128), muxed18], selection: { kind: 'video', container: 'webm' } },
    { name: 'a video job on an audio-only listing', streams: [audio('140', 'mp4a.40.2', 'm4a', 128)], selection: { kind: 'video', container: 'mkv' } },
    { name: 'opus when only AAC exists', streams: [audio('140', 'mp4a.40.2', 'm4a', 128), muxed18], selection: { kind: 'audio', audioFormat: 'opus' } },
    { name: 'an empty listing', streams: [], selection: { kind: 'audio' } },
  ];
  for (const testCase of failures) {
    it(`reports MEDIAD_ERR_NO_MATCHING_FORMAT for ${testCase.name}`, () => {
      assert.throws(() => selectFormats(testCase.streams, testCase.selection), { code: 'MEDIAD_ERR_NO_MATCHING_FORMAT' });
    });
  }
});

describe('validateJobOptions', () => {
  const valid: [ 'video' | 'audio', Record<string, unknown>][] = [
    ['video', {}],
    ['video', { quality: '1080p', container: 'webm' }],
    ['video', { quality: 'worst', container: 'mkv' }],
    ['audio', {}],
    ['audio', { audioFormat: 'opus' }],
    ['audio', { audioFormat: 'mp3', audioBitrate: 320 }],
    ['audio', { audioFormat: 'mp3', audioBitrate: 32 }],
  ];
  for (const [kind, options] of valid) {
    it(`accepts a ${kind} job with ${JSON.stringify(options)}`, () => assert.equal(validateJobOptions(kind, options), undefined));
  }

  const invalid: [ 'video' | 'audio', Record<string, unknown>, RegExp][] = [
    ['video', { audioFormat: 'mp3' }, /audio jobs only/],
    ['video', { audioBitrate: 128 }, /audio jobs only/],
    ['video', { quality: '1080' }, /quality must be/],
    ['video', { quality: 'high' }, /quality must be/],
    ['video', { quality: '0p' }, /quality must be/],
    ['video', { quality: 720 }, /quality must be/],
    ['video', { container: 'avi' }, /container must be one of mp4, mkv, webm/],
    ['audio', { container: 'mp4' }, /video jobs only/],
    ['audio', { quality: 'best' }, /video jobs only/],
    ['audio', { audioFormat: 'flac' }, /audioFormat must be one of/],
    ['audio', { audioFormat: 'mp3', audioBitrate: 16 }, /32 to 320/],
    ['audio', { audioFormat: 'mp3', audioBitrate: 500 }, /32 to 320/],
    ['audio', { audioFormat: 'mp3', audioBitrate: 128.5 }, /whole number/],
    ['audio', { audioBitrate: 128 }, /needs audioFormat "mp3": best is copied/],
    ['audio', { audioFormat: 'm4a', audioBitrate: 128 }, /needs audioFormat "mp3": m4a is copied/],
  ];
  for (const [kind, options, message] of invalid) {
    it(`refuses a ${kind} job with ${JSON.stringify(options)}`, () => {
      const error = validateJobOptions(kind, options);
      assert.equal(error?.code, 'MEDIAD_ERR_OPTION_INVALID');
      assert.match(error.message, message);
    });
  }
});
