/** Test PKI: fake countries with CSCAs and DSCs, built with the same factory the dev keys use. */
import type { webcrypto } from 'node:crypto';
import { createCsca, createDsc, generateKeyPair } from '../../../src/trust/cert-factory.ts';
import { buildDidDocument } from '../../../src/trust/publish.ts';
import type { DidDocument } from '../../../src/trust/did-trustlist.ts';

export const NOW = new Date('2026-06-01T00:00:00Z');
export const DAY = 86_400_000;
export const days = (n: number): Date => new Date(NOW.getTime() + n * DAY);

export interface TestCa {
  country: string;
  der: Uint8Array;
  keys: webcrypto.CryptoKeyPair;
}

export interface TestDsc {
  der: Uint8Array;
  keys: webcrypto.CryptoKeyPair;
  ca: TestCa;
}

export async function makeCa(
  country: string,
  init: { notBefore?: Date; notAfter?: Date; commonName?: string } = {},
): Promise<TestCa> {
  const keys = await generateKeyPair();
  const der = await createCsca({
    country,
    keys,
    notBefore: init.notBefore ?? days(-365),
    notAfter: init.notAfter ?? days(3650),
    commonName: init.commonName,
  });
  return { country, der, keys };
}

export async function makeDsc(
  ca: TestCa,
  init: {
    country?: string;
    notBefore?: Date;
    notAfter?: Date;
    keys?: webcrypto.CryptoKeyPair;
    issuerName?: string;
    commonName?: string;
    extKeyUsage?: string[] | null;
    keyUsage?: number;
    authorityKeyId?: boolean;
  } = {},
): Promise<TestDsc> {
  const keys = init.keys ?? (await generateKeyPair());
  const der = await createDsc({
    country: init.country ?? ca.country,
    issuerCert: ca.der,
    issuerPrivateKey: ca.keys.privateKey,
    publicKey: keys.publicKey,
    notBefore: init.notBefore ?? days(-30),
    notAfter: init.notAfter ?? days(335),
    issuerName: init.issuerName,
    commonName: init.commonName,
    extKeyUsage: init.extKeyUsage,
    keyUsage: init.keyUsage,
    authorityKeyId: init.authorityKeyId,
  });
  return { der, keys, ca };
}

export const tnDid = (domain: string, participant: string, usage?: string): string =>
  ['did:web:tng.test:v2:trustlist', domain, participant, ...(usage ? [usage] : [])].join(':');

/** One participant's embedded DID document (SCA + DSC entries), as the TNG publishes it. */
export function participantDocument(domain: string, participant: string, cas: TestCa[], dscs: TestDsc[]): DidDocument {
  return buildDidDocument(tnDid(domain, participant), [
    ...cas.map((c) => ({ der: c.der })),
    ...dscs.map((d) => ({ der: d.der, chain: [d.ca.der] })),
  ]);
}
