/**
 * TRUST_SELF: our own issuer keys as trust-list input, exactly as a peer gateway would consume our published
 * DID document and JWKS, so that credentials this server signs verify through the same lookup path.
 */
import type { DidDocument } from './did-trustlist.ts';
import type { IssuerKeySet } from './issuer-keys.ts';
import { buildIssuerDidDocument, buildJwks } from './publish.ts';
import { shcIssuerFromJwks, type ShcIssuer } from './shc-directory.ts';

export interface SelfTrust {
  documents: DidDocument[];
  shcIssuers: ShcIssuer[];
}

/**
 * @param did the DID under which we publish (see `didWebFromUrl`)
 * @param issuerUrl our SHC `iss` (base URL, no trailing slash)
 */
export async function trustSelf(keys: IssuerKeySet, options: { did: string; issuerUrl: string }): Promise<SelfTrust> {
  const documents = [buildIssuerDidDocument(keys, options.did)];
  const jwks = buildJwks(keys);
  if (jwks.keys.length === 0) return { documents, shcIssuers: [] };
  const { issuer } = await shcIssuerFromJwks(options.issuerUrl, jwks, { name: 'this server', source: 'self' });
  return { documents, shcIssuers: [issuer] };
}
