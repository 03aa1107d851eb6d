/**
 * ITI-YY3 Generate VHL, the VHL Sharer's side: a folder (256-bit random id, 64 hex characters, a valid FHIR id)
 * holding the patient's documents, each encrypted (JWE dir + A256GCM) with a fresh 32-byte key that only the link
 * carries; the `vhlink:/` payload whose url is the folder's List search; that link signed into an HCERT (claim -260,
 * key 5) with this country's DSC, as `HC1:` text and QR images. The passcode is kept as an scrypt hash, never in
 * clear; purposes of use are kept on the folder and never put in the link. A Provenance records the issuance.
 * https://profiles.ihe.net/ITI/VHL/ITI-YY3.html
 */
import type { Bundle, Coding, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { signHc1With } from '../formats/hcert/hc1.ts';
import { vhlClaims } from '../formats/hcert/vhl.ts';
import { encryptShlFile } from '../formats/shl/jwe.ts';
import { newShlinkKey } from '../formats/shl/link.ts';
import { buildVhlManifestUrl, encodeVhlink, type VhlinkPayload } from '../formats/shl/vhlink.ts';
import { type IssuerContext, signingDsc } from './issuer-context.ts';
import { issuerTrustWarnings } from './issuer-trust-check.ts';
import { recordIssuance } from './provenance.ts';
import { credentialQrImages, type QrImages } from './qr-images.ts';
import { newLinkRecord, recordIdOf } from './shl-link-record.ts';
import { linkRecordOptions, type ShlContext } from './shl-links.ts';
import { folderList, vhlExtension, type VhlFolderMeta } from './vhl-folder-record.ts';

export interface GenerateVhlInput {
  /** The documents of the folder (IPS document Bundles), newest first. */
  documents: readonly Bundle[];
  /** `system|value`, echoed into the manifest URL as `patient.identifier`. */
  patientIdentifier: string;
  /** The stored Patient, when there is one (the folder List points at it). */
  patientId?: string;
  /** FHIR base of this server (the manifest URL is `<fhirBase>/List?…`). */
  fhirBase: string;
  now: Date;
  requester: string;
  exp?: Date;
  /** L and/or P (P is also set by a passcode). */
  flag?: string;
  label?: string;
  passcode?: string;
  maxAttempts?: number;
  purposeOfUse: readonly Coding[];
  qrFormats: readonly ('png' | 'svg')[];
  /** OAuth with SSRAA Option offered: the link carries `extension.fhirBaseUrl` (= fhirBase) for the receiver. */
  ssraa?: boolean;
}

export interface GeneratedVhl {
  hc1: string;
  vhlink: string;
  payload: VhlinkPayload;
  folderId: string;
  /** Id of the link record and of the folder List (SHA-256 of the folder id); `$revoke-credential` takes it. */
  recordId: string;
  kid: string;
  qr: QrImages;
  provenanceId: string;
  warnings: OperationOutcomeIssue[];
}

/** Flag letters in alphabetical order, P added when there is a passcode. */
function vhlFlag(flag: string | undefined, passcode: string | undefined): string {
  const letters = new Set(flag ?? '');
  if (passcode !== undefined) letters.add('P');
  return ['L', 'P'].filter((l) => letters.has(l)).join('');
}

async function storeFolder(
  ctx: IssuerContext,
  shl: ShlContext,
  input: GenerateVhlInput,
  parts: { folderId: string; key: string; flag: string },
): Promise<string> {
  const jwes = await Promise.all(
    input.documents.map((d) =>
      encryptShlFile(JSON.stringify(d), parts.key, { contentType: 'application/fhir+json', zip: true }),
    ),
  );
  const recordId = recordIdOf(parts.folderId);
  const meta: VhlFolderMeta = {
    patientIdentifier: input.patientIdentifier,
    purposeOfUse: [...input.purposeOfUse],
    documents: input.documents.map((d) => ({
      contentType: 'application/fhir+json',
      date: d.timestamp ?? input.now.toISOString(),
      title: 'Patient summary',
    })),
    ...(input.label ? { label: input.label } : {}),
  };
  const record = newLinkRecord({
    recordId,
    flag: parts.flag,
    contentType: 'application/fhir+json',
    jwe: jwes[0] as string,
    now: input.now,
    ...(await linkRecordOptions(input, ctx.randomBytes)),
  });
  record.content = jwes.map((jwe) => ({
    attachment: {
      contentType: 'application/jose',
      data: Buffer.from(jwe).toString('base64'),
      creation: input.now.toISOString(),
    },
  }));
  record.extension = [...(record.extension ?? []), vhlExtension(meta)];
  await shl.store.transaction(async (tx) => {
    await tx.update(record);
    await tx.update(
      folderList({ recordId, meta, now: input.now, ...(input.patientId ? { patientId: input.patientId } : {}) }),
    );
  });
  return recordId;
}

/**
 * Generate a VHL for stored documents. Throws 500 ISSUER_NO_VALID_DSC when no DSC can sign now.
 * @example const { hc1, qr } = await generateVhl(ctx, shl, { documents: [ips], patientIdentifier: 'urn:oid:1.2|P1', fhirBase, now, requester, purposeOfUse: [], qrFormats: ['png'] })
 * @see https://profiles.ihe.net/ITI/VHL/ITI-YY3.html
 */
export async function generateVhl(ctx: IssuerContext, shl: ShlContext, input: GenerateVhlInput): Promise<GeneratedVhl> {
  const dsc = signingDsc(ctx.keys, input.now);
  // 256 bits from the CSPRNG, as hex: the folder id must also be a FHIR id, which has no `_` (base64url has).
  const folderId = Buffer.from(ctx.randomBytes(32)).toString('hex');
  const key = newShlinkKey(ctx.randomBytes);
  const flag = vhlFlag(input.flag, input.passcode);
  const exp = input.exp ? Math.floor(input.exp.getTime() / 1000) : undefined;
  const payload: VhlinkPayload = {
    url: buildVhlManifestUrl({
      base: input.fhirBase,
      folderId,
      patientIdentifier: input.patientIdentifier,
      include: true,
    }),
    key,
    ...(exp !== undefined ? { exp } : {}),
    ...(flag ? { flag } : {}),
    ...(input.label ? { label: input.label } : {}),
    v: 1,
    ...(input.ssraa ? { extension: { fhirBaseUrl: input.fhirBase } } : {}),
  };
  const vhlink = encodeVhlink(payload);
  const recordId = await storeFolder(ctx, shl, input, { folderId, key, flag });
  const iat = Math.floor(input.now.getTime() / 1000);
  const hc1 = await signHc1With(
    vhlClaims({ iss: ctx.keys.country, iat, ...(exp !== undefined ? { exp } : {}), shlinks: [vhlink] }),
    { signer: dsc.signer, kid: dsc.kidBytes },
  );
  const provenance = await recordIssuance(ctx.store, {
    format: 'vhl',
    patientId: input.patientId,
    sources: input.documents.flatMap((d) => (d.id ? [`Bundle/${d.id}`] : [])),
    requester: input.requester,
    kid: dsc.kid,
    credentialId: recordId,
    issuedAt: input.now,
    ...(input.exp ? { expiresAt: input.exp } : {}),
  });
  return {
    hc1,
    vhlink,
    payload,
    folderId,
    recordId,
    kid: dsc.kid,
    qr: await credentialQrImages('hcert', hc1, input.qrFormats),
    provenanceId: provenance.id as string,
    warnings: issuerTrustWarnings(
      ctx.trust,
      { kidBytes: dsc.kidBytes, kid: dsc.kid, country: ctx.keys.country },
      input.now,
    ),
  };
}
