import { createServer } from 'node:net';

/**
 * Ask the kernel for a free TCP port on `host` by listening on port 0, then release it.
 * Another process could take the port before the caller binds it; callers that own
 * the listener retry on EADDRINUSE where that matters.
 */
export async function getFreePort(host = '127.0.0.1'): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      // address() is a string only for pipes/unix sockets, never for a TCP listen
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close((error) => (error ? reject(error) : resolve(port)));
    });
  });
}
