/**
 * A write's own AuditEvent on SQLite: it names the history version the write made (`hseq`, handed back by the
 * write itself, not read back), and it commits with that write or not at all, whether the write was
 * group-committed with others (its event appended just before the group's COMMIT) or ran inside a transaction.
 * A second connection reads the file to check the rows themselves.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import type { AuditFacts } from '../../src/audit/audit-event.ts';
import { createSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import type { ResourceStore, WrittenRef } from '../../src/storage/store.ts';
import { q } from './contract/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'gdhcn-audit-version-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const audit =
  (action: AuditFacts['action']) =>
  (w: WrittenRef): AuditFacts => ({
    subtype: action === 'C' ? 'create' : action === 'D' ? 'delete' : 'update',
    action,
    status: w.created ? 201 : 200,
    clientId: 'his-1',
    address: '10.0.0.5',
    entities: [w.reference],
    recorded: new Date('2024-05-01T10:00:00.000Z'),
  });

const patient = (id?: string): Resource => ({ resourceType: 'Patient', ...(id ? { id } : {}), active: true });

interface Row {
  action: string;
  rtype: string | null;
  id: string | null;
  version: number | null;
  method: string | null;
}

/** Every audit row, with the history version its `hseq` points at (nulls when it points at none). */
function auditRows(path: string): Row[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db
      .prepare(
        'SELECT a.action, h.rtype, h.id, h.version, h.method FROM audit_events a LEFT JOIN history h ON h.seq = a.hseq ORDER BY a.seq',
      )
      .all() as unknown as Row[];
  } finally {
    db.close();
  }
}

async function withStore(name: string, run: (store: ResourceStore, path: string) => Promise<void>): Promise<void> {
  const path = join(dir, `${name}.db`);
  const store = createSqliteStore({ path, synchronous: 'NORMAL' });
  try {
    await run(store, path);
  } finally {
    await store.close();
  }
}

test('when audited writes are queued together and some fail, then each write that committed has one event naming the version it wrote, and the failed ones have none', async () => {
  await withStore('group', async (store, path) => {
    await store.update(patient('upd'));
    await store.update(patient('del'));
    await store.update(patient('stale'));
    await store.update(patient('stale'));
    // Started together, without awaiting in between: the store queue runs them as one group commit.
    const results = await Promise.allSettled([
      store.create(patient(), { audit: audit('C') }),
      store.update(patient('upd'), { audit: audit('U') }),
      store.update(patient('stale'), { ifMatch: '1', audit: audit('U') }),
      store.delete('Patient', 'del', { audit: audit('D') }),
      store.update(patient('builder-fails'), {
        audit: () => {
          throw new Error('audit builder failed');
        },
      }),
      store.update(patient('new'), { audit: audit('U') }),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    const createdId = (results[0] as PromiseFulfilledResult<{ resource: Resource }>).value.resource.id;
    const rows = auditRows(path);
    expect(rows).toEqual([
      { action: 'C', rtype: 'Patient', id: createdId, version: 1, method: 'POST' },
      { action: 'U', rtype: 'Patient', id: 'upd', version: 2, method: 'PUT' },
      { action: 'D', rtype: 'Patient', id: 'del', version: 2, method: 'DELETE' },
      { action: 'U', rtype: 'Patient', id: 'new', version: 1, method: 'PUT' },
    ]);
    expect((await store.read('Patient', 'builder-fails')).status).toBe('missing');
    // Entity search finds each event through the version it names.
    const found = await store.search(q('AuditEvent', 'entity=Patient/del'));
    expect(found.resources.map((e) => (e as { action?: string }).action)).toEqual(['D']);
  });
});

test('when a delete finds nothing to delete, then its event names the resource without a version and entity search still finds it', async () => {
  await withStore('noop-delete', async (store, path) => {
    await store.delete('Patient', 'never-was', { audit: audit('D') });
    expect(auditRows(path)).toEqual([{ action: 'D', rtype: null, id: null, version: null, method: null }]);
    const found = await store.search(q('AuditEvent', 'entity=Patient/never-was'));
    expect(found.resources).toHaveLength(1);
  });
});

test('when audited writes run inside a transaction, then each event names its version, and a rollback takes writes and events together', async () => {
  await withStore('transaction', async (store, path) => {
    await store.transaction(async (tx) => {
      await tx.update(patient('t1'), { audit: audit('U') });
      await tx.update(patient('t1'), { audit: audit('U') });
    });
    await expect(
      store.transaction(async (tx) => {
        await tx.update(patient('t2'), { audit: audit('U') });
        throw new Error('later entry failed');
      }),
    ).rejects.toThrow('later entry failed');
    expect(auditRows(path)).toEqual([
      { action: 'U', rtype: 'Patient', id: 't1', version: 1, method: 'PUT' },
      { action: 'U', rtype: 'Patient', id: 't1', version: 2, method: 'PUT' },
    ]);
    expect((await store.read('Patient', 't2')).status).toBe('missing');
  });
});
