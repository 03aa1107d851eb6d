/**
 * The queued audit log: events of reads, refusals and token grants are appended in batches, flushed on close, and
 * survive a graceful shutdown (reopening the database finds every one).
 */
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { buildAuditEvent } from '../../../src/audit/audit-event.ts';
import { createAuditLog } from '../../../src/audit/audit-log.ts';
import { parseSearchQuery } from '../../../src/fhir/search/parse.ts';
import { createSqliteStore } from '../../../src/storage/sqlite/sqlite-store.ts';

const silent = { error: jest.fn() } as unknown as Logger;
const read = (n: number) =>
  buildAuditEvent({
    subtype: 'read',
    action: 'R',
    status: 200,
    clientId: 'his-1',
    address: '10.0.0.5',
    entities: [`Patient/p${n}`],
    recorded: new Date('2024-03-01T10:00:00.000Z'),
  });
const count = (search: string) =>
  parseSearchQuery('AuditEvent', [...new URLSearchParams(search)] as Array<[string, string]>, {
    defaultCount: 50,
    maxCount: 100,
  }).query;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'audit-log-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('when 1200 events are queued and the log is flushed before the store closes, then all of them are in the reopened database', async () => {
  const path = join(dir, 'fhir.db');
  const store = createSqliteStore({ path });
  const log = createAuditLog({ store, log: silent, flushMs: 60_000 });
  for (let i = 0; i < 1200; i++) log.enqueue(read(i));
  await log.flush();
  await store.close();
  const reopened = createSqliteStore({ path });
  const all = await reopened.search({ ...count('_summary=count'), summaryCount: true });
  const one = await reopened.search(count('entity=Patient/p1199'));
  await reopened.close();
  expect([all.total, one.resources.length]).toEqual([1200, 1]);
});

test('when the store refuses a batch, then the loss is logged with its size and the caller is not failed', async () => {
  const store = createSqliteStore({ path: ':memory:' });
  const error = jest.fn();
  const log = createAuditLog({ store, log: { error } as unknown as Logger, flushMs: 60_000 });
  await store.close();
  log.enqueue(read(1));
  log.enqueue(read(2));
  await expect(log.flush()).resolves.toBeUndefined();
  expect(error).toHaveBeenCalledWith(expect.objectContaining({ lost: 2 }), 'AUDIT WRITE FAILED: audit events lost');
});
