import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Webhook URLs are given by API clients; without a guard they would make the
 * worker call the machine itself or the internal network (SSRF). Addresses
 * are checked when the connection is made (a custom `lookup`), so a name that
 * resolves to a public address when checked and to a private one when used
 * (DNS rebinding) is refused too.
 */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6');
}

export class WebhookAddressRefused extends Error {
  override name = 'WebhookAddressRefused';
}

/** True for loopback, private, link-local and other non-public addresses (IPv4-mapped IPv6 included). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return PRIVATE.check(mapped[1]!, 'ipv4');
    return PRIVATE.check(address, 'ipv6');
  }
  return true; // not an address: refuse
}

/** The URL checks that need no network: scheme, credentials, literal addresses. */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookAddressRefused('not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookAddressRefused('only http and https URLs are allowed');
  if (url.username || url.password) throw new WebhookAddressRefused('credentials in the URL are not allowed (the signature authenticates us)');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) && isPrivateAddress(host)))) {
    throw new WebhookAddressRefused(`${host} is a loopback or private address (set DOCROUTE_WEBHOOK_ALLOW_PRIVATE=true to allow it)`);
  }
  return url;
}

/** A `lookup` for http(s).request that refuses private addresses unless allowed. */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as unknown as LookupAddress[];
      const refused = allowPrivate ? undefined : list.find((a) => isPrivateAddress(a.address));
      if (refused) {
        return callback(
          new WebhookAddressRefused(`${hostname} resolves to ${refused.address}, a loopback or private address (DOCROUTE_WEBHOOK_ALLOW_PRIVATE=true allows it)`),
          '',
          0,
        );
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      const first = list[0];
      if (!first) return callback(new Error(`${hostname} has no address`), '', 0);
      return callback(null, first.address, first.family);
    });
  };
}

/**
 * The check made when a subscription is created: the URL's static checks, and
 * its name resolved now (a name that does not resolve, or resolves to a private
 * address, is refused with the reason). Delivery checks again at connect time.
 */
export async function checkWebhookTarget(raw: string, allowPrivate: boolean): Promise<URL> {
  const url = checkWebhookUrl(raw, allowPrivate);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return url;
  const lookup = guardedLookup(allowPrivate);
  await new Promise<void>((resolve, reject) =>
    lookup(host, { all: true }, (error) => (error ? reject(error instanceof WebhookAddressRefused ? error : new WebhookAddressRefused(`${host} does not resolve: ${error.message}`)) : resolve())),
  );
  return url;
}
