/**
 * Read, create, update and delete on the SQLite schema. Each function is synchronous and makes its writes in
 * one savepoint (a transaction of its own, or an atomic step of an enclosing one); the store runs them on its
 * serial queue.
 * https://hl7.org/fhir/R4/http.html
 */
import type { Resource } from '@medplum/fhirtypes';
import { indexValues } from '../../fhir/search/index-values.ts';
import { fail } from '../../fhir/outcome.ts';
import type { SearchQuery } from '../../fhir/search/query.ts';
import type { CreateOptions, CreateResult, DeleteResult, ReadResult, UpdateOptions, UpdateResult } from '../store.ts';
import { conditionalTarget } from '../conditional-target.ts';
import { atomically } from './context.ts';
import type { StoreContext } from './context.ts';
import { parseStoredResource } from '../stored-json.ts';
import { matchingIds } from './search.ts';
import { currentRow, writeVersion } from './write-version.ts';
import type { CurrentRow } from './write-version.ts';

/** The current version of a resource. */
export function readResource(ctx: StoreContext, resourceType: string, id: string): ReadResult {
  const row = ctx
    .stmt(
      'SELECT r.version, r.last_updated, r.deleted, h.content FROM resources r JOIN history h ON h.seq = r.seq ' +
        'WHERE r.rtype = ? AND r.id = ?',
    )
    .get(resourceType, id);
  if (!row) return { status: 'missing' };
  if (Number(row.deleted) !== 0 || typeof row.content !== 'string') {
    return {
      status: 'deleted',
      versionId: String(row.version),
      lastUpdated: new Date(Number(row.last_updated)).toISOString(),
    };
  }
  return { status: 'found', resource: parseStoredResource(row.content) };
}

/**
 * A write's result and the history sequence number of the version it wrote (`hseq`; absent when it wrote
 * nothing: a conditional create that matched, a delete of what is not there). A write's own AuditEvent points at
 * that version (audit.ts), so handing it back spares a look-up of the row just written.
 */
export interface Versioned<R> {
  result: R;
  hseq?: number;
}

/** Stamps id and meta on a copy, serialises it and computes its index rows. */
function prepare(resource: Resource, id: string, version: number, now: Date): { stored: Resource; json: string } {
  const stored = {
    ...resource,
    id,
    meta: { ...resource.meta, versionId: String(version), lastUpdated: now.toISOString() },
  };
  return { stored: stored as Resource, json: JSON.stringify(stored) };
}

function put(
  ctx: StoreContext,
  resource: Resource,
  id: string,
  existing: CurrentRow | undefined,
  method: 'POST' | 'PUT',
): { stored: Resource; seq: number } {
  const now = ctx.now();
  const version = existing ? existing.version + 1 : 1;
  const { stored, json } = prepare(resource, id, version, now);
  const index = indexValues(stored);
  const seq = atomically(ctx, () =>
    writeVersion(ctx, {
      resourceType: resource.resourceType,
      id,
      version,
      lastUpdated: now.getTime(),
      method,
      json,
      index,
      existing,
    }),
  );
  return { stored, seq };
}

/** Create with a server-assigned id, or conditional create (If-None-Exist). */
export function createResource(
  ctx: StoreContext,
  resource: Resource,
  options: CreateOptions = {},
): Versioned<CreateResult> {
  if (options.ifNoneExist) {
    const ids = matchingIds(ctx, options.ifNoneExist, 2);
    if (ids.length > 1) {
      fail('precondition-failed', {
        code: 'multiple-matches',
        id: 'STORE_CONDITIONAL_CREATE_MULTIPLE',
        text: `If-None-Exist matched ${ids.length} or more ${resource.resourceType} resources`,
      });
    }
    const found = ids.length === 1 ? readResource(ctx, resource.resourceType, ids[0] as string) : undefined;
    if (found?.status === 'found') return { result: { outcome: 'existing', resource: found.resource } };
  }
  const id = options.id ?? ctx.newId();
  if (options.id !== undefined && currentRow(ctx, resource.resourceType, id)) {
    fail('conflict', {
      code: 'duplicate',
      id: 'STORE_ID_EXISTS',
      text: `${resource.resourceType}/${id} already exists`,
    });
  }
  return created(put(ctx, resource, id, undefined, 'POST'));
}

function created(w: { stored: Resource; seq: number }): Versioned<CreateResult & UpdateResult> {
  return { result: { outcome: 'created', resource: w.stored }, hseq: w.seq };
}

function checkIfMatch(existing: CurrentRow | undefined, ifMatch: string | undefined, ref: string): void {
  if (ifMatch === undefined) return;
  if (!existing) {
    fail('precondition-failed', {
      code: 'conflict',
      id: 'STORE_VERSION_MISMATCH',
      text: `${ref} does not exist; If-Match '${ifMatch}' cannot match`,
    });
  }
  if (String(existing.version) === ifMatch) return;
  const text = `${ref} is at version ${existing.version}, not '${ifMatch}'`;
  if (existing.deleted !== 0)
    fail('conflict', { code: 'conflict', id: 'STORE_VERSION_CONFLICT_DELETED', text: `${text} (deleted)` });
  fail('precondition-failed', { code: 'conflict', id: 'STORE_VERSION_MISMATCH', text });
}

/** Update (or create-on-update, or revive a deleted resource with the next version). */
export function updateResource(
  ctx: StoreContext,
  resource: Resource,
  options: UpdateOptions = {},
): Versioned<UpdateResult> {
  const id = resource.id;
  if (!id)
    fail('invalid', {
      code: 'required',
      id: 'STORE_ID_REQUIRED',
      text: 'An update needs the resource id',
      expression: `${resource.resourceType}.id`,
    });
  const existing = currentRow(ctx, resource.resourceType, id);
  checkIfMatch(existing, options.ifMatch, `${resource.resourceType}/${id}`);
  const outcome = existing && existing.deleted === 0 ? 'updated' : 'created';
  const w = put(ctx, resource, id, existing, 'PUT');
  return { result: { outcome, resource: w.stored }, hseq: w.seq };
}

/** Soft, versioned delete: a DELETE entry in history; deleting what is not there is a no-op. */
export function deleteResource(
  ctx: StoreContext,
  resourceType: string,
  id: string,
  options: UpdateOptions = {},
): Versioned<DeleteResult> {
  const existing = currentRow(ctx, resourceType, id);
  checkIfMatch(existing, options.ifMatch, `${resourceType}/${id}`);
  if (!existing || existing.deleted !== 0) return { result: {} };
  const version = existing.version + 1;
  const lastUpdated = ctx.now().getTime();
  const hseq = atomically(ctx, () =>
    writeVersion(ctx, { resourceType, id, version, lastUpdated, method: 'DELETE', existing }),
  );
  return { result: { versionId: String(version) }, hseq };
}

/**
 * Conditional update: one synchronous job on the store queue, so the search and the write it decides on can
 * never interleave with another request's (that is what makes it race-free here).
 */
export function conditionalUpdate(
  ctx: StoreContext,
  resource: Resource,
  query: SearchQuery,
  options: UpdateOptions = {},
): Versioned<UpdateResult> {
  const ids = matchingIds(ctx, query, 2);
  const target = conditionalTarget(resource, ids, options);
  if (target === undefined) return created(put(ctx, resource, ctx.newId(), undefined, 'POST'));
  return updateResource(ctx, { ...resource, id: target } as Resource, options);
}
