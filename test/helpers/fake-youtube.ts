/**
 * A fake YouTube at the network edge, so the real resolvers run offline:
 *  - `fetch` for youtubei.js: /iframe_api (player id), the player script,
 *    and /youtubei/v1/player;
 *  - an undici MockAgent for ytdl-core: the watch page, the player script,
 *    and youtubei.googleapis.com/youtubei/v1/player for each player client;
 *  - a fake yt-dlp executable printing yt-dlp-shaped JSON.
 * Stream URLs point at the local CDN of fake-googlevideo.ts, which checks
 * that n and sig were deciphered. Every response is hand-written and minimal. Requests nobody planned for
 * fail loudly and are listed in `unexpected`.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MockAgent } from 'undici';
import type { FixtureName, MediaFixtures } from './media-fixtures.ts';

export type FakeScenario = 'ok' | 'private' | 'members-only' | 'age-restricted' | 'unavailable' | 'live' | 'expired';

export interface FakeVideo {
  /** 11 characters, as YouTube ids are. */
  readonly id: string;
  readonly scenario: FakeScenario;
  readonly title?: string;
}

export const FAKE_PLAYER_ID = 'f4k3p1a7';
export const FAKE_SIGNATURE_TIMESTAMP = 20111;
export const FAKE_UPLOADER = 'Fake Uploader';
const DURATION_MS = 3000;

/**
 * The fake player script. It satisfies both libraries' extractors:
 *  - youtubei.js (JsAnalyzer + nsigMatcher): a top-level IIFE `(function(g){...})(_yt_player)`
 *    holding `var x = function(url, sp = "", s = "") { url = new g.Wk(url); url.set("alr", "yes"); ... }`
 *    whose returned object's prototype methods apply n and sig; plus an object with `signatureTimestamp`.
 *  - ytdl-core (lib/sig.js regexes): a helper object of reverse/splice functions and
 *    `function(a){a=a.split("");Qv.Rv(a,1);...;return a.join("")}` for sig, and
 *    `function(a){var b=a.split(""),c=[...];c[0]...try{...}catch(d){return"enhanced_except_.."+a}return b.join("")}`
 *    for n; plus a `var x=["..."]` string table (extractTceFunc crashes without one).
 * Transforms: n → reversed + "_ok"; sig → reversed, first two characters dropped.
 */
export const FAKE_PLAYER_JS = `var _yt_player={};var _ytStrings=["alr","yes","n"];(function(g){var window=this;
var Qv={Rv:function(a){a.reverse()},Sp:function(a,b){a.splice(0,b)}};
var sigDecipher=function(a){a=a.split("");Qv.Rv(a,1);Qv.Sp(a,2);return a.join("")};
var nTransform=function(a){var b=a.split(""),c=[0];c[0]=1;try{b.reverse();b.push("_ok")}catch(d){return"enhanced_except_Ab"+a}return b.join("")};
var parseQuery=function(q){var r={};q.split("&").forEach(function(p){if(!p)return;var i=p.indexOf("=");r[decodeURIComponent(i<0?p:p.slice(0,i))]=i<0?"":decodeURIComponent(p.slice(i+1))});return r};
g.Wk=function(u){var i=u.indexOf("?");this.base=i<0?u:u.slice(0,i);this.params=parseQuery(i<0?"":u.slice(i+1));this.sp="";this.sig=""};
g.k=g.Wk.prototype;
g.k.get=function(k){return this.params[k]};
g.k.set=function(k,v){this.params[k]=v};
g.k.applyN=function(){var n=this.get("n");if(n)this.set("n",nTransform(n))};
g.k.applySig=function(){if(this.sig)this.set(this.sp,sigDecipher(this.sig))};
var urlFactory=function(a,b="",c=""){a=new g.Wk(a);a.set("alr","yes");if(c){a.sp=b||"signature";a.sig=c}return a};
var playerConfig=function(){return{signatureTimestamp:${FAKE_SIGNATURE_TIMESTAMP}}};
})(_yt_player);
`;

/** The n value YouTube would put in a stream URL, and what the player turns it into. */
export const nCodeFor = (itag: number): string => `nC0de${itag}q`;
export const transformN = (n: string): string => `${[...n].reverse().join('')}_ok`;
/** The signature the CDN wants, and the scrambled form YouTube hands out in signatureCipher. */
export const signatureFor = (itag: number): string => `SiG${itag}Xyz`;
export const scrambleSignature = (sig: string): string => [...`zz${sig}`].reverse().join('');

export interface FakeStreamSpec {
  readonly itag: number;
  readonly fixture: FixtureName;
  /** 'formats' holds muxed streams, 'adaptive' the video-only and audio-only ones. */
  readonly list: 'formats' | 'adaptive';
  /**
   * How YouTube hands out the URL: a plain `url`, a `signatureCipher` (s + sp + url), or
   * nothing at all ('sabr': only playable through YouTube's SABR protocol, which resolvers must skip).
   */
  readonly delivery: 'url' | 'cipher' | 'sabr';
  readonly mime: string;
  readonly ext: string;
  readonly vcodec?: string;
  readonly acodec?: string;
  readonly width?: number;
  readonly height?: number;
  readonly bitrate: number;
}

/** Real itags with the fixture that plays each one. */
export const FAKE_STREAMS: readonly FakeStreamSpec[] = [
  { itag: 18, fixture: 'muxedMp4', list: 'formats', delivery: 'cipher', mime: 'video/mp4', ext: 'mp4', vcodec: 'avc1.42001E', acodec: 'mp4a.40.2', width: 640, height: 360, bitrate: 330_000 },
  { itag: 160, fixture: 'video144Mp4', list: 'adaptive', delivery: 'url', mime: 'video/mp4', ext: 'mp4', vcodec: 'avc1.4d401e', width: 256, height: 144, bitrate: 40_000 },
  { itag: 133, fixture: 'video240Mp4', list: 'adaptive', delivery: 'cipher', mime: 'video/mp4', ext: 'mp4', vcodec: 'avc1.4d401e', width: 426, height: 240, bitrate: 60_000 },
  { itag: 134, fixture: 'video360Mp4', list: 'adaptive', delivery: 'url', mime: 'video/mp4', ext: 'mp4', vcodec: 'avc1.4d401e', width: 640, height: 360, bitrate: 70_000 },
  { itag: 243, fixture: 'video360Webm', list: 'adaptive', delivery: 'url', mime: 'video/webm', ext: 'webm', vcodec: 'vp9', width: 640, height: 360, bitrate: 300_000 },
  { itag: 140, fixture: 'audioM4a', list: 'adaptive', delivery: 'url', mime: 'audio/mp4', ext: 'm4a', acodec: 'mp4a.40.2', bitrate: 130_000 },
  { itag: 251, fixture: 'audioOpusWebm', list: 'adaptive', delivery: 'cipher', mime: 'audio/webm', ext: 'webm', acodec: 'opus', bitrate: 160_000 },
  { itag: 399, fixture: 'video360Mp4', list: 'adaptive', delivery: 'sabr', mime: 'video/mp4', ext: 'mp4', vcodec: 'av01.0.08M.08', width: 1920, height: 1080, bitrate: 1_500_000 },
];

/** The streams a resolver can hand to the engine (SABR-only ones have no URL). */
export const DOWNLOADABLE_STREAMS: readonly FakeStreamSpec[] = FAKE_STREAMS.filter((spec) => spec.delivery !== 'sabr');

/** The spec of a listed itag. */
export const specFor = (itag: number): FakeStreamSpec | undefined => FAKE_STREAMS.find((spec) => spec.itag === itag);
const mimeTypeOf = (spec: FakeStreamSpec): string => `${spec.mime}; codecs="${[spec.vcodec, spec.acodec].filter(Boolean).join(', ')}"`;

/** Where stream URLs point and how they expire. */
export interface StreamContext {
  readonly originUrl: string;
  readonly fixtures: MediaFixtures;
  readonly nowMs: number;
}

const expireSeconds = (video: FakeVideo, nowMs: number): number =>
  Math.floor(nowMs / 1000) + (video.scenario === 'expired' ? -3600 : 6 * 3600);

/** The stream URL YouTube hands out, before deciphering (n untransformed, no sig). */
export function rawStreamUrl(video: FakeVideo, spec: FakeStreamSpec, context: StreamContext): string {
  const query = new URLSearchParams({ expire: String(expireSeconds(video, context.nowMs)), itag: String(spec.itag), id: video.id, n: nCodeFor(spec.itag) });
  return `${context.originUrl}/videoplayback/${spec.itag}?${query.toString()}`;
}

/** The URL a correct decipherer produces from rawStreamUrl (what yt-dlp prints). */
export function decipheredStreamUrl(video: FakeVideo, spec: FakeStreamSpec, context: StreamContext): string {
  const url = new URL(rawStreamUrl(video, spec, context));
  url.searchParams.set('n', transformN(nCodeFor(spec.itag)));
  if (spec.delivery === 'cipher') url.searchParams.set('sig', signatureFor(spec.itag));
  return url.toString();
}

function formatJson(video: FakeVideo, spec: FakeStreamSpec, context: StreamContext): Record<string, unknown> {
  const url = rawStreamUrl(video, spec, context);
  const live = video.scenario === 'live';
  return {
    itag: spec.itag,
    ...(spec.delivery === 'cipher' ? { signatureCipher: `s=${encodeURIComponent(scrambleSignature(signatureFor(spec.itag)))}&sp=sig&url=${encodeURIComponent(url)}` } : {}),
    ...(spec.delivery === 'url' ? { url } : {}),
    mimeType: mimeTypeOf(spec),
    bitrate: spec.bitrate,
    ...(spec.width === undefined ? {} : { width: spec.width, height: spec.height, fps: 25, qualityLabel: `${spec.height}p`, quality: 'medium' }),
    ...(spec.acodec === undefined ? {} : { audioQuality: 'AUDIO_QUALITY_MEDIUM', audioSampleRate: '48000', audioChannels: 2 }),
    // Live formats have no length: they grow while the broadcast runs.
    ...(live ? { targetDurationSec: 5 } : { contentLength: String(context.fixtures[spec.fixture].sizeBytes), approxDurationMs: String(DURATION_MS) }),
    lastModified: '1700000000000000',
    projectionType: 'RECTANGULAR',
  };
}

const errorScreen = (reason: string, subreason: string): Record<string, unknown> => ({
  playerErrorMessageRenderer: { reason: { simpleText: reason }, subreason: { runs: [{ text: subreason }] } },
});

/** playabilityStatus per scenario, worded as YouTube words them. */
const PLAYABILITY: Readonly<Record<FakeScenario, Record<string, unknown>>> = {
  ok: { status: 'OK', playableInEmbed: true },
  expired: { status: 'OK', playableInEmbed: true },
  live: { status: 'OK', playableInEmbed: true, liveStreamability: {} },
  private: { status: 'LOGIN_REQUIRED', reason: 'This video is private', errorScreen: errorScreen('Private video', "Sign in if you've been granted access to this video") },
  'members-only': {
    status: 'UNPLAYABLE',
    reason: 'Join this channel to get access to members-only content like this video, and other exclusive perks.',
    errorScreen: errorScreen('Members-only content', 'Join this channel to get access to members-only content like this video, and other exclusive perks.'),
  },
  'age-restricted': { status: 'LOGIN_REQUIRED', reason: 'Sign in to confirm your age', errorScreen: errorScreen('Sign in to confirm your age', 'This video may be inappropriate for some users.') },
  unavailable: { status: 'ERROR', reason: 'Video unavailable', errorScreen: errorScreen('Video unavailable', 'This video is no longer available') },
};

/** A hand-written /player response (also the watch page's ytInitialPlayerResponse). */
export function buildPlayerResponse(video: FakeVideo, context: StreamContext): Record<string, unknown> {
  const response: Record<string, unknown> = { responseContext: {}, playabilityStatus: PLAYABILITY[video.scenario] };
  if (video.scenario === 'private' || video.scenario === 'unavailable') return response;
  const live = video.scenario === 'live';
  response['videoDetails'] = {
    videoId: video.id,
    title: video.title ?? `Fake video ${video.id}`,
    lengthSeconds: live ? '0' : String(DURATION_MS / 1000),
    channelId: 'UCfakefakefakefakefakefa',
    author: FAKE_UPLOADER,
    shortDescription: 'A hand-written player response.',
    isOwnerViewing: false,
    isCrawlable: true,
    allowRatings: true,
    viewCount: '42',
    isPrivate: false,
    isLiveContent: live,
    ...(live ? { isLive: true } : {}),
    thumbnail: {
      thumbnails: [
        { url: `https://i.ytimg.com/vi/${video.id}/default.jpg`, width: 120, height: 90 },
        { url: `https://i.ytimg.com/vi/${video.id}/hqdefault.jpg`, width: 480, height: 360 },
      ],
    },
  };
  if (video.scenario === 'members-only' || video.scenario === 'age-restricted') return response;
  const formats = (list: FakeStreamSpec['list']): Record<string, unknown>[] =>
    FAKE_STREAMS.filter((spec) => spec.list === list && (!live || spec.list === 'adaptive')).map((spec) => formatJson(video, spec, context));
  response['streamingData'] = {
    expiresInSeconds: '21540',
    formats: formats('formats'),
    adaptiveFormats: formats('adaptive'),
    ...(live ? { hlsManifestUrl: `https://manifest.googlevideo.com/api/manifest/hls_variant/id/${video.id}/file/index.m3u8` } : {}),
  };
  return response;
}

/** The watch page ytdl-core scrapes: ytInitialPlayerResponse, ytInitialData and the player's jsUrl. */
export function buildWatchPage(video: FakeVideo, context: StreamContext): string {
  const playerUrl = `/s/player/${FAKE_PLAYER_ID}/player_ias.vflset/en_US/base.js`;
  return [
    '<!DOCTYPE html><html><head>',
    `<script>ytcfg.set({"jsUrl":"${playerUrl}"});</script>`,
    `<script src="${playerUrl}" name="player_ias/base"></script>`,
    '</head><body>',
    `<script>var ytInitialPlayerResponse = ${JSON.stringify(buildPlayerResponse(video, context))};</script>`,
    '<script>var ytInitialData = {"contents":{}};</script>',
    '</body></html>',
  ].join('\n');
}

/** A yt-dlp `-J` document, or the error yt-dlp prints, for one video. */
export function buildYtDlpOutput(video: FakeVideo, context: StreamContext): { stdout?: string; stderr?: string; exitCode: number } {
  const prefix = `ERROR: [youtube] ${video.id}: `;
  switch (video.scenario) {
    case 'private':
      return { stderr: `${prefix}Private video. Sign in if you've been granted access to this video`, exitCode: 1 };
    case 'members-only':
      return { stderr: `${prefix}Join this channel to get access to members-only content like this video, and other exclusive perks.`, exitCode: 1 };
    case 'age-restricted':
      return { stderr: `${prefix}Sign in to confirm your age. This video may be inappropriate for some users. Use --cookies-from-browser or --cookies for the authentication.`, exitCode: 1 };
    case 'unavailable':
      return { stderr: `${prefix}Video unavailable. This video is no longer available`, exitCode: 1 };
    default:
      break;
  }
  const live = video.scenario === 'live';
  const formats: Record<string, unknown>[] = [
    { format_id: 'sb0', url: `https://i.ytimg.com/sb/${video.id}/storyboard3_L0/default.jpg`, ext: 'mhtml', protocol: 'mhtml', vcodec: 'none', acodec: 'none' },
    { format_id: '91', url: `https://manifest.googlevideo.com/api/manifest/hls_playlist/id/${video.id}/itag/91/index.m3u8`, ext: 'mp4', protocol: 'm3u8_native', vcodec: 'avc1.4d400c', acodec: 'mp4a.40.5', height: 144 },
  ];
  if (!live) {
    for (const spec of DOWNLOADABLE_STREAMS) {
      formats.push({
        format_id: String(spec.itag),
        url: decipheredStreamUrl(video, spec, context),
        ext: spec.ext,
        protocol: 'http',
        vcodec: spec.vcodec ?? 'none',
        acodec: spec.acodec ?? 'none',
        ...(spec.width === undefined ? {} : { width: spec.width, height: spec.height, fps: 25 }),
        tbr: spec.bitrate / 1000,
        filesize: context.fixtures[spec.fixture].sizeBytes,
        http_headers: { 'User-Agent': 'Mozilla/5.0 (fake)', Accept: '*/*' },
      });
    }
  }
  const json = {
    id: video.id, title: video.title ?? `Fake video ${video.id}`, uploader: FAKE_UPLOADER, channel: FAKE_UPLOADER,
    duration: live ? undefined : DURATION_MS / 1000, thumbnail: `https://i.ytimg.com/vi/${video.id}/hqdefault.jpg`,
    is_live: live, live_status: live ? 'is_live' : 'not_live', extractor: 'youtube', webpage_url: `https://www.youtube.com/watch?v=${video.id}`, formats,
  };
  return { stdout: JSON.stringify(json), exitCode: 0 };
}

/** What one InnerTube /player call asked for. */
export interface PlayerCall {
  readonly via: 'youtubei.js' | 'ytdl-core';
  readonly videoId: string;
  readonly clientName: string;
  readonly signatureTimestamp: unknown;
}

export interface FakeYoutube {
  /** fetch for youtubei.js's Innertube.create({ fetch }). */
  readonly fetch: typeof globalThis.fetch;
  /** dispatcher for ytdl-core's agent ({ dispatcher, jar }). */
  readonly mockAgent: MockAgent;
  /** "METHOD origin/path" of every request, in order. */
  readonly requests: string[];
  readonly playerCalls: PlayerCall[];
  /** Requests the fake had no answer for; tests assert this stays empty. */
  readonly unexpected: string[];
  close(): Promise<void>;
}

/** Build the fake network for the given videos; stream URLs point at `context.originUrl`. */
export function createFakeYoutube(videos: readonly FakeVideo[], context: StreamContext): FakeYoutube {
  const requests: string[] = [];
  const playerCalls: PlayerCall[] = [];
  const unexpected: string[] = [];
  const byId = new Map(videos.map((video) => [video.id, video]));
  const videoFor = (id: string): FakeVideo => byId.get(id) ?? { id, scenario: 'unavailable' };
  const json = (body: unknown): { body: string; type: string } => ({ body: JSON.stringify(body), type: 'application/json; charset=UTF-8' });
  const recordPlayerCall = (via: PlayerCall['via'], body: string): string => {
    const payload = JSON.parse(body) as { videoId: string; context?: { client?: { clientName?: string } }; playbackContext?: { contentPlaybackContext?: { signatureTimestamp?: unknown } } };
    playerCalls.push({ via, videoId: payload.videoId, clientName: payload.context?.client?.clientName ?? '?', signatureTimestamp: payload.playbackContext?.contentPlaybackContext?.signatureTimestamp });
    return payload.videoId;
  };

  const fakeFetch: typeof globalThis.fetch = async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const line = `${request.method} ${url.origin}${url.pathname}`;
    requests.push(line);
    let answer: { body: string; type: string } | undefined;
    if (url.origin === 'https://www.youtube.com') {
      if (request.method === 'GET' && url.pathname === '/iframe_api') {
        // youtubei.js reads the player id between "player\/" and "\/" (Player.create).
        answer = { body: `var scriptUrl = 'https:\\/\\/www.youtube.com\\/s\\/player\\/${FAKE_PLAYER_ID}\\/www-widgetapi.vflset\\/www-widgetapi.js';`, type: 'text/javascript' };
      } else if (request.method === 'GET' && url.pathname === `/s/player/${FAKE_PLAYER_ID}/player_es6.vflset/en_US/base.js`) {
        answer = { body: FAKE_PLAYER_JS, type: 'text/javascript' };
      } else if (request.method === 'POST' && url.pathname === '/youtubei/v1/player') {
        answer = json(buildPlayerResponse(videoFor(recordPlayerCall('youtubei.js', await request.text())), context));
      }
    }
    if (!answer) {
      unexpected.push(line);
      throw new Error(`fake-youtube: unexpected request ${request.method} ${request.url}`);
    }
    return new Response(answer.body, { status: 200, headers: { 'content-type': answer.type } });
  };

  // Built on first use: callers that only need `fetch` (one per request, in youtube-preload.ts) pay nothing.
  let agent: MockAgent | undefined;
  const buildMockAgent = (): MockAgent => {
    const mockAgent = new MockAgent();
    mockAgent.disableNetConnect();
    const www = mockAgent.get('https://www.youtube.com');
    const api = mockAgent.get('https://youtubei.googleapis.com');
    const reply = (origin: string, respond: (path: string, body: string) => { body: string; type: string } | undefined) =>
      (options: { path: string; method: string; body?: unknown }) => {
        const path = options.path;
        requests.push(`${options.method} ${origin}${path.split('?')[0] ?? path}`);
        const answer = respond(path, typeof options.body === 'string' ? options.body : '');
        if (!answer) {
          unexpected.push(`${options.method} ${origin}${path}`);
          return { statusCode: 404, data: `fake-youtube: no route for ${options.method} ${origin}${path}`, responseOptions: { headers: { 'content-type': 'text/plain' } } };
        }
        return { statusCode: 200, data: answer.body, responseOptions: { headers: { 'content-type': answer.type } } };
      };
    www.intercept({ path: () => true, method: () => true }).reply(reply('https://www.youtube.com', (path) => {
      const url = new URL(path, 'https://www.youtube.com');
      if (url.pathname === '/watch') return { body: buildWatchPage(videoFor(url.searchParams.get('v') ?? ''), context), type: 'text/html; charset=utf-8' };
      if (url.pathname === `/s/player/${FAKE_PLAYER_ID}/player_ias.vflset/en_US/base.js`) return { body: FAKE_PLAYER_JS, type: 'text/javascript' };
      return undefined;
    })).persist();
    api.intercept({ path: () => true, method: () => true }).reply(reply('https://youtubei.googleapis.com', (path, body) => {
      if (!path.startsWith('/youtubei/v1/player')) return undefined;
      return json(buildPlayerResponse(videoFor(recordPlayerCall('ytdl-core', body)), context));
    })).persist();
    return mockAgent;
  };

  return {
    fetch: fakeFetch,
    get mockAgent() {
      agent ??= buildMockAgent();
      return agent;
    },
    requests,
    playerCalls,
    unexpected,
    close: async () => agent?.close(),
  };
}

/** Write a fake `yt-dlp` (a node script) into `dir`; it prints buildYtDlpOutput and logs its argv to `calls.jsonl`. */
export async function writeFakeYtDlp(dir: string, videos: readonly FakeVideo[], context: StreamContext): Promise<string> {
  await mkdir(dir, { recursive: true });
  const outputs = Object.fromEntries(videos.map((video) => [video.id, buildYtDlpOutput(video, context)]));
  await writeFile(join(dir, 'responses.json'), JSON.stringify(outputs));
  const script = `#!${process.execPath}
'use strict';
const fs = require('node:fs');
const path = require('node:path');
fs.appendFileSync(path.join(__dirname, 'calls.jsonl'), JSON.stringify(process.argv.slice(2)) + '\\n');
const outputs = JSON.parse(fs.readFileSync(path.join(__dirname, 'responses.json'), 'utf8'));
const url = process.argv[process.argv.length - 1];
const id = (/[?&]v=([\\w-]{11})/.exec(url) || /youtu\\.be\\/([\\w-]{11})/.exec(url) || [])[1];
const output = outputs[id] || { stderr: 'ERROR: Unsupported URL: ' + url, exitCode: 1 };
if (output.stderr) process.stderr.write(output.stderr + '\\n');
if (output.stdout) process.stdout.write(output.stdout);
process.exitCode = output.exitCode;
`;
  const path = join(dir, 'yt-dlp');
  await writeFile(path, script);
  await chmod(path, 0o755);
  return path;
}
