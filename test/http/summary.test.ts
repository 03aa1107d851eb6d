/**
 * `$summary` (IPS): the IPS document of a stored patient, built from the HL7 IPS package's own example records
 * (stored one by one, then summarised) and validated here, independently, against the IPS Bundle profile.
 */
import { createHash } from 'node:crypto';
import request from 'supertest';
import { AUTHOR_SIGNATURE_TYPE, verifyDocumentSignature } from '../../src/formats/fhir-signature.ts';
import { createValidator } from '../../src/validation/validator.ts';
import { IPS_BUNDLE, IPS_PACKAGE_FILE, packageExample, SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { createTestApp, FHIR_JSON, type TestApp } from '../helpers/test-app.ts';
import { sharedPackages } from '../unit/validation/shared-packages.ts';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Patient 66033: one immunization, nothing else. */
const IMMUNIZATIONS_ONLY = ['Patient-66033.json', 'Immunization-75680.json'];
/** Patient eumfh-39-07: problems, allergies, medications (statement and request), procedures, results. */
const SEVERAL_SECTIONS = [
  'Patient-eumfh-39-07.json',
  'Practitioner-eumfh-39-07.json',
  'Organization-TII-Organization1.json',
  'Medication-eumfh-39-07-1.json',
  'Condition-eumfh-39-07-1.json',
  'AllergyIntolerance-eumfh-39-07-1.json',
  'MedicationStatement-eumfh-39-07-1.json',
  'MedicationRequest-eumfh-39-07-1-request.json',
  'Procedure-eumfh-39-07-1.json',
  'Observation-hemoglobin.json',
];
const SECTION = {
  problems: '11450-4',
  allergies: '48765-2',
  medications: '10160-0',
  immunizations: '11369-6',
  results: '30954-2',
  procedures: '47519-4',
};

let t: TestApp;
const validator = createValidator(await sharedPackages());

async function put(resource: J): Promise<void> {
  const res = await request(t.app)
    .put(`/fhir/${resource.resourceType}/${resource.id}`)
    .set('Content-Type', FHIR_JSON)
    .send(JSON.stringify(resource));
  if (res.status !== 201 && res.status !== 200)
    throw new Error(
      `PUT ${resource.resourceType}/${resource.id}: ${res.status} ${JSON.stringify(res.body).slice(0, 400)}`,
    );
}

beforeAll(async () => {
  // Lenient: the server's strict Immunization ingest profile is DDCC's, which the IPS example does not claim.
  t = await createTestApp({ fhirPackages: SHARED_PACKAGE_FILES, validationMode: 'lenient' });
  for (const file of [...IMMUNIZATIONS_ONLY, ...SEVERAL_SECTIONS]) await put(packageExample(IPS_PACKAGE_FILE, file));
});
afterAll(() => t.close());

const errorsOf = (bundle: J) =>
  validator
    .validate(bundle, { profile: IPS_BUNDLE })
    .issue.filter((i) => i.severity === 'error' || i.severity === 'fatal');
const sectionOf = (bundle: J, code: string): J | undefined =>
  bundle.entry[0].resource.section.find((s: J) => s.code.coding[0].code === code);
/** The `Type/id` of the entries a section points to. */
const inSection = (bundle: J, code: string): string[] =>
  (sectionOf(bundle, code)?.entry ?? [])
    .map((e: J) => bundle.entry.find((x: J) => x.fullUrl === e.reference))
    .map((x: J) => `${x.resource.resourceType}/${x.resource.id}`);

describe('Patient/{id}/$summary', () => {
  test('when the patient has only immunizations, then the IPS document is valid, lists them, and the required sections say there is no information', async () => {
    const res = await request(t.app).get('/fhir/Patient/66033/$summary');
    expect(res.status).toBe(200);
    const bundle = res.body as J;
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'document' });
    expect(errorsOf(bundle)).toEqual([]);
    expect(inSection(bundle, SECTION.immunizations)).toEqual(['Immunization/75680']);
    for (const code of [SECTION.problems, SECTION.allergies, SECTION.medications]) {
      expect(sectionOf(bundle, code)).toMatchObject({
        emptyReason: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/list-empty-reason', code: 'unavailable' }],
        },
      });
      expect(sectionOf(bundle, code)?.entry).toBeUndefined();
    }
    const composition = bundle.entry[0].resource;
    const author = bundle.entry.find((e: J) => e.fullUrl === composition.author[0].reference)?.resource;
    expect(author).toMatchObject({ resourceType: 'Organization', name: t.services.config.issuerName });
    expect(bundle.entry.find((e: J) => e.fullUrl === composition.subject.reference)?.resource).toMatchObject({
      resourceType: 'Patient',
      id: '66033',
    });
  });

  test('when a summary is made, then the author organisation signs it: Bundle.signature is a detached JWS by our DSC over the document, and a changed document no longer verifies', async () => {
    const res = await request(t.app).get('/fhir/Patient/66033/$summary');
    expect(res.status).toBe(200);
    const bundle = res.body as J;
    const composition = bundle.entry[0].resource;
    expect(bundle.signature).toMatchObject({
      type: [AUTHOR_SIGNATURE_TYPE],
      who: { reference: composition.author[0].reference },
      sigFormat: 'application/jose',
    });
    expect(composition.custodian.reference).toBe(composition.author[0].reference);
    const check = verifyDocumentSignature(bundle);
    expect(check.valid).toBe(true);
    const fingerprint = createHash('sha256').update(check.certificateDer).digest('hex');
    expect(t.services.credentials.issuer().keys.dscs.map((d) => d.certificate.fingerprint)).toContain(fingerprint);
    // Re-ordering keys does not matter (JCS), a changed value does.
    const reordered = JSON.parse(JSON.stringify({ entry: bundle.entry, ...bundle }));
    expect(verifyDocumentSignature(reordered).valid).toBe(true);
    const changed = structuredClone(bundle);
    changed.entry[1].resource.birthDate = '1900-01-01';
    expect(verifyDocumentSignature(changed).valid).toBe(false);
    expect(errorsOf(bundle)).toEqual([]);
  });

  test('when the patient has records of several sections, then each is in its section, what they reference is included, and the document is valid', async () => {
    const res = await request(t.app).get('/fhir/Patient/eumfh-39-07/$summary');
    expect(res.status).toBe(200);
    const bundle = res.body as J;
    expect(errorsOf(bundle)).toEqual([]);
    expect(inSection(bundle, SECTION.problems)).toEqual(['Condition/eumfh-39-07-1']);
    expect(inSection(bundle, SECTION.allergies)).toEqual(['AllergyIntolerance/eumfh-39-07-1']);
    expect(inSection(bundle, SECTION.medications).sort()).toEqual([
      'MedicationRequest/eumfh-39-07-1-request',
      'MedicationStatement/eumfh-39-07-1',
    ]);
    expect(inSection(bundle, SECTION.procedures)).toEqual(['Procedure/eumfh-39-07-1']);
    expect(inSection(bundle, SECTION.results)).toEqual(['Observation/hemoglobin']);
    expect(sectionOf(bundle, SECTION.immunizations)).toBeUndefined();
    const types = bundle.entry.map((e: J) => `${e.resource.resourceType}/${e.resource.id}`);
    expect(types).toEqual(
      expect.arrayContaining([
        'Medication/eumfh-39-07-1',
        'Practitioner/eumfh-39-07',
        'Organization/TII-Organization1',
      ]),
    );
    expect(
      validator
        .validate(bundle, { profile: IPS_BUNDLE })
        .issue.filter((i) => i.details?.coding?.[0]?.code === 'BUNDLE_ENTRY_UNREACHABLE'),
    ).toEqual([]);
  });

  test('when the patient is asked by identifier (Patient/$summary?identifier=system|value), then the same patient is summarised', async () => {
    const patient = packageExample(IPS_PACKAGE_FILE, 'Patient-66033.json') as J;
    const { system, value } = patient.identifier[0];
    const res = await request(t.app).get(
      `/fhir/Patient/$summary?identifier=${encodeURIComponent(`${system}|${value}`)}`,
    );
    expect(res.status).toBe(200);
    expect(errorsOf(res.body)).toEqual([]);
    expect(inSection(res.body, SECTION.immunizations)).toEqual(['Immunization/75680']);
  });
});

describe('$summary rejections', () => {
  const outcome = (res: request.Response) => [
    res.status,
    res.body.resourceType,
    res.body.issue?.[0]?.details?.coding?.[0]?.code,
  ];

  test.each([
    ['an unknown patient id', '/fhir/Patient/nobody/$summary', 404, 'RESOURCE_NOT_FOUND'],
    ['an identifier no patient has', '/fhir/Patient/$summary?identifier=urn:x|nope', 404, 'SUMMARY_PATIENT_NOT_FOUND'],
    ['no identifier at type level', '/fhir/Patient/$summary', 400, 'SUMMARY_IDENTIFIER_MISSING'],
    [
      'an identifier beside an id',
      '/fhir/Patient/66033/$summary?identifier=urn:x|1',
      400,
      'SUMMARY_IDENTIFIER_WITH_ID',
    ],
    ['an identifier without value', '/fhir/Patient/$summary?identifier=urn:x|', 400, 'SUMMARY_IDENTIFIER_INVALID'],
    [
      'another profile',
      '/fhir/Patient/66033/$summary?profile=http://example.org/StructureDefinition/other',
      400,
      'SUMMARY_PROFILE_UNSUPPORTED',
    ],
    ['an unknown parameter', '/fhir/Patient/66033/$summary?format=pdf', 400, 'OPERATION_PARAM_UNKNOWN'],
  ])('when $summary is asked with %s, then %s %s as an OperationOutcome', async (_what, path, status, id) => {
    const res = await request(t.app).get(path);
    expect(outcome(res)).toEqual([status, 'OperationOutcome', id]);
    expect((await request(t.app).get('/healthz')).status).toBe(200);
  });

  test('when two patients share the identifier, then 422 SUMMARY_IDENTIFIER_AMBIGUOUS', async () => {
    await put({
      resourceType: 'Patient',
      id: 'twin-a',
      identifier: [{ system: 'urn:twins', value: '1' }],
      name: [{ family: 'A' }],
      birthDate: '2000-01-01',
    });
    await put({
      resourceType: 'Patient',
      id: 'twin-b',
      identifier: [{ system: 'urn:twins', value: '1' }],
      name: [{ family: 'B' }],
      birthDate: '2000-01-01',
    });
    expect(outcome(await request(t.app).get('/fhir/Patient/$summary?identifier=urn:twins|1'))).toEqual([
      422,
      'OperationOutcome',
      'SUMMARY_IDENTIFIER_AMBIGUOUS',
    ]);
  });

  test('when the stored patient has no birthDate (the IPS Patient needs one), then 422 SUMMARY_PATIENT_INCOMPLETE and no summary', async () => {
    await put({ resourceType: 'Patient', id: 'no-birthdate', name: [{ family: 'Nobirth' }] });
    const res = await request(t.app).get('/fhir/Patient/no-birthdate/$summary');
    expect(outcome(res)).toEqual([422, 'OperationOutcome', 'SUMMARY_PATIENT_INCOMPLETE']);
    expect(res.body.issue[0].details.text).toBe('Patient/no-birthdate has no birthDate, which an IPS Patient requires');
  });
});
