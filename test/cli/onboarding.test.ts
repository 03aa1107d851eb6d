/**
 * A country onboards with the CLI, as the README walks it: SCA, DSC request signed by the SCA, upload and TLS
 * certificates, `keys import` of the DSC (checked against key, template and SCA), then `trust upload` and
 * `trust revoke-upload` against a TEST DOUBLE of the trust network gateway on 127.0.0.1 that requires the TLS client
 * certificate and checks the CMS signature. Every refusal is a named error with exit code 1.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.ts';
import { EKU_CLIENT_AUTH, PROFILES } from '../../src/trust/cert-profiles.ts';
import { loadIssuerKeys } from '../../src/trust/issuer-keys.ts';
import { x509 } from '../../src/trust/peculiar.ts';
import { HCERT_EKU, readCertificate } from '../../src/trust/x509.ts';
import { startTngGatewayDouble, type TngGatewayDouble } from '../helpers/tng-gateway-double.ts';

const DAY = 86_400_000;
const root = mkdtempSync(join(tmpdir(), 'onboard-'));
const env = { DATA_DIR: join(root, 'data') };
const dir = join(root, 'keys');
const other = join(root, 'other');
const file = (name: string, base = dir) => join(base, name);
const text = (name: string, base = dir) => readFileSync(file(name, base), 'utf8');

async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runCli(argv, env, (s) => {
    out += s;
  });
  return { code, out };
}

let gateway: TngGatewayDouble;

beforeAll(async () => {
  for (const [usage, extra] of [
    ['SCA', []],
    ['DSC', []],
    ['UP', ['--self-signed']],
    ['TLS', ['--self-signed']],
  ] as const)
    expect((await cli('keys', 'csr', '--usage', usage, '--country', 'xa', '--dir', dir, ...extra)).code).toBe(0);
  const signed = await cli(
    ...['keys', 'sign', '--csr', file('dsc.csr.pem'), '--usage', 'DSC'],
    ...['--sca-cert', file('sca.crt.pem'), '--sca-key', file('sca.key.pem')],
  );
  expect(signed).toMatchObject({ code: 0, out: expect.stringContaining(`written to ${file('dsc.crt.pem')}`) });
  // A second country, whose SCA, upload and TLS material the gateway does not hold for XA.
  for (const usage of ['SCA', 'UP', 'TLS'])
    await cli(
      'keys',
      'csr',
      '--usage',
      usage,
      '--country',
      'XB',
      '--dir',
      other,
      ...(usage === 'SCA' ? [] : ['--self-signed']),
    );
  gateway = await startTngGatewayDouble([
    { country: 'XA', tlsCertPem: text('tls.crt.pem'), upCertPem: text('up.crt.pem'), scaCertPem: text('sca.crt.pem') },
  ]);
});
afterAll(() => gateway?.close());
beforeAll(() => writeFileSync(join(root, 'gateway-ca.pem'), gateway.serverCertPem));

describe('keys csr and keys sign', () => {
  test('when an SCA is made, then it is a self-signed CA (pathLen 0, keyCertSign + cRLSign) of the country for 4 years, its key 0600', () => {
    const sca = readCertificate(text('sca.crt.pem'));
    expect(sca.country).toBe('XA');
    expect(sca.isCa).toBe(true);
    expect(sca.keyUsage).toEqual(['keyCertSign', 'cRLSign']);
    expect(new X509Certificate(sca.der).verify(sca.publicKey)).toBe(true);
    expect(Math.round((sca.notAfter.getTime() - sca.notBefore.getTime()) / DAY)).toBe(PROFILES.SCA.validityDays);
    expect(statSync(file('sca.key.pem')).mode & 0o777).toBe(0o600);
  });

  test('when a DSC request is signed by the SCA, then the DSC has digitalSignature, the HCERT EKUs, AKI = SCA SKI and 2 years', async () => {
    const csr = new x509.Pkcs10CertificateRequest(text('dsc.csr.pem'));
    expect(csr.subject).toBe('C=XA, CN=DSC XA');
    expect(statSync(file('dsc.key.pem')).mode & 0o777).toBe(0o600);
    const dsc = readCertificate(text('dsc.crt.pem'));
    const sca = readCertificate(text('sca.crt.pem'));
    expect(dsc.keyUsage).toEqual(['digitalSignature']);
    expect(dsc.extKeyUsage).toEqual(Object.values(HCERT_EKU));
    expect(dsc.isCa).toBe(false);
    expect(dsc.authorityKeyId).toBe(sca.subjectKeyId);
    expect(Math.round((dsc.notAfter.getTime() - dsc.notBefore.getTime()) / DAY)).toBe(PROFILES.DSC.validityDays);
  });

  test('when TLS and UP certificates are self-signed, then TLS carries clientAuth and both digitalSignature for 1 year', () => {
    const tls = readCertificate(text('tls.crt.pem'));
    const up = readCertificate(text('up.crt.pem'));
    expect(tls.extKeyUsage).toEqual([EKU_CLIENT_AUTH]);
    for (const c of [tls, up]) {
      expect(c.keyUsage).toContain('digitalSignature');
      expect(Math.round((c.notAfter.getTime() - c.notBefore.getTime()) / DAY)).toBe(365);
    }
  });

  test('when the files exist, then keys csr refuses to overwrite them; a DSC is never self-signed; a bad usage is a usage error', async () => {
    const again = await cli('keys', 'csr', '--usage', 'DSC', '--country', 'XA', '--dir', dir);
    expect(again).toEqual({
      code: 1,
      out: `KEY_FILE_EXISTS: ${file('dsc.key.pem')} exists; refusing to overwrite it (--force replaces it)\n`,
    });
    expect((await cli('keys', 'csr', '--usage', 'DSC', '--country', 'XA', '--self-signed')).out).toMatch(
      /^a DSC is signed by the SCA, never self-signed\n/,
    );
    const bad = await cli('keys', 'csr', '--usage', 'CSCA', '--country', 'XA');
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/^--usage must be one of SCA, DSC, UP, TLS, got "CSCA"/);
  });
});

describe('keys import', () => {
  test('when the DSC fits its key, template and SCA, then it is installed and the issuer keys load and sign with it', async () => {
    const installed = join(root, 'installed');
    const res = await cli(
      ...['keys', 'import', '--usage', 'DSC', '--cert', file('dsc.crt.pem'), '--key', file('dsc.key.pem')],
      ...['--sca-cert', file('sca.crt.pem'), '--dir', installed],
    );
    expect(res.code).toBe(0);
    const stem = /installed: (\S+)\.crt\.pem, /.exec(res.out)![1]!;
    expect(statSync(`${stem}.key.pem`).mode & 0o777).toBe(0o600);
    const keys = await loadIssuerKeys({
      cscaCertPath: file('sca.crt.pem'),
      dscCertPaths: [`${stem}.crt.pem`],
      dscKeyPaths: [`${stem}.key.pem`],
      now: new Date(),
    });
    expect(keys.signer.kid).toBe(readCertificate(text('dsc.crt.pem')).kid);
  });

  test.each([
    [
      'another key',
      ['--key', file('up.key.pem'), '--sca-cert', file('sca.crt.pem')],
      'the private key does not belong to the certificate',
    ],
    [
      'another SCA',
      ['--key', file('dsc.key.pem'), '--sca-cert', file('sca.crt.pem', other)],
      'not issued by our SCA: issuer',
    ],
    ['no SCA to check against', ['--key', file('dsc.key.pem')], 'a DSC is checked against our SCA'],
  ])('when the DSC is imported with %s, then it is refused and nothing is installed', async (_name, flags, reason) => {
    const target = mkdtempSync(join(root, 'refused-'));
    const res = await cli('keys', 'import', '--usage', 'DSC', '--cert', file('dsc.crt.pem'), ...flags, '--dir', target);
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/^CERT_REFUSED: dsc\.crt\.pem is not installed: /);
    expect(res.out).toContain(reason);
    expect(readdirSync(target)).toEqual([]);
  });

  test('when the upload certificate is imported as a TLS certificate, then the missing clientAuth EKU refuses it', async () => {
    const res = await cli(
      'keys',
      'import',
      '--usage',
      'TLS',
      '--cert',
      file('up.crt.pem'),
      '--key',
      file('up.key.pem'),
    );
    expect(res.code).toBe(1);
    expect(res.out).toContain(`extendedKeyUsage lacks ${EKU_CLIENT_AUTH}`);
  });
});

describe('trust upload and trust revoke-upload (gateway test double)', () => {
  const tlsFlags = (base = dir) => ['--tls-cert', file('tls.crt.pem', base), '--tls-key', file('tls.key.pem', base)];
  const upFlags = (base = dir) => ['--up-cert', file('up.crt.pem', base), '--up-key', file('up.key.pem', base)];
  const common = () => [
    '--gateway',
    gateway.url,
    '--gateway-ca',
    join(root, 'gateway-ca.pem'),
    '--cert',
    file('dsc.crt.pem'),
  ];
  const args = (base: { tls?: string; up?: string } = {}) => [...common(), ...upFlags(base.up), ...tlsFlags(base.tls)];

  test('when the DSC is uploaded, then the gateway holds it under DCC/DSC; a second upload is refused with 409; withdrawal removes it', async () => {
    const up = await cli('trust', 'upload', ...args());
    expect(up).toEqual({
      code: 0,
      out: expect.stringMatching(/^Uploaded DSC \S+ \(XA\) to https:\/\/127\.0\.0\.1:\d+, domain DCC\n$/),
    });
    const dsc = readCertificate(text('dsc.crt.pem'));
    expect(gateway.stored.map((s) => [s.country, s.domain, s.group, s.kid])).toEqual([['XA', 'DCC', 'DSC', dsc.kid]]);

    const again = await cli('trust', 'upload', ...args());
    expect(again.code).toBe(1);
    expect(again.out).toBe(
      'GATEWAY_REFUSED: The gateway refused the upload: HTTP 409 {"message":"certificate already exists"}\n',
    );

    const withdrawn = await cli('trust', 'revoke-upload', ...args());
    expect(withdrawn).toEqual({ code: 0, out: `Withdrew ${dsc.kid} (XA) from ${gateway.url}\n` });
    expect(gateway.stored).toEqual([]);
  });

  test('when the CMS is signed with an upload key the gateway does not know, then it answers 401 and nothing is stored', async () => {
    const res = await cli('trust', 'upload', ...args({ up: other }));
    expect(res.code).toBe(1);
    expect(res.out).toBe(
      'GATEWAY_REFUSED: The gateway refused the upload: HTTP 401 {"message":"CMS not signed by the onboarded upload certificate"}\n',
    );
    expect(gateway.stored).toEqual([]);
  });

  test('when the TLS client certificate is not onboarded, then the handshake fails and the CLI says the gateway cannot be reached', async () => {
    const seen = gateway.log.length;
    const res = await cli('trust', 'upload', ...args({ tls: other }));
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/^GATEWAY_UNREACHABLE: The gateway https:\/\/127\.0\.0\.1:\d+ cannot be reached: /);
    expect(gateway.log.length).toBe(seen);
  });
});
