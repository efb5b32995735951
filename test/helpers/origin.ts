import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** One request the origin answered (the record is updated while the body is sent). */
export interface ServedRequest {
  path: string;
  method: string;
  range: string | undefined;
  ifRange: string | undefined;
  /** 0 until the status line is written. */
  status: number;
  bodyBytesSent: number;
  remoteAddress?: string;
  at: number;
}

/** How a path misbehaves; every field is optional and `behave()` merges. */
export interface Behaviour {
  /** Per-response rate cap, timer paced in small chunks. */
  throttleBytesPerSecond?: number;
  /** Drop the connection after this many body bytes (while resetTimes > 0). */
  resetAfterBytes?: number;
  /** How many responses get the reset; default unlimited. */
  resetTimes?: number;
  /** Every response is dropped after this many body bytes. */
  resetEveryBytes?: number;
  /** Answer this status with an empty body… */
  failStatus?: number;
  /** …for this many requests (default unlimited), then serve normally. */
  failTimes?: number;
  /** Retry-After on failStatus answers. */
  retryAfterSeconds?: number;
  /** Answer 200 with the whole body even when Range is asked. */
  ignoreRange?: boolean;
  /** Send this many body bytes, then nothing while keeping the socket open. */
  stallAfterBytes?: number;
  /** How many responses stall; default unlimited. */
  stallTimes?: number;
  noEtag?: boolean;
  weakEtag?: boolean;
  noLastModified?: boolean;
  /** No Content-Length: the body goes chunked. */
  noContentLength?: boolean;
  contentDisposition?: string;
  contentType?: string;
  /** 302 to this absolute URL. */
  redirectTo?: string;
  /** Promise the full Content-Length, send only this many bytes, then end the socket. */
  shortBodyBytes?: number;
}

/** A local HTTP origin serving real bytes, recording what it served. */
export interface Origin {
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly baseUrl: string;
  url(path: string): string;
  /** Serve data at path; replacing existing data counts as "the file changed": new strong ETag and Last-Modified. */
  setFile(path: string, data: Buffer, opts?: { etag?: string; lastModified?: Date }): void;
  /** Serve a file from disk (large benchmark files), streamed with fs ranges, never loaded in memory. */
  setDiskFile(path: string, filePath: string): Promise<void>;
  /** Merge into that path's behaviour. */
  behave(path: string, behaviour: Behaviour): void;
  clearBehaviour(path: string): void;
  /** Call `fn` once when the total body bytes served for `path` first reach `bytes` (immediately if already reached). */
  onBytesServed(path: string, bytes: number, fn: () => void): void;
  readonly requests: readonly ServedRequest[];
  /** Sum of body bytes flushed to sockets, for one path or all. */
  bytesServed(path?: string): number;
  /** Open sockets right now. */
  activeConnections(): number;
  /** Most responses in flight at once, for one path or all. */
  peakConcurrentResponses(path?: string): number;
  /** TCP connections accepted so far (keep-alive reuse shows as fewer connections than requests). */
  connectionsAccepted(): number;
  /** Destroy every socket and stop listening. */
  close(): Promise<void>;
}

interface Reader {
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

interface Entry {
  readonly size: number;
  /** Strong form, quoted. */
  readonly etag: string;
  /** Whole seconds, as HTTP dates carry. */
  readonly lastModified: Date;
  open(): Promise<Reader>;
}

type RangeAnswer = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };
type Cut = { at: number; action: 'reset' | 'stall' | 'short' };
interface Trigger {
  path: string;
  bytes: number;
  fn: () => void;
  fired: boolean;
}

/** Start an origin on a free port of 127.0.0.1 (or `host`). */
export async function startOrigin(opts: { host?: string } = {}): Promise<Origin> {
  const host = opts.host ?? '127.0.0.1';
  const files = new Map<string, Entry>();
  const versions = new Map<string, { version: number; lastModifiedMs: number }>();
  const behaviours = new Map<string, Behaviour>();
  const requests: ServedRequest[] = [];
  const servedByPath = new Map<string, number>();
  const inFlight = new Map<string, number>();
  const peaks = new Map<string, number>();
  const sockets = new Set<Socket>();
  const triggers: Trigger[] = [];
  let servedTotal = 0;
  let inFlightTotal = 0;
  let peakTotal = 0;

  /** Next version and a Last-Modified strictly after the previous one, so a date If-Range sees the change. */
  const nextVersion = (path: string, lastModified: Date | undefined): { version: number; lastModified: Date } => {
    const previous = versions.get(path);
    const version = (previous?.version ?? 0) + 1;
    const floor = previous ? previous.lastModifiedMs + 1000 : 0;
    const ms = lastModified ? floorSeconds(lastModified.getTime()) : Math.max(floorSeconds(Date.now()), floor);
    versions.set(path, { version, lastModifiedMs: ms });
    return { version, lastModified: new Date(ms) };
  };

  const countBytes = (record: ServedRequest, bytes: number): void => {
    record.bodyBytesSent += bytes;
    servedTotal += bytes;
    const total = (servedByPath.get(record.path) ?? 0) + bytes;
    servedByPath.set(record.path, total);
    for (const trigger of triggers) {
      if (trigger.fired || trigger.path !== record.path || total < trigger.bytes) continue;
      trigger.fired = true;
      runTrigger(trigger.fn);
    }
  };

  /** Bytes left before the next unfired trigger on path, so a chunk stops exactly there. */
  const bytesToNextTrigger = (path: string): number => {
    const served = servedByPath.get(path) ?? 0;
    let next = Number.POSITIVE_INFINITY;
    for (const trigger of triggers) {
      if (!trigger.fired && trigger.path === path) next = Math.min(next, trigger.bytes - served);
    }
    return next;
  };

  /**
   * A response counts as in flight until its last body byte is written or it closes, whichever comes first: a client
   * holding every byte may start its next request before this process gets round to ending the old response.
   */
  const trackInFlight = (path: string, res: ServerResponse): (() => void) => {
    const current = (inFlight.get(path) ?? 0) + 1;
    inFlight.set(path, current);
    peaks.set(path, Math.max(peaks.get(path) ?? 0, current));
    peakTotal = Math.max(peakTotal, ++inFlightTotal);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      inFlight.set(path, (inFlight.get(path) ?? 1) - 1);
      inFlightTotal--;
    };
    res.once('close', release);
    return release;
  };

  /** Send `limit` body bytes from `start`; false when the connection went away first. */
  const sendBody = async (
    res: ServerResponse,
    record: ServedRequest,
    entry: Entry,
    start: number,
    limit: number,
    onAllSent?: () => void,
  ): Promise<boolean> => {
    const reader = await entry.open();
    try {
      let sent = 0;
      let dueMs = Date.now();
      while (sent < limit) {
        // read the behaviour live so a test can lift a throttle mid-download
        const rate = behaviours.get(record.path)?.throttleBytesPerSecond;
        const chunkSize = rate ? Math.max(1, Math.min(16_384, Math.floor(rate / 10))) : 65_536;
        const length = Math.max(1, Math.min(chunkSize, limit - sent, bytesToNextTrigger(record.path)));
        const chunk = await reader.read(start + sent, length);
        // a disk file truncated under us: end the body short rather than spin
        if (chunk.length === 0) {
          res.destroy();
          return false;
        }
        if (!(await writeFlushed(res, chunk))) return false;
        sent += chunk.length;
        countBytes(record, chunk.length);
        // at most 100 ms of burst credit after a slow reader, so the cap holds over the response
        dueMs = rate ? Math.max(dueMs, Date.now() - 100) + (chunk.length / rate) * 1000 : Date.now();
        if (sent < limit && dueMs > Date.now()) await delay(dueMs - Date.now());
      }
      onAllSent?.();
      return true;
    } finally {
      await reader.close();
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = normalizePath(req.url ?? '/');
    const record: ServedRequest = {
      path,
      method: req.method ?? 'GET',
      range: headerOf(req.headers, 'range'),
      ifRange: headerOf(req.headers, 'if-range'),
      status: 0,
      bodyBytesSent: 0,
      at: Date.now(),
    };
    if (req.socket.remoteAddress !== undefined) record.remoteAddress = req.socket.remoteAddress;
    requests.push(record);
    const sentAll = trackInFlight(path, res);
    const behaviour = behaviours.get(path) ?? {};
    if (behaviour.redirectTo !== undefined) {
      return sendEmpty(res, record, 302, { location: behaviour.redirectTo });
    }
    if (behaviour.failStatus !== undefined && consumeTime(behaviour, 'failTimes')) {
      const retryAfter = behaviour.retryAfterSeconds;
      return sendEmpty(res, record, behaviour.failStatus, retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) });
    }
    const entry = files.get(path);
    if (!entry) return sendEmpty(res, record, 404, {});
    const honourRange = !behaviour.ignoreRange && ifRangeAllows(record.ifRange, entry, behaviour);
    const range = honourRange ? parseRange(record.range, entry.size) : ({ kind: 'full' } as const);
    if (range.kind === 'unsatisfiable') {
      return sendEmpty(res, record, 416, { 'content-range': `bytes */${entry.size}`, 'accept-ranges': 'bytes' });
    }
    const start = range.kind === 'partial' ? range.start : 0;
    const length = range.kind === 'partial' ? range.end - range.start + 1 : entry.size;
    const headers = entityHeaders(entry, behaviour, length);
    if (range.kind === 'partial') headers['content-range'] = `bytes ${range.start}-${range.end}/${entry.size}`;
    record.status = range.kind === 'partial' ? 206 : 200;
    res.writeHead(record.status, headers);
    if (record.method === 'HEAD') return void res.end();
    // headers go out now, so a response that stalls at byte 0 still looks started to the client
    res.flushHeaders();
    const cut = planCut(behaviour, length);
    const completed = await sendBody(res, record, entry, start, cut ? cut.at : length, cut ? undefined : sentAll);
    if (!completed) return;
    if (!cut) return void res.end();
    if (cut.action === 'reset') res.socket?.destroy();
    else if (cut.action === 'short') res.socket?.end();
    else await closed(res);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      process.stderr.write(`origin: ${String(error)}\n`);
      res.destroy();
    });
  });
  let accepted = 0;
  server.on('connection', (socket: Socket) => {
    accepted++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host }, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    port,
    baseUrl,
    requests,
    url: (path) => `${baseUrl}${path.startsWith('/') ? path : `/${path}`}`,
    setFile(path, data, fileOpts = {}) {
      const key = normalizePath(path);
      const { version, lastModified } = nextVersion(key, fileOpts.lastModified);
      const etag = fileOpts.etag ? quoteEtag(fileOpts.etag) : `"${sha256(data).slice(0, 16)}-${version}"`;
      files.set(key, { size: data.length, etag, lastModified, open: async () => bufferReader(data) });
    },
    async setDiskFile(path, filePath) {
      const key = normalizePath(path);
      const info = await stat(filePath);
      const { version, lastModified } = nextVersion(key, undefined);
      // size+mtime instead of a content hash: hashing a multi-GiB benchmark file would take seconds
      const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}-${version}"`;
      files.set(key, { size: info.size, etag, lastModified, open: () => diskReader(filePath) });
    },
    behave(path, behaviour) {
      const key = normalizePath(path);
      behaviours.set(key, { ...behaviours.get(key), ...behaviour });
    },
    clearBehaviour: (path) => void behaviours.delete(normalizePath(path)),
    onBytesServed(path, bytes, fn) {
      const trigger = { path: normalizePath(path), bytes, fn, fired: false };
      triggers.push(trigger);
      if ((servedByPath.get(trigger.path) ?? 0) >= bytes) {
        trigger.fired = true;
        queueMicrotask(() => runTrigger(fn));
      }
    },
    bytesServed: (path) => (path === undefined ? servedTotal : (servedByPath.get(normalizePath(path)) ?? 0)),
    activeConnections: () => sockets.size,
    connectionsAccepted: () => accepted,
    peakConcurrentResponses: (path) => (path === undefined ? peakTotal : (peaks.get(normalizePath(path)) ?? 0)),
    async close() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      // the server counts a socket gone at destroy(), before its 'close' event; wait for those too
      const socketsClosed = [...sockets].map((socket) => new Promise((resolve) => socket.once('close', resolve)));
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await Promise.all([stopped, ...socketsClosed]);
    },
  };
}

/** sha256 of bytes or a string, hex. */
export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 of a file, streamed, hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Deterministic pseudo-random bytes from a 32-bit seed (mulberry32), ~100 ms for 64 MiB.
 * Words are laid out in platform byte order (little-endian on x86/arm64).
 */
export function randomBytesSeeded(size: number, seed: number): Buffer {
  const words = new Uint32Array(Math.ceil(size / 4));
  let state = seed >>> 0;
  for (let index = 0; index < words.length; index++) {
    state = (state + 0x6d2b79f5) | 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    words[index] = (mixed ^ (mixed >>> 14)) >>> 0;
  }
  return Buffer.from(words.buffer, 0, size);
}

/** Parse a single-range Range header; anything we do not honour (multi-range, other units) means "full". */
function parseRange(header: string | undefined, size: number): RangeAnswer {
  const match = header === undefined ? null : /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return { kind: 'full' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  // RFC 9110 §14.1.1: last < first is an invalid range, which a server ignores
  if (last !== '' && Number(last) < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

/** If-Range allows the Range only when it names the current representation (RFC 9110 §13.1.5). */
function ifRangeAllows(ifRange: string | undefined, entry: Entry, behaviour: Behaviour): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) {
    // strong comparison: a weak ETag never matches, so clients holding one restart from zero
    return !behaviour.noEtag && !behaviour.weakEtag && value === entry.etag;
  }
  const date = Date.parse(value);
  return !behaviour.noLastModified && !Number.isNaN(date) && date === entry.lastModified.getTime();
}

function entityHeaders(entry: Entry, behaviour: Behaviour, length: number): Record<string, string> {
  const headers: Record<string, string> = {
    'accept-ranges': 'bytes',
    'content-type': behaviour.contentType ?? 'application/octet-stream',
  };
  if (!behaviour.noContentLength) headers['content-length'] = String(length);
  if (!behaviour.noEtag) headers['etag'] = behaviour.weakEtag ? `W/${entry.etag}` : entry.etag;
  if (!behaviour.noLastModified) headers['last-modified'] = entry.lastModified.toUTCString();
  if (behaviour.contentDisposition !== undefined) headers['content-disposition'] = behaviour.contentDisposition;
  return headers;
}

/** The earliest planned interruption of a body of `length` bytes; consumes that behaviour's *Times. */
function planCut(behaviour: Behaviour, length: number): Cut | undefined {
  const candidates: { at: number; action: Cut['action']; times?: 'resetTimes' | 'stallTimes' }[] = [];
  const { resetAfterBytes, resetEveryBytes, stallAfterBytes, shortBodyBytes } = behaviour;
  if (resetAfterBytes !== undefined && timesLeft(behaviour.resetTimes)) {
    candidates.push({ at: resetAfterBytes, action: 'reset', times: 'resetTimes' });
  }
  if (resetEveryBytes !== undefined) candidates.push({ at: resetEveryBytes, action: 'reset' });
  if (stallAfterBytes !== undefined && timesLeft(behaviour.stallTimes)) {
    candidates.push({ at: stallAfterBytes, action: 'stall', times: 'stallTimes' });
  }
  if (shortBodyBytes !== undefined) candidates.push({ at: shortBodyBytes, action: 'short' });
  const chosen = candidates.filter((cut) => cut.at < length).sort((a, b) => a.at - b.at)[0];
  if (!chosen) return undefined;
  if (chosen.times) consumeTime(behaviour, chosen.times);
  return { at: chosen.at, action: chosen.action };
}

/** Run a test's callback; its exception becomes uncaught so the test fails loudly, not the response quietly. */
function runTrigger(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    process.nextTick(() => {
      throw error;
    });
  }
}

function timesLeft(times: number | undefined): boolean {
  return times === undefined || times > 0;
}

/** True when the behaviour still applies; decrements a finite counter. */
function consumeTime(behaviour: Behaviour, key: 'failTimes' | 'resetTimes' | 'stallTimes'): boolean {
  const times = behaviour[key];
  if (times === undefined) return true;
  if (times <= 0) return false;
  behaviour[key] = times - 1;
  return true;
}

function sendEmpty(res: ServerResponse, record: ServedRequest, status: number, headers: Record<string, string>): void {
  record.status = status;
  res.writeHead(status, { ...headers, 'content-length': '0' });
  res.end();
}

/** Write and wait until the chunk reached the kernel, so counted bytes are bytes the client can read. */
async function writeFlushed(res: ServerResponse, chunk: Buffer): Promise<boolean> {
  if (res.destroyed) return false;
  return await new Promise<boolean>((resolve) => {
    const onClose = (): void => resolve(false);
    res.once('close', onClose);
    res.write(chunk, (error) => {
      res.off('close', onClose);
      resolve(!error);
    });
  });
}

async function closed(res: ServerResponse): Promise<void> {
  if (res.destroyed) return;
  await new Promise<void>((resolve) => res.once('close', () => resolve()));
}

function bufferReader(data: Buffer): Reader {
  return { read: async (offset, length) => data.subarray(offset, offset + length), close: async () => {} };
}

async function diskReader(filePath: string): Promise<Reader> {
  const handle = await open(filePath, 'r');
  return {
    async read(offset, length) {
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    },
    close: () => handle.close(),
  };
}

function normalizePath(path: string): string {
  return new URL(path, 'http://origin.invalid').pathname;
}

function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function quoteEtag(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

function floorSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}
