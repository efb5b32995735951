/**
 * A closed-loop HTTP load generator (autocannon is not installed): `clients`
 * loops, each with its own keep-alive connection from an undici Pool, send
 * one request after another until `maxRequests` were sent or `durationMs`
 * passed. Latency is measured per request, from send to the end of the body.
 */
import { Pool } from 'undici';
import { percentile } from './stats.ts';

export interface LoadRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: string;
}

export interface LoadOptions {
  readonly baseUrl: string;
  readonly clients: number;
  readonly maxRequests: number;
  readonly durationMs: number;
  readonly request: (index: number) => LoadRequest;
  /** Sees every answer body (as text) with its request index; keep it cheap. */
  readonly onAnswer?: (index: number, status: number, body: string) => void;
}

export interface LoadResult {
  readonly requests: number;
  /** Answers that were not 2xx, and requests that failed outright. */
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly elapsedSeconds: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const pool = new Pool(options.baseUrl, { connections: options.clients, pipelining: 1, keepAliveTimeout: 60_000 });
  const latencies = new Float64Array(options.maxRequests);
  let next = 0;
  let done = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const stopAt = started + options.durationMs;
  const client = async () => {
    for (let index = next++; index < options.maxRequests && performance.now() < stopAt; index = next++) {
      const { method, path, body } = options.request(index);
      const sent = performance.now();
      try {
        const response = await pool.request({
          method, path, ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
        });
        const text = await response.body.text();
        latencies[done++] = performance.now() - sent;
        if (response.statusCode < 200 || response.statusCode > 299) {
          errors++;
          firstError ??= `${method} ${path} answered ${response.statusCode}: ${text.slice(0, 200)}`;
        }
        options.onAnswer?.(index, response.statusCode, text);
      } catch (error) {
        latencies[done++] = performance.now() - sent;
        errors++;
        firstError ??= `${method} ${path} failed: ${(error as Error).message}`;
      }
    }
  };
  await Promise.all(Array.from({ length: options.clients }, client));
  const elapsedSeconds = (performance.now() - started) / 1000;
  await pool.close();
  const sorted = latencies.subarray(0, done).sort();
  return {
    requests: done, errors, firstError, elapsedSeconds,
    requestsPerSecond: done / elapsedSeconds,
    latencyMs: { p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1] ?? 0 },
  };
}
