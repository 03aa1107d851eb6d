/**
 * Conditional update (`PUT [type]?[search]`) without duplicates, on the conditional-create key (`ck`, see
 * conditional-create.ts): a create claims the key of the search under its unique index, so of N requests that
 * all found nothing exactly one insert succeeds; the others get E11000, search again, find the winner and
 * update it (optimistic versioning gives each its own version). An update keeps the key on the resource, so a
 * request that searched before the resource existed still clashes when it tries to create.
 * https://hl7.org/fhir/R4/http.html#cond-update
 */
import type { Resource } from '@medplum/fhirtypes';
import { fail } from '../../fhir/outcome.ts';
import type { SearchQuery } from '../../fhir/search/query.ts';
import { conditionalTarget } from '../conditional-target.ts';
import type { UpdateOptions, UpdateResult } from '../store.ts';
import { inTransaction } from './context.ts';
import type { MongoContext } from './context.ts';
import { conditionalKey } from './conditional-key.ts';
import { isDuplicateKey } from './errors.ts';
import { insertNew, updateResource } from './resource-ops.ts';
import { matchFilter } from './search.ts';

const MAX_ATTEMPTS = 5;

async function matchingIds(ctx: MongoContext, query: SearchQuery): Promise<string[]> {
  const filter = await matchFilter(ctx, query);
  return (await ctx.cols.resources.find(filter, { limit: 2, projection: { id: 1 }, session: ctx.session })).map(
    (d) => d.id,
  );
}

/** Takes the key away from a holder that does not match the search (checked on the holder itself). */
async function releaseStaleKey(ctx: MongoContext, query: SearchQuery, key: string): Promise<void> {
  const filter = await matchFilter(ctx, query);
  await ctx.cols.resources.updateOne({ ck: key, $nor: [filter] }, { $unset: { ck: '' } }, { session: ctx.session });
}

async function attempt(
  ctx: MongoContext,
  resource: Resource,
  query: SearchQuery,
  options: UpdateOptions,
): Promise<UpdateResult> {
  const key = conditionalKey(query);
  const target = conditionalTarget(resource, await matchingIds(ctx, query), options);
  await releaseStaleKey(ctx, query, key);
  if (target === undefined) return { outcome: 'created', resource: await insertNew(ctx, resource, ctx.newId(), key) };
  return updateResource(ctx, { ...resource, id: target } as Resource, { ...options, ck: key });
}

/** Updates the one resource `query` matches, creates it when none does, refuses when several do. */
export async function conditionalUpdate(
  ctx: MongoContext,
  resource: Resource,
  query: SearchQuery,
  options: UpdateOptions = {},
): Promise<UpdateResult> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(ctx, resource, query, options);
    } catch (err) {
      if (!isDuplicateKey(err, 'ck')) throw err;
      // Inside a transaction the winner is not visible to this snapshot: the client retries the whole transaction.
      if (inTransaction(ctx) || n >= MAX_ATTEMPTS) {
        fail('conflict', {
          code: 'conflict',
          id: 'STORE_CONDITIONAL_UPDATE_RACE',
          text: `A concurrent request wrote a ${resource.resourceType} matching the conditional update's search; retry the request`,
        });
      }
    }
  }
}
