/** The engine's HTTP edge against real sockets: internal addresses are refused on the address actually connected to, on every redirect hop. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHttpClient } from '../../src/engine/http-client.ts';
import { startOrigin, type Origin } from '../helpers/origin.ts';

describe('guarded HTTP client', () => {
  let origin: Origin;
  before(async () => {
    origin = await startOrigin({ host: '0.0.0.0' }); // answers on 127.0.0.1 and 127.0.0.2 alike
    origin.setFile('/file.bin', Buffer.from('payload'));
  });
  after(async () => origin?.close());

  const clientRefusing = (refused: string) => createHttpClient({
    isAddressAllowed: (address) => address !== refused, connectTimeoutMs: 2000, stallTimeoutMs: 2000, perHostConnections: 4, maxRedirects: 3,
  });

  it('refuses a redirect that lands on a refused address, after connecting but before sending the request', async () => {
    const client = clientRefusing('127.0.0.2');
    origin.behave('/hop', { redirectTo: `http://127.0.0.2:${origin.port}/file.bin` });
    origin.setFile('/hop', Buffer.from('x'));
    const before = origin.requests.length;
    await assert.rejects(client.get(`http://127.0.0.1:${origin.port}/hop`, {}, new AbortController().signal), { code: 'MEDIAD_ERR_PRIVATE_NETWORK' });
    assert.deepEqual(origin.requests.slice(before).map((r) => r.path), ['/hop'], 'the refused hop never got a request');
    await client.close();
  });

  it('follows redirects between allowed addresses', async () => {
    const client = clientRefusing('10.255.255.1');
    const response = await client.get(`http://127.0.0.1:${origin.port}/hop`, {}, new AbortController().signal);
    assert.equal(response.status, 200);
    assert.equal(response.url, `http://127.0.0.2:${origin.port}/file.bin`);
    assert.equal(Buffer.from(await response.body.arrayBuffer()).toString(), 'payload');
    await client.close();
  });

  it('refuses a redirect to a non-http scheme and stops after maxRedirects', async () => {
    const client = clientRefusing('10.255.255.1');
    origin.setFile('/to-file', Buffer.from('x'));
    origin.behave('/to-file', { redirectTo: 'file:///etc/passwd' });
    await assert.rejects(client.get(origin.url('/to-file'), {}, new AbortController().signal), { code: 'MEDIAD_ERR_URL_SCHEME' });
    origin.setFile('/loop', Buffer.from('x'));
    origin.behave('/loop', { redirectTo: origin.url('/loop') });
    await assert.rejects(client.get(origin.url('/loop'), {}, new AbortController().signal), { code: 'MEDIAD_ERR_TOO_MANY_REDIRECTS' });
    await client.close();
  });
});
