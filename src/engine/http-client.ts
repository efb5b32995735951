/**
 * The one HTTP edge of the engine: an undici Agent whose connector refuses
 * internal addresses (checked on the address actually connected to, so DNS
 * rebinding and redirects cannot slip past), plus GET with manual redirects
 * so every hop is re-checked.
 */
import { Agent, buildConnector, fetch as undiciFetch, type Dispatcher } from 'undici';
import { MediadError } from '../errors.ts';
import type { AddressPolicy } from './address-policy.ts';
import { checkDownloadUrl } from './url-guard.ts';
import { codeForStatus } from './classify.ts';
import { headerValue } from './validators.ts';

export interface HttpClientOptions {
  readonly isAddressAllowed: AddressPolicy;
  readonly connectTimeoutMs: number;
  /** undici's bodyTimeout is the longest gap between two body chunks: our stall detector. */
  readonly stallTimeoutMs: number;
  readonly perHostConnections: number;
  readonly maxRedirects: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Dispatcher.ResponseData['body'];
  /** The URL that answered, after redirects. */
  readonly url: string;
}

export interface HttpClient {
  get(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<HttpResponse>;
  /** A fetch through the same guarded connections, for resolvers that probe a URL (HEAD). */
  fetch: typeof globalThis.fetch;
  close(): Promise<void>;
}

function guardedConnector(options: HttpClientOptions): buildConnector.connector {
  const connect = buildConnector({ timeout: options.connectTimeoutMs, keepAlive: true });
  return (connectOptions, callback) => {
    connect(connectOptions, (error, socket) => {
      if (error || !socket) return callback(error ?? new Error('connect failed'), null);
      const address = socket.remoteAddress ?? '';
      if (!options.isAddressAllowed(address)) {
        socket.destroy();
        return callback(new MediadError('MEDIAD_ERR_PRIVATE_NETWORK', `refused to connect to internal address ${address} (${connectOptions.hostname})`), null);
      }
      callback(null, socket);
    });
  };
}

/** Builds the client. One per worker process, so keep-alive connections are reused across segments and jobs. */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const agent = new Agent({
    connect: guardedConnector(options),
    connections: options.perHostConnections,
    headersTimeout: options.connectTimeoutMs,
    bodyTimeout: options.stallTimeoutMs,
    keepAliveTimeout: 30_000,
  });

  async function get(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<HttpResponse> {
    let current = url;
    for (let hop = 0; ; hop++) {
      const target = new URL(current);
      const response = await agent.request({ origin: target.origin, path: target.pathname + target.search, method: 'GET', headers, signal });
      const location = headerValue(response.headers, 'location');
      if (response.statusCode >= 300 && response.statusCode < 400 && location) {
        response.body.resume(); // drain so the connection goes back to the pool
        if (hop >= options.maxRedirects) throw new MediadError('MEDIAD_ERR_TOO_MANY_REDIRECTS', `more than ${options.maxRedirects} redirects from ${url}`);
        current = new URL(location, current).toString();
        const problem = checkDownloadUrl(current);
        if (problem) throw new MediadError(problem.code, `redirect to a refused URL: ${problem.message}`);
        continue;
      }
      return { status: response.statusCode, headers: response.headers, body: response.body, url: current };
    }
  }

  // undici's fetch and the global one differ only in their type declarations
  const guardedFetch = ((input: string | URL, init?: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher: agent })) as unknown as typeof globalThis.fetch;
  return { get, fetch: guardedFetch, close: () => agent.close() };
}

/** Throws the catalog error for a status the caller cannot use; drains the body first. */
export function failForStatus(response: HttpResponse, retryAfterMs: number | undefined): never {
  response.body.resume();
  throw new MediadError(codeForStatus(response.status), `origin answered ${response.status} for ${response.url}`, retryAfterMs === undefined ? {} : { retryAfterMs });
}
