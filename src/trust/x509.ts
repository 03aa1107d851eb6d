/**
 * X.509 facts and CSCA → DSC checks on top of node:crypto's X509Certificate.
 * HCERT kid: first 8 bytes of SHA-256 over the DSC's DER
 * (https://github.com/ehn-dcc-development/eu-dcc-hcert-spec/blob/main/hcert_spec.md §3.3.1).
 */
import { hash, X509Certificate, type KeyObject } from 'node:crypto';
import { readDerExtensions, type KeyUsageName } from './der.ts';
import { TrustError } from './errors.ts';

/** HCERT extended key usage OIDs restricting a DSC to one certificate type (HCERT spec §5.1.1). */
export const HCERT_EKU = {
  test: '1.3.6.1.4.1.1847.2021.1.1',
  vaccination: '1.3.6.1.4.1.1847.2021.1.2',
  recovery: '1.3.6.1.4.1.1847.2021.1.3',
} as const;

export type HcertCertificateType = keyof typeof HCERT_EKU;

export interface CertificateFacts {
  readonly der: Buffer;
  readonly x509: X509Certificate;
  readonly subject: string;
  readonly issuer: string;
  /** Subject country (C=), upper case; undefined when the subject has none. */
  readonly country: string | undefined;
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subjectKeyId: string | undefined;
  readonly authorityKeyId: string | undefined;
  readonly isCa: boolean;
  readonly keyUsage: readonly KeyUsageName[] | undefined;
  /** Extended key usage OIDs; undefined when the extension is absent. */
  readonly extKeyUsage: readonly string[] | undefined;
  readonly publicKey: KeyObject;
  /** `EC P-256`, `RSA 3072`, … */
  readonly keyDescription: string;
  /** HCERT kid, standard base64 of 8 bytes. */
  readonly kid: string;
  /** SHA-256 fingerprint, lower-case hex: identity of the certificate across documents. */
  readonly fingerprint: string;
  /** Critical extensions we do not process (dotted OIDs); such a certificate must be refused (RFC 5280 §4.2). */
  readonly unknownCriticalExtensions: readonly string[];
}

export interface CertificateProblem {
  readonly code: CertificateProblemCode;
  readonly message: string;
}

export type CertificateProblemCode =
  | 'expired'
  | 'not-yet-valid'
  | 'signature'
  | 'issuer-name'
  | 'weak-key'
  | 'key-usage'
  | 'ext-key-usage'
  | 'critical-extension'
  | 'not-ca';

/** First 8 bytes of SHA-256(DER), the HCERT `kid`. */
export function hcertKidBytes(der: Uint8Array): Uint8Array {
  return new Uint8Array(hash('sha256', der, 'buffer').subarray(0, 8));
}

/** Accepts PEM text, base64 DER (as in JWK `x5c`) or DER bytes. */
function toDer(input: string | Uint8Array): Buffer {
  if (typeof input !== 'string') return Buffer.from(input);
  const pem = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(input);
  const b64 = (pem ? pem[1]! : input).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64))
    throw new TrustError('CERT_UNPARSEABLE', 'Certificate is neither PEM nor base64 DER');
  return Buffer.from(b64, 'base64');
}

function describeKey(key: KeyObject): string {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec')
    return `EC ${d.namedCurve === 'prime256v1' ? 'P-256' : d.namedCurve === 'secp384r1' ? 'P-384' : d.namedCurve === 'secp521r1' ? 'P-521' : String(d.namedCurve)}`;
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') return `RSA ${d.modulusLength}`;
  return String(key.asymmetricKeyType);
}

function countryOf(name: string): string | undefined {
  const m = /(?:^|\n)C=([^\n]*)/.exec(name);
  return m ? m[1]!.trim().toUpperCase() : undefined;
}

/** Parses a certificate and gathers every fact the trust checks need. Throws TrustError CERT_UNPARSEABLE. */
export function readCertificate(input: string | Uint8Array): CertificateFacts {
  const der = toDer(input);
  try {
    return factsOf(der);
  } catch (e) {
    // node decodes several fields lazily (public key, names…), so any of them may be the one that throws.
    throw new TrustError('CERT_UNPARSEABLE', `Certificate could not be parsed: ${(e as Error).message}`);
  }
}

function factsOf(der: Buffer): CertificateFacts {
  const x509 = new X509Certificate(der);
  const ext = readDerExtensions(der);
  const publicKey = x509.publicKey;
  const eku = x509.keyUsage; // node names the *extended* key usage list `keyUsage`
  return {
    der,
    x509,
    subject: x509.subject,
    issuer: x509.issuer,
    country: countryOf(x509.subject),
    serialNumber: x509.serialNumber,
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    subjectKeyId: ext.subjectKeyId,
    authorityKeyId: ext.authorityKeyId,
    isCa: x509.ca,
    keyUsage: ext.keyUsage,
    extKeyUsage: eku && eku.length > 0 ? eku : undefined,
    publicKey,
    keyDescription: describeKey(publicKey),
    kid: Buffer.from(hcertKidBytes(der)).toString('base64'),
    fingerprint: x509.fingerprint256.replace(/:/g, '').toLowerCase(),
    unknownCriticalExtensions: ext.unknownCritical ?? [],
  };
}

/** PEM encoding of a certificate's DER. */
export function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** Validity period check at `at` (RFC 5280 §4.1.2.5). */
export function checkValidity(cert: CertificateFacts, at: Date): CertificateProblem[] {
  if (at < cert.notBefore)
    return [{ code: 'not-yet-valid', message: `not valid before ${cert.notBefore.toISOString()}` }];
  if (at > cert.notAfter) return [{ code: 'expired', message: `expired at ${cert.notAfter.toISOString()}` }];
  return [];
}

/** Was `child` issued and signed by `parent`? Name chaining plus signature (RFC 5280 §6.1.3). */
export function checkIssuedBy(child: CertificateFacts, parent: CertificateFacts): CertificateProblem[] {
  if (child.issuer !== parent.subject) {
    return [
      {
        code: 'issuer-name',
        message: `issuer "${oneLine(child.issuer)}" is not the CSCA subject "${oneLine(parent.subject)}"`,
      },
    ];
  }
  if (!safeVerify(child, parent.publicKey)) {
    return [{ code: 'signature', message: `signature does not verify with the key of CSCA ${parent.kid}` }];
  }
  return [];
}

function safeVerify(cert: CertificateFacts, key: KeyObject): boolean {
  try {
    return cert.x509.verify(key);
  } catch {
    return false;
  }
}

/** Refuses a certificate carrying a critical extension we do not process (RFC 5280 §4.2). */
export function checkCriticalExtensions(cert: CertificateFacts): CertificateProblem[] {
  return cert.unknownCriticalExtensions.map((oid) => ({
    code: 'critical-extension' as const,
    message: `unknown critical extension ${oid}: refused (RFC 5280 §4.2)`,
  }));
}

/** Checks a CSCA: CA flag and a valid self-signature. */
export function checkAnchor(csca: CertificateFacts): CertificateProblem[] {
  const problems: CertificateProblem[] = [];
  if (!csca.isCa) problems.push({ code: 'not-ca', message: 'CSCA lacks basicConstraints cA=true' });
  if (csca.issuer === csca.subject && !safeVerify(csca, csca.publicKey)) {
    problems.push({ code: 'signature', message: 'CSCA self-signature does not verify' });
  }
  return problems;
}

export interface KeyStrengthPolicy {
  /** Smallest RSA modulus accepted. Our own keys: 3072; foreign DSCs: 2048 (the HCERT floor). */
  minRsaBits: number;
  /** EC curves accepted, e.g. ['P-256']. */
  curves: readonly string[];
}

export function checkKeyStrength(cert: CertificateFacts, policy: KeyStrengthPolicy): CertificateProblem[] {
  const [kind, size] = cert.keyDescription.split(' ');
  if (kind === 'EC' && policy.curves.includes(size!)) return [];
  if (kind === 'RSA' && Number(size) >= policy.minRsaBits) return [];
  return [
    {
      code: 'weak-key',
      message: `key ${cert.keyDescription} is not allowed (EC ${policy.curves.join('/')} or RSA >= ${policy.minRsaBits})`,
    },
  ];
}

/** A signing certificate: keyUsage digitalSignature when present; EKU, when present, must name an HCERT type. */
export function checkSigningUsage(cert: CertificateFacts): CertificateProblem[] {
  const problems: CertificateProblem[] = [];
  if (cert.keyUsage && !cert.keyUsage.includes('digitalSignature')) {
    problems.push({
      code: 'key-usage',
      message: `keyUsage lacks digitalSignature (has ${cert.keyUsage.join(', ') || 'none'})`,
    });
  }
  if (cert.extKeyUsage && hcertTypesOf(cert)!.length === 0) {
    problems.push({
      code: 'ext-key-usage',
      message: `extendedKeyUsage names no HCERT type (${cert.extKeyUsage.join(', ')})`,
    });
  }
  return problems;
}

/**
 * The HCERT types a DSC may sign: undefined when unrestricted (no EKU), otherwise the listed ones
 * (possibly an empty list when the EKU names none of the HCERT OIDs).
 */
export function hcertTypesOf(cert: CertificateFacts): readonly HcertCertificateType[] | undefined {
  if (!cert.extKeyUsage) return undefined;
  return (Object.keys(HCERT_EKU) as HcertCertificateType[]).filter((t) => cert.extKeyUsage!.includes(HCERT_EKU[t]));
}

export function oneLine(name: string): string {
  return name.split('\n').join(', ');
}
