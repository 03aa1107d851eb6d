/**
 * Read, create, update and delete on the MongoDB documents. Each write is one `atomic` step (a transaction of
 * its own, or a step of the caller's); a write that lost a race to another writer of the same resource is
 * tried again from a fresh read.
 * https://hl7.org/fhir/R4/http.html
 */
import type { Resource } from '@medplum/fhirtypes';
import { fail } from '../../fhir/outcome.ts';
import type { CreateOptions, CreateResult, DeleteResult, ReadResult, UpdateOptions, UpdateResult } from '../store.ts';
import { atomic, inTransaction } from './context.ts';
import type { MongoContext } from './context.ts';
import { resourceKey } from './documents.ts';
import type { ResourceDoc } from './documents.ts';
import { ConcurrentWriteError, isDuplicateKey } from './errors.ts';
import { parseStoredResource } from '../stored-json.ts';
import { writeVersion } from './write-version.ts';

const MAX_ATTEMPTS = 5;

/** The current document of a resource, if it ever existed. */
export async function currentDoc(
  ctx: MongoContext,
  resourceType: string,
  id: string,
): Promise<ResourceDoc | undefined> {
  return (
    (await ctx.cols.resources.findOne({ _id: resourceKey(resourceType, id) }, { session: ctx.session })) ?? undefined
  );
}

/** The current version of a resource. */
export async function readResource(ctx: MongoContext, resourceType: string, id: string): Promise<ReadResult> {
  const doc = await currentDoc(ctx, resourceType, id);
  if (!doc) return { status: 'missing' };
  if (doc.del !== 0 || doc.json === undefined) {
    return { status: 'deleted', versionId: String(doc.v), lastUpdated: new Date(doc.lu).toISOString() };
  }
  return { status: 'found', resource: parseStoredResource(doc.json) };
}

/** Runs `attempt` again when it lost a race, unless inside a transaction (which then retries as a whole). */
export async function retryOnConflict<T>(ctx: MongoContext, attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ConcurrentWriteError) || inTransaction(ctx) || i >= MAX_ATTEMPTS) throw err;
    }
  }
}

function idExists(resourceType: string, id: string): never {
  return fail('conflict', { code: 'duplicate', id: 'STORE_ID_EXISTS', text: `${resourceType}/${id} already exists` });
}

/** Inserts version 1 of a new resource with the given id. */
export async function insertNew(ctx: MongoContext, resource: Resource, id: string, ck?: string): Promise<Resource> {
  try {
    return (await atomic(ctx, (c) =>
      writeVersion(c, { resourceType: resource.resourceType, id, method: 'POST', resource, ck }),
    )) as Resource;
  } catch (err) {
    if (isDuplicateKey(err, '_id')) idExists(resource.resourceType, id);
    throw err;
  }
}

/** Create with a server-assigned id (conditional create is conditional-create.ts). */
export async function createResource(
  ctx: MongoContext,
  resource: Resource,
  options: Pick<CreateOptions, 'id'> = {},
): Promise<CreateResult> {
  const id = options.id ?? ctx.newId();
  return { outcome: 'created', resource: await insertNew(ctx, resource, id) };
}

function checkIfMatch(existing: ResourceDoc | undefined, ifMatch: string | undefined, ref: string): void {
  if (ifMatch === undefined) return;
  if (!existing) {
    fail('precondition-failed', {
      code: 'conflict',
      id: 'STORE_VERSION_MISMATCH',
      text: `${ref} does not exist; If-Match '${ifMatch}' cannot match`,
    });
  }
  if (String(existing.v) === ifMatch) return;
  const text = `${ref} is at version ${existing.v}, not '${ifMatch}'`;
  if (existing.del !== 0)
    fail('conflict', { code: 'conflict', id: 'STORE_VERSION_CONFLICT_DELETED', text: `${text} (deleted)` });
  fail('precondition-failed', { code: 'conflict', id: 'STORE_VERSION_MISMATCH', text });
}

/** Update (or create-on-update, or revive a deleted resource with the next version). */
export async function updateResource(
  ctx: MongoContext,
  resource: Resource,
  options: UpdateOptions & { ck?: string } = {},
): Promise<UpdateResult> {
  const id = resource.id;
  if (!id)
    fail('invalid', {
      code: 'required',
      id: 'STORE_ID_REQUIRED',
      text: 'An update needs the resource id',
      expression: `${resource.resourceType}.id`,
    });
  const type = resource.resourceType;
  return retryOnConflict(ctx, () =>
    atomic(ctx, async (c) => {
      const prev = await currentDoc(c, type, id);
      checkIfMatch(prev, options.ifMatch, `${type}/${id}`);
      const outcome = prev && prev.del === 0 ? 'updated' : 'created';
      try {
        const stored = await writeVersion(c, { resourceType: type, id, method: 'PUT', resource, prev, ck: options.ck });
        return { outcome, resource: stored as Resource };
      } catch (err) {
        // Two update-as-creates of the same new id: the loser reads the winner's version and goes after it.
        if (!prev && isDuplicateKey(err, '_id')) throw new ConcurrentWriteError(`${type}/${id}`, inTransaction(c));
        throw err;
      }
    }),
  );
}

/** Soft, versioned delete: a DELETE entry in history; deleting what is not there is a no-op. */
export async function deleteResource(
  ctx: MongoContext,
  resourceType: string,
  id: string,
  options: UpdateOptions = {},
): Promise<DeleteResult> {
  return retryOnConflict(ctx, () =>
    atomic(ctx, async (c) => {
      const prev = await currentDoc(c, resourceType, id);
      checkIfMatch(prev, options.ifMatch, `${resourceType}/${id}`);
      if (!prev || prev.del !== 0) return {};
      await writeVersion(c, { resourceType, id, method: 'DELETE', prev });
      return { versionId: String(prev.v + 1) };
    }),
  );
}
