/**
 * `$issue-hcert-bulk`: kick-off (POST, `Prefer: respond-async`), status and output (GET `?job=` [`&file=`]) and
 * cancellation (DELETE `?job=`) on one route, so the status and file URLs need the same scope as the kick-off and
 * are audited as the operation is. Only the client that started a job may read or cancel it (another gets the same
 * 404 as for an unknown job: a job id tells nobody else anything).
 * https://hl7.org/fhir/uv/bulkdata/export.html#bulk-data-kick-off-request
 */
import { randomUUID } from 'node:crypto';
import { OPERATION_SCOPES } from '../../auth/operation-scopes.ts';
import type { BulkIssuer, BulkJob } from '../../credentials/bulk-issue.ts';
import { taskId } from '../../credentials/bulk-job-record.ts';
import { fail } from '../../fhir/outcome.ts';
import type { FhirRequest, FhirResponse, RestContext } from '../fhir-request.ts';
import type { OperationRoute } from '../routes.ts';
import { BULK_MAX_ITEMS, bulkItems, groupPatients, namedPatients, typeFilterCriteria } from './bulk-items.ts';
import { defineOperation } from './define.ts';

function ownerOf(ctx: RestContext): string {
  return ctx.auth?.kind === 'client' ? ctx.auth.clientId : 'anonymous';
}

function queryValue(req: FhirRequest, name: string): string | undefined {
  return req.query.find(([k]) => k === name)?.[1];
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
    auditEntities: [`Task/${taskId(job.id)}`],
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
    if (job.state === 'expired')
      fail('gone', {
        code: 'deleted',
        id: 'BULK_JOB_EXPIRED',
        text: `Bulk issuance job ${id} completed more than the retention period ago: its files are deleted; start a new job`,
        expression: 'job',
      });
    if (job.state === 'failed')
      fail('internal', {
        code: 'exception',
        id: 'BULK_JOB_FAILED',
        text: `Bulk issuance job ${id} stopped: the store failed repeatedly; the credentials of its files stay valid, start a new job for the rest`,
        expression: 'job',
      });
    return job;
  };
  return defineOperation('issue-hcert-bulk', {
    scope: OPERATION_SCOPES.issueHcertBulk,
    methods: ['POST', 'GET', 'DELETE'],
    readInput: false,
    handle: async (ctx, req, target, _none, read) => {
      // A Group is a kick-off target only: status, files and cancellation live at the system-level URL.
      if (target.id !== undefined && req.method !== 'POST')
        fail('not-allowed', {
          code: 'not-supported',
          id: 'METHOD_NOT_ALLOWED',
          text: `${req.method} is not allowed on Group/${target.id}/$issue-hcert-bulk; poll the Content-Location URL`,
        });
      if (req.method === 'GET') {
        const job = await owned(ctx, req);
        const file = queryValue(req, 'file');
        if (file === undefined) {
          if (job.state === 'completed') return manifest(ctx, job);
          const percent = job.total === 0 ? 100 : Math.floor((100 * job.done) / job.total);
          return {
            status: 202,
            headers: { 'X-Progress': `${percent}% (${job.done}/${job.total})`, 'Retry-After': '1' },
            auditEntities: [`Task/${taskId(job.id)}`],
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
          auditEntities: [`Task/${taskId(job.id)}`],
        };
      }
      if (req.method === 'DELETE') {
        const job = await owned(ctx, req);
        await bulk().cancel(job.id);
        return { status: 202, auditEntities: [`Task/${taskId(job.id)}`] };
      }
      if (!/\brespond-async\b/.test(req.headers.prefer ?? ''))
        fail('invalid', {
          code: 'required',
          id: 'BULK_PREFER_ASYNC_REQUIRED',
          text: '$issue-hcert-bulk runs asynchronously: send the header "Prefer: respond-async"',
        });
      const input = read(req);
      const days = input.integer('validityDays', { min: 1, max: maxDays });
      const refs = input.all('patient').map((p) => p.valueReference?.reference ?? p.valueString ?? '');
      const filters = input.strings('_typeFilter').map(typeFilterCriteria);
      const named = refs.length > 0 ? await namedPatients(ctx.store, refs) : undefined;
      let patients = named;
      if (target.id !== undefined) {
        // On a Group, `patient` narrows its members (Bulk Data's group-level `patient` parameter).
        const members = await groupPatients(ctx.store, target.id);
        patients = named ? members.filter((m) => named.includes(m)) : members;
      }
      const items = await bulkItems(ctx.store, patients, filters);
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
        auditEntities: [`Task/${taskId(job.id)}`, ...(target.id ? [`Group/${target.id}`] : [])],
      };
    },
  });
}
