/** For tests that drive the engine directly, without a daemon: a local origin, an engine HTTP client for it, a silent log. */
import { createHttpClient, type HttpClient } from '../../src/engine/http-client.ts';
import { startOrigin, type Origin } from './origin.ts';

export const quietLog = { info: () => undefined, warn: () => undefined };

export async function startOriginAndClient(perHostConnections: number): Promise<{ origin: Origin; http: HttpClient; close: () => Promise<void> }> {
  const origin = await startOrigin();
  const http = createHttpClient({ isAddressAllowed: () => true, connectTimeoutMs: 5000, stallTimeoutMs: 5000, perHostConnections, maxRedirects: 3 });
  return {
    origin, http,
    close: async () => {
      await http.close();
      await origin.close();
    },
  };
}
