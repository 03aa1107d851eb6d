import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import { runStoreContract } from './contract.ts';

runStoreContract('sqlite :memory:', async ({ now }) => createSqliteStore({ path: ':memory:', now }));

const dir = mkdtempSync(join(tmpdir(), 'gdhcn-store-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
runStoreContract('sqlite file', async ({ now }) =>
  createSqliteStore({ path: join(dir, `store-${n++}.db`), now, synchronous: 'NORMAL' }),
);
