import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevKeys, generateDevKeys } from '../../../src/trust/dev-keys.ts';
import { issuerKeysFromPem, loadIssuerKeys, signerAt, verifiersAt } from '../../../src/trust/issuer-keys.ts';
import { generateKeyPair, privateKeyToPem } from '../../../src/trust/cert-factory.ts';
import { TrustError } from '../../../src/trust/errors.ts';
import { readCertificate, toPem } from '../../../src/trust/x509.ts';
import { NOW, days, makeCa, makeDsc, type TestDsc } from './pki.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trust-keys-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function pemOf(d: TestDsc, label?: string) {
  return { certPem: toPem(d.der), keyPem: await privateKeyToPem(d.keys.privateKey), label };
}

async function rejection(p: Promise<unknown>): Promise<TrustError> {
  try {
    await p;
  } catch (e) {
    return e as TrustError;
  }
  throw new Error('expected a rejection');
}

describe('generateDevKeys + loadIssuerKeys', () => {
  test('when dev keys are generated, then they load as a valid key set with an SHC key and 0600 private keys', async () => {
    const paths = await generateDevKeys({ dir, country: 'xx', now: NOW });
    const keys = await loadIssuerKeys({ ...paths, now: NOW });
    expect(keys.country).toBe('XX');
    expect(keys.dscs).toHaveLength(1);
    expect(keys.signer.alg).toBe('ES256');
    expect(keys.signer.kid).toBe(readCertificate(await readFile(paths.dscCertPaths[0]!, 'utf8')).kid);
    expect(keys.shc!.publicJwk).toMatchObject({
      kty: 'EC',
      crv: 'P-256',
      use: 'sig',
      alg: 'ES256',
      kid: keys.shc!.kid,
    });
    expect(keys.shc!.publicJwk.x5c).toHaveLength(2);
    expect((await stat(paths.dscKeyPaths[0]!)).mode & 0o777).toBe(0o600);
    expect(keys.warnings).toEqual([]);
  });

  test('when keys already exist, then generateDevKeys refuses with DEV_KEYS_EXIST', async () => {
    await generateDevKeys({ dir, now: NOW });
    await expect(generateDevKeys({ dir, now: NOW })).rejects.toThrow(
      new TrustError('DEV_KEYS_EXIST', `Keys already exist in ${dir}; refusing to overwrite them`),
    );
  });

  test('when ensureDevKeys runs twice, then it generates once and then reuses the same files', async () => {
    const first = await ensureDevKeys({ dir, now: NOW });
    const second = await ensureDevKeys({ dir, now: NOW });
    expect([first.generated, second.generated]).toEqual([true, false]);
    const { generated: _a, ...paths1 } = first;
    const { generated: _b, ...paths2 } = second;
    expect(paths2).toEqual(paths1);
    expect((await loadIssuerKeys({ ...paths2, now: NOW })).country).toBe('XX');
  });

  test('when a key file is missing, then every unreadable file is listed', async () => {
    const err = await rejection(
      loadIssuerKeys({
        cscaCertPath: join(dir, 'nope.pem'),
        dscCertPaths: [join(dir, 'a.pem')],
        dscKeyPaths: [join(dir, 'b.pem')],
        now: NOW,
      }),
    );
    expect(err.code).toBe('ISSUER_KEYS_INVALID');
    expect(err.problems).toEqual([
      `${join(dir, 'nope.pem')}: cannot be read (ENOENT)`,
      `${join(dir, 'a.pem')}: cannot be read (ENOENT)`,
      `${join(dir, 'b.pem')}: cannot be read (ENOENT)`,
    ]);
    expect(err.message).toBe(`Issuer keys are not usable: ${err.problems.join('; ')}`);
  });
});

describe('issuerKeysFromPem', () => {
  test('when a DSC breaks several rules, then every problem is reported at once', async () => {
    const ca = await makeCa('XA');
    const other = await makeCa('XB');
    const weak = await makeDsc(ca, {
      keys: await generateKeyPair('RS2048'),
      keyUsage: 32,
      extKeyUsage: ['1.3.6.1.5.5.7.3.1'],
    });
    const foreign = await makeDsc(other);
    const mismatched = {
      ...(await pemOf(await makeDsc(ca), 'mismatch')),
      keyPem: await privateKeyToPem((await generateKeyPair()).privateKey),
    };
    const err = await rejection(
      issuerKeysFromPem({
        cscaCertPem: toPem(ca.der),
        dscs: [await pemOf(weak, 'weak'), await pemOf(foreign, 'foreign'), mismatched],
        now: NOW,
      }),
    );
    expect(err.code).toBe('ISSUER_KEYS_INVALID');
    expect(err.problems).toEqual([
      'weak: key RSA 2048 is not allowed (EC P-256 or RSA >= 3072)',
      'weak: keyUsage lacks digitalSignature (has keyCertSign)',
      'weak: extendedKeyUsage names no HCERT type (1.3.6.1.5.5.7.3.1)',
      `foreign: not signed by the CSCA: issuer "C=XB, CN=CSCA XB" is not the CSCA subject "C=XA, CN=CSCA XA"`,
      'foreign: country XB differs from the CSCA country XA',
      'mismatch: private key does not belong to the certificate',
    ]);
  });

  test('when the only DSC has expired, then loading fails with no DSC valid', async () => {
    const ca = await makeCa('XA');
    const old = await makeDsc(ca, { notBefore: days(-400), notAfter: days(-1) });
    const err = await rejection(
      issuerKeysFromPem({ cscaCertPem: toPem(ca.der), dscs: [await pemOf(old, 'old')], now: NOW }),
    );
    expect(err.problems).toEqual([`no DSC is valid at ${NOW.toISOString()}`]);
  });

  test('when an RSA 3072 DSC is configured, then it loads and signs with PS256', async () => {
    const ca = await makeCa('XA');
    const rsa = await makeDsc(ca, { keys: await generateKeyPair('RS3072') });
    const keys = await issuerKeysFromPem({ cscaCertPem: toPem(ca.der), dscs: [await pemOf(rsa)], now: NOW });
    expect(keys.signer.alg).toBe('PS256');
  });

  test('when several DSCs are configured, then the newest valid one signs and every valid one verifies', async () => {
    const ca = await makeCa('XA');
    const old = await makeDsc(ca, { notBefore: days(-300), notAfter: days(65) });
    const current = await makeDsc(ca, { notBefore: days(-10), notAfter: days(355) });
    const next = await makeDsc(ca, { notBefore: days(30), notAfter: days(395) });
    const expired = await makeDsc(ca, { notBefore: days(-500), notAfter: days(-135) });
    const keys = await issuerKeysFromPem({
      cscaCertPem: toPem(ca.der),
      dscs: [
        await pemOf(old, 'old'),
        await pemOf(current, 'current'),
        await pemOf(next, 'next'),
        await pemOf(expired, 'expired'),
      ],
      now: NOW,
    });
    const kid = (d: TestDsc) => readCertificate(d.der).kid;
    expect(keys.signer.kid).toBe(kid(current));
    expect(verifiersAt(keys, NOW).map((d) => d.kid)).toEqual([kid(current), kid(old)]);
    expect(signerAt(keys, days(31))!.kid).toBe(kid(next));
    expect(verifiersAt(keys, days(70)).map((d) => d.kid)).toEqual([kid(next), kid(current)]);
    expect(keys.warnings).toEqual([
      `next: not valid before ${days(30).toISOString()}, will sign from then`,
      `expired: expired at ${days(-135).toISOString()}, not used`,
    ]);
  });

  test('when the SHC key is not P-256, then it is refused', async () => {
    const ca = await makeCa('XA');
    const rsa = await generateKeyPair('RS2048');
    const err = await rejection(
      issuerKeysFromPem({
        cscaCertPem: toPem(ca.der),
        dscs: [await pemOf(await makeDsc(ca))],
        shcKeyPem: await privateKeyToPem(rsa.privateKey),
        now: NOW,
      }),
    );
    expect(err.problems).toEqual(['SHC key: must be EC P-256 (ES256)']);
  });
});
