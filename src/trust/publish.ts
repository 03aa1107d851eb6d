/**
 * Pure builders for what we publish: the SHC JWKS (`/.well-known/jwks.json`, https://spec.smarthealth.cards/#determining-keys-associated-with-an-issuer),
 * our keys as a GDHCN-shaped DID document (`/trust/did.json`, https://smart.who.int/trust/concepts_did_gdhcn.html)
 * and a PEM bundle (`/trust/certificates`). Only public material goes in.
 */
import type { JWK } from 'jose';
import type { DidDocument, DidVerificationMethod } from './did-trustlist.ts';
import type { IssuerKeySet } from './issuer-keys.ts';
import { readCertificate, toPem } from './x509.ts';

const DID_CONTEXT = ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'];

/** `did:web` for a base URL: host (port percent-encoded) then path segments joined by `:` (did:web method spec §3.1). */
export function didWebFromUrl(url: string): string {
  const u = new URL(url);
  const host = u.port ? `${u.hostname}%3A${u.port}` : u.hostname;
  const path = u.pathname.split('/').filter(Boolean).map(encodeURIComponent);
  return ['did:web', host, ...path].join(':');
}

/** One JsonWebKey2020 verification method: the certificate's public JWK, its HCERT kid and `x5c` = [cert, …chain]. */
export function verificationMethodFor(
  did: string,
  certDer: Uint8Array,
  chainDers: readonly Uint8Array[] = [],
): DidVerificationMethod {
  const cert = readCertificate(certDer);
  const jwk = cert.publicKey.export({ format: 'jwk' }) as Record<string, string>;
  const pub = jwk.kty === 'EC' ? { crv: jwk.crv!, x: jwk.x!, y: jwk.y! } : { n: jwk.n!, e: jwk.e! };
  return {
    id: `${did}#${cert.kid}`,
    type: 'JsonWebKey2020',
    controller: did,
    publicKeyJwk: {
      kty: jwk.kty!,
      kid: cert.kid,
      x5c: [certDer, ...chainDers].map((d) => Buffer.from(d).toString('base64')),
      ...pub,
    },
  };
}

/** A DID document listing certificates, in the GDHCN trust-list shape (no proof: we do not sign it). */
export function buildDidDocument(
  did: string,
  certificates: readonly { der: Uint8Array; chain?: readonly Uint8Array[] }[],
): DidDocument {
  return {
    '@context': DID_CONTEXT,
    id: did,
    controller: did,
    verificationMethod: certificates.map((c) => verificationMethodFor(did, c.der, c.chain)),
  };
}

/**
 * Our keys as a peer gateway would consume them: the CSCA (x5c = [csca]) and every not-yet-expired DSC
 * (x5c = [dsc, csca]). Use a `did` ending in `:trustlist:<domain>:<participant>` to carry those levels.
 */
export function buildIssuerDidDocument(keys: IssuerKeySet, did: string): DidDocument {
  return buildDidDocument(did, [
    { der: keys.csca.der },
    ...keys.dscs.map((d) => ({ der: d.certificate.der, chain: [keys.csca.der] })),
  ]);
}

/**
 * SHC issuer JWKS: the signing key (with `x5c` when it has a certificate) first, then the retired keys, each under
 * its own `kid`, so cards signed before a rotation keep verifying. Public keys only.
 */
export function buildJwks(keys: IssuerKeySet): { keys: JWK[] } {
  return {
    keys: [
      ...(keys.shc ? [{ ...keys.shc.publicJwk }] : []),
      ...(keys.shcRetired ?? []).map((r) => ({ ...r.publicJwk })),
    ],
  };
}

/** PEM bundle: CSCA first, then the DSCs (newest first). */
export function buildPemList(keys: IssuerKeySet): string {
  return [keys.csca.der, ...keys.dscs.map((d) => d.certificate.der)].map(toPem).join('');
}
