/**
 * The storage port contract: one adapter-agnostic suite that every `ResourceStore` adapter runs
 * (test/storage/sqlite.test.ts, later mongo.test.ts). Adapters must honour the `now` clock they are given.
 */
import { auditTrailContract } from './contract/audit-trail.ts';
import { conditionalAndTransactionContract } from './contract/conditional-and-transactions.ts';
import { conditionalUpdateContract } from './contract/conditional-update.ts';
import { crudContract } from './contract/crud.ts';
import type { MakeStore } from './contract/helpers.ts';
import { historyContract } from './contract/history.ts';
import { logicalReferenceContract } from './contract/logical-references.ts';
import { oneTimeKeyContract } from './contract/one-time-keys.ts';
import { searchResultsContract } from './contract/search-results.ts';
import { searchTypesContract } from './contract/search-types.ts';

export type { ContractStoreOptions, MakeStore } from './contract/helpers.ts';

/** Registers the whole contract suite for one adapter. */
export function runStoreContract(name: string, makeStore: MakeStore): void {
  describe(`ResourceStore contract: ${name}`, () => {
    describe('CRUD, versions and delete', () => crudContract(makeStore));
    describe('history', () => historyContract(makeStore));
    describe('conditional create and transactions', () => conditionalAndTransactionContract(makeStore));
    describe('conditional update', () => conditionalUpdateContract(makeStore));
    describe('logical references (:identifier)', () => logicalReferenceContract(makeStore));
    describe('search by parameter type', () => searchTypesContract(makeStore));
    describe('search results, includes and paging', () => searchResultsContract(makeStore));
    describe('audit trail', () => auditTrailContract(makeStore));
    describe('one-time keys', () => oneTimeKeyContract(makeStore));
  });
}
