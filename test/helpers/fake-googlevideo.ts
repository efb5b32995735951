/**
 * A local stand-in for googlevideo.com, YouTube's CDN: serves the media
 * fixture behind each fake itag with Range support, and (like the real CDN)
 * answers 403 when the URL expired or its n / sig parameters were not
 * deciphered with the fake player script. A resolver that skips deciphering
 * therefore fails against it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nCodeFor, signatureFor, specFor, transformN, type FakeStreamSpec } from './fake-youtube.ts';
import type { FixtureName } from './media-fixtures.ts';

/** One request the fake googlevideo origin answered. */
export interface ServedRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly reason?: string;
}

export interface FakeGooglevideo {
  readonly url: string;
  readonly served: ServedRequest[];
  close(): Promise<void>;
}

const TYPE_BY_EXT: Readonly<Record<string, string>> = { mp4: 'video/mp4', webm: 'video/webm', m4a: 'audio/mp4' };

/** Why a /videoplayback URL would be refused by the real CDN, or undefined when it is valid. */
export function checkStreamUrl(url: URL, spec: FakeStreamSpec, nowMs: number): string | undefined {
  if (url.searchParams.get('itag') !== String(spec.itag)) return 'itag mismatch';
  if (Number(url.searchParams.get('expire')) * 1000 <= nowMs) return 'expired';
  if (url.searchParams.get('n') !== transformN(nCodeFor(spec.itag))) return `n not deciphered (${url.searchParams.get('n')})`;
  if (spec.delivery === 'sabr') return 'SABR-only stream';
  if (spec.delivery === 'cipher' && url.searchParams.get('sig') !== signatureFor(spec.itag)) return `bad signature (${url.searchParams.get('sig')})`;
  return undefined;
}

function sendBytes(request: IncomingMessage, response: ServerResponse, bytes: Buffer, type: string): number {
  const range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.range ?? '');
  let start = 0;
  let end = bytes.length - 1;
  if (range) {
    start = range[1] === '' ? Math.max(0, bytes.length - Number(range[2])) : Number(range[1]);
    end = range[1] !== '' && range[2] !== '' ? Math.min(Number(range[2]), bytes.length - 1) : end;
    if (start >= bytes.length || start > end) {
      response.writeHead(416, { 'content-range': `bytes */${bytes.length}` }).end();
      return 416;
    }
  }
  const status = range ? 206 : 200;
  response.writeHead(status, {
    'content-type': type,
    'content-length': String(end - start + 1),
    'accept-ranges': 'bytes',
    ...(range ? { 'content-range': `bytes ${start}-${end}/${bytes.length}` } : {}),
  });
  response.end(request.method === 'HEAD' ? undefined : bytes.subarray(start, end + 1));
  return status;
}

/** Start the local CDN: GET/HEAD /videoplayback/<itag>?expire&itag&n[&sig], honouring Range. */
export async function startFakeGooglevideo(contents: ReadonlyMap<FixtureName, Buffer>, now: () => number = Date.now): Promise<FakeGooglevideo> {
  const served: ServedRequest[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    const refuse = (status: number, reason: string): void => {
      served.push({ method, path: url.pathname, status, reason });
      response.writeHead(status, { 'content-type': 'text/plain' }).end(reason);
    };
    if (method !== 'GET' && method !== 'HEAD') return refuse(405, 'method not allowed');
    const playback = /^\/videoplayback\/(\d+)$/.exec(url.pathname);
    const spec = playback ? specFor(Number(playback[1])) : undefined;
    if (!spec) return refuse(404, 'not found');
    const problem = checkStreamUrl(url, spec, now());
    if (problem) return refuse(403, problem);
    served.push({ method, path: url.pathname, status: sendBytes(request, response, contents.get(spec.fixture) ?? Buffer.alloc(0), TYPE_BY_EXT[spec.ext] ?? 'application/octet-stream') });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
