import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { Client, request } from 'undici';
import type { Daemon, DaemonOptions } from './daemon.ts';
import { getFreePort } from './free-port.ts';
import { randomBytesSeeded, sha256, sha256File, startOrigin, type Origin } from './origin.ts';
import { isAlive, listDescendants, readCmdline, waitForExit } from './process-tree.ts';
import { startRedis } from './redis.ts';
import { waitFor } from './wait-for.ts';

const seed = Number(process.env['TEST_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
console.log(`harness seed=${seed} (TEST_SEED=${seed} replays it)`);

/** Compile-only (never called): daemon.ts is type-checked here while src/main.ts is being written. */
async function daemonApiCompiles(start: (opts?: DaemonOptions) => Promise<Daemon>): Promise<void> {
  const daemon = await start({ workers: 2, redisUrl: 'redis://127.0.0.1:1', env: { MEDIAD_LOG_LEVEL: 'debug' } });
  const created = await daemon.api<{ id: string }>('POST', '/v1/downloads', { url: 'http://127.0.0.1/x' });
  const job = await daemon.waitForJob<{ state: string }>(created.body.id, (current) => current.state === 'completed');
  const exit = await daemon.kill('SIGTERM');
  const numbers: number[] = [exit.exitedAfterMs, daemon.pid, ...daemon.knownDescendants()];
  void [job.state, numbers, daemon.logs.length];
  await daemon.restart();
  await daemon.killTree();
  await daemon.stop();
}
void daemonApiCompiles;

interface Fetched {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  error?: Error;
}

/** GET (or HEAD) with undici, keeping whatever body bytes arrived before an error. */
async function fetchBytes(
  url: string,
  headers: Record<string, string> = {},
  opts: { method?: 'GET' | 'HEAD'; bodyTimeoutMs?: number } = {},
): Promise<Fetched> {
  const response = await request(url, { method: opts.method ?? 'GET', headers, bodyTimeout: opts.bodyTimeoutMs ?? 10_000 });
  const chunks: Buffer[] = [];
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) if (typeof value === 'string') flat[name] = value;
  try {
    for await (const chunk of response.body) chunks.push(chunk as Buffer);
  } catch (error) {
    return { status: response.statusCode, headers: flat, body: Buffer.concat(chunks), error: error as Error };
  }
  return { status: response.statusCode, headers: flat, body: Buffer.concat(chunks) };
}

async function withOrigin(run: (origin: Origin) => Promise<void>): Promise<void> {
  const origin = await startOrigin();
  try {
    await run(origin);
  } finally {
    await origin.close();
  }
}

describe('getFreePort', () => {
  test('returns a port another listener can bind right away', async () => {
    const port = await getFreePort();
    assert.ok(port > 0 && port < 65536);
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

describe('waitFor', () => {
  test('returns the first truthy value and retries probes that throw', async () => {
    let calls = 0;
    const value = await waitFor(
      () => {
        calls++;
        if (calls < 3) throw new Error('not yet');
        return calls === 3 ? false : { calls };
      },
      { timeoutMs: 2000, intervalMs: 5, what: 'the fourth call' },
    );
    assert.deepEqual(value, { calls: 4 });
  });

  test('times out naming what it waited for and the last error', async () => {
    await assert.rejects(
      waitFor(() => Promise.reject(new Error('connection refused')), { timeoutMs: 150, intervalMs: 10, what: 'the moon' }),
      /waiting for the moon; last error: Error: connection refused/,
    );
  });

  test('a probe that never settles does not extend the deadline', async () => {
    const startedAt = Date.now();
    await assert.rejects(waitFor(() => new Promise<boolean>(() => {}), { timeoutMs: 200, what: 'a hung probe' }), /a hung probe/);
    assert.ok(Date.now() - startedAt < 2000);
  });
});

describe('process-tree', () => {
  test('finds grandchildren, reads their command line and sees them exit', async () => {
    const shell = spawn('/bin/sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
    const shellPid = shell.pid ?? assert.fail('no pid');
    const sleepPid = await waitFor(() => listDescendants(shellPid).find((pid) => readCmdline(pid) === 'sleep 30'), {
      timeoutMs: 5000,
      what: 'sleep 30 under the shell',
    });
    assert.ok(isAlive(sleepPid));
    assert.ok(listDescendants(process.pid).includes(sleepPid));
    process.kill(sleepPid, 'SIGKILL');
    assert.equal(await waitForExit(sleepPid, 5000), true);
    assert.equal(await waitForExit(shellPid, 5000), true);
    assert.equal(readCmdline(sleepPid), '');
  });
});

describe('redis', () => {
  test('starts a private server that answers PING and SET', async () => {
    const server = await startRedis();
    const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
    try {
      assert.equal(await client.ping(), 'PONG');
      assert.equal(await client.set('harness:key', 'value'), 'OK');
      assert.equal(await client.get('harness:key'), 'value');
      assert.equal(await client.config('GET', 'appendonly').then((pair) => (pair as string[])[1]), 'yes');
      assert.ok(server.pid !== undefined && isAlive(server.pid));
    } finally {
      client.disconnect();
      await server.cleanup();
    }
    assert.equal(server.pid, undefined);
    assert.equal(existsSync(server.dir), false);
  });

  test('keeps an acknowledged key through SIGKILL and restart on the same port', async () => {
    const server = await startRedis();
    try {
      const writer = new Redis(server.url, { maxRetriesPerRequest: 1 });
      await writer.set('harness:durable', String(seed));
      writer.disconnect();
      const firstPid = server.pid ?? assert.fail('no pid');
      await server.kill();
      assert.equal(isAlive(firstPid), false);
      await server.restart();
      assert.notEqual(server.pid, firstPid);
      const reader = new Redis(server.url, { maxRetriesPerRequest: 1 });
      assert.equal(await reader.get('harness:durable'), String(seed));
      reader.disconnect();
    } finally {
      await server.cleanup();
    }
  });
});

describe('origin: HTTP semantics', () => {
  const data = randomBytesSeeded(300_000, seed);

  test('serves the full body with validators and counts the bytes', () =>
    withOrigin(async (origin) => {
      origin.setFile('/a.bin', data);
      const got = await fetchBytes(origin.url('/a.bin'));
      assert.equal(got.status, 200);
      assert.equal(sha256(got.body), sha256(data));
      assert.equal(got.headers['content-length'], String(data.length));
      assert.equal(got.headers['accept-ranges'], 'bytes');
      assert.match(got.headers['etag'] ?? '', /^"[0-9a-f]{16}-1"$/);
      assert.ok(got.headers['last-modified']);
      assert.equal(origin.bytesServed('/a.bin'), data.length);
      assert.equal(origin.requests.at(-1)?.status, 200);
    }));

  test('answers single ranges with 206 and the right Content-Range', () =>
    withOrigin(async (origin) => {
      origin.setFile('/a.bin', data);
      const cases = [
        { range: 'bytes=100-199', start: 100, end: 199 },
        { range: 'bytes=299990-', start: 299_990, end: 299_999 },
        { range: 'bytes=-500', start: 299_500, end: 299_999 },
        { range: 'bytes=10-999999999', start: 10, end: 299_999 },
      ];
      for (const { range, start, end } of cases) {
        const got = await fetchBytes(origin.url('/a.bin'), { range });
        assert.equal(got.status, 206, range);
        assert.equal(got.headers['content-range'], `bytes ${start}-${end}/${data.length}`, range);
        assert.ok(got.body.equals(data.subarray(start, end + 1)), range);
      }
      const expectedBytes = cases.reduce((sum, { start, end }) => sum + end - start + 1, 0);
      assert.equal(origin.bytesServed(), expectedBytes);
    }));

  test('answers 416 with bytes */size when the range starts past the end', () =>
    withOrigin(async (origin) => {
      origin.setFile('/a.bin', data);
      const got = await fetchBytes(origin.url('/a.bin'), { range: `bytes=${data.length}-` });
      assert.equal(got.status, 416);
      assert.equal(got.headers['content-range'], `bytes */${data.length}`);
      assert.equal(origin.bytesServed(), 0);
    }));

  test('honours If-Range: matching ETag or date gives 206, anything else the whole new body', () =>
    withOrigin(async (origin) => {
      origin.setFile('/a.bin', data);
      const first = await fetchBytes(origin.url('/a.bin'), { range: 'bytes=0-9' });
      const etag = first.headers['etag'] ?? assert.fail('no etag');
      const lastModified = first.headers['last-modified'] ?? assert.fail('no last-modified');
      assert.equal((await fetchBytes(origin.url('/a.bin'), { range: 'bytes=10-19', 'if-range': etag })).status, 206);
      assert.equal((await fetchBytes(origin.url('/a.bin'), { range: 'bytes=10-19', 'if-range': lastModified })).status, 206);

      const changed = randomBytesSeeded(1000, seed + 1);
      origin.setFile('/a.bin', changed);
      const afterChange = await fetchBytes(origin.url('/a.bin'), { range: 'bytes=10-19', 'if-range': etag });
      assert.equal(afterChange.status, 200);
      assert.ok(afterChange.body.equals(changed));
      assert.notEqual(afterChange.headers['etag'], etag);
      assert.ok(Date.parse(afterChange.headers['last-modified'] ?? '') > Date.parse(lastModified));
      assert.equal((await fetchBytes(origin.url('/a.bin'), { range: 'bytes=10-19', 'if-range': lastModified })).status, 200);
    }));

  test('a weak ETag never satisfies If-Range', () =>
    withOrigin(async (origin) => {
      origin.setFile('/a.bin', data);
      origin.behave('/a.bin', { weakEtag: true });
      const head = await fetchBytes(origin.url('/a.bin'), {}, { method: 'HEAD' });
      assert.match(head.headers['etag'] ?? '', /^W\/"/);
      const got = await fetchBytes(origin.url('/a.bin'), { range: 'bytes=0-9', 'if-range': head.headers['etag'] ?? '' });
      assert.equal(got.status, 200);
      assert.equal(got.body.length, data.length);
    }));

  test('HEAD sends headers only, unknown paths are 404', () =>
    withOrigin(async (origin) => {
      origin.setFile('/a.bin', data);
      const head = await fetchBytes(origin.url('/a.bin'), {}, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], String(data.length));
      assert.equal(head.body.length, 0);
      assert.equal(origin.bytesServed(), 0);
      assert.equal((await fetchBytes(origin.url('/missing.bin'))).status, 404);
    }));

  test('serves a disk file by ranges and agrees with sha256File', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mediad-harness-'));
    try {
      const filePath = join(dir, 'big.bin');
      const bytes = randomBytesSeeded(3 * 1024 * 1024 + 7, seed);
      await writeFile(filePath, bytes);
      assert.equal(await sha256File(filePath), sha256(bytes));
      await withOrigin(async (origin) => {
        await origin.setDiskFile('/big.bin', filePath);
        const tail = await fetchBytes(origin.url('/big.bin'), { range: 'bytes=1048576-' });
        assert.equal(tail.status, 206);
        assert.ok(tail.body.equals(bytes.subarray(1_048_576)));
        assert.equal(sha256((await fetchBytes(origin.url('/big.bin'))).body), sha256(bytes));
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('randomBytesSeeded is deterministic per seed', () => {
    assert.ok(randomBytesSeeded(4099, seed).equals(randomBytesSeeded(4099, seed)));
    assert.ok(!randomBytesSeeded(4099, seed).equals(randomBytesSeeded(4099, seed + 1)));
    assert.equal(randomBytesSeeded(10, 42).toString('hex'), randomBytesSeeded(64, 42).subarray(0, 10).toString('hex'));
  });
});

describe('origin: misbehaviour on demand', () => {
  const data = randomBytesSeeded(400_000, seed + 7);

  test('resets the connection after N bytes for resetTimes requests, then serves normally', () =>
    withOrigin(async (origin) => {
      origin.setFile('/r.bin', data);
      origin.behave('/r.bin', { resetAfterBytes: 100_000, resetTimes: 1 });
      const broken = await fetchBytes(origin.url('/r.bin'));
      assert.ok(broken.error, 'the body should fail');
      assert.equal(broken.body.length, 100_000);
      assert.ok(broken.body.equals(data.subarray(0, 100_000)));
      const whole = await fetchBytes(origin.url('/r.bin'));
      assert.equal(whole.error, undefined);
      assert.equal(sha256(whole.body), sha256(data));
      assert.equal(origin.bytesServed('/r.bin'), 100_000 + data.length);
    }));

  test('resetEveryBytes lets a resuming client progress one slice per connection', () =>
    withOrigin(async (origin) => {
      origin.setFile('/every.bin', data);
      origin.behave('/every.bin', { resetEveryBytes: 150_000 });
      const parts: Buffer[] = [];
      let offset = 0;
      let attempts = 0;
      while (offset < data.length && attempts++ < 10) {
        const got = await fetchBytes(origin.url('/every.bin'), { range: `bytes=${offset}-` });
        parts.push(got.body);
        offset += got.body.length;
      }
      assert.equal(attempts, 3);
      assert.equal(sha256(Buffer.concat(parts)), sha256(data));
      assert.equal(origin.bytesServed('/every.bin'), data.length);
    }));

  test('fails with 503 and Retry-After for failTimes requests, then succeeds', () =>
    withOrigin(async (origin) => {
      origin.setFile('/f.bin', data);
      origin.behave('/f.bin', { failStatus: 503, failTimes: 2, retryAfterSeconds: 7 });
      for (let attempt = 0; attempt < 2; attempt++) {
        const failed = await fetchBytes(origin.url('/f.bin'));
        assert.equal(failed.status, 503);
        assert.equal(failed.headers['retry-after'], '7');
      }
      const ok = await fetchBytes(origin.url('/f.bin'));
      assert.equal(ok.status, 200);
      assert.equal(sha256(ok.body), sha256(data));
      assert.deepEqual(origin.requests.map((served) => served.status), [503, 503, 200]);
    }));

  test('ignoreRange answers 200 with the whole body', () =>
    withOrigin(async (origin) => {
      origin.setFile('/i.bin', data);
      origin.behave('/i.bin', { ignoreRange: true });
      const got = await fetchBytes(origin.url('/i.bin'), { range: 'bytes=1000-' });
      assert.equal(got.status, 200);
      assert.equal(got.headers['content-range'], undefined);
      assert.equal(sha256(got.body), sha256(data));
    }));

  test('stalls after N bytes with the socket held open', () =>
    withOrigin(async (origin) => {
      origin.setFile('/s.bin', data);
      origin.behave('/s.bin', { stallAfterBytes: 5000, stallTimes: 1 });
      const startedAt = Date.now();
      // the client's body timeout is the deadline: nothing more may arrive for 400 ms
      const stalled = await fetchBytes(origin.url('/s.bin'), {}, { bodyTimeoutMs: 400 });
      assert.ok(Date.now() - startedAt >= 350);
      assert.match(String(stalled.error), /timeout/i);
      assert.equal(stalled.body.length, 5000);
      assert.equal(origin.bytesServed('/s.bin'), 5000);
      const next = await fetchBytes(origin.url('/s.bin'));
      assert.equal(sha256(next.body), sha256(data));
    }));

  test('close() ends a response that is still stalled', async () => {
    const origin = await startOrigin();
    origin.setFile('/s.bin', data);
    origin.behave('/s.bin', { stallAfterBytes: 0 });
    const pending = fetchBytes(origin.url('/s.bin'), {}, { bodyTimeoutMs: 20_000 });
    await waitFor(() => origin.requests.length === 1 && origin.activeConnections() === 1, {
      timeoutMs: 5000,
      what: 'the stalled request to arrive',
    });
    const closingAt = Date.now();
    await origin.close();
    const stalled = await pending;
    assert.ok(stalled.error, 'the client must see the connection end');
    assert.equal(stalled.body.length, 0);
    assert.ok(Date.now() - closingAt < 2000);
    assert.equal(origin.activeConnections(), 0);
  });

  test('throttles a response to about the configured rate', () =>
    withOrigin(async (origin) => {
      const small = data.subarray(0, 64 * 1024);
      origin.setFile('/t.bin', small);
      origin.behave('/t.bin', { throttleBytesPerSecond: 128 * 1024 });
      const startedAt = Date.now();
      const got = await fetchBytes(origin.url('/t.bin'));
      const elapsedMs = Date.now() - startedAt;
      assert.equal(sha256(got.body), sha256(small));
      // 64 KiB at 128 KiB/s is 500 ms; only the lower bound is stable on a busy machine
      assert.ok(elapsedMs >= 400, `took ${elapsedMs} ms`);
    }));

  test('shortBody promises the full length and ends the socket early', () =>
    withOrigin(async (origin) => {
      origin.setFile('/short.bin', data);
      origin.behave('/short.bin', { shortBodyBytes: 12_345 });
      const got = await fetchBytes(origin.url('/short.bin'));
      assert.equal(got.headers['content-length'], String(data.length));
      assert.ok(got.error, 'a short body must fail the client');
      assert.equal(got.body.length, 12_345);
      assert.equal(origin.bytesServed('/short.bin'), 12_345);
    }));

  test('noContentLength sends the body chunked', () =>
    withOrigin(async (origin) => {
      origin.setFile('/c.bin', data);
      const disposition = 'attachment; filename="x.bin"';
      origin.behave('/c.bin', { noContentLength: true, contentDisposition: disposition, contentType: 'video/mp4' });
      const got = await fetchBytes(origin.url('/c.bin'));
      assert.equal(got.headers['content-length'], undefined);
      assert.equal(got.headers['transfer-encoding'], 'chunked');
      assert.equal(got.headers['content-disposition'], disposition);
      assert.equal(got.headers['content-type'], 'video/mp4');
      assert.equal(sha256(got.body), sha256(data));
    }));

  test('redirects with 302 to another URL', () =>
    withOrigin(async (origin) => {
      origin.setFile('/real.bin', data);
      origin.behave('/old.bin', { redirectTo: origin.url('/real.bin') });
      const hop = await fetchBytes(origin.url('/old.bin'));
      assert.equal(hop.status, 302);
      assert.equal(hop.headers['location'], origin.url('/real.bin'));
      const followed = await fetch(origin.url('/old.bin'));
      assert.equal(sha256(Buffer.from(await followed.arrayBuffer())), sha256(data));
    }));

  test('onBytesServed fires once at the exact byte, and a file changed mid-download gets a new ETag', () =>
    withOrigin(async (origin) => {
      origin.setFile('/m.bin', data);
      const changed = randomBytesSeeded(data.length, seed + 99);
      const seenAt: number[] = [];
      origin.onBytesServed('/m.bin', 70_000, () => {
        seenAt.push(origin.bytesServed('/m.bin'));
        origin.setFile('/m.bin', changed);
      });
      const first = await fetchBytes(origin.url('/m.bin'));
      // the response in flight keeps the bytes it started with
      assert.equal(sha256(first.body), sha256(data));
      assert.deepEqual(seenAt, [70_000]);
      const resumed = await fetchBytes(origin.url('/m.bin'), { range: 'bytes=100-', 'if-range': first.headers['etag'] ?? '' });
      assert.equal(resumed.status, 200);
      assert.notEqual(resumed.headers['etag'], first.headers['etag']);
      assert.equal(sha256(resumed.body), sha256(changed));
    }));

  test('tracks peak concurrent responses and open connections', () =>
    withOrigin(async (origin) => {
      const small = data.subarray(0, 20_000);
      origin.setFile('/p.bin', small);
      origin.setFile('/other.bin', small);
      origin.behave('/p.bin', { throttleBytesPerSecond: 40_000 });
      const downloads = [1, 2, 3].map(() => fetchBytes(origin.url('/p.bin')));
      await waitFor(() => origin.activeConnections() >= 3, { timeoutMs: 5000, what: 'three open connections' });
      await fetchBytes(origin.url('/other.bin'));
      const results = await Promise.all(downloads);
      for (const result of results) assert.equal(sha256(result.body), sha256(small));
      assert.equal(origin.peakConcurrentResponses('/p.bin'), 3);
      assert.equal(origin.peakConcurrentResponses('/other.bin'), 1);
      assert.equal(origin.peakConcurrentResponses(), 4);
      assert.equal(origin.bytesServed(), 4 * small.length);
    }));

  test('stops counting a response once its last byte is written, so a next request right after it is not concurrent', () =>
    withOrigin(async (origin) => {
      const small = data.subarray(0, 8_000);
      origin.setFile('/paced.bin', small);
      origin.behave('/paced.bin', { throttleBytesPerSecond: 40_000 }); // 4000-byte chunks 100 ms apart
      const first = await fetchBytes(origin.url('/paced.bin'));
      assert.equal(sha256(first.body), sha256(small));
      // a new connection, as a second worker process would open it the moment the first download is done
      const other = new Client(origin.baseUrl);
      try {
        const second = await other.request({ path: '/paced.bin', method: 'GET' });
        assert.equal(sha256(Buffer.from(await second.body.arrayBuffer())), sha256(small));
      } finally {
        await other.close();
      }
      assert.equal(origin.peakConcurrentResponses('/paced.bin'), 1);
    }));
});
