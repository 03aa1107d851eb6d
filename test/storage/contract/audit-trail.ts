/**
 * Contract: the audit trail. A write's AuditEvent (the `audit` write option) commits with the write or not at
 * all; `appendAudit` appends batches; AuditEvents are read and searched by date, agent, entity, action, outcome
 * and subtype from the trail, and cannot be updated or deleted.
 */
import type { AuditEvent } from '@medplum/fhirtypes';
import { buildAuditEvent } from '../../../src/audit/audit-event.ts';
import type { AuditFacts } from '../../../src/audit/audit-event.ts';
import { expectOutcome, immunization, patient, q, useStore } from './helpers.ts';
import type { MakeStore } from './helpers.ts';

function event(overrides: Partial<AuditFacts> = {}): AuditEvent {
  return buildAuditEvent({
    subtype: 'read',
    action: 'R',
    status: 200,
    clientId: 'his-1',
    address: '10.0.0.5',
    requestId: 'req-1',
    entities: [],
    recorded: new Date('2024-03-01T10:00:00.000Z'),
    ...overrides,
  });
}

type Event = AuditEvent & { id: string };

export function auditTrailContract(makeStore: MakeStore): void {
  const { store } = useStore(makeStore);
  const found = async (search: string): Promise<Event[]> =>
    (await store().search(q('AuditEvent', search))).resources as Event[];

  test('when a create carries its AuditEvent, then both are stored and the event names the created resource', async () => {
    const r = await store().create(patient(), {
      audit: (w) => event({ subtype: 'create', action: 'C', status: w.created ? 201 : 200, entities: [w.reference] }),
    });
    const events = await found(`entity=Patient/${r.resource.id}`);
    expect(events.map((e) => [e.action, e.outcomeDesc])).toEqual([['C', 'HTTP 201']]);
    expect((await store().read('AuditEvent', events[0]!.id)).status).toBe('found');
  });

  test('when update, conditional update and delete carry their AuditEvents, then each is stored with its reference', async () => {
    const p = await store().update(patient({ id: 'p1' }), {
      audit: (w) => event({ subtype: 'update', action: 'U', status: w.created ? 201 : 200, entities: [w.reference] }),
    });
    await store().conditionalUpdate(patient({ name: [{ family: 'Kim' }] }), q('Patient', '_id=p1'), {
      audit: (w) => event({ subtype: 'update', action: 'U', entities: [w.reference] }),
    });
    await store().delete('Patient', 'p1', {
      audit: (w) => event({ subtype: 'delete', action: 'D', entities: [w.reference] }),
    });
    expect(p.outcome).toBe('created');
    const events = await found('entity=Patient/p1');
    expect(events.map((e) => [e.action, e.outcomeDesc])).toEqual([
      ['U', 'HTTP 201'],
      ['U', 'HTTP 200'],
      ['D', 'HTTP 200'],
    ]);
  });

  test('when a resource was written (with its event) and then read (a queued event), then entity search finds both, typed or by id alone, and with other parameters', async () => {
    const r = await store().create(patient(), {
      audit: (w) => event({ subtype: 'create', action: 'C', status: 201, entities: [w.reference] }),
    });
    const id = r.resource.id as string;
    await store().appendAudit([event({ subtype: 'read', entities: [`Patient/${id}`] })]);
    await store().create(patient(), {
      audit: (w) => event({ subtype: 'create', action: 'C', status: 201, entities: [w.reference] }),
    });
    const subtypes = async (search: string) => (await found(search)).map((e) => e.subtype?.[0]?.code);
    expect(await subtypes(`entity=Patient/${id}`)).toEqual(['create', 'read']);
    expect(await subtypes(`entity=${id}`)).toEqual(['create', 'read']);
    expect(await subtypes(`entity=Patient/${id}&action=C`)).toEqual(['create']);
    expect(await subtypes(`entity=Immunization/${id}`)).toEqual([]);
    const [created] = await found(`entity=Patient/${id}&action=C`);
    expect(created?.entity?.map((e) => e.what?.reference)).toEqual([`Patient/${id}`]);
  });

  test('when a write fails, then its AuditEvent is not stored either', async () => {
    await store().update(patient({ id: 'p2' }));
    await store().update(patient({ id: 'p2' }));
    await expectOutcome(
      store().update(patient({ id: 'p2' }), {
        ifMatch: '1',
        audit: (w) => event({ action: 'U', entities: [w.reference] }),
      }),
      'precondition-failed',
      'STORE_VERSION_MISMATCH',
      "Patient/p2 is at version 2, not '1'",
    );
    expect(await found('entity=Patient/p2')).toEqual([]);
  });

  test('when building the AuditEvent throws after the write ran, then the write is undone with it', async () => {
    const failing = store().update(patient({ id: 'p3' }), {
      audit: () => {
        throw new Error('audit builder failed');
      },
    });
    await expect(failing).rejects.toThrow('audit builder failed');
    expect((await store().read('Patient', 'p3')).status).toBe('missing');
  });

  test('when a transaction rolls back, then the AuditEvents of its writes are rolled back too', async () => {
    const failing = store().transaction(async (tx) => {
      await tx.create(immunization(), {
        audit: (w) => event({ action: 'C', entities: [w.reference], requestId: 'req-tx' }),
      });
      throw new Error('later entry failed');
    });
    await expect(failing).rejects.toThrow('later entry failed');
    expect(await found('action=C')).toEqual([]);
    expect((await store().search(q('Immunization'))).resources).toEqual([]);
  });

  test('when a conditional create matches an existing resource, then no AuditEvent is written by the store', async () => {
    const ident = { system: 'urn:test', value: 'one' };
    await store().create(immunization({ identifier: [ident] }));
    const again = await store().create(immunization({ identifier: [ident] }), {
      ifNoneExist: q('Immunization', 'identifier=urn:test|one'),
      audit: (w) => event({ action: 'C', entities: [w.reference] }),
    });
    expect(again.outcome).toBe('existing');
    expect(await found('action=C')).toEqual([]);
  });

  test('when given the facts of events (the server’s own form) instead of AuditEvents, then it answers the AuditEvents they describe, searchable alike', async () => {
    const facts: AuditFacts[] = [
      {
        subtype: 'read',
        action: 'R',
        status: 200,
        clientId: 'his-1',
        address: '10.0.0.5',
        requestId: 'req-f1',
        entities: ['Patient/fa'],
        recorded: new Date('2024-04-01T10:00:00.000Z'),
      },
      {
        subtype: 'refused',
        action: 'E',
        status: 401,
        address: '10.0.0.9',
        detail: 'AUTH_TOKEN_MISSING',
        recorded: new Date('2024-04-02T10:00:00.000Z'),
      },
      {
        kind: 'login',
        subtype: 'token',
        action: 'E',
        status: 200,
        clientId: 'his-2',
        address: '10.0.0.6',
        entities: ['Immunization/fi', 'Patient/fa'],
        recorded: new Date('2024-04-03T10:00:00.000Z'),
      },
    ];
    await store().appendAudit(facts);
    const p = await store().create(patient(), {
      audit: (w) => ({
        subtype: 'create',
        action: 'C',
        status: 201,
        clientId: 'his-1',
        address: '10.0.0.5',
        entities: [w.reference],
        recorded: new Date('2024-04-04T10:00:00.000Z'),
      }),
    });
    const bare = (es: Event[]) => es.map(({ id: _id, meta: _meta, ...e }) => e);
    const all = await found('date=ge2024-04-01');
    expect(bare(all)).toEqual([
      ...facts.map(buildAuditEvent),
      buildAuditEvent({
        subtype: 'create',
        action: 'C',
        status: 201,
        clientId: 'his-1',
        address: '10.0.0.5',
        entities: [`Patient/${p.resource.id}`],
        recorded: new Date('2024-04-04T10:00:00.000Z'),
      }),
    ]);
    expect(all.every((e) => e.id && e.meta?.versionId === '1')).toBe(true);
    const read = await store().read('AuditEvent', all[2]!.id);
    expect(read.status === 'found' && bare([read.resource as Event])).toEqual([buildAuditEvent(facts[2]!)]);
    const codes = (es: Event[]) => es.map((e) => e.subtype?.[0]?.code);
    expect(codes(await found('entity=Patient/fa'))).toEqual(['read', 'token']);
    expect(codes(await found('agent=Device/his-1&date=ge2024-04-01'))).toEqual(['read', 'create']);
    expect(codes(await found('outcome=4&date=ge2024-04-01'))).toEqual(['refused']);
    expect(codes(await found('subtype=http://hl7.org/fhir/restful-interaction|create'))).toEqual(['create']);
  });

  test('when events are appended in a batch, then each is searchable by date, agent, entity, action, outcome and subtype', async () => {
    await store().appendAudit([
      event({ entities: ['Patient/a'], recorded: new Date('2024-03-01T10:00:00.000Z') }),
      event({
        subtype: 'search-type',
        clientId: 'his-2',
        entities: [],
        recorded: new Date('2024-03-02T10:00:00.000Z'),
      }),
      event({
        subtype: 'refused',
        action: 'E',
        status: 401,
        clientId: undefined,
        address: '10.0.0.9',
        detail: 'AUTH_TOKEN_MISSING',
        recorded: new Date('2024-03-03T10:00:00.000Z'),
      }),
      event({
        subtype: '$issue-hcert',
        action: 'E',
        status: 200,
        entities: ['Immunization/i1', 'Patient/a'],
        recorded: new Date('2024-03-04T10:00:00.000Z'),
      }),
    ]);
    const codes = (es: Event[]) => es.map((e) => e.subtype?.[0]?.code);
    expect(codes(await found('date=ge2024-03-02&date=lt2024-03-04'))).toEqual(['search-type', 'refused']);
    expect(codes(await found('date=2024-03-01'))).toEqual(['read']);
    expect(codes(await found('agent=Device/his-2'))).toEqual(['search-type']);
    expect(codes(await found('agent=his-1'))).toEqual(['read', '$issue-hcert']);
    expect(codes(await found('entity=Patient/a'))).toEqual(['read', '$issue-hcert']);
    expect(codes(await found('entity=Immunization/i1'))).toEqual(['$issue-hcert']);
    expect(codes(await found('action=E'))).toEqual(['refused', '$issue-hcert']);
    expect(codes(await found('outcome=4'))).toEqual(['refused']);
    expect(codes(await found('subtype=http://hl7.org/fhir/restful-interaction|read,search-type'))).toEqual([
      'read',
      'search-type',
    ]);
    expect(codes(await found('outcome=0&_sort=-date'))).toEqual(['$issue-hcert', 'search-type', 'read']);
  });

  test('when AuditEvents are paged with a total, then pages follow the write order and the total counts all matches', async () => {
    await store().appendAudit(
      Array.from({ length: 5 }, (_, i) => event({ requestId: `req-${i}`, entities: [`Patient/p${i}`] })),
    );
    const page1 = await store().search(q('AuditEvent', '_count=2&_total=accurate'));
    const page2 = await store().search({ ...q('AuditEvent', '_count=2&_offset=2'), snapshot: page1.snapshot });
    expect([page1.total, page1.hasMore, page2.hasMore]).toEqual([5, true, true]);
    const refs = (r: typeof page1) => r.resources.map((e) => (e as AuditEvent).entity?.[0]?.what?.reference);
    expect([...refs(page1), ...refs(page2)]).toEqual(['Patient/p0', 'Patient/p1', 'Patient/p2', 'Patient/p3']);
  });

  test('when an AuditEvent search uses a parameter the trail does not index, then it fails with AUDIT_SEARCH_UNSUPPORTED', async () => {
    await expectOutcome(
      store().search(q('AuditEvent', 'source=x')),
      'invalid',
      'AUDIT_SEARCH_UNSUPPORTED',
      'AuditEvent search supports date, agent, entity, action, outcome, subtype and _id only (not source)',
    );
  });

  test('when an AuditEvent is updated or deleted through the store, then it is refused with AUDIT_APPEND_ONLY and stays', async () => {
    await store().appendAudit([event()]);
    const [stored] = await found('');
    const text = 'AuditEvents are append-only: they cannot be updated or deleted';
    await expectOutcome(store().update({ ...stored!, outcome: '8' }), 'forbidden', 'AUDIT_APPEND_ONLY', text);
    await expectOutcome(store().delete('AuditEvent', stored!.id), 'forbidden', 'AUDIT_APPEND_ONLY', text);
    expect((await store().read('AuditEvent', stored!.id)).status).toBe('found');
    expect((await found('')).map((e) => e.outcome)).toEqual(['0']);
  });
}
