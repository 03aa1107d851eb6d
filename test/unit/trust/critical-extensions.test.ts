/**
 * RFC 5280 §4.2: a certificate with a critical extension the relying party does not process is refused. A DSC or
 * SCA carrying one gets the `critical-extension` verdict with the OID named; our own issuer keys refuse one too.
 * The same extension marked non-critical is ignored.
 */
import { createDsc, generateKeyPair } from '../../../src/trust/cert-factory.ts';
import { x509 } from '../../../src/trust/peculiar.ts';
import { buildTrustList } from '../../../src/trust/trust-list.ts';
import { issuerKeysFromPem } from '../../../src/trust/issuer-keys.ts';
import { privateKeyToPem } from '../../../src/trust/cert-factory.ts';
import { readCertificate, toPem } from '../../../src/trust/x509.ts';
import { days, makeCa, makeDsc, NOW, participantDocument } from './pki.ts';

const UNKNOWN_OID = '1.3.6.1.4.1.99999.7.1';
const extension = (critical: boolean) => new x509.Extension(UNKNOWN_OID, critical, new Uint8Array([0x05, 0x00]));

async function dscWith(ca: Awaited<ReturnType<typeof makeCa>>, critical: boolean) {
  const keys = await generateKeyPair();
  const der = await createDsc({
    country: ca.country,
    issuerCert: ca.der,
    issuerPrivateKey: ca.keys.privateKey,
    publicKey: keys.publicKey,
    notBefore: days(-30),
    notAfter: days(300),
    extraExtensions: [extension(critical)],
  });
  return { der, keys, ca };
}

test('when a DSC carries an unknown critical extension, then its verdict is critical-extension naming the OID and its kid finds no usable key', async () => {
  const ca = await makeCa('XA');
  const bad = await dscWith(ca, true);
  const tolerated = await dscWith(ca, false);
  const list = buildTrustList({ documents: [participantDocument('DCC', 'XA', [ca], [bad, tolerated])], now: NOW });
  const byKid = new Map(list.details().map((d) => [d.kid, d]));
  const badKid = readCertificate(bad.der).kid;
  expect(byKid.get(badKid)!.reasons).toEqual([
    { code: 'critical-extension', message: `unknown critical extension ${UNKNOWN_OID}: refused (RFC 5280 §4.2)` },
  ]);
  expect(byKid.get(readCertificate(tolerated.der).kid)!.reasons).toEqual([]);
  const lookup = list.lookupByKid(Buffer.from(badKid, 'base64'), { country: 'XA', asOf: NOW });
  expect(lookup.map((c) => c.verdict.ok)).toEqual([false]);
});

test('when an SCA carries an unknown critical extension, then it is not an anchor and its DSCs do not verify', async () => {
  const keys = await generateKeyPair();
  const { createCsca } = await import('../../../src/trust/cert-factory.ts');
  const der = await createCsca({
    country: 'XB',
    keys,
    notBefore: days(-10),
    notAfter: days(3000),
    extraExtensions: [extension(true)],
  });
  const ca = { country: 'XB', der, keys };
  const dsc = await makeDsc(ca);
  const list = buildTrustList({ documents: [participantDocument('DCC', 'XB', [ca], [dsc])], now: NOW });
  const byKid = new Map(list.details().map((d) => [d.kid, d]));
  expect(byKid.get(readCertificate(der).kid)!.reasons.map((r) => r.code)).toEqual(['critical-extension']);
  expect(byKid.get(readCertificate(dsc.der).kid)!.reasons.map((r) => r.code)).toEqual(['anchor']);
});

test('when our own DSC carries an unknown critical extension, then the issuer keys are refused with the reason', async () => {
  const ca = await makeCa('XC');
  const dsc = await dscWith(ca, true);
  await expect(
    issuerKeysFromPem({
      cscaCertPem: toPem(ca.der),
      dscs: [{ certPem: toPem(dsc.der), keyPem: await privateKeyToPem(dsc.keys.privateKey), label: 'dsc.pem' }],
      now: NOW,
    }),
  ).rejects.toMatchObject({
    code: 'ISSUER_KEYS_INVALID',
    problems: [`dsc.pem: unknown critical extension ${UNKNOWN_OID}: refused (RFC 5280 §4.2)`],
  });
});
