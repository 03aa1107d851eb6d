/**
 * The "must show": a credential signed by this server verifies against a trust list that holds our DID
 * document as another gateway would publish it, and fails with a clear reason when the DSC is removed, expired,
 * or re-signed by another CSCA; rotation keeps old credentials verifiable. Signatures are real COSE_Sign1 made
 * and checked by formats/hcert.
 */
import { createPrivateKey, webcrypto, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose';
import { signCoseSign1With } from '../../../src/formats/hcert/cose-sign1.ts';
import { encodeCwtClaims } from '../../../src/formats/hcert/cwt.ts';
import { verifyCoseSign1 } from '../../../src/formats/hcert/verify.ts';
import { generateDevKeys } from '../../../src/trust/dev-keys.ts';
import {
  issuerKeysFromPem,
  loadIssuerKeys,
  type IssuerDsc,
  type IssuerKeySet,
} from '../../../src/trust/issuer-keys.ts';
import { buildDidDocument, buildIssuerDidDocument } from '../../../src/trust/publish.ts';
import { createTrustListSync } from '../../../src/trust/sync.ts';
import { hcertKeyLookup } from '../../../src/trust/hcert-key-lookup.ts';
import { buildTrustList } from '../../../src/trust/trust-list.ts';
import { trustSelf } from '../../../src/trust/trust-self.ts';
import { createDsc, privateKeyToPem } from '../../../src/trust/cert-factory.ts';
import { toPem } from '../../../src/trust/x509.ts';
import { NOW, days, makeCa, makeDsc, participantDocument } from './pki.ts';
import { json, serve } from './serve.ts';

const DID = 'did:web:gw.example.org:trustlist:DCC:XXX';

function sign(dsc: IssuerDsc, country: string, at: Date): Promise<Uint8Array> {
  const iat = Math.floor(at.getTime() / 1000);
  const claims = encodeCwtClaims({
    iss: country,
    iat,
    exp: iat + 365 * 86400,
    hcert: new Map([[1, { ver: '1.3.0' }]]),
  });
  return signCoseSign1With(claims, { signer: dsc.signer, kid: dsc.kidBytes });
}

let dir: string;
let keys: IssuerKeySet;
let shcPrivateKey: KeyObject;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trust-flow-'));
  const paths = await generateDevKeys({ dir, country: 'XX', now: NOW });
  keys = await loadIssuerKeys({ ...paths, now: NOW });
  shcPrivateKey = createPrivateKey(await readFile(paths.shcKeyPath, 'utf8'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('credential signed by this server, verified through a peer trust list', () => {
  test('when our DID document is in the downloaded list, then the COSE signature verifies via the kid lookup', async () => {
    const peer = await makeCa('XA');
    const peerDoc = participantDocument('DCC', 'XXA', [peer], [await makeDsc(peer)]);
    const server = await serve(json([peerDoc, buildIssuerDidDocument(keys, DID)]));
    try {
      const sync = createTrustListSync({
        source: { url: server.url },
        fetch,
        cacheFile: join(dir, 'cache.json'),
        maxAgeMs: 86_400_000,
        now: () => NOW,
      });
      expect((await sync.refresh()).ok).toBe(true);
      const verdict = await verifyCoseSign1(
        await sign(keys.signer, 'XX', NOW),
        hcertKeyLookup(sync.list, { asOf: NOW }),
        {
          validationTime: NOW,
        },
      );
      expect(verdict.valid).toBe(true);
      expect((verdict.key!.ref as { entry: { kid: string } }).entry.kid).toBe(keys.signer.kid);
    } finally {
      await server.close();
    }
  });

  test('when our DSC is removed from the list, then verification fails with KID_UNKNOWN', async () => {
    const list = buildTrustList({ documents: buildDidDocument(DID, [{ der: keys.csca.der }]), now: NOW });
    const verdict = await verifyCoseSign1(await sign(keys.signer, 'XX', NOW), hcertKeyLookup(list, { asOf: NOW }), {
      validationTime: NOW,
    });
    expect(verdict.valid).toBe(false);
    expect(verdict.error!.code).toBe('KID_UNKNOWN');
    expect(verdict.error!.message).toBe(`COSE: no key is known for kid ${keys.signer.kid}`);
  });

  test('when our DSC has expired at verification time, then the lookup offers no trusted key and the verdict says why', async () => {
    const list = buildTrustList({ documents: buildIssuerDidDocument(keys, DID), now: NOW });
    const later = new Date(keys.signer.certificate.notAfter.getTime() + 86_400_000);
    const verdict = await verifyCoseSign1(await sign(keys.signer, 'XX', NOW), hcertKeyLookup(list, { asOf: later }), {
      validationTime: NOW,
    });
    expect(verdict.error!.code).toBe('KID_UNKNOWN');
    const [candidate] = list.lookupByKid(keys.signer.kidBytes, { country: 'XX', asOf: later });
    expect(candidate!.verdict.reasons).toEqual([
      { code: 'validity', message: `expired at ${keys.signer.certificate.notAfter.toISOString()}` },
    ]);
  });

  test('when our DSC is listed under another CSCA that re-signed it, then its chain fails and it is not trusted', async () => {
    const impostor = await makeCa('XX', { commonName: 'Development CSCA XX' });
    // The list carries another CSCA for XX, not ours: our DSC's AKI matches no anchor.
    const doc = buildDidDocument(DID, [
      { der: impostor.der },
      { der: keys.signer.certificate.der, chain: [impostor.der] },
    ]);
    const list = buildTrustList({ documents: doc, now: NOW });
    const [candidate] = list.lookupByKid(keys.signer.kid);
    expect(candidate!.verdict.reasons.map((r) => r.code)).toEqual(['chain']);
    const verdict = await verifyCoseSign1(await sign(keys.signer, 'XX', NOW), hcertKeyLookup(list, { asOf: NOW }), {
      validationTime: NOW,
    });
    expect(verdict.error!.code).toBe('KID_UNKNOWN');
  });

  test("when our DSC key is re-certified by another country's CSCA under our kid, then the candidate is refused for country mismatch", async () => {
    const other = await makeCa('XB');
    const spki = keys.signer.certificate.publicKey.export({ type: 'spki', format: 'der' });
    const publicKey = await webcrypto.subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'verify',
    ]);
    const resigned = await createDsc({
      country: 'XX',
      issuerCert: other.der,
      issuerPrivateKey: other.keys.privateKey,
      publicKey,
      notBefore: days(-1),
      notAfter: days(300),
    });
    const doc = buildDidDocument(DID, [{ der: other.der }, { der: resigned, chain: [other.der] }]);
    (doc.verificationMethod[1] as { publicKeyJwk: { kid?: string } }).publicKeyJwk.kid = keys.signer.kid;
    const list = buildTrustList({ documents: doc, now: NOW });
    const [candidate] = list.lookupByKid(keys.signer.kid, { country: 'XX' });
    expect(candidate!.verdict.reasons).toEqual([
      { code: 'country-mismatch', message: "DSC country XX differs from its CSCA's country XB" },
    ]);
    const verdict = await verifyCoseSign1(await sign(keys.signer, 'XX', NOW), hcertKeyLookup(list, { asOf: NOW }), {
      validationTime: NOW,
    });
    expect(verdict.error!.code).toBe('KID_UNKNOWN');
    const untrusted = await verifyCoseSign1(
      await sign(keys.signer, 'XX', NOW),
      hcertKeyLookup(list, { asOf: NOW, includeUntrusted: true }),
      { validationTime: NOW },
    );
    expect((untrusted.key!.ref as { verdict: { ok: boolean } }).verdict.ok).toBe(false);
  });

  test('when the credential claims another issuing country, then the DSC of country XX is not a candidate', async () => {
    const list = buildTrustList({ documents: buildIssuerDidDocument(keys, DID), now: NOW });
    const verdict = await verifyCoseSign1(await sign(keys.signer, 'XA', NOW), hcertKeyLookup(list, { asOf: NOW }), {
      validationTime: NOW,
    });
    expect(verdict.error!.code).toBe('KID_UNKNOWN');
  });

  test('when a new DSC takes over signing, then credentials signed by the old one still verify', async () => {
    const ca = await makeCa('XA');
    const old = await makeDsc(ca, { notBefore: days(-200), notAfter: days(165) });
    const fresh = await makeDsc(ca, { notBefore: days(-1), notAfter: days(364) });
    const pem = async (d: typeof old) => ({ certPem: toPem(d.der), keyPem: await privateKeyToPem(d.keys.privateKey) });
    const before = await issuerKeysFromPem({ cscaCertPem: toPem(ca.der), dscs: [await pem(old)], now: days(-2) });
    const oldCredential = await sign(before.signer, 'XA', days(-2));
    const after = await issuerKeysFromPem({
      cscaCertPem: toPem(ca.der),
      dscs: [await pem(old), await pem(fresh)],
      now: NOW,
    });
    expect(after.signer.kid).not.toBe(before.signer.kid);
    const list = buildTrustList({
      documents: buildIssuerDidDocument(after, 'did:web:gw.example.org:trustlist:DCC:XXA'),
      now: NOW,
    });
    const lookup = hcertKeyLookup(list, { asOf: NOW });
    expect((await verifyCoseSign1(oldCredential, lookup, { validationTime: NOW })).valid).toBe(true);
    expect((await verifyCoseSign1(await sign(after.signer, 'XA', NOW), lookup, { validationTime: NOW })).valid).toBe(
      true,
    );
  });

  test('when an SHC JWS is signed with our SHC key, then the key found by issuer URL + kid verifies it', async () => {
    const { shcIssuers, documents } = await trustSelf(keys, { did: DID, issuerUrl: 'https://gw.example.org' });
    const sync = createTrustListSync({
      fetch,
      cacheFile: join(dir, 'unused.json'),
      maxAgeMs: 1,
      now: () => NOW,
      local: { documents, shcIssuers },
    });
    const jws = await new CompactSign(new TextEncoder().encode('{"iss":"https://gw.example.org"}'))
      .setProtectedHeader({ alg: 'ES256', zip: 'DEF', kid: keys.shc!.kid })
      .sign(shcPrivateKey);
    const header = decodeProtectedHeader(jws);
    const found = sync.lookupShc('https://gw.example.org', String(header.kid));
    expect(found.warnings).toEqual([]);
    const { payload } = await compactVerify(jws, found.key!.publicKey);
    expect(new TextDecoder().decode(payload)).toBe('{"iss":"https://gw.example.org"}');
    expect(sync.lookupShc('https://other.example', String(header.kid)).key).toBeUndefined();
  });
});
