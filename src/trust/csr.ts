/**
 * Onboarding requests and certificates with @peculiar/x509: a PKCS#10 request per participant certificate (SCA, DSC,
 * UP, TLS) asking for the governance template's extensions, a self-signed SCA, and a DSC issued from a request by
 * our SCA. The template (key usages, EKUs, validity) is `cert-profiles.ts`; the issuer applies it, never what the
 * request asks, so a request cannot widen its own usage.
 */
import { randomBytes, type webcrypto } from 'node:crypto';
import { PROFILES, type OnboardingUsage } from './cert-profiles.ts';
import { TrustError } from './errors.ts';
import { webCrypto, x509 } from './peculiar.ts';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const DAY = 86_400_000;

export interface SubjectInit {
  country: string;
  commonName: string;
  organization?: string;
}

function subjectName(s: SubjectInit): string {
  const esc = (v: string) => v.replace(/([,+"\\<>;=])/g, '\\$1');
  return [
    `C=${esc(s.country)}`,
    ...(s.organization ? [`O=${esc(s.organization)}`] : []),
    `CN=${esc(s.commonName)}`,
  ].join(', ');
}

const KEY_USAGE_FLAGS: Record<string, number> = {
  digitalSignature: x509.KeyUsageFlags.digitalSignature,
  keyCertSign: x509.KeyUsageFlags.keyCertSign,
  cRLSign: x509.KeyUsageFlags.cRLSign,
};

function signingAlgorithm(key: CryptoKey): webcrypto.EcdsaParams {
  return { name: key.algorithm.name, hash: 'SHA-256' };
}

/** The template's extensions; `selfSigned` adds keyCertSign so OpenSSL can check the self-signature (governance). */
function templateExtensions(usage: OnboardingUsage, selfSigned: boolean): x509.Extension[] {
  const p = PROFILES[usage];
  let flags = p.keyUsage.reduce((f, k) => f | KEY_USAGE_FLAGS[k]!, 0);
  if (selfSigned) flags |= x509.KeyUsageFlags.keyCertSign;
  const out: x509.Extension[] = [new x509.KeyUsagesExtension(flags, true)];
  if (p.ca) out.push(new x509.BasicConstraintsExtension(true, 0, true));
  if (p.extKeyUsage.length > 0) out.push(new x509.ExtendedKeyUsageExtension([...p.extKeyUsage], false));
  return out;
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

/**
 * PKCS#10 request for `usage`, signed by the new key, asking for the template's extensions. Returns PEM.
 * @example await createCsr({ usage: 'DSC', subject: { country: 'XA', commonName: 'DSC XA 1' }, keys })
 */
export async function createCsr(init: { usage: OnboardingUsage; subject: SubjectInit; keys: CryptoKeyPair }) {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name: subjectName(init.subject),
      keys: init.keys,
      signingAlgorithm: signingAlgorithm(init.keys.privateKey),
      extensions: templateExtensions(init.usage, false),
    },
    webCrypto,
  );
  return csr.toString('pem');
}

/**
 * Self-signed certificate for `usage` (an SCA; or an UP/TLS certificate, which the governance lets a participant
 * self-sign) valid from `notBefore` for the template's period. Returns DER.
 */
export async function selfSignCertificate(init: {
  usage: OnboardingUsage;
  subject: SubjectInit;
  keys: CryptoKeyPair;
  notBefore: Date;
}): Promise<Uint8Array> {
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: subjectName(init.subject),
      keys: init.keys,
      notBefore: init.notBefore,
      notAfter: new Date(init.notBefore.getTime() + PROFILES[init.usage].validityDays * DAY),
      serialNumber: serial(),
      signingAlgorithm: signingAlgorithm(init.keys.privateKey),
      extensions: [
        ...templateExtensions(init.usage, init.usage !== 'SCA'),
        await x509.SubjectKeyIdentifierExtension.create(init.keys.publicKey, false, webCrypto),
      ],
    },
    webCrypto,
  );
  return new Uint8Array(cert.rawData);
}

/**
 * Issues the certificate a request asks for, from our SCA: subject and key from the request (its self-signature
 * checked), extensions and validity from the template of `usage`. Returns DER. Throws CERT_REFUSED.
 */
export async function issueFromCsr(init: {
  csrPem: string;
  usage: Exclude<OnboardingUsage, 'SCA'>;
  scaCert: Uint8Array;
  scaPrivateKey: CryptoKey;
  notBefore: Date;
}): Promise<Uint8Array> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(init.csrPem);
  } catch (e) {
    throw new TrustError('CERT_REFUSED', `The request is not a PKCS#10 CSR (${(e as Error).message})`);
  }
  if (!(await csr.verify(webCrypto)))
    throw new TrustError('CERT_REFUSED', 'The request is not signed by the key it carries');
  const sca = new x509.X509Certificate(init.scaCert);
  const publicKey = await csr.publicKey.export(webCrypto);
  const cert = await x509.X509CertificateGenerator.create(
    {
      subject: csr.subject,
      issuer: sca.subject,
      publicKey,
      signingKey: init.scaPrivateKey,
      notBefore: init.notBefore,
      notAfter: new Date(
        Math.min(
          init.notBefore.getTime() + PROFILES[init.usage].validityDays * DAY,
          // The shell model: nothing outlives the SCA that vouches for it.
          sca.notAfter.getTime(),
        ),
      ),
      serialNumber: serial(),
      signingAlgorithm: signingAlgorithm(init.scaPrivateKey),
      extensions: [
        ...templateExtensions(init.usage, false),
        await x509.SubjectKeyIdentifierExtension.create(publicKey, false, webCrypto),
        await x509.AuthorityKeyIdentifierExtension.create(sca.publicKey, false, webCrypto),
      ],
    },
    webCrypto,
  );
  return new Uint8Array(cert.rawData);
}
