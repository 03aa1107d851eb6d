/**
 * `$issue-hcert-bulk`: kick-off (POST, `Prefer: respond-async`), status and output (GET `?job=` [`&file=`]) and
 * cancellation (DELETE `?job=`) on one route, so the status and file URLs need the same scope as the kick-off and
 * are audited as the operation is. Only the client that started a job may read or cancel it (another gets the same
 * 404 as for an unknown job: a job id tells nobody else anything).
 * https://hl7.org/fhir/uv/bulkdata/export.html#bulk-data-kick-off-request
 */
import { randomUUID } from 'node:crypto';
import type { Immunization } from '@medplum/fhirtypes';
import { OPERATION_SCOPES } from '../../auth/operation-scopes.ts';
import type { BulkIssuer, BulkJob } from '../../credentials/bulk-issue.ts';
import { fail } from '../../fhir/outcome.ts';
import type { ResourceStore } from '../../storage/store.ts';
import type { FhirRequest, FhirResponse, RestContext } from '../fhir-request.ts';
import type { OperationRoute } from '../routes.ts';
import { defineOperation } from './define.ts';
import { patientImmunizations, requireStored } from './records.ts';

/** Items one job may hold (its id list lives in the job record). */
export const BULK_MAX_ITEMS = 100_000;
const PAGE = 1000;

function ownerOf(ctx: RestContext): string {
  return ctx.auth?.kind === 'client' ? ctx.auth.clientId : 'anonymous';
}

function queryValue(req: FhirRequest, name: string): string | undefined {
  return req.query.find(([k]) => k === name)?.[1];
}

async function allImmunizationIds(store: ResourceStore): Promise<string[]> {
  const ids: string[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await store.search({
      resourceType: 'Immunization',
      filters: [],
      sort: [{ code: '_id', descending: false }],
      count: PAGE,
      offset,
      total: 'none',
      summaryCount: false,
      include: [],
      revinclude: [],
    });
    for (const r of page.resources) if (r.id) ids.push(r.id);
    if (page.resources.length < PAGE || ids.length > BULK_MAX_ITEMS) return ids;
  }
}

async function itemsOf(store: ResourceStore, patients: string[]): Promise<string[]> {
  if (patients.length === 0) return allImmunizationIds(store);
  const ids: string[] = [];
  for (const ref of patients) {
    const m = /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(ref);
    if (!m)
      fail('invalid', {
        code: 'value',
        id: 'BULK_PATIENT_REFERENCE_INVALID',
        text: `patient must be a reference "Patient/<id>" to a stored Patient, got "${ref}"`,
        expression: 'patient',
      });
    await requireStored(store, 'Patient', m[1], 'patient');
    ids.push(...(await patientImmunizations(store, m[1])).map((i: Immunization) => i.id as string));
  }
  return [...new Set(ids)];
}

function notFound(id: string): never {
  return fail('not-found', {
    code: 'not-found',
    id: 'BULK_JOB_NOT_FOUND',
    text: `No bulk issuance job "${id}" of this client (unknown, cancelled, or started by another client)`,
    expression: 'job',
  });
}

function manifest(ctx: RestContext, job: BulkJob): FhirResponse {
  const url = (name: string) => `${ctx.settings.baseUrl}/$issue-hcert-bulk?job=${job.id}&file=${name}`;
  const entries = (kind: 'output' | 'error') =>
    job.files
      .filter((f) => f.kind === kind)
      .map((f) => ({ type: kind === 'output' ? 'Parameters' : 'OperationOutcome', url: url(f.name), count: f.count }));
  const body = {
    transactionTime: job.requestedAt,
    request: `${ctx.settings.baseUrl}/$issue-hcert-bulk`,
    requiresAccessToken: true,
    output: entries('output'),
    error: entries('error'),
  };
  // The manifest is not a FHIR resource: sent as JSON, carried as a Binary in a batch response.
  const data = new TextEncoder().encode(JSON.stringify(body));
  return {
    status: 200,
    resource: { resourceType: 'Binary', contentType: 'application/json', data: Buffer.from(data).toString('base64') },
    body: { contentType: 'application/json', data },
    auditEntities: [`Task/${job.id}`],
  };
}

export function issueHcertBulkOperation(
  bulk: () => BulkIssuer,
  options: { validitySeconds: number; now: () => Date },
): OperationRoute {
  const maxDays = Math.max(1, Math.floor(options.validitySeconds / 86_400));
  const owned = async (ctx: RestContext, req: FhirRequest): Promise<BulkJob> => {
    const id = queryValue(req, 'job') ?? '';
    const job = /^[A-Za-z0-9-]{1,64}$/.test(id) ? await bulk().get(id) : undefined;
    if (!job || job.owner !== ownerOf(ctx) || job.state === 'cancelled') return notFound(id);
    return job;
  };
  return defineOperation('issue-hcert-bulk', {
    scope: OPERATION_SCOPES.issueHcertBulk,
    methods: ['POST', 'GET', 'DELETE'],
    readInput: false,
    handle: async (ctx, req, _target, _none, read) => {
      if (req.method === 'GET') {
        const job = await owned(ctx, req);
        const file = queryValue(req, 'file');
        if (file === undefined) {
          if (job.state === 'completed') return manifest(ctx, job);
          const percent = job.items.length === 0 ? 100 : Math.floor((100 * job.done) / job.items.length);
          return {
            status: 202,
            headers: { 'X-Progress': `${percent}% (${job.done}/${job.items.length})`, 'Retry-After': '1' },
            auditEntities: [`Task/${job.id}`],
          };
        }
        const text = await bulk().file(job, file);
        if (text === undefined)
          return fail('not-found', {
            code: 'not-found',
            id: 'BULK_FILE_NOT_FOUND',
            text: `Job ${job.id} has no output file "${file}"`,
            expression: 'file',
          });
        const data = new TextEncoder().encode(text);
        return {
          status: 200,
          resource: {
            resourceType: 'Binary',
            contentType: 'application/fhir+ndjson',
            data: Buffer.from(data).toString('base64'),
          },
          body: { contentType: 'application/fhir+ndjson', data },
          auditEntities: [`Task/${job.id}`],
        };
      }
      if (req.method === 'DELETE') {
        const job = await owned(ctx, req);
        await bulk().cancel(job.id);
        return { status: 202, auditEntities: [`Task/${job.id}`] };
      }
      if (!/\brespond-async\b/.test(req.headers.prefer ?? ''))
        fail('invalid', {
          code: 'required',
          id: 'BULK_PREFER_ASYNC_REQUIRED',
          text: '$issue-hcert-bulk runs asynchronously: send the header "Prefer: respond-async"',
        });
      const input = read(req);
      const days = input.integer('validityDays', { min: 1, max: maxDays });
      const patients = input.all('patient').map((p) => p.valueReference?.reference ?? p.valueString ?? '');
      const items = await itemsOf(ctx.store, patients);
      if (items.length > BULK_MAX_ITEMS)
        fail('unprocessable', {
          code: 'too-costly',
          id: 'BULK_TOO_MANY',
          text: `One job issues at most ${BULK_MAX_ITEMS} credentials; name fewer patients per job`,
        });
      const job = await bulk().start({
        id: randomUUID(),
        owner: ownerOf(ctx),
        items,
        validitySeconds: days === undefined ? options.validitySeconds : days * 86_400,
        requestedAt: options.now().toISOString(),
      });
      return {
        status: 202,
        headers: { 'Content-Location': `${ctx.settings.baseUrl}/$issue-hcert-bulk?job=${job.id}` },
        auditEntities: [`Task/${job.id}`],
      };
    },
  });
}
