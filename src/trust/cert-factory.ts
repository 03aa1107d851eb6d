/**
 * Builds CSCA and DSC certificates with @peculiar/x509: used by `generateDevKeys`, the tests and the bench.
 * Profiles follow the GDHCN certificate governance (smart.who.int/trust, concepts_certificate_governance):
 * CSCA = CA with keyCertSign/cRLSign; DSC = end entity with digitalSignature and, optionally, the HCERT EKU OIDs.
 */
import { randomBytes, type webcrypto } from 'node:crypto';
import { webCrypto, x509 } from './peculiar.ts';
import { HCERT_EKU } from './x509.ts';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export type KeyAlgorithm = 'ES256' | 'RS3072' | 'RS2048';

/** Generates an extractable signing key pair (EC P-256, or RSA for the RSA variants). */
export async function generateKeyPair(alg: KeyAlgorithm = 'ES256'): Promise<CryptoKeyPair> {
  const params =
    alg === 'ES256'
      ? { name: 'ECDSA', namedCurve: 'P-256' }
      : {
          name: 'RSASSA-PKCS1-v1_5',
          modulusLength: alg === 'RS3072' ? 3072 : 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: 'SHA-256',
        };
  return (await webCrypto.subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
}

function signingAlgorithm(key: CryptoKey): webcrypto.EcdsaParams {
  // RSA keys ignore the hash member here; ECDSA needs it.
  return { name: key.algorithm.name, hash: 'SHA-256' };
}

function serial(given: string | undefined): string {
  if (given) return given;
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f; // positive INTEGER
  return b.toString('hex');
}

export interface CscaInit {
  country: string;
  commonName?: string;
  keys: CryptoKeyPair;
  notBefore: Date;
  notAfter: Date;
  serialNumber?: string;
  /** More extensions (tests: e.g. an unknown critical one). */
  extraExtensions?: readonly x509.Extension[];
}

/** Self-signed Country Signing CA. Returns the DER. */
export async function createCsca(init: CscaInit): Promise<Uint8Array> {
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: [{ C: [init.country] }, { CN: [init.commonName ?? `CSCA ${init.country}`] }],
      keys: init.keys,
      notBefore: init.notBefore,
      notAfter: init.notAfter,
      serialNumber: serial(init.serialNumber),
      signingAlgorithm: signingAlgorithm(init.keys.privateKey),
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(init.keys.publicKey, false, webCrypto),
        ...(init.extraExtensions ?? []),
      ],
    },
    webCrypto,
  );
  return new Uint8Array(cert.rawData);
}

export interface DscInit {
  country: string;
  commonName?: string;
  /** DER of the issuing CSCA: its subject becomes our issuer and its key our AKI. */
  issuerCert: Uint8Array;
  issuerPrivateKey: CryptoKey;
  publicKey: CryptoKey;
  notBefore: Date;
  notAfter: Date;
  serialNumber?: string;
  /** HCERT EKU OIDs to include; default all three; `null` leaves the extension out. */
  extKeyUsage?: readonly string[] | null;
  /** Key usage flags; default digitalSignature. */
  keyUsage?: number;
  /** Overrides the issuer name (e.g. to forge a DSC that claims another CSCA). */
  issuerName?: string;
  /** Include the authority key identifier (default true; false mimics older issuers). */
  authorityKeyId?: boolean;
  /** More extensions (tests: e.g. an unknown critical one). */
  extraExtensions?: readonly x509.Extension[];
}

/** Document Signer Certificate signed by a CSCA. Returns the DER. */
export async function createDsc(init: DscInit): Promise<Uint8Array> {
  const issuer = new x509.X509Certificate(init.issuerCert);
  const eku = init.extKeyUsage === undefined ? Object.values(HCERT_EKU) : init.extKeyUsage;
  const extensions: x509.Extension[] = [
    new x509.KeyUsagesExtension(init.keyUsage ?? x509.KeyUsageFlags.digitalSignature, true),
    await x509.SubjectKeyIdentifierExtension.create(init.publicKey, false, webCrypto),
  ];
  if (init.authorityKeyId !== false)
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey, false, webCrypto));
  if (eku) extensions.push(new x509.ExtendedKeyUsageExtension([...eku], false));
  extensions.push(...(init.extraExtensions ?? []));
  const cert = await x509.X509CertificateGenerator.create(
    {
      subject: [{ C: [init.country] }, { CN: [init.commonName ?? `DSC ${init.country}`] }],
      issuer: init.issuerName ?? issuer.subjectName,
      publicKey: init.publicKey,
      signingKey: init.issuerPrivateKey,
      notBefore: init.notBefore,
      notAfter: init.notAfter,
      serialNumber: serial(init.serialNumber),
      signingAlgorithm: signingAlgorithm(init.issuerPrivateKey),
      extensions,
    },
    webCrypto,
  );
  return new Uint8Array(cert.rawData);
}

/** PKCS#8 PEM of a private CryptoKey. */
export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = new Uint8Array(await webCrypto.subtle.exportKey('pkcs8', key));
  return x509.PemConverter.encode(der, 'PRIVATE KEY') + '\n';
}
