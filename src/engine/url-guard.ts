import dns from 'node:dns/promises';
import net from 'node:net';
import { MediadError, type ErrorCode } from '../errors.ts';
import type { AddressPolicy } from './address-policy.ts';

const maxUrlBytes = 8 * 1024;

/** Pure check of a URL a user (or a redirect) hands us: http(s) only, at most 8 KiB, parseable. */
export function checkDownloadUrl(url: unknown): { code: ErrorCode; message: string } | undefined {
  if (typeof url !== 'string' || url.trim() === '') return { code: 'MEDIAD_ERR_URL_INVALID', message: 'url is required' };
  if (Buffer.byteLength(url) > maxUrlBytes) return { code: 'MEDIAD_ERR_URL_TOO_LONG', message: `url is longer than ${maxUrlBytes} bytes` };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { code: 'MEDIAD_ERR_URL_INVALID', message: 'url is not a valid absolute URL' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { code: 'MEDIAD_ERR_URL_SCHEME', message: `scheme ${parsed.protocol} is not allowed; use http or https` };
  }
  if (parsed.hostname === '') return { code: 'MEDIAD_ERR_URL_INVALID', message: 'url has no host' };
  if (parsed.username || parsed.password) return undefined; // credentials in URLs are allowed (basic auth origins)
  return undefined;
}

/** Resolves the host and refuses it when any of its addresses is refused by the policy (the connector checks again at connect time). */
export async function assertHostAllowed(url: string, isAddressAllowed: AddressPolicy, lookup = dns.lookup): Promise<void> {
  const hostname = new URL(url).hostname.replace(/^\[|\]$/g, '');
  const addresses = net.isIP(hostname) ? [hostname] : await resolveAll(hostname, lookup);
  const refused = addresses.find((address) => !isAddressAllowed(address));
  if (refused) throw new MediadError('MEDIAD_ERR_PRIVATE_NETWORK', `${hostname} resolves to internal address ${refused}; set MEDIAD_ALLOW_PRIVATE_NETWORKS=true to allow it`);
}

async function resolveAll(hostname: string, lookup: typeof dns.lookup): Promise<string[]> {
  try {
    const results = await lookup(hostname, { all: true, verbatim: true });
    return results.map((entry) => entry.address);
  } catch (error) {
    throw new MediadError('MEDIAD_ERR_HOST_UNRESOLVABLE', `cannot resolve ${hostname}: ${(error as Error).message}`, { cause: error });
  }
}
