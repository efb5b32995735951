/**
 * Recognise YouTube page URLs and pull the 11-character video id out of them.
 * Pure: no network, so the registry can route a URL before any resolver runs.
 */

const VIDEO_ID = /^[A-Za-z0-9_-]{11}$/;

const WATCH_HOSTS = new Set([
  'youtube.com',
  'www.youtube.com',
  'm.youtube.com',
  'music.youtube.com',
  'youtube-nocookie.com',
  'www.youtube-nocookie.com',
]);

// Path prefixes whose next segment is the video id (/shorts/ID, /live/ID, /embed/ID, /v/ID).
const ID_PATH_PREFIXES = new Set(['shorts', 'live', 'embed', 'v']);

/** True when the URL is on a YouTube host (whether or not it names a video). */
export function isYoutubeUrl(url: URL): boolean {
  const host = url.hostname.toLowerCase();
  return WATCH_HOSTS.has(host) || host === 'youtu.be';
}

/** The video id a YouTube URL points at, or undefined when it names none (channel, playlist, junk). */
export function parseYoutubeVideoId(url: URL): string | undefined {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const host = url.hostname.toLowerCase();
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  let candidate: string | undefined;
  if (host === 'youtu.be') {
    candidate = segments[0];
  } else if (WATCH_HOSTS.has(host)) {
    if (segments[0] === 'watch') candidate = url.searchParams.get('v') ?? undefined;
    else if (segments[0] !== undefined && ID_PATH_PREFIXES.has(segments[0])) candidate = segments[1];
  }
  return candidate !== undefined && VIDEO_ID.test(candidate) ? candidate : undefined;
}
