/**
 * Onboarding commands for a country's operators (smart.who.int/trust, onboarding checklist):
 *   keys csr    — new key pair (PKCS#8, 0600) + PKCS#10 request for SCA, DSC, UP or TLS; an SCA is also self-signed,
 *                 UP/TLS on request (--self-signed), as the governance allows
 *   keys sign   — issue a DSC (or UP/TLS) from a request with our SCA, template extensions and validity
 *   keys import — check a signed certificate against its key, its template and our SCA, then install it
 * Files only: nothing here talks to a running server.
 */
import { createPrivateKey } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../config/schema.ts';
import { keyObjectSigner } from '../formats/signer.ts';
import { generateKeyPair, privateKeyToPem } from '../trust/cert-factory.ts';
import { checkProfile, isOnboardingUsage, ONBOARDING_USAGES, type OnboardingUsage } from '../trust/cert-profiles.ts';
import { createCsr, issueFromCsr, selfSignCertificate } from '../trust/csr.ts';
import { TrustError } from '../trust/errors.ts';
import { webCrypto } from '../trust/peculiar.ts';
import { checkIssuedBy, checkValidity, readCertificate, toPem, type CertificateFacts } from '../trust/x509.ts';
import { CliUsageError } from './cli-usage-error.ts';

type Out = (s: string) => void;
type Env = Record<string, string | undefined>;

export function parse<T extends Record<string, { type: 'string' | 'boolean' }>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new CliUsageError((err as Error).message);
  }
}

function usageOf(value: string | undefined, allowed: readonly OnboardingUsage[] = ONBOARDING_USAGES): OnboardingUsage {
  const u = value?.toUpperCase() ?? '';
  if (!isOnboardingUsage(u) || !allowed.includes(u))
    throw new CliUsageError(`--usage must be one of ${allowed.join(', ')}, got "${value ?? ''}"`);
  return u;
}

export function need(value: string | undefined, flag: string): string {
  if (!value) throw new CliUsageError(`${flag} is required`);
  return value;
}

export async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new TrustError('FILE_UNREADABLE', `${what} ${path} cannot be read (${(e as NodeJS.ErrnoException).code})`);
  }
}

/** Writes a file that must not exist yet (unless `force`); private keys get 0600 from the start. */
async function writeNew(path: string, data: string, options: { secret?: boolean; force?: boolean } = {}) {
  try {
    await writeFile(path, data, { mode: options.secret ? 0o600 : 0o644, flag: options.force ? 'w' : 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      throw new TrustError('KEY_FILE_EXISTS', `${path} exists; refusing to overwrite it (--force replaces it)`);
    throw e;
  }
}

/** PKCS#8 PEM → WebCrypto signing key (EC P-256 or RSA), for @peculiar/x509. */
async function importSigningKey(pem: string) {
  const key = createPrivateKey(pem);
  const der = key.export({ format: 'der', type: 'pkcs8' });
  const algorithm =
    key.asymmetricKeyType === 'ec'
      ? { name: 'ECDSA', namedCurve: 'P-256' }
      : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  return webCrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']);
}

export async function keysCsr(args: string[], env: Env, out: Out): Promise<number> {
  const v = parse(args, {
    usage: { type: 'string' },
    country: { type: 'string' },
    cn: { type: 'string' },
    org: { type: 'string' },
    dir: { type: 'string' },
    'self-signed': { type: 'boolean' },
    force: { type: 'boolean' },
  });
  const usage = usageOf(v.usage);
  const country = need(v.country, '--country').toUpperCase();
  if (!/^[A-Z]{2}$/.test(country)) throw new CliUsageError(`--country must be ISO 3166-1 alpha-2, got "${v.country}"`);
  if (v['self-signed'] && usage === 'DSC') throw new CliUsageError('a DSC is signed by the SCA, never self-signed');
  const dir = v.dir ?? join(parseConfig(env).dataDir, 'keys', 'onboarding');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const subject = { country, commonName: v.cn ?? `${usage} ${country}`, ...(v.org ? { organization: v.org } : {}) };
  const keys = await generateKeyPair('ES256');
  const stem = join(dir, usage.toLowerCase());
  const force = v.force === true;
  await writeNew(`${stem}.key.pem`, await privateKeyToPem(keys.privateKey), { secret: true, force });
  await writeNew(`${stem}.csr.pem`, await createCsr({ usage, subject, keys }), { force });
  out(`${usage} key written to ${stem}.key.pem (mode 0600)\n${usage} request written to ${stem}.csr.pem\n`);
  if (usage === 'SCA' || v['self-signed']) {
    const der = await selfSignCertificate({ usage, subject, keys, notBefore: new Date() });
    await writeNew(`${stem}.crt.pem`, toPem(der), { force });
    out(`${usage} self-signed certificate written to ${stem}.crt.pem\n`);
  }
  out(
    usage === 'DSC'
      ? 'Next: have the request signed by your SCA (keys sign), then keys import the certificate.\n'
      : usage === 'SCA'
        ? 'Next: send the SCA certificate to the GDHCN Secretariat; keep the key offline.\n'
        : 'Next: register the certificate with the GDHCN Secretariat (onboarding request).\n',
  );
  return 0;
}

export async function keysSign(args: string[], _env: Env, out: Out): Promise<number> {
  const v = parse(args, {
    csr: { type: 'string' },
    usage: { type: 'string' },
    'sca-cert': { type: 'string' },
    'sca-key': { type: 'string' },
    out: { type: 'string' },
  });
  const usage = usageOf(v.usage, ['DSC', 'UP', 'TLS']) as Exclude<OnboardingUsage, 'SCA'>;
  const csrPath = need(v.csr, '--csr');
  const sca = readCertificate(await readText(need(v['sca-cert'], '--sca-cert'), 'SCA certificate'));
  const scaKey = await importSigningKey(await readText(need(v['sca-key'], '--sca-key'), 'SCA key'));
  const der = await issueFromCsr({
    csrPem: await readText(csrPath, 'request'),
    usage,
    scaCert: sca.der,
    scaPrivateKey: scaKey,
    notBefore: new Date(),
  });
  const target = v.out ?? csrPath.replace(/(\.csr)?\.pem$/, '') + '.crt.pem';
  await writeNew(target, toPem(der));
  const cert = readCertificate(der);
  out(`${usage} certificate ${cert.kid} (valid until ${cert.notAfter.toISOString()}) written to ${target}\n`);
  return 0;
}

/** Why `cert` may not be installed as our `usage` certificate (empty when it may). */
export function importProblems(
  cert: CertificateFacts,
  usage: Exclude<OnboardingUsage, 'SCA'>,
  sca: CertificateFacts | undefined,
  now: Date,
): string[] {
  const country = sca?.country ?? cert.country ?? '';
  const problems = checkProfile(cert, usage, country);
  problems.push(...checkValidity(cert, now).map((p) => p.message));
  if (sca) {
    problems.push(...checkIssuedBy(cert, sca).map((p) => `not issued by our SCA: ${p.message}`));
    if (cert.authorityKeyId && sca.subjectKeyId && cert.authorityKeyId !== sca.subjectKeyId)
      problems.push('its authority key identifier is not our SCA subject key identifier');
    if (usage === 'DSC' && !cert.authorityKeyId) problems.push('a DSC must carry an authority key identifier');
  } else if (usage === 'DSC') {
    problems.push('a DSC is checked against our SCA: give --sca-cert (or set ISSUER_CSCA_CERT)');
  } else if (checkIssuedBy(cert, cert).length > 0) {
    problems.push('neither self-signed nor checked against an SCA (give --sca-cert)');
  }
  return problems;
}

export async function keysImport(args: string[], env: Env, out: Out): Promise<number> {
  const v = parse(args, {
    usage: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    'sca-cert': { type: 'string' },
    dir: { type: 'string' },
  });
  const usage = usageOf(v.usage, ['DSC', 'UP', 'TLS']) as Exclude<OnboardingUsage, 'SCA'>;
  const certPath = need(v.cert, '--cert');
  const keyPath = need(v.key, '--key');
  const config = parseConfig(env);
  const scaPath = v['sca-cert'] ?? config.issuerCscaCert;
  const cert = readCertificate(await readText(certPath, 'certificate'));
  const sca = scaPath ? readCertificate(await readText(scaPath, 'SCA certificate')) : undefined;
  const keyPem = await readText(keyPath, 'private key');
  const problems = importProblems(cert, usage, sca, new Date());
  let signerKey;
  try {
    signerKey = keyObjectSigner(createPrivateKey(keyPem)).publicKey;
  } catch (e) {
    problems.push(`the private key cannot be used: ${(e as Error).message}`);
  }
  if (signerKey && !signerKey.equals(cert.publicKey))
    problems.push('the private key does not belong to the certificate');
  if (problems.length > 0)
    throw new TrustError('CERT_REFUSED', `${basename(certPath)} is not installed: ${problems.join('; ')}`, problems);
  const dir = v.dir ?? join(config.dataDir, 'keys', 'installed');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stem = join(dir, `${usage.toLowerCase()}-${cert.fingerprint.slice(0, 16)}`);
  await writeNew(`${stem}.crt.pem`, toPem(cert.der));
  await writeNew(`${stem}.key.pem`, keyPem, { secret: true });
  out(
    `${usage} ${cert.kid} installed: ${stem}.crt.pem, ${stem}.key.pem (valid until ${cert.notAfter.toISOString()})\n`,
  );
  if (usage === 'DSC')
    out(
      `To sign with it, add the files to ISSUER_DSC_CERTS and ISSUER_DSC_KEYS (comma-separated, same order) and restart;\n` +
        'the previous DSC keeps verifying until it expires. Then publish it: gdhcn-gateway trust upload.\n',
    );
  return 0;
}
