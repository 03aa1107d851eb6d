/**
 * Conditional create (If-None-Exist) without duplicates. The created resource carries the key of its
 * normalised search (`ck`, see conditional-key.ts) under a unique index, so of N identical requests that all
 * found nothing, exactly one insert succeeds; the others get E11000, search again and return the winner.
 * A key is held only until the resource is next written; a holder that does not match the search (its content
 * never did, e.g. the client sent a resource outside its own criteria) gives the key up atomically, and only
 * if it still does not match.
 * https://hl7.org/fhir/R4/http.html#ccreate
 */
import type { Resource } from '@medplum/fhirtypes';
import { fail } from '../../fhir/outcome.ts';
import type { SearchQuery } from '../../fhir/search/query.ts';
import type { CreateResult } from '../store.ts';
import { inTransaction } from './context.ts';
import type { MongoContext } from './context.ts';
import { conditionalKey } from './conditional-key.ts';
import { isDuplicateKey } from './errors.ts';
import { insertNew, readResource } from './resource-ops.ts';
import { matchFilter } from './search.ts';

const MAX_ATTEMPTS = 5;

async function existingMatch(
  ctx: MongoContext,
  resource: Resource,
  query: SearchQuery,
): Promise<CreateResult | undefined> {
  const filter = await matchFilter(ctx, query);
  const ids = (await ctx.cols.resources.find(filter, { limit: 2, projection: { id: 1 }, session: ctx.session })).map(
    (d) => d.id,
  );
  if (ids.length > 1) {
    fail('precondition-failed', {
      code: 'multiple-matches',
      id: 'STORE_CONDITIONAL_CREATE_MULTIPLE',
      text: `If-None-Exist matched ${ids.length} or more ${resource.resourceType} resources`,
    });
  }
  if (ids.length === 0) return undefined;
  const found = await readResource(ctx, resource.resourceType, ids[0] as string);
  return found.status === 'found' ? { outcome: 'existing', resource: found.resource } : undefined;
}

/** Takes the key away from a holder that does not match the search (the filter is checked on the holder itself). */
async function releaseStaleKey(ctx: MongoContext, query: SearchQuery, key: string): Promise<void> {
  const filter = await matchFilter(ctx, query);
  await ctx.cols.resources.updateOne({ ck: key, $nor: [filter] }, { $unset: { ck: '' } }, { session: ctx.session });
}

/** Creates `resource` unless the search matches one resource (returned) or several (refused). */
export async function conditionalCreate(
  ctx: MongoContext,
  resource: Resource,
  query: SearchQuery,
): Promise<CreateResult> {
  const key = conditionalKey(query);
  for (let attempt = 1; ; attempt++) {
    const existing = await existingMatch(ctx, resource, query);
    if (existing) return existing;
    await releaseStaleKey(ctx, query, key);
    try {
      return { outcome: 'created', resource: await insertNew(ctx, resource, ctx.newId(), key) };
    } catch (err) {
      if (!isDuplicateKey(err, 'ck')) throw err;
      // Inside a transaction the winner is not visible to this snapshot (and a server aborts the transaction
      // on the error): the client must retry the whole transaction.
      if (inTransaction(ctx) || attempt >= MAX_ATTEMPTS) {
        fail('conflict', {
          code: 'conflict',
          id: 'STORE_CONDITIONAL_CREATE_RACE',
          text: `A concurrent request created a ${resource.resourceType} matching If-None-Exist; retry the request`,
        });
      }
    }
  }
}
