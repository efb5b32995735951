import net from 'node:net';

/** IPv4 ranges that are not the public internet (RFC 6890 special-purpose registry). */
const blockedV4: [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16],
  ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
];

function v4ToInt(address: string): number {
  return address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
}

function inV4Range(address: string, [base, bits]: [string, number]): boolean {
  const size = 2 ** (32 - bits);
  return Math.floor(v4ToInt(address) / size) === Math.floor(v4ToInt(base) / size);
}

/** Expands an IPv6 address into 8 groups of 16 bits. */
function v6Groups(address: string): number[] {
  const [head = '', tail] = address.toLowerCase().split('::');
  const toGroups = (text: string): number[] => {
    if (text === '') return [];
    return text.split(':').flatMap((part) => {
      if (part.includes('.')) {
        const n = v4ToInt(part);
        return [Math.floor(n / 65536), n % 65536];
      }
      return [parseInt(part, 16)];
    });
  };
  const front = toGroups(head);
  const back = tail === undefined ? [] : toGroups(tail);
  return [...front, ...new Array(8 - front.length - back.length).fill(0), ...back];
}

/** True for loopback, private, link-local, CGNAT, multicast, documentation and other non-public addresses. */
export function isInternalAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return blockedV4.some((range) => inV4Range(address, range));
  if (family !== 6) return true; // not an IP at all: refuse rather than guess
  const g = v6Groups(address.replace(/%.*$/, ''));
  const first = g[0] ?? 0;
  if (g.every((x) => x === 0)) return true; // :: unspecified
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return true; // ::1 loopback
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) {
    return isInternalAddress(`${(g[6] ?? 0) >> 8}.${(g[6] ?? 0) & 255}.${(g[7] ?? 0) >> 8}.${(g[7] ?? 0) & 255}`); // v4-mapped / v4-compatible
  }
  if (first === 0x64 && g[1] === 0xff9b) return true; // NAT64 may reach internal v4
  if ((first & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((first & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if ((first & 0xffc0) === 0xfec0) return true; // fec0::/10 site-local (deprecated)
  if ((first & 0xff00) === 0xff00) return true; // multicast
  if (first === 0x2001 && g[1] === 0x0db8) return true; // documentation
  return false;
}

/** Decides whether a connection to `address` may be made. Injected so tests can refuse one loopback address and allow another. */
export type AddressPolicy = (address: string) => boolean;

export function addressPolicyFor(allowPrivateNetworks: boolean): AddressPolicy {
  return allowPrivateNetworks ? () => true : (address) => !isInternalAddress(address);
}
