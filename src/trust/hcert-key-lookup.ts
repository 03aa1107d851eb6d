/**
 * Adapts the trust list to the key-lookup callback of the HCERT verifier in `formats/hcert`
 * (`(kid, issuerCountry) => Promise<CandidateKey[]>`): every DSC published under the kid, of the credential's
 * issuing country, whose verdict is good at `asOf`. Kids are short hashes and may collide, so all candidates go
 * back and the verifier tries each (HCERT spec §3.3.1). Typed structurally so trust/ needs no formats/ import.
 */
import type { KeyObject } from 'node:crypto';
import type { KeyCandidate, TrustList } from './trust-list.ts';

export interface HcertLookupKey {
  publicKey: KeyObject;
  /** The trust-list candidate (entry + verdict), handed back by the verifier with the key that verified. */
  ref: KeyCandidate;
}

export interface HcertKeyLookupOptions {
  asOf: Date;
  /** Also return candidates with a bad verdict (to tell "signed by an untrusted DSC" from "unknown kid"). */
  includeUntrusted?: boolean;
}

export function hcertKeyLookup(
  list: TrustList | (() => TrustList),
  options: HcertKeyLookupOptions,
): (kid: Uint8Array | undefined, issuerCountry?: string) => Promise<HcertLookupKey[]> {
  return async (kid, issuerCountry) => {
    if (kid === undefined) return [];
    const current = typeof list === 'function' ? list() : list;
    const lookupOptions =
      issuerCountry === undefined ? { asOf: options.asOf } : { asOf: options.asOf, country: issuerCountry };
    return current
      .lookupByKid(kid, lookupOptions)
      .filter((c) => options.includeUntrusted || c.verdict.ok)
      .map((c) => ({ publicKey: c.entry.publicKey, ref: c }));
  };
}
