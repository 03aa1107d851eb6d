/** `_has`, chains beyond one level, `:identifier`, `_elements`, `_summary`, and transactions that upsert by identifier. */
import request from 'supertest';
import { createTestApp, FHIR_JSON, immunization, patient, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ searchJoinMax: 5 });
});
afterAll(() => t.close());

const post = (url: string, body: unknown) =>
  request(t.app).post(`/fhir/${url}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
const get = (url: string) => request(t.app).get(`/fhir/${url}`);
const ids = (res: request.Response) =>
  (res.body.entry ?? [])
    .filter((e: { search: { mode: string } }) => e.search.mode === 'match')
    .map((e: { resource: { id: string } }) => e.resource.id)
    .sort();
const code = (res: request.Response) => res.body.issue?.[0]?.details?.coding?.[0]?.code;
const CVX = 'http://hl7.org/fhir/sid/cvx';

describe('search joins and subsets', () => {
  test('when _has names Immunizations of a vaccine, then only the Patients they point at match', async () => {
    const a = (await post('Patient', patient({ name: [{ family: 'HasA' }] }))).body.id;
    const b = (await post('Patient', patient({ name: [{ family: 'HasB' }] }))).body.id;
    await post(
      'Immunization',
      immunization({ patient: { reference: `Patient/${a}` }, vaccineCode: { coding: [{ system: CVX, code: '208' }] } }),
    );
    await post(
      'Immunization',
      immunization({ patient: { reference: `Patient/${b}` }, vaccineCode: { coding: [{ system: CVX, code: '207' }] } }),
    );
    expect(ids(await get(`Patient?_has:Immunization:patient:vaccine-code=${CVX}|208`))).toEqual([a]);
    expect(ids(await get(`Patient?_has:Immunization:patient:vaccine-code=${CVX}|999`))).toEqual([]);
  });

  test('when _has fans out past SEARCH_JOIN_MAX, then 400 SEARCH_JOIN_TOO_BROAD', async () => {
    for (let i = 0; i < 6; i++)
      await post('Immunization', immunization({ lotNumber: 'FAN', patient: { reference: 'Patient/p1' } }));
    const res = await get('Patient?_has:Immunization:patient:lot-number=FAN');
    expect(res.status).toBe(400);
    expect(code(res)).toBe('SEARCH_JOIN_TOO_BROAD');
  });

  test('when _has is malformed or nested, then 400 with a SEARCH_HAS id', async () => {
    expect(code(await get('Patient?_has:Immunization:status=completed'))).toBe('SEARCH_HAS_INVALID');
    expect(code(await get('Patient?_has:Immunization:patient:_has:Observation:subject:code=x'))).toBe(
      'SEARCH_HAS_TOO_DEEP',
    );
  });

  test('when a chain runs two levels (patient.organization.name), then it is resolved', async () => {
    const org = (await post('Organization', { resourceType: 'Organization', name: 'Deep Chain Clinic' })).body.id;
    const p = (await post('Patient', patient({ managingOrganization: { reference: `Organization/${org}` } }))).body.id;
    const imm = (await post('Immunization', immunization({ patient: { reference: `Patient/${p}` } }))).body.id;
    await post('Immunization', immunization({ patient: { reference: 'Patient/p1' } }));
    expect(ids(await get('Immunization?patient.organization.name=Deep%20Chain%20Clinic'))).toEqual([imm]);
  });

  test('when :identifier is used on a reference, then logical references by identifier match', async () => {
    const imm = (
      await post('Immunization', immunization({ patient: { identifier: { system: 'urn:nhs', value: 'NHS-77' } } }))
    ).body.id;
    expect(ids(await get('Immunization?patient:identifier=urn:nhs|NHS-77'))).toEqual([imm]);
    expect(ids(await get('Immunization?patient:identifier=urn:nhs|NHS-78'))).toEqual([]);
  });

  test('when _elements or _summary are asked, then matches are cut down and tagged SUBSETTED', async () => {
    await post('Immunization', immunization({ lotNumber: 'SUB-1', note: [{ text: 'a note' }] }));
    const el = (await get('Immunization?lot-number=SUB-1&_elements=status,lotNumber')).body.entry[0].resource;
    expect(Object.keys(el).sort()).toEqual(['id', 'lotNumber', 'meta', 'resourceType', 'status']);
    expect(el.meta.tag).toContainEqual({
      system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
      code: 'SUBSETTED',
    });
    const sum = (await get('Immunization?lot-number=SUB-1&_summary=true')).body.entry[0].resource;
    expect(sum.lotNumber).toBeUndefined(); // not a summary element in R4
    expect(sum.vaccineCode).toBeDefined();
    expect(sum.note).toEqual([{ text: 'a note' }]); // Immunization.note is one
    expect(sum.meta.tag).toContainEqual({
      system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
      code: 'SUBSETTED',
    });
    const data = (await get('Immunization?lot-number=SUB-1&_summary=data')).body.entry[0].resource;
    expect(data.lotNumber).toBe('SUB-1');
    expect((await get('Immunization?lot-number=SUB-1&_summary=count')).body.total).toBe(1);
  });
});

describe('transactions that upsert by identifier', () => {
  const SYS = 'urn:oid:2.16.840.1.113883.2.4.6.3';
  const upsert = () => ({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: 'urn:uuid:pat',
        resource: patient({ identifier: [{ system: SYS, value: 'TX-1' }] }),
        request: { method: 'PUT', url: `Patient?identifier=${SYS}|TX-1` },
      },
      ...[1, 2, 3].map((i) => ({
        resource: immunization({
          identifier: [{ system: 'urn:imm', value: `TX-IMM-${i}` }],
          patient: { reference: 'urn:uuid:pat' },
        }),
        request: { method: 'PUT', url: `Immunization?identifier=urn:imm|TX-IMM-${i}` },
      })),
      { request: { method: 'GET', url: `Immunization?patient.identifier=${SYS}|TX-1&_total=accurate` } },
    ],
  });

  test('when the same upsert transaction runs twice, then the second only adds versions (no no-op detection)', async () => {
    const first = await post('', upsert());
    expect(first.status).toBe(200);
    expect(first.body.entry.slice(0, 4).map((e: { response: { status: string } }) => e.response.status)).toEqual(
      Array(4).fill('201 Created'),
    );
    const patientId = first.body.entry[0].resource.id;
    expect(first.body.entry[1].resource.patient.reference).toBe(`Patient/${patientId}`);
    expect(first.body.entry[4].resource.total).toBe(3);
    const second = await post('', upsert());
    expect(second.status).toBe(200);
    expect(second.body.entry.slice(0, 4).map((e: { response: { status: string } }) => e.response.status)).toEqual(
      Array(4).fill('200 OK'),
    );
    expect(
      second.body.entry
        .slice(0, 4)
        .map((e: { resource: { meta: { versionId: string } } }) => e.resource.meta.versionId),
    ).toEqual(['2', '2', '2', '2']);
    expect(second.body.entry[0].resource.id).toBe(patientId);
    expect(
      (await get(`Immunization?identifier=urn:imm|TX-IMM-1,urn:imm|TX-IMM-2,urn:imm|TX-IMM-3&_total=accurate`)).body
        .total,
    ).toBe(3);
  });

  test('when a transaction has conditional delete, create and a conditional reference, then they run in FHIR order atomically', async () => {
    await post('Patient', patient({ identifier: [{ system: SYS, value: 'TX-DEL' }] }));
    const bundle = (refTo: string) => ({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: immunization({ patient: { reference: `Patient?identifier=${SYS}|${refTo}` } }),
          request: { method: 'POST', url: 'Immunization' },
        },
        { request: { method: 'DELETE', url: `Patient?identifier=${SYS}|TX-DEL` } },
        {
          resource: patient({ identifier: [{ system: SYS, value: 'TX-REF' }] }),
          request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${SYS}|TX-REF` },
        },
      ],
    });
    const refused = await post('', bundle('TX-NOBODY'));
    expect(refused.status).toBe(412);
    expect(code(refused)).toBe('CONDITIONAL_REFERENCE_UNRESOLVED');
    expect((await get(`Patient?identifier=${SYS}|TX-DEL`)).body.entry).toHaveLength(1);
    expect((await get(`Patient?identifier=${SYS}|TX-REF`)).body.entry ?? []).toHaveLength(0);

    // The same search as the transaction's own conditional create: the reference points at the Patient it creates.
    const ok = await post('', bundle('TX-REF'));
    expect(ok.status).toBe(200);
    expect(ok.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual([
      '201 Created',
      '200 OK',
      '201 Created',
    ]);
    expect(ok.body.entry[0].resource.patient.reference).toBe(`Patient/${ok.body.entry[2].resource.id}`);
    expect((await get(`Patient?identifier=${SYS}|TX-DEL`)).body.entry ?? []).toHaveLength(0);
  });

  test('when an entry refers by identifier to a Patient upserted in the same transaction, then it points at that Patient', async () => {
    const res = await post('', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: immunization({
            identifier: [{ system: 'urn:imm', value: 'TX-UP-1' }],
            patient: { reference: `Patient?identifier=${encodeURIComponent(`${SYS}|TX-UP`)}` },
          }),
          request: { method: 'PUT', url: 'Immunization?identifier=urn:imm|TX-UP-1' },
        },
        {
          resource: patient({ identifier: [{ system: SYS, value: 'TX-UP' }] }),
          request: { method: 'PUT', url: `Patient?identifier=${SYS}|TX-UP` },
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.entry[0].resource.patient.reference).toBe(`Patient/${res.body.entry[1].resource.id}`);
  });

  test('when a transaction PATCHes with a FHIRPath Patch entry, then it applies inside the transaction', async () => {
    const p = (await post('Patient', patient({ identifier: [{ system: SYS, value: 'TX-PATCH' }] }))).body.id;
    const res = await post('', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: {
            resourceType: 'Parameters',
            parameter: [
              {
                name: 'operation',
                part: [
                  { name: 'type', valueCode: 'add' },
                  { name: 'path', valueString: 'Patient' },
                  { name: 'name', valueString: 'gender' },
                  { name: 'value', valueCode: 'female' },
                ],
              },
            ],
          },
          request: { method: 'PATCH', url: `Patient?identifier=${SYS}|TX-PATCH` },
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.entry[0].resource).toMatchObject({ id: p, gender: 'female', meta: { versionId: '2' } });
  });
});
