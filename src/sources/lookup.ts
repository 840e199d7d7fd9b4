/**
 * The DNS step of a URL fetch, with the address policy applied to what it returns. It is
 * handed to http.request as its `lookup`, so the address checked is the address connected
 * to: a name that resolves to a public address while checked and to 127.0.0.1 when
 * connected (DNS rebinding) cannot slip through, because there is only one resolution.
 */
import { promises as dns } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { refuseAddress } from './address.ts';
import { SourceError } from './errors.ts';
import type { ResolvedAddress, Resolver } from './policy.ts';

async function systemResolve(hostname: string): Promise<ResolvedAddress[]> {
  const all = await dns.lookup(hostname, { all: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
}

/**
 * A `lookup` for http.request that drops the addresses the policy refuses and fails with a
 * SourceError('blocked-address') when none is left. `prefixHosts` are the hostnames of the
 * configured prefixes (a prefix naming an IP literal opens that address).
 */
export function guardedLookup(prefixHosts: readonly string[], resolver: Resolver = systemResolve): LookupFunction {
  return (hostname: string, options: LookupOptions, callback) => {
    resolver(hostname).then(
      (found) => {
        const wanted = options.family === 4 || options.family === 6 ? found.filter((a) => a.family === options.family) : found;
        const ok: LookupAddress[] = [];
        let firstRefusal: string | null = null;
        for (const a of wanted) {
          const refusal = refuseAddress(a.address, prefixHosts);
          if (refusal === null) ok.push({ address: a.address, family: a.family });
          else firstRefusal ??= refusal;
        }
        if (ok.length === 0) {
          const err = firstRefusal !== null
            ? new SourceError(firstRefusal, 'blocked-address')
            : new SourceError(`host '${hostname}' has no ${options.family ? `IPv${options.family} ` : ''}address`, 'network');
          callback(err as NodeJS.ErrnoException, '', 0);
          return;
        }
        if (options.all) callback(null, ok);
        else callback(null, ok[0]!.address, ok[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}
