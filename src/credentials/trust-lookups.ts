/**
 * The trust lookups the credential services need, typed structurally so that `TrustListSync` (the running server's
 * synchronised list, with staleness warnings) and a plain `TrustList` (tests, CLI) both fit.
 */
import type { KeyCandidate, TrustList } from '../trust/trust-list.ts';
import type { ShcKey } from '../trust/shc-directory.ts';
import type { MessageId } from '../fhir/message-ids.ts';

export interface TrustNotice {
  code: MessageId;
  message: string;
}

export interface TrustLookups {
  lookupByKid(
    kid: string | Uint8Array,
    options?: { country?: string; asOf?: Date },
  ): { candidates: readonly KeyCandidate[]; warnings: readonly TrustNotice[] };
  lookupShc(iss: string, kid: string): { key: ShcKey | undefined; warnings: readonly TrustNotice[] };
}

/**
 * Adapts a plain TrustList (no staleness tracking) to TrustLookups.
 * @example verifyCredential(hc1, { validationTime, trust: trustLookupsFromList(buildTrustList({ documents, now })) })
 */
export function trustLookupsFromList(list: TrustList): TrustLookups {
  return {
    lookupByKid: (kid, options) => ({ candidates: list.lookupByKid(kid, options), warnings: [] }),
    lookupShc: (iss, kid) => ({ key: list.lookupShc(iss, kid), warnings: [] }),
  };
}
