/**
 * ITI-YY5 Retrieve Manifest on the FHIR API: a `POST [base]/List/_search` whose form body (or query) carries the
 * folder's search parameters and the SHL manifest parameters. It is told from an ordinary List search by its
 * `recipient`, or by the VHL's own combination (`_id`, `code=folder`, `patient.identifier`), so a receiver that
 * forgets `recipient` gets a 400 naming it instead of an empty searchset. The caller needs the same scope as any List
 * search (`system/List.s`, as the profile's OAuth option lists), checked by the router before this runs.
 * https://profiles.ihe.net/ITI/VHL/ITI-YY5.html
 */
import { answerVhlManifest } from '../credentials/vhl-manifest.ts';
import type { ShlContext } from '../credentials/shl-links.ts';
import { recordIdOf } from '../credentials/shl-link-record.ts';
import { fail } from '../fhir/outcome.ts';
import type { FhirRequest, FhirResponse, RestContext } from './fhir-request.ts';

/** Parameters a manifest request may carry; anything else is a 400 (no silent partial search). */
const KNOWN = new Set([
  '_id',
  'code',
  'status',
  'patient.identifier',
  '_include',
  'recipient',
  'passcode',
  'embeddedLengthMax',
]);

/**
 * Whether a List `_search` is a VHL manifest request.
 * @example isVhlManifestRequest({ query: [['recipient', 'Clinic A']] } as FhirRequest) // true
 */
export function isVhlManifestRequest(req: Pick<FhirRequest, 'query'>): boolean {
  const names = new Set(req.query.map(([k]) => k));
  const code = req.query.find(([k]) => k === 'code')?.[1];
  return names.has('recipient') || (names.has('_id') && names.has('patient.identifier') && code === 'folder');
}

/**
 * The folder's record id named by a manifest request (for the audit trail), when `_id` has the folder id shape.
 * @example manifestAuditEntity(req) // 'List/3f…' (SHA-256 of the folder id, never the id itself)
 */
export function manifestAuditEntity(req: Pick<FhirRequest, 'query'>): string | undefined {
  const id = req.query.find(([k]) => k === '_id')?.[1];
  return id !== undefined && /^[0-9a-f]{64}$/.test(id) ? `List/${recordIdOf(id)}` : undefined;
}

function invalid(text: string, expression: string): never {
  return fail('invalid', { code: 'invalid', id: 'VHL_MANIFEST_PARAM_INVALID', text, expression });
}

function one(query: Array<[string, string]>, name: string, required: boolean): string | undefined {
  const all = query.filter(([k]) => k === name).map(([, v]) => v);
  if (all.length > 1) invalid(`${name} is given ${all.length} times; once is allowed`, name);
  if (required && (all.length === 0 || all[0] === '')) invalid(`A VHL manifest request needs ${name}`, name);
  return all[0];
}

/** Answer the request (see credentials/vhl-manifest.ts for the checks and their statuses). */
export async function vhlManifestSearch(
  ctx: RestContext,
  req: FhirRequest,
  shl: ShlContext,
  now: () => Date,
): Promise<FhirResponse> {
  for (const [k] of req.query) if (!KNOWN.has(k)) invalid(`${k} is not a parameter of a VHL manifest request`, k);
  const q = req.query;
  const recipient = one(q, 'recipient', true) as string;
  if (recipient.length > 1024) invalid('recipient holds at most 1024 characters', 'recipient');
  const include = one(q, '_include', false);
  if (include !== undefined && include !== 'List:item') invalid('_include may only be List:item', '_include');
  const max = one(q, 'embeddedLengthMax', false);
  if (max !== undefined && !/^\d{1,9}$/.test(max))
    invalid('embeddedLengthMax is a non-negative integer', 'embeddedLengthMax');
  const passcode = one(q, 'passcode', false);
  const answer = await answerVhlManifest(
    shl,
    {
      folderId: one(q, '_id', true) as string,
      code: one(q, 'code', true) as string,
      status: one(q, 'status', true) as string,
      patientIdentifier: one(q, 'patient.identifier', true) as string,
      include: include !== undefined,
      recipient,
      ...(passcode !== undefined ? { passcode } : {}),
    },
    { fhirBase: ctx.settings.baseUrl, now: now() },
  );
  return { status: 200, resource: answer.bundle, auditEntities: [`List/${answer.recordId}`] };
}
