/**
 * `Patient/$generate-vhl` (IHE ITI.VHL ITI-YY3, VHL Sharer): reads and checks the profile's parameters, finds the
 * patient's documents (stored IPS documents, or the `$summary` of the stored Patient) and hands a typed request to
 * credentials/vhl-generate.ts. The answer carries the QR as a Binary (`qrcode`), plus the HC1 text, the `vhlink:/`,
 * the manifest URL and the folder's records.
 * https://profiles.ihe.net/ITI/VHL/ITI-YY3.html
 */
import type { Bundle, Coding, Parameters } from '@medplum/fhirtypes';
import { OPERATION_SCOPES } from '../../auth/operation-scopes.ts';
import { patientDocuments } from '../../credentials/vhl-documents.ts';
import { generateVhl, type GeneratedVhl } from '../../credentials/vhl-generate.ts';
import { fail } from '../../fhir/outcome.ts';
import type { CredentialServices } from '../../services-credentials.ts';
import type { OperationRoute } from '../routes.ts';
import { defineOperation } from './define.ts';
import type { OperationInput } from './input.ts';
import { summaryOfPatient } from './summary.ts';

/** `system|value`, both parts non-empty (the profile's token form). */
function identifierParam(input: OperationInput): { token: string; system: string; value: string } {
  const token = input.string('sourceIdentifier') as string;
  const bar = token.indexOf('|');
  if (bar <= 0 || bar === token.length - 1 || token.length > 512)
    fail('invalid', {
      code: 'value',
      id: 'VHL_SOURCE_IDENTIFIER_INVALID',
      text: 'sourceIdentifier is a FHIR token system|value, with both parts',
      expression: 'sourceIdentifier',
    });
  return { token, system: token.slice(0, bar), value: token.slice(bar + 1) };
}

function purposesParam(input: OperationInput): Coding[] {
  return input.strings('purposeOfUse').map((t) => {
    const bar = t.indexOf('|');
    if (bar <= 0 || bar === t.length - 1 || !/^\S+$/.test(t))
      fail('invalid', {
        code: 'value',
        id: 'VHL_PURPOSE_INVALID',
        text: `purposeOfUse is system|code (e.g. http://terminology.hl7.org/CodeSystem/v3-ActReason|TREAT), got "${t}"`,
        expression: 'purposeOfUse',
      });
    return { system: t.slice(0, bar), code: t.slice(bar + 1) };
  });
}

function checkOptions(input: OperationInput, at: Date) {
  const format = input.string('format') ?? 'qrcode';
  if (format !== 'qrcode')
    fail('invalid', {
      code: 'not-supported',
      id: 'VHL_FORMAT_UNSUPPORTED',
      text: `format ${format} is not supported: this VHL Sharer returns the qrcode carrier only (no VC Enveloped VHL Option)`,
      expression: 'format',
    });
  const expSeconds = input.integer('exp', { min: 1, max: 253402300799 });
  if (expSeconds !== undefined && expSeconds * 1000 <= at.getTime())
    fail('invalid', { code: 'value', id: 'VHL_EXP_PAST', text: 'exp is in the past', expression: 'exp' });
  const flag = input.string('flag');
  const passcode = input.string('passcode');
  if (flag !== undefined && !/^L?P?$/.test(flag))
    fail('invalid', {
      code: 'value',
      id: 'VHL_FLAG_INVALID',
      text: 'flag holds L and/or P in alphabetical order (U is not offered: a VHL is read through its manifest)',
      expression: 'flag',
    });
  if (flag?.includes('P') && passcode === undefined)
    fail('invalid', {
      code: 'required',
      id: 'VHL_FLAG_INVALID',
      text: 'flag P needs the passcode parameter',
      expression: 'flag',
    });
  const label = input.string('label');
  if (label !== undefined && label.length > 80)
    fail('invalid', {
      code: 'value',
      id: 'VHL_LABEL_TOO_LONG',
      text: `label holds at most 80 characters; this one has ${label.length}`,
      expression: 'label',
    });
  const qrFormats = input.strings('qrFormat');
  if (qrFormats.some((f) => f !== 'png' && f !== 'svg') || qrFormats.length > 1)
    fail('invalid', {
      code: 'code-invalid',
      id: 'QR_FORMAT_UNKNOWN',
      text: 'qrFormat is png or svg, once',
      expression: 'qrFormat',
    });
  const maxAttempts = input.integer('maxAttempts', { min: 1, max: 100 });
  return {
    ...(expSeconds !== undefined ? { exp: new Date(expSeconds * 1000) } : {}),
    ...(flag ? { flag } : {}),
    ...(passcode !== undefined ? { passcode } : {}),
    ...(label ? { label } : {}),
    ...(maxAttempts !== undefined ? { maxAttempts } : {}),
    qrFormats: [(qrFormats[0] ?? 'png') as 'png' | 'svg'],
  };
}

function toParameters(r: GeneratedVhl): Parameters {
  const png = r.qr.png;
  const qrcode = png
    ? { contentType: 'image/png', data: Buffer.from(png).toString('base64') }
    : { contentType: 'image/svg+xml', data: Buffer.from(r.qr.svg ?? '').toString('base64') };
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'qrcode', resource: { resourceType: 'Binary', ...qrcode } },
      { name: 'hcert', valueString: r.hc1 },
      { name: 'vhlink', valueString: r.vhlink },
      { name: 'manifestUrl', valueString: r.payload.url },
      { name: 'kid', valueString: r.kid },
      { name: 'folder', valueReference: { reference: `List/${r.recordId}` } },
      { name: 'folderRecord', valueReference: { reference: `DocumentReference/${r.recordId}` } },
      ...(r.warnings.length > 0
        ? [{ name: 'warnings', resource: { resourceType: 'OperationOutcome' as const, issue: r.warnings } }]
        : []),
    ],
  };
}

export function generateVhlOperation(credentials: CredentialServices, now: () => Date): OperationRoute {
  return defineOperation('generate-vhl', {
    scope: OPERATION_SCOPES.generateVhl,
    // The profile sends it as a GET (its parameters are simple); it still creates a folder, so POST works too.
    methods: ['GET', 'POST'],
    handle: async (ctx, req, _target, input) => {
      const at = now();
      const id = identifierParam(input);
      const options = checkOptions(input, at);
      const purposeOfUse = purposesParam(input);
      const found = await patientDocuments(ctx.store, id.system, id.value);
      let documents: Bundle[] = found.documents;
      if (documents.length === 0 && found.patient)
        documents = [await summaryOfPatient(credentials, found.patient, { baseUrl: ctx.settings.baseUrl, now: at })];
      if (documents.length === 0)
        fail('not-found', {
          code: 'not-found',
          id: 'VHL_PATIENT_NOT_FOUND',
          text: 'No stored Patient or IPS document carries this sourceIdentifier',
          expression: 'sourceIdentifier',
        });
      const generated = await generateVhl(credentials.issuer(), credentials.shl, {
        documents,
        patientIdentifier: id.token,
        ...(found.patient?.id ? { patientId: found.patient.id } : {}),
        fhirBase: ctx.settings.baseUrl,
        now: at,
        requester: req.requester ?? 'unknown',
        purposeOfUse,
        ...(credentials.vhlSsraa ? { ssraa: true } : {}),
        ...options,
      });
      return { status: 200, resource: toParameters(generated) };
    },
  });
}
