/**
 * Recognising the driver's errors by their documented codes and labels (the stand-in raises the same shapes):
 * E11000 for a unique index clash, the `TransientTransactionError` label for a transaction worth retrying.
 * https://www.mongodb.com/docs/manual/core/transactions-in-applications/#transient-transaction-error
 */

export const DUPLICATE_KEY = 11000;
export const TRANSIENT_TRANSACTION_ERROR = 'TransientTransactionError';

interface ServerErrorShape {
  code?: unknown;
  keyPattern?: Record<string, unknown>;
  keyValue?: Record<string, unknown>;
  errorLabels?: unknown;
  errorLabelSet?: Set<string>;
  hasErrorLabel?: (label: string) => boolean;
}

/** True for an E11000 duplicate key error; with `field`, only when that field is in the clashing index. */
export function isDuplicateKey(err: unknown, field?: string): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as ServerErrorShape;
  if (e.code !== DUPLICATE_KEY) return false;
  if (field === undefined) return true;
  const keys = { ...e.keyPattern, ...e.keyValue };
  return Object.keys(keys).length === 0 ? String((err as Error).message).includes(`${field}:`) : field in keys;
}

/** True when the error carries the given label (driver errors keep them behind `hasErrorLabel`). */
export function hasErrorLabel(err: unknown, label: string): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as ServerErrorShape;
  if (typeof e.hasErrorLabel === 'function') return e.hasErrorLabel(label);
  return Array.isArray(e.errorLabels) && e.errorLabels.includes(label);
}

/**
 * Thrown when a conditional write found the document changed since it was read (another writer won).
 * Outside a transaction the operation is retried; inside one it carries the transient label, so that
 * `withTransaction` runs the transaction again, as it does for the server's own WriteConflict.
 */
export class ConcurrentWriteError extends Error {
  readonly errorLabels: string[];

  constructor(key: string, inTransaction: boolean) {
    super(`${key} was changed by another writer`);
    this.name = 'ConcurrentWriteError';
    this.errorLabels = inTransaction ? [TRANSIENT_TRANSACTION_ERROR] : [];
  }
}
