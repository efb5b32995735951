/**
 * The benchmark origin, run as its own process: serves files under a root
 * folder on 127.0.0.1 with keep-alive, single Range requests (206), If-Range,
 * strong ETags and Last-Modified. A path prefixed `/rate/<bytesPerSecond>/`
 * caps each response at that rate (token bucket, 128 KiB burst); other paths
 * are plain pipes. Prints `listening <port>` once ready.
 *
 * Usage: node --import tsx bench/origin-server.ts <root>
 */
import { createReadStream, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseRange, type ByteRange } from './origin-range.ts';

const root = path.resolve(process.argv[2] ?? '.');
// chunks well under the burst, so timer lateness is absorbed by the bucket instead of lowering the rate
const pacedChunkBytes = 32 * 1024;
const burstBytes = 128 * 1024;
const pipeChunkBytes = 256 * 1024;

interface Resource {
  readonly file: string;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: string;
}

// the files never change during a run, so one stat per path is enough
const resources = new Map<string, Promise<Resource | undefined>>();

function lookup(rel: string): Promise<Resource | undefined> {
  let found = resources.get(rel);
  if (!found) {
    const file = path.join(root, rel);
    found = file.startsWith(root + path.sep) ? stat(file).then(describe(file), () => undefined) : Promise.resolve(undefined);
    resources.set(rel, found);
  }
  return found;
}

const describe = (file: string) => (info: Stats): Resource | undefined => info.isFile()
  ? { file, size: info.size, etag: `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}-${info.ino.toString(16)}"`, lastModified: info.mtime.toUTCString() }
  : undefined;

/** `/rate/1048576/a/b.bin` → cap 1 MiB/s on `a/b.bin`. */
function splitPath(urlPath: string): { rel: string; bytesPerSecond: number } {
  const decoded = decodeURIComponent(urlPath.split('?', 1)[0] ?? '/');
  const capped = /^\/rate\/([0-9]+)\/(.+)$/.exec(decoded);
  if (capped) return { rel: capped[2] as string, bytesPerSecond: Number(capped[1]) };
  return { rel: decoded.replace(/^\/+/, ''), bytesPerSecond: 0 };
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** If-Range: serve the range only when the validator still names this representation (RFC 9110 §13.1.5, strong comparison). */
function ifRangeHolds(header: string | undefined, resource: Resource): boolean {
  if (header === undefined) return true;
  if (header.startsWith('"')) return header === resource.etag;
  return header === resource.lastModified;
}

// how busy the origin was: responses in flight integrated over time, so the bench can tell how many connections a client kept busy
const stats = { requests: 0, bodyBytes: 0, active: 0, activeMs: 0, since: performance.now() };

function account(delta: number): void {
  const now = performance.now();
  stats.activeMs += stats.active * (now - stats.since);
  stats.since = now;
  stats.active += delta;
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.url === '/_stats') {
    account(0);
    const body = JSON.stringify({ requests: stats.requests, bodyBytes: stats.bodyBytes, activeResponseMs: stats.activeMs });
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    return;
  }
  stats.requests++;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 }).end();
    return;
  }
  const { rel, bytesPerSecond } = splitPath(request.url ?? '/');
  const resource = await lookup(rel);
  if (!resource) {
    response.writeHead(404, { 'content-length': 0 }).end();
    return;
  }
  const headers: Record<string, string | number> = {
    'accept-ranges': 'bytes', etag: resource.etag, 'last-modified': resource.lastModified, 'content-type': 'application/octet-stream',
  };
  const rangeHeader = request.headers.range;
  let range: ByteRange | undefined;
  if (rangeHeader !== undefined && ifRangeHolds(headerText(request.headers['if-range']), resource)) {
    const parsed = parseRange(rangeHeader, resource.size);
    if (parsed === 'unsatisfiable') {
      response.writeHead(416, { ...headers, 'content-range': `bytes */${resource.size}`, 'content-length': 0 }).end();
      return;
    }
    range = parsed;
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? resource.size - 1;
  const length = Math.max(0, end - start + 1);
  headers['content-length'] = length;
  if (range) headers['content-range'] = `bytes ${start}-${end}/${resource.size}`;
  response.writeHead(range ? 206 : 200, headers);
  if (request.method === 'HEAD' || length === 0) {
    response.end();
    return;
  }
  account(1);
  response.once('close', () => account(-1));
  const socket = response.socket;
  const sentBefore = socket?.bytesWritten ?? 0;
  response.once('close', () => { stats.bodyBytes += Math.max(0, (socket?.bytesWritten ?? 0) - sentBefore); });
  if (bytesPerSecond > 0) await sendPaced(response, resource.file, start, end, bytesPerSecond);
  else sendPiped(response, resource.file, start, end);
}

function sendPiped(response: ServerResponse, file: string, start: number, end: number): void {
  const stream = createReadStream(file, { start, end, highWaterMark: pipeChunkBytes });
  stream.on('error', () => response.destroy());
  response.on('close', () => stream.destroy());
  stream.pipe(response);
}

/** Token bucket per response: tokens accrue at the rate up to `burstBytes`; a chunk waits until enough tokens are there. A stalled reader cannot catch up beyond the burst. */
async function sendPaced(response: ServerResponse, file: string, start: number, end: number, bytesPerSecond: number): Promise<void> {
  const stream = createReadStream(file, { start, end, highWaterMark: pacedChunkBytes });
  response.on('close', () => stream.destroy());
  let tokens = burstBytes;
  let last = performance.now();
  const refill = () => {
    const now = performance.now();
    tokens = Math.min(burstBytes, tokens + ((now - last) * bytesPerSecond) / 1000);
    last = now;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      refill();
      if (tokens < chunk.length) {
        await sleep(((chunk.length - tokens) * 1000) / bytesPerSecond);
        refill();
      }
      if (response.destroyed) return;
      tokens -= chunk.length;
      if (!response.write(chunk)) await drained(response);
    }
    response.end();
  } catch {
    response.destroy();
  }
}

/** Resolves on 'drain' or 'close', leaving no listener behind. */
function drained(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

const server = createServer({ keepAlive: true, noDelay: true }, (request, response) => {
  handle(request, response).catch((error: unknown) => {
    process.stderr.write(`origin: ${(error as Error).message}\n`);
    response.destroy();
  });
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;
server.requestTimeout = 0;
server.maxRequestsPerSocket = 0;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
