/**
 * CMS SignedData (RFC 5652) for the trust network gateway: a participant wraps the DER of the certificate it uploads
 * or withdraws in a SignedData signed with its upload (UP) key, content attached, as `openssl cms -sign -nodetach`
 * makes it (smart.who.int/trust, onboarding checklist "Upload DSC Certificate"). The ASN.1 is @peculiar/asn1-cms;
 * the signature is asked of the signing seam (`Signer`), so an UP key in an HSM works the same way.
 */
import { hash, verify as nodeVerify, X509Certificate, constants } from 'node:crypto';
import {
  Attribute,
  CertificateChoices,
  CertificateSet,
  CMSVersion,
  ContentInfo,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  id_data,
  id_signedData,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
} from '@peculiar/asn1-cms';
import { id_mgf1, id_RSASSA_PSS, id_sha256, RsaSaPssParams } from '@peculiar/asn1-rsa';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn1js from 'asn1js';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import { p1363ToDer } from '../formats/es256.ts';
import type { Signer } from '../formats/signer.ts';
import { TrustError } from './errors.ts';

const OID = {
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
} as const;

const sha256 = (data: Uint8Array): Buffer => hash('sha256', data, 'buffer');
const toBuffer = (b: ArrayBuffer | ArrayBufferView): Buffer =>
  b instanceof ArrayBuffer ? Buffer.from(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const arrayBuffer = (b: Uint8Array): ArrayBuffer => Uint8Array.from(b).buffer;

function signatureAlgorithm(alg: Signer['alg']): AlgorithmIdentifier {
  if (alg === 'ES256') return new AlgorithmIdentifier({ algorithm: OID.ecdsaWithSha256 });
  const sha = new AlgorithmIdentifier({ algorithm: id_sha256, parameters: null });
  const params = new RsaSaPssParams({
    hashAlgorithm: sha,
    maskGenAlgorithm: new AlgorithmIdentifier({ algorithm: id_mgf1, parameters: AsnConvert.serialize(sha) }),
    saltLength: 32,
  });
  return new AlgorithmIdentifier({ algorithm: id_RSASSA_PSS, parameters: AsnConvert.serialize(params) });
}

/**
 * The bytes a signer signs: the signed attributes exactly as encoded in the SignerInfo, re-tagged from [0] IMPLICIT
 * to a universal SET (0x31), RFC 5652 §5.4. Read from the encoding, never re-encoded: a re-encoding could order the
 * SET differently from the signer's.
 */
function signedAttributesBytes(signerInfoDer: ArrayBuffer | Uint8Array): Buffer {
  const seq = asn1js.fromBER(signerInfoDer).result as asn1js.Sequence;
  const tagged = seq.valueBlock.value.find((v) => v.idBlock.tagClass === 3 && v.idBlock.tagNumber === 0);
  if (!tagged) throw new TrustError('CMS_INVALID', 'CMS: the signer has no signed attributes');
  const raw = Buffer.from(tagged.valueBeforeDecodeView);
  raw[0] = 0x31;
  return raw;
}

/** The encoding of the first SignerInfo inside a ContentInfo(SignedData). */
function firstSignerInfoDer(der: Uint8Array): ArrayBuffer {
  const contentInfo = asn1js.fromBER(der).result as asn1js.Sequence;
  const explicit = contentInfo.valueBlock.value[1] as asn1js.Constructed;
  const signedData = explicit.valueBlock.value[0] as asn1js.Sequence;
  const infos = signedData.valueBlock.value.at(-1) as asn1js.Set;
  return (infos.valueBlock.value[0] as asn1js.Sequence).toBER();
}

export interface CmsSignInput {
  /** What is signed and carried: the DER of the certificate uploaded or withdrawn. */
  content: Uint8Array;
  /** DER of the signer's (UP) certificate; it travels in `certificates`. */
  signerCertificate: Uint8Array;
  signer: Signer;
  signingTime: Date;
}

/**
 * SignedData with attached content, one SignerInfo (issuerAndSerialNumber), signed attributes contentType,
 * messageDigest and signingTime. Returns the DER of the ContentInfo.
 * @see https://www.rfc-editor.org/rfc/rfc5652#section-5
 */
export async function signCms(input: CmsSignInput): Promise<Uint8Array> {
  const cert = AsnConvert.parse(input.signerCertificate, Certificate);
  if (!new X509Certificate(input.signerCertificate).publicKey.equals(input.signer.publicKey))
    throw new TrustError('CMS_INVALID', 'The upload signer does not hold the key of the upload certificate');
  const attrs = [
    new Attribute({ attrType: OID.contentType, attrValues: [new asn1js.ObjectIdentifier({ value: id_data }).toBER()] }),
    new Attribute({ attrType: OID.signingTime, attrValues: [utcTime(input.signingTime)] }),
    new Attribute({
      attrType: OID.messageDigest,
      attrValues: [AsnConvert.serialize(new OctetString(arrayBuffer(sha256(input.content))))],
    }),
  ];
  const info = new SignerInfo({
    version: CMSVersion.v1,
    sid: new SignerIdentifier({
      issuerAndSerialNumber: new IssuerAndSerialNumber({
        issuer: cert.tbsCertificate.issuer,
        serialNumber: cert.tbsCertificate.serialNumber,
      }),
    }),
    digestAlgorithm: new AlgorithmIdentifier({ algorithm: id_sha256, parameters: null }),
    signedAttrs: attrs,
    signatureAlgorithm: signatureAlgorithm(input.signer.alg),
  });
  const raw = await input.signer.sign(signedAttributesBytes(AsnConvert.serialize(info)));
  info.signature = new OctetString(arrayBuffer(input.signer.alg === 'ES256' ? p1363ToDer(raw) : raw));
  const signed = new SignedData({
    version: CMSVersion.v1,
    digestAlgorithms: new DigestAlgorithmIdentifiers([info.digestAlgorithm]),
    encapContentInfo: new EncapsulatedContentInfo({
      eContentType: id_data,
      eContent: new EncapsulatedContent({ single: new OctetString(arrayBuffer(input.content)) }),
    }),
    certificates: new CertificateSet([new CertificateChoices({ certificate: cert })]),
    signerInfos: new SignerInfos([info]),
  });
  const contentInfo = new ContentInfo({ contentType: id_signedData, content: AsnConvert.serialize(signed) });
  return new Uint8Array(AsnConvert.serialize(contentInfo));
}

export interface CmsVerified {
  content: Buffer;
  /** DER of the certificate whose key made the signature. */
  signerCertificate: Buffer;
  signingTime: Date | undefined;
}

/**
 * Parses and checks a SignedData: attached content, messageDigest equal to its SHA-256, signature by the key of
 * the embedded certificate that `sid` names. Trust in that certificate is the caller's decision. Throws CMS_INVALID.
 */
export function verifyCms(der: Uint8Array): CmsVerified {
  let signed: SignedData;
  try {
    const info = AsnConvert.parse(der, ContentInfo);
    if (info.contentType !== id_signedData) throw new Error(`content type ${info.contentType} is not SignedData`);
    signed = AsnConvert.parse(info.content, SignedData);
  } catch (e) {
    throw new TrustError('CMS_INVALID', `CMS: not a SignedData (${(e as Error).message})`);
  }
  const single = signed.encapContentInfo.eContent?.single;
  if (!single) throw new TrustError('CMS_INVALID', 'CMS: the content is not attached');
  const content = toBuffer(single.buffer);
  if (signed.signerInfos.length !== 1) throw new TrustError('CMS_INVALID', 'CMS: exactly one signer is expected');
  const info = signed.signerInfos[0]!;
  const certDer = signerCertificateOf(signed, info);
  const digest = info.signedAttrs?.find((a) => a.attrType === OID.messageDigest)?.attrValues[0];
  if (!digest || !toBuffer(AsnConvert.parse(digest, OctetString).buffer).equals(sha256(content)))
    throw new TrustError('CMS_INVALID', 'CMS: the messageDigest attribute does not match the content');
  const key = new X509Certificate(certDer).publicKey;
  const data = signedAttributesBytes(firstSignerInfoDer(der));
  const signature = toBuffer(info.signature.buffer);
  const ok =
    info.signatureAlgorithm.algorithm === OID.ecdsaWithSha256
      ? nodeVerify('sha256', data, key, signature)
      : info.signatureAlgorithm.algorithm === id_RSASSA_PSS &&
        nodeVerify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
  if (!ok) throw new TrustError('CMS_INVALID', 'CMS: the signature does not verify with the signer certificate');
  const time = info.signedAttrs?.find((a) => a.attrType === OID.signingTime)?.attrValues[0];
  return { content, signerCertificate: certDer, signingTime: time ? readUtcTime(time) : undefined };
}

function signerCertificateOf(signed: SignedData, info: SignerInfo): Buffer {
  const sid = info.sid.issuerAndSerialNumber;
  const match = (signed.certificates ?? []).find((c) => {
    const tbs = c.certificate?.tbsCertificate;
    return (
      tbs !== undefined &&
      sid !== undefined &&
      toBuffer(tbs.serialNumber).equals(toBuffer(sid.serialNumber)) &&
      toBuffer(AsnConvert.serialize(tbs.issuer)).equals(toBuffer(AsnConvert.serialize(sid.issuer)))
    );
  });
  if (!match?.certificate) throw new TrustError('CMS_INVALID', 'CMS: the signer certificate is not included');
  return toBuffer(AsnConvert.serialize(match.certificate));
}

/** UTCTime (RFC 5652 §11.3: UTCTime for 1950–2049). */
function utcTime(at: Date): ArrayBuffer {
  return new asn1js.UTCTime({ valueDate: at }).toBER();
}

function readUtcTime(value: ArrayBuffer): Date | undefined {
  const parsed = asn1js.fromBER(value).result;
  return parsed instanceof asn1js.UTCTime ? parsed.toDate() : undefined;
}
