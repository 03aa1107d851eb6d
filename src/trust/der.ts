/**
 * A minimal DER walker for the three X.509 extensions node:crypto does not expose
 * (subject/authority key identifier, key usage). Parsing them with @peculiar/x509 costs ~0.5 ms per
 * certificate, which dominates loading a 10,000-DSC trust list; this walk is a few microseconds.
 * Spec: RFC 5280 §4.1 (TBSCertificate) and §4.2.1.1/.2/.3.
 */

interface Tlv {
  tag: number;
  /** First content byte. */
  start: number;
  /** One past the last content byte. */
  end: number;
}

function readTlv(buf: Uint8Array, offset: number): Tlv {
  if (offset + 2 > buf.length) throw new RangeError('DER: truncated header');
  const tag = buf[offset]!;
  let len = buf[offset + 1]!;
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > buf.length) throw new RangeError('DER: bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  const end = start + len;
  if (end > buf.length) throw new RangeError('DER: content past end');
  return { tag, start, end };
}

function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const t = readTlv(buf, at);
    out.push(t);
    at = t.end;
  }
  return out;
}

const OID_SKI = '551d0e';
const OID_AKI = '551d23';
const OID_KEY_USAGE = '551d0f';

export interface DerExtensions {
  /** Hex of the subject key identifier (RFC 5280 §4.2.1.2). */
  subjectKeyId?: string;
  /** Hex of the authority key identifier's keyIdentifier field (RFC 5280 §4.2.1.1). */
  authorityKeyId?: string;
  /** Key usage bits as named flags, absent when the extension is absent (RFC 5280 §4.2.1.3). */
  keyUsage?: readonly KeyUsageName[];
  /**
   * Dotted OIDs of extensions marked critical that we do not process. RFC 5280 §4.2: a certificate with a critical
   * extension the relying party does not recognise MUST be rejected.
   */
  unknownCritical?: readonly string[];
}

export type KeyUsageName =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';

const KEY_USAGE_BITS: readonly KeyUsageName[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

const hex = (buf: Uint8Array, t: Tlv): string => Buffer.from(buf.subarray(t.start, t.end)).toString('hex');

function decodeKeyUsage(buf: Uint8Array, bitString: Tlv): KeyUsageName[] {
  // BIT STRING: first content byte = unused bits, then the bits, most significant first.
  const names: KeyUsageName[] = [];
  for (let i = 0; i < KEY_USAGE_BITS.length; i++) {
    const byte = buf[bitString.start + 1 + (i >> 3)];
    if (byte !== undefined && bitString.start + 1 + (i >> 3) < bitString.end && byte & (0x80 >> (i & 7))) {
      names.push(KEY_USAGE_BITS[i]!);
    }
  }
  return names;
}

/**
 * Extensions whose meaning we check or which constrain nothing we rely on (RFC 5280 §4.2.1): SKI, key usage, SAN,
 * issuer alternative name, basic constraints, CRL distribution points, certificate policies, AKI, EKU, name
 * constraints, policy constraints, inhibitAnyPolicy. node:crypto applies basic constraints; the rest are read here.
 */
const KNOWN_EXTENSIONS = new Set(
  ['0e', '0f', '11', '12', '13', '1e', '1f', '20', '23', '24', '25', '36'].map((last) => `551d${last}`),
);

/** Dotted form of an OID's content bytes (X.690 §8.19). */
function dottedOid(bytes: Uint8Array): string {
  const arcs: number[] = [];
  let value = 0;
  for (const b of bytes) {
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = arcs.shift() ?? 0;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}

function readExtension(buf: Uint8Array, ext: Tlv, out: DerExtensions): void {
  const parts = children(buf, ext);
  const oid = hex(buf, parts[0]!);
  // critical BOOLEAN DEFAULT FALSE sits between the OID and the value when present; DER writes TRUE as 0xff.
  const critical = parts.length === 3 && parts[1]!.tag === 0x01 && buf[parts[1]!.start] !== 0;
  if (critical && !KNOWN_EXTENSIONS.has(oid))
    out.unknownCritical = [...(out.unknownCritical ?? []), dottedOid(buf.subarray(parts[0]!.start, parts[0]!.end))];
  const value = parts[parts.length - 1]!; // OCTET STRING wrapping the extension's own DER
  if (oid === OID_SKI) {
    out.subjectKeyId = hex(buf, readTlv(buf, value.start));
  } else if (oid === OID_AKI) {
    const seq = readTlv(buf, value.start);
    const keyId = children(buf, seq).find((c) => c.tag === 0x80); // [0] IMPLICIT KeyIdentifier
    if (keyId) out.authorityKeyId = hex(buf, keyId);
  } else if (oid === OID_KEY_USAGE) {
    out.keyUsage = decodeKeyUsage(buf, readTlv(buf, value.start));
  }
}

/** Reads SKI, AKI and key usage from a DER certificate. Throws RangeError on malformed DER. */
export function readDerExtensions(der: Uint8Array): DerExtensions {
  const cert = readTlv(der, 0);
  const tbs = readTlv(der, cert.start);
  const out: DerExtensions = {};
  const wrapper = children(der, tbs).find((c) => c.tag === 0xa3); // [3] EXPLICIT Extensions
  if (!wrapper) return out;
  for (const ext of children(der, readTlv(der, wrapper.start))) readExtension(der, ext, out);
  return out;
}
