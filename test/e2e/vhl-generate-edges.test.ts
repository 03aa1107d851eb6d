/**
 * Edge cases of `Patient/$generate-vhl` (ITI-YY3) and `Patient/$summary?identifier=` that issue 20 names and the
 * main suites leave out: who the identifier finds (two patients, another system, value only, an empty system), how
 * many documents a folder takes (the newest MAX_DOCUMENTS), a stored patient without documents (summarised, or
 * refused when the IPS Patient would be incomplete), and malformed identifiers. Every refusal stores no folder.
 */
import request from 'supertest';
import { MAX_DOCUMENTS } from '../../src/credentials/vhl-documents.ts';
import { FHIR_JSON } from '../helpers/test-app.ts';
import { documentBundle, messageId, type ShlApp } from './shl-support.ts';
import { createVhlApp, generate, outputs, receive } from './vhl-support.ts';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let t: ShlApp;
beforeAll(async () => {
  // Lenient: the stored Patients here are plain R4 ones; what the identifier finds is under test.
  t = await createVhlApp({ validationMode: 'lenient' });
});
afterAll(() => t.close());

const put = async (resource: J): Promise<void> => {
  const res = await request(t.app)
    .put(`/fhir/${resource.resourceType}/${resource.id}`)
    .set('Content-Type', FHIR_JSON)
    .send(JSON.stringify(resource));
  if (res.status !== 201 && res.status !== 200) throw new Error(`PUT ${resource.id}: ${res.status}`);
};
const patient = (id: string, identifier: J[], extra: J = {}): J => ({
  resourceType: 'Patient',
  id,
  identifier,
  name: [{ family: id, given: ['Edge'] }],
  birthDate: '1990-01-01',
  ...extra,
});
/** The number of VHL folder Lists stored (each generate that succeeds adds one). */
const folders = async (): Promise<number> =>
  ((await request(t.app).get('/fhir/List?code=folder&_count=1000')).body.entry ?? []).length;

/** The IPS example document for the patient `system|value`, under `id`. */
function documentFor(id: string, system: string, value: string): J {
  const doc = documentBundle() as J;
  doc.id = id;
  doc.identifier = {
    ...doc.identifier,
    value: `urn:uuid:00000000-0000-4000-8000-${id.replace(/\D/g, '').padStart(12, '0')}`,
  };
  const subject = doc.entry[0].resource.subject.reference;
  doc.entry.find((e: J) => e.fullUrl === subject).resource.identifier = [{ system, value }];
  return doc;
}

describe('Patient/$generate-vhl edge cases', () => {
  test('when two stored Patients carry the sourceIdentifier, then 422 (multiple matches) and no folder', async () => {
    await put(patient('twin-1', [{ system: 'urn:edge', value: 'TWIN' }]));
    await put(patient('twin-2', [{ system: 'urn:edge', value: 'TWIN' }]));
    const before = await folders();
    const res = await generate(t, { sourceIdentifier: 'urn:edge|TWIN' });
    expect([res.status, messageId(res), res.body.issue[0].code]).toEqual([
      422,
      'VHL_PATIENT_NOT_FOUND',
      'multiple-matches',
    ]);
    expect(await folders()).toBe(before);
  });

  test('when the stored Patient has no IPS document, then the folder holds its $summary, signed by us', async () => {
    await put(patient('summarised', [{ system: 'urn:edge', value: 'SUM-1' }]));
    const hc1 = outputs(await generate(t, { sourceIdentifier: 'urn:edge|SUM-1' })).hcert!.valueString as string;
    const { documents } = await receive(t, hc1, { recipient: 'Edge clinic' });
    expect(documents).toHaveLength(1);
    const doc = documents[0] as J;
    expect(doc).toMatchObject({
      resourceType: 'Bundle',
      type: 'document',
      signature: { sigFormat: 'application/jose' },
    });
    const subject = doc.entry.find((e: J) => e.fullUrl === doc.entry[0].resource.subject.reference).resource;
    expect(subject.id).toBe('summarised');
  });

  test('when the stored Patient has no document and no birthDate, then 422 SUMMARY_PATIENT_INCOMPLETE and no folder', async () => {
    await put(patient('no-birth', [{ system: 'urn:edge', value: 'NB-1' }], { birthDate: undefined }));
    const before = await folders();
    const res = await generate(t, { sourceIdentifier: 'urn:edge|NB-1' });
    expect([res.status, messageId(res)]).toEqual([422, 'SUMMARY_PATIENT_INCOMPLETE']);
    expect(await folders()).toBe(before);
  });

  test(`when more than ${MAX_DOCUMENTS} documents are stored for the patient, then the folder holds the newest ${MAX_DOCUMENTS}`, async () => {
    const ids = Array.from({ length: MAX_DOCUMENTS + 2 }, (_, i) => `many-docs-${i + 1}`);
    for (const id of ids) {
      t.clock.advance(1000); // "newest" is by _lastUpdated, and the test clock stands still otherwise
      const res = await request(t.app)
        .put(`/fhir/Bundle/${id}`)
        .set('Content-Type', FHIR_JSON)
        .send(JSON.stringify(documentFor(id, 'urn:edge', 'MANY')));
      expect([id, res.status]).toEqual([id, 201]);
    }
    const hc1 = outputs(await generate(t, { sourceIdentifier: 'urn:edge|MANY' })).hcert!.valueString as string;
    const { documents } = await receive(t, hc1, { recipient: 'Edge clinic' });
    expect((documents as J[]).map((d) => d.id).sort()).toEqual(ids.slice(-MAX_DOCUMENTS).sort());
  });

  test('when the identifier value matches in another system only, then 404 and no folder', async () => {
    await put(patient('other-system', [{ system: 'urn:elsewhere', value: 'SAME-VALUE' }]));
    const before = await folders();
    const res = await generate(t, { sourceIdentifier: 'urn:edge|SAME-VALUE' });
    expect([res.status, messageId(res)]).toEqual([404, 'VHL_PATIENT_NOT_FOUND']);
    expect(await folders()).toBe(before);
  });

  test.each([
    ['an empty system', '|SUM-1', 400, 'VHL_SOURCE_IDENTIFIER_INVALID'],
    ['an empty value', 'urn:edge|', 400, 'VHL_SOURCE_IDENTIFIER_INVALID'],
    ['more than 512 characters', `urn:edge|${'x'.repeat(600)}`, 400, 'VHL_SOURCE_IDENTIFIER_INVALID'],
    ['a SQL-looking value', "urn:edge|' OR '1'='1", 404, 'VHL_PATIENT_NOT_FOUND'],
    ['a NoSQL-looking value', 'urn:edge|{"$ne":null}', 404, 'VHL_PATIENT_NOT_FOUND'],
  ])(
    'when sourceIdentifier has %s, then a 4xx with its message id and no folder',
    async (_what, sourceIdentifier, status, id) => {
      const before = await folders();
      const res = await generate(t, { sourceIdentifier });
      expect([res.status, messageId(res)]).toEqual([status, id]);
      expect(await folders()).toBe(before);
    },
  );

  test('when sourceIdentifier is given twice, then 400 OPERATION_PARAM_REPEATED and no folder', async () => {
    const before = await folders();
    const res = await generate(t, { sourceIdentifier: ['urn:edge|SUM-1', 'urn:edge|NB-1'] });
    expect([res.status, messageId(res)]).toEqual([400, 'OPERATION_PARAM_REPEATED']);
    expect(await folders()).toBe(before);
  });
});

describe('Patient/$summary?identifier= edge cases', () => {
  const summaryOf = (identifier: string) =>
    request(t.app).get(`/fhir/Patient/$summary?identifier=${encodeURIComponent(identifier)}`);
  const subjectId = (bundle: J): string =>
    bundle.entry.find((e: J) => e.fullUrl === bundle.entry[0].resource.subject.reference).resource.id;

  test('when the identifier is a value alone, then it matches in any system', async () => {
    const res = await summaryOf('SUM-1');
    expect([res.status, subjectId(res.body)]).toEqual([200, 'summarised']);
  });

  test('when the identifier is given in a POSTed Parameters, then the same patient is summarised', async () => {
    const res = await request(t.app)
      .post('/fhir/Patient/$summary')
      .set('Content-Type', FHIR_JSON)
      .send(
        JSON.stringify({
          resourceType: 'Parameters',
          parameter: [{ name: 'identifier', valueString: 'urn:edge|SUM-1' }],
        }),
      );
    expect([res.status, subjectId(res.body)]).toEqual([200, 'summarised']);
  });

  test.each([
    ['a value in another system only', 'urn:edge|SAME-VALUE', 404, 'SUMMARY_PATIENT_NOT_FOUND'],
    ['a SQL-looking value', "urn:edge|' OR '1'='1", 404, 'SUMMARY_PATIENT_NOT_FOUND'],
    ['a NoSQL-looking value', '{"$ne":null}', 404, 'SUMMARY_PATIENT_NOT_FOUND'],
    ['two patients', 'urn:edge|TWIN', 422, 'SUMMARY_IDENTIFIER_AMBIGUOUS'],
  ])('when the identifier names %s, then a 4xx with its message id', async (_what, identifier, status, id) => {
    const res = await summaryOf(identifier);
    expect([res.status, messageId(res)]).toEqual([status, id]);
  });

  test('when the identifier is given twice, then 400 OPERATION_PARAM_REPEATED', async () => {
    const res = await request(t.app).get('/fhir/Patient/$summary?identifier=urn:edge|SUM-1&identifier=urn:edge|NB-1');
    expect([res.status, messageId(res)]).toEqual([400, 'OPERATION_PARAM_REPEATED']);
  });
});
