/**
 * What every issuance service needs, built once by the composition root and passed in: keys, terminology from
 * the loaded packages, the issuing Organization, the storage port, the injected validator, trust lookups and the
 * sources of randomness. Time is passed per call.
 */
import { randomBytes as nodeRandomBytes, randomUUID } from 'node:crypto';
import type { OperationOutcome, Organization } from '@medplum/fhirtypes';
import { fail } from '../fhir/outcome.ts';
import { type IssuerDsc, type IssuerKeySet, signerAt } from '../trust/issuer-keys.ts';
import type { ResourceStore } from '../storage/store.ts';
import type { CredentialTerminology } from './mapping/terminology.ts';
import type { TrustLookups } from './trust-lookups.ts';

/** Validation as a function: `(resource, profileCanonical) => OperationOutcome` (the engine stays out of here). */
export type ValidateFn = (resource: unknown, profile: string) => OperationOutcome;

export interface IssuerContext {
  keys: IssuerKeySet;
  terminology: CredentialTerminology;
  /** The issuing authority (DDCCOrganization: `name` required; `name` is also the EU DCC `v.is`). */
  organization: Organization;
  store: ResourceStore;
  /** Checks the DDCC document before it is handed out; absent = not checked. */
  validate?: ValidateFn;
  /** For the issuer-side "is our DSC in the trust list" warning. */
  trust?: TrustLookups;
  /** SHC `iss`: this issuer's base URL, https, no trailing slash. */
  shcIssuerUrl?: string;
  newUuid: () => string;
  randomBytes: (size: number) => Uint8Array;
}

/** Node's CSPRNG as the default randomness (tests pass their own). */
export const NODE_RANDOMNESS = Object.freeze({
  newUuid: randomUUID,
  randomBytes: (n: number) => new Uint8Array(nodeRandomBytes(n)),
});

/**
 * Crockford-style base32 of random bytes: an unambiguous upper-case id part.
 * @example randomIdPart(NODE_RANDOMNESS.randomBytes) // '7Q2M…' (26 characters)
 */
export function randomIdPart(randomBytes: (n: number) => Uint8Array, chars = 26): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const bytes = randomBytes(chars);
  let out = '';
  for (let i = 0; i < chars; i++) out += alphabet[bytes[i]! & 31];
  return out;
}

/**
 * The DSC that signs at `now`; 500 ISSUER_NO_VALID_DSC when none is valid (every issuance path checks this first).
 * @example const dsc = signingDsc(ctx.keys, now) // dsc.signer, dsc.kid
 */
export function signingDsc(keys: IssuerKeySet, now: Date): IssuerDsc {
  return (
    signerAt(keys, now) ??
    fail('internal', { code: 'exception', id: 'ISSUER_NO_VALID_DSC', text: `No DSC is valid at ${now.toISOString()}` })
  );
}
