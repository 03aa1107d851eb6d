import { createHash } from 'node:crypto';
import {
  checkIssuedBy,
  checkKeyStrength,
  checkSigningUsage,
  checkValidity,
  readCertificate,
  toPem,
} from '../../../src/trust/x509.ts';
import { TrustError } from '../../../src/trust/errors.ts';
import { generateKeyPair } from '../../../src/trust/cert-factory.ts';
import { days, makeCa, makeDsc } from './pki.ts';
import { REAL_XA_DSC, REAL_XA_SCA } from './real-shape.ts';

describe('readCertificate', () => {
  test('when a DSC is read, then country, key identifiers, usages and the HCERT kid are exposed', async () => {
    const ca = await makeCa('XA');
    const dsc = await makeDsc(ca);
    const facts = readCertificate(dsc.der);
    const anchor = readCertificate(toPem(ca.der));
    expect(facts.country).toBe('XA');
    expect(facts.isCa).toBe(false);
    expect(anchor.isCa).toBe(true);
    expect(facts.authorityKeyId).toBe(anchor.subjectKeyId);
    expect(facts.keyUsage).toEqual(['digitalSignature']);
    expect(anchor.keyUsage).toEqual(['keyCertSign', 'cRLSign']);
    expect(facts.extKeyUsage).toEqual(expect.arrayContaining(['1.3.6.1.4.1.1847.2021.1.2']));
    expect(facts.kid).toBe(createHash('sha256').update(dsc.der).digest().subarray(0, 8).toString('base64'));
    expect(facts.keyDescription).toBe('EC P-256');
  });

  test('when the published GDHCN example DSC is read, then its kid equals the one in the spec example', () => {
    const dsc = readCertificate(REAL_XA_DSC);
    const sca = readCertificate(REAL_XA_SCA);
    expect(dsc.kid).toBe('XPjhL9Znd1M=');
    expect(dsc.country).toBe('XA');
    expect(dsc.authorityKeyId).toBe(sca.subjectKeyId);
    expect(checkIssuedBy(dsc, sca)).toEqual([]);
  });

  test('when the input is not a certificate, then CERT_UNPARSEABLE is thrown', () => {
    expect(() => readCertificate('not a cert!')).toThrow(
      new TrustError('CERT_UNPARSEABLE', 'Certificate is neither PEM nor base64 DER'),
    );
    let err: unknown;
    try {
      readCertificate('AAAA');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TrustError);
    expect((err as TrustError).code).toBe('CERT_UNPARSEABLE');
    expect((err as TrustError).message).toMatch(/^Certificate could not be parsed: /);
  });
});

describe('certificate checks', () => {
  test('when a DSC is outside its validity period, then expired or not-yet-valid is reported', async () => {
    const ca = await makeCa('XA');
    const dsc = readCertificate((await makeDsc(ca, { notBefore: days(-10), notAfter: days(10) })).der);
    expect(checkValidity(dsc, days(0))).toEqual([]);
    expect(checkValidity(dsc, days(11))[0]!.code).toBe('expired');
    expect(checkValidity(dsc, days(-11))[0]!.code).toBe('not-yet-valid');
  });

  test('when a DSC names a CSCA that did not sign it, then a signature problem is reported', async () => {
    const ca = await makeCa('XA');
    const rogue = await makeCa('XA'); // same subject name, other key
    const dsc = readCertificate((await makeDsc(rogue)).der);
    expect(checkIssuedBy(dsc, readCertificate(ca.der))).toEqual([
      { code: 'signature', message: `signature does not verify with the key of CSCA ${readCertificate(ca.der).kid}` },
    ]);
  });

  test('when key usage or EKU do not allow signing HCERTs, then each is reported', async () => {
    const ca = await makeCa('XA');
    const dsc = readCertificate((await makeDsc(ca, { keyUsage: 32, extKeyUsage: ['1.3.6.1.5.5.7.3.1'] })).der);
    expect(checkSigningUsage(dsc)).toEqual([
      { code: 'key-usage', message: 'keyUsage lacks digitalSignature (has keyCertSign)' },
      { code: 'ext-key-usage', message: 'extendedKeyUsage names no HCERT type (1.3.6.1.5.5.7.3.1)' },
    ]);
  });

  test('when the key is RSA 2048 and policy requires 3072, then weak-key is reported', async () => {
    const ca = await makeCa('XA');
    const dsc = readCertificate((await makeDsc(ca, { keys: await generateKeyPair('RS2048') })).der);
    expect(checkKeyStrength(dsc, { minRsaBits: 3072, curves: ['P-256'] })).toEqual([
      { code: 'weak-key', message: 'key RSA 2048 is not allowed (EC P-256 or RSA >= 3072)' },
    ]);
    expect(checkKeyStrength(dsc, { minRsaBits: 2048, curves: ['P-256'] })).toEqual([]);
  });
});
