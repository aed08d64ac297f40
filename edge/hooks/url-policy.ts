/**
 * Which webhook URLs an edge will call. A webhook URL comes from a client (`start.hooks.webhook`) or a key file, and
 * the edge then makes requests to it from inside the deployment: without a policy, anyone with a key could make
 * the edge reach its metadata service (169.254.169.254), Redis on loopback or any host on the private network
 * (server-side request forgery). So: http or https only, no credentials in the URL, and every address the host
 * resolves to must be public, checked at connect time (the socket's own DNS lookup, so a name that resolves to a
 * public address at validation and a private one later, DNS rebinding, is still refused). Loopback and private
 * ranges are allowed only when the operator says so (EARSHOT_WEBHOOK_ALLOW_PRIVATE, used by the tests).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { EarshotError } from '../../shared/errors.ts';

/** Addresses that are not the public internet (IANA special-purpose registries). */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['2001:db8::', 32],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv6');

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true; // not an address at all: refuse
  // IPv4-mapped IPv6 (::ffff:10.0.0.1) is the IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1]!, 'ipv4');
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export interface UrlPolicy {
  /** Loopback, private, link-local and other special ranges are reachable (default false). */
  allowPrivate: boolean;
}

/** Parses and checks a webhook URL's form (the addresses are checked when connecting); throws `invalid_request`. */
export function checkWebhookUrl(raw: string, policy: UrlPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new EarshotError('invalid_request', 'webhook url is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new EarshotError('invalid_request', 'webhook url must be http or https');
  if (url.username || url.password)
    throw new EarshotError('invalid_request', 'webhook url must not carry credentials (sign with the secret instead)');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (
    !policy.allowPrivate &&
    (isIP(host) ? isPrivateAddress(host) : /^(localhost|.*\.localhost|.*\.local|.*\.internal)$/i.test(host))
  ) {
    throw new EarshotError(
      'invalid_request',
      `webhook url points at a private or loopback address (${host}); the operator can allow it with EARSHOT_WEBHOOK_ALLOW_PRIVATE`,
    );
  }
  return url;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http(s).request that refuses private addresses unless allowed: the address checked is the one the
 * socket then connects to.
 */
export function guardedLookup(policy: UrlPolicy) {
  return (hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const list = addresses as LookupAddress[];
      const refused = policy.allowPrivate ? undefined : list.find((a) => isPrivateAddress(a.address));
      if (refused) {
        const error = Object.assign(
          new Error(`webhook host ${hostname} resolves to a non-public address (${refused.address})`),
          { code: 'EWEBHOOKPRIVATE' },
        );
        return callback(error, '');
      }
      if (options.all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
      callback(null, first.address, first.family);
    });
  };
}
