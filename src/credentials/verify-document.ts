/**
 * `$verify` for a signed FHIR document Bundle (what `Patient/$summary` returns): `Bundle.signature` is a detached JWS
 * over the JCS form of the Bundle (ADR 0064), its `x5c` certificate is judged by the same trust list as an HCERT's
 * DSC (published DSC, chain to a CSCA, domain, validity), `who` must name the Composition's author inside the
 * Bundle (the signature type is "Author's Signature", and `who` itself is outside what the JWS covers), our own
 * revocation list is asked by the Bundle's identifier, and the Bundle is validated against the IPS Bundle profile
 * when its Composition is a patient summary. Never throws for bad input: each check says what it saw.
 * ADR 0071 · https://hl7.org/fhir/R4/signatures.html
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcome.ts';
import { FormatError } from '../formats/errors.ts';
import {
  AUTHOR_SIGNATURE_TYPE,
  type DocumentSignatureCheck,
  verifyDocumentSignature,
} from '../formats/fhir-signature.ts';
import { TrustError } from '../trust/errors.ts';
import { credentialDomains, domainProblem, type KeyCandidate } from '../trust/trust-list.ts';
import { type CertificateFacts, readCertificate } from '../trust/x509.ts';
import { IPS_BUNDLE_PROFILE } from './issue-shl.ts';
import { explicitCandidates } from './verify-hcert.ts';
import { finishVerdict, type CredentialVerdict, type VerifyCheck } from './verdict.ts';
import { profileCheck, revocationCheck } from './verify-common.ts';
import type { VerifyOptions } from './verify-options.ts';

const IPS_COMPOSITION_TYPE = '60591-5';
const BASE_BUNDLE = 'http://hl7.org/fhir/StructureDefinition/Bundle';
/** A document signature may come from a DSC published for health certificates or for IPS documents. */
const DOCUMENT_DOMAINS = [...(credentialDomains('hcert') ?? []), ...(credentialDomains('ips') ?? [])];

type J = Record<string, unknown>;
const isObject = (v: unknown): v is J => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Signer {
  certificate: CertificateFacts;
  /** The trust-list entry of the certificate; undefined when the caller trusted it explicitly. */
  listed?: KeyCandidate;
}

/** The Composition (first entry) of a document Bundle; undefined when the Bundle is not shaped as a document. */
function compositionOf(bundle: J): J | undefined {
  const entries = bundle.entry;
  if (!Array.isArray(entries)) return undefined;
  const first = entries[0] as unknown;
  const resource = isObject(first) ? first.resource : undefined;
  return isObject(resource) && resource.resourceType === 'Composition' ? resource : undefined;
}

function shapeCheck(bundle: J): VerifyCheck {
  if (bundle.resourceType !== 'Bundle' || bundle.type !== 'document')
    return fail('payload-schema', 'payload-invalid', 'The resource is not a Bundle of type document');
  if (!compositionOf(bundle))
    return fail('payload-schema', 'payload-invalid', 'The document Bundle does not start with its Composition');
  return { name: 'payload-schema', status: 'pass', message: 'A document Bundle, Composition first' };
}

function fail(
  name: VerifyCheck['name'],
  failure: VerifyCheck['failure'],
  message: string,
  detail?: string,
): VerifyCheck {
  return { name, status: 'fail', failure, message, ...(detail ? { detail } : {}) };
}

const skipped = (name: VerifyCheck['name'], message: string): VerifyCheck => ({ name, status: 'skipped', message });

/** What the signature element says beside its JWS: the Author's Signature type and `who`. */
function signerCheck(bundle: J, signature: J): VerifyCheck {
  const types = Array.isArray(signature.type) ? (signature.type as unknown[]) : [];
  const author = types.some(
    (t) => isObject(t) && t.system === AUTHOR_SIGNATURE_TYPE.system && t.code === AUTHOR_SIGNATURE_TYPE.code,
  );
  if (!author)
    return fail('signer', 'signer-mismatch', `Bundle.signature.type is not ${AUTHOR_SIGNATURE_TYPE.display}`);
  const who = isObject(signature.who) ? signature.who.reference : undefined;
  if (typeof who !== 'string') return fail('signer', 'signer-mismatch', 'Bundle.signature.who names no reference');
  const authors = ((compositionOf(bundle)?.author as unknown[] | undefined) ?? [])
    .map((a) => (isObject(a) ? a.reference : undefined))
    .filter((r): r is string => typeof r === 'string');
  if (!authors.includes(who))
    return fail(
      'signer',
      'signer-mismatch',
      `Bundle.signature.who (${who}) is not an author of the Composition (${authors.join(', ') || 'none'})`,
    );
  const entries = (bundle.entry as unknown[]).filter(isObject);
  if (!entries.some((e) => e.fullUrl === who))
    return fail('signer', 'signer-mismatch', `Bundle.signature.who (${who}) is not an entry of the Bundle`);
  return { name: 'signer', status: 'pass', message: `Signed by the Composition's author ${who}` };
}

/** The x5c certificate as the trust list knows it (same DER), or as the caller gave it with trustedCertificate. */
function findSigner(
  certificate: CertificateFacts,
  options: VerifyOptions,
  warnings: OperationOutcomeIssue[],
): Signer | undefined {
  if (options.trustedCertificates !== undefined) {
    const given = explicitCandidates(options.trustedCertificates, warnings);
    const kid = Buffer.from(certificate.kid, 'base64');
    return given.some((g) => Buffer.from(g.kid).equals(kid)) ? { certificate } : undefined;
  }
  if (!options.trust) return undefined;
  const found = options.trust.lookupByKid(certificate.kid, { asOf: options.validationTime });
  for (const w of found.warnings)
    warnings.push(issue({ severity: 'warning', code: 'informational', id: w.code, text: w.message }));
  const listed = found.candidates.find((c) => c.entry.certificate.fingerprint === certificate.fingerprint);
  return listed ? { certificate, listed } : undefined;
}

function trustCheck(signer: Signer): VerifyCheck {
  const { listed } = signer;
  if (!listed)
    return {
      name: 'trust-chain',
      status: 'pass',
      message: `Signed by a certificate the caller trusts explicitly (${signer.certificate.subject.replace(/\n/g, ', ')})`,
    };
  // Validity is the not-before / not-expired checks' to report; here the chain, usage and domain.
  const reasons = listed.verdict.reasons.filter((r) => r.code !== 'validity');
  if (reasons.length > 0)
    return fail(
      'trust-chain',
      'untrusted-chain',
      `DSC ${listed.entry.kid} is not trusted: ${reasons.map((r) => r.message).join('; ')}`,
    );
  const outOfDomain = domainProblem(listed.entry, DOCUMENT_DOMAINS);
  if (outOfDomain) return fail('trust-chain', 'untrusted-chain', outOfDomain);
  return {
    name: 'trust-chain',
    status: 'pass',
    message: `DSC ${listed.entry.kid} chains to CSCA ${listed.entry.anchor?.kid ?? '?'} of ${listed.entry.country ?? '?'}`,
  };
}

/** The signing time (`Signature.when`) must be a real instant, not ahead of the clock, inside the certificate. */
function timeChecks(signer: Signer, when: Date | undefined, at: Date): VerifyCheck[] {
  const { notBefore, notAfter } = signer.certificate;
  const anchor = signer.listed?.entry.anchor?.certificate;
  const notBeforeCheck =
    when === undefined
      ? fail('not-before', 'not-yet-valid', 'Bundle.signature.when is not a valid instant')
      : when > at
        ? fail(
            'not-before',
            'not-yet-valid',
            `Signed at ${when.toISOString()}, after the validation time ${at.toISOString()}`,
          )
        : when < notBefore || at < notBefore
          ? fail(
              'not-before',
              'not-yet-valid',
              `The signing certificate is not valid before ${notBefore.toISOString()}`,
            )
          : ({ name: 'not-before', status: 'pass' } as VerifyCheck);
  const expiredAt = [notAfter, anchor?.notAfter].filter((d): d is Date => d !== undefined && d < at);
  const notExpired =
    when !== undefined && when > notAfter
      ? fail(
          'not-expired',
          'expired',
          `Signed at ${when.toISOString()} with a certificate that expired at ${notAfter.toISOString()}`,
        )
      : expiredAt.length > 0
        ? fail(
            'not-expired',
            'expired',
            `The ${expiredAt[0] === notAfter ? 'signing certificate' : 'CSCA of the signing certificate'} expired at ${expiredAt[0]!.toISOString()}`,
          )
        : ({ name: 'not-expired', status: 'pass' } as VerifyCheck);
  return [notBeforeCheck, notExpired];
}

/** The profile a signed document is checked against: the IPS Bundle profile for a patient summary, else Bundle. */
export function profileFor(bundle: J): string {
  const type = compositionOf(bundle)?.type;
  const codings = isObject(type) && Array.isArray(type.coding) ? (type.coding as unknown[]) : [];
  const ips = codings.some((c) => isObject(c) && c.system === 'http://loinc.org' && c.code === IPS_COMPOSITION_TYPE);
  return ips ? IPS_BUNDLE_PROFILE : BASE_BUNDLE;
}

const iso = (text: unknown): Date | undefined => {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text))
    return undefined;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d;
};

/**
 * Every check of a signed document Bundle, as one verdict (`format: document`).
 * @example (await verifySignedDocument(await summary(), options)).valid // true
 */
export async function verifySignedDocument(resource: unknown, options: VerifyOptions): Promise<CredentialVerdict> {
  const warnings: OperationOutcomeIssue[] = [];
  const bundle: J = isObject(resource) ? resource : {};
  const shape = shapeCheck(bundle);
  const checks: VerifyCheck[] = [shape];
  const signature = isObject(bundle.signature) ? bundle.signature : undefined;
  let jws: DocumentSignatureCheck | undefined;
  let certificate: CertificateFacts | undefined;
  if (shape.status !== 'pass') {
    checks.push(skipped('jws', 'Not a document Bundle'));
  } else if (!signature) {
    checks.push(fail('jws', 'signature-missing', 'The document carries no Bundle.signature'));
  } else {
    try {
      jws = verifyDocumentSignature(bundle);
      certificate = readCertificate(jws.certificateDer);
      checks.push({ name: 'jws', status: 'pass', message: 'A detached JWS with alg and x5c' });
    } catch (e) {
      // A FormatError from the JWS reader, or a TrustError from a certificate the trust checks cannot read.
      if (!(e instanceof FormatError) && !(e instanceof TrustError)) throw e;
      jws = undefined;
      checks.push(fail('jws', 'signature-encoding', e.message, e.code));
    }
  }
  let signer: Signer | undefined;
  if (!jws || !signature || !certificate) {
    for (const name of ['signature', 'signer', 'trust-chain', 'not-before', 'not-expired'] as const)
      checks.push(skipped(name, 'No readable signature'));
  } else {
    checks.push(
      jws.valid
        ? { name: 'signature', status: 'pass', message: 'The JWS verifies over the canonical (JCS) form of the Bundle' }
        : fail(
            'signature',
            'signature-invalid',
            'The JWS does not verify: the document was changed after signing, or the signature is not by the x5c certificate',
          ),
    );
    checks.push(signerCheck(bundle, signature));
    signer = findSigner(certificate, options, warnings);
    if (!signer) {
      const kid = certificate.kid;
      checks.push(
        fail(
          'trust-chain',
          'key-unknown',
          options.trustedCertificates !== undefined
            ? `The signing certificate (kid ${kid}) is none of the trusted certificates given`
            : `The signing certificate (kid ${kid}) is not a DSC of the trust list`,
        ),
        skipped('not-before', 'The signing certificate is not trusted'),
        skipped('not-expired', 'The signing certificate is not trusted'),
      );
    } else {
      checks.push(trustCheck(signer), ...timeChecks(signer, iso(signature.when), options.validationTime));
    }
  }
  const profile = profileFor(bundle);
  checks.push(
    shape.status === 'pass'
      ? profileCheck(bundle, profile, options.validate, warnings)
      : skipped('fhir-profile', 'Not a document Bundle'),
  );
  const identifier = isObject(bundle.identifier) ? bundle.identifier.value : undefined;
  const country = signer?.listed?.entry.country ?? signer?.certificate.country;
  const kid = signer?.certificate.kid;
  checks.push(
    signer && jws?.valid
      ? await revocationCheck(options, {
          format: 'document',
          ...(country ? { issuer: country } : {}),
          ...(kid ? { kid } : {}),
          ...(typeof identifier === 'string' ? { credentialId: identifier } : {}),
        })
      : skipped('revocation', 'No trusted signature to ask a revocation list about'),
  );
  return finishVerdict(
    {
      format: 'document',
      ...(country ? { issuer: country } : {}),
      ...(kid ? { kid } : {}),
      ...(iso(signature?.when) ? { issuedAt: iso(signature?.when)!.toISOString() } : {}),
      // The document is the caller's own input: it is not echoed back as content.
      checks,
    },
    warnings,
  );
}
