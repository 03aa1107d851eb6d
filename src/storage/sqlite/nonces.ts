/**
 * One-time keys on SQLite (ResourceStore.claimOnce): `nonces`, one row per claimed key with its expiry. The claim is
 * one INSERT … ON CONFLICT in a write job: another process on the same file takes the write lock first or after,
 * never between the check and the write. Expired rows are taken over by a new claim, and pruned now and then.
 */
import type { StoreContext } from './context.ts';

export const NONCE_DDL = `
CREATE TABLE IF NOT EXISTS nonces (
  key TEXT PRIMARY KEY,
  expires INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nonces_expires ON nonces(expires);
`;

/** Claims between two prunes of expired rows. */
const PRUNE_EVERY = 256;
const claims = new WeakMap<StoreContext, number>();

export function claimNonce(ctx: StoreContext, key: string, expiresAt: number): boolean {
  const now = ctx.now().getTime();
  const n = (claims.get(ctx) ?? 0) + 1;
  claims.set(ctx, n % PRUNE_EVERY);
  if (n >= PRUNE_EVERY) ctx.stmt('DELETE FROM nonces WHERE expires < ?').run(now);
  const r = ctx
    .stmt(
      'INSERT INTO nonces (key, expires) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET expires = excluded.expires WHERE nonces.expires < ?',
    )
    .run(key, expiresAt, now);
  return Number(r.changes) === 1;
}
