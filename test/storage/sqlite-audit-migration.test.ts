/**
 * A trail written by an earlier build (no `hseq` column: every entity in `audit_entities`) opens, keeps answering
 * entity search, and new write events are found beside the old ones.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent } from '@medplum/fhirtypes';
import { packAuditFacts } from '../../src/audit/audit-event.ts';
import { createSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import { q } from './contract/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'gdhcn-audit-mig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The audit tables as the previous build made them. */
const OLD_DDL = `
CREATE TABLE audit_events (
  seq INTEGER PRIMARY KEY, stored_at INTEGER NOT NULL, recorded INTEGER NOT NULL, action TEXT NOT NULL,
  outcome TEXT NOT NULL, subtype_system TEXT NOT NULL, subtype_code TEXT NOT NULL, agent_type TEXT NOT NULL,
  agent_id TEXT NOT NULL, content TEXT NOT NULL
);
CREATE INDEX audit_events_recorded ON audit_events(recorded);
CREATE INDEX audit_events_agent ON audit_events(agent_id, seq);
CREATE TABLE audit_entities (
  ref_id TEXT NOT NULL, ref_type TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (ref_id, ref_type, seq)
) WITHOUT ROWID;
`;

test('when a trail of an earlier build is opened, then its events are still found by entity, with the new write events', async () => {
  const path = join(dir, 'old.db');
  const old = new DatabaseSync(path);
  old.exec(OLD_DDL);
  const recorded = new Date('2024-05-01T10:00:00.000Z');
  const content = packAuditFacts({
    subtype: 'update',
    action: 'U',
    status: 201,
    clientId: 'his-1',
    address: '10.0.0.5',
    entities: ['Patient/old-1'],
    recorded,
  });
  old
    .prepare(
      `INSERT INTO audit_events (stored_at, recorded, action, outcome, subtype_system, subtype_code, agent_type, agent_id, content)
       VALUES (?, ?, 'U', '0', 'http://hl7.org/fhir/restful-interaction', 'update', 'Device', 'his-1', ?)`,
    )
    .run(recorded.getTime(), recorded.getTime(), content);
  old.exec("INSERT INTO audit_entities (ref_id, ref_type, seq) VALUES ('old-1', 'Patient', 1)");
  old.close();

  const store = createSqliteStore({ path, synchronous: 'NORMAL' });
  try {
    await store.update({ resourceType: 'Patient', id: 'old-1' } as never, {
      audit: (w) => ({
        subtype: 'update',
        action: 'U',
        status: w.created ? 201 : 200,
        clientId: 'his-2',
        address: '10.0.0.6',
        entities: [w.reference],
        recorded: new Date('2024-05-02T10:00:00.000Z'),
      }),
    });
    const found = (await store.search(q('AuditEvent', 'entity=Patient/old-1'))).resources as AuditEvent[];
    expect(found.map((e) => [e.agent[0]?.name, e.entity?.[0]?.what?.reference])).toEqual([
      ['his-1', 'Patient/old-1'],
      ['his-2', 'Patient/old-1'],
    ]);
  } finally {
    await store.close();
  }
});
