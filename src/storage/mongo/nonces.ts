/**
 * One-time keys on MongoDB (ResourceStore.claimOnce): collection `nonces`, `_id` = the key, `exp` = its expiry. A
 * claim is one upsert matching only an expired document of that key: when an unexpired one exists the upsert's
 * insert clashes on `_id` (E11000) and the key is refused, atomically for every server on the database. Claims
 * are made outside any transaction (a refused grant has nothing to undo); expired documents are pruned now and then.
 */
import type { Doc, IndexSpec, StoreCollections } from './collection.ts';
import { isDuplicateKey } from './errors.ts';

export interface NonceDoc extends Doc {
  _id: string;
  /** Expiry, epoch ms. */
  exp: number;
}

export const NONCE_INDEXES: readonly IndexSpec[] = [{ name: 'nonce_expiry', keys: { exp: 1 } }];

/** Claims between two prunes of expired documents. */
const PRUNE_EVERY = 256;
const claims = new WeakMap<StoreCollections, number>();

export async function claimNonce(
  cols: StoreCollections,
  now: number,
  key: string,
  expiresAt: number,
): Promise<boolean> {
  const n = (claims.get(cols) ?? 0) + 1;
  claims.set(cols, n % PRUNE_EVERY);
  if (n >= PRUNE_EVERY) await cols.nonces.deleteMany({ exp: { $lt: now } });
  try {
    await cols.nonces.findOneAndUpdate(
      { _id: key, exp: { $lt: now } },
      { $set: { exp: expiresAt } },
      { upsert: true, returnDocument: 'after' },
    );
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}
