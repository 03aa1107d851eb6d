/**
 * `Patient/{id}/$issue-shl`: the link is issued for the patient's IPS `$summary`, made at issuance from what the
 * server holds (the HL7 IPS package's example patient with one immunization), and a verifier gets that summary back.
 */
import request from 'supertest';
import { IPS_PACKAGE_FILE, packageExample } from '../helpers/shared-packages.ts';
import { FHIR_JSON } from '../helpers/test-app.ts';
import {
  check,
  createShlApp,
  failed,
  IPS_PROFILE,
  messageId,
  out,
  parameters,
  postFhir,
  verify,
  type Param,
  type ShlApp,
} from './shl-support.ts';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let t: ShlApp;
beforeAll(async () => {
  // Lenient: the strict Immunization ingest profile is DDCC's, which the IPS example immunization does not claim.
  t = await createShlApp({ validationMode: 'lenient' });
  for (const file of ['Patient-66033.json', 'Immunization-75680.json']) {
    const r = packageExample(IPS_PACKAGE_FILE, file) as J;
    const res = await request(t.app)
      .put(`/fhir/${r.resourceType}/${r.id}`)
      .set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(r));
    expect(res.status).toBe(201);
  }
});
afterAll(() => t.close());

const issueForPatient = (id: string, params: Param[] = []) =>
  postFhir(t, `Patient/${id}/$issue-shl`, parameters([{ name: 'qrFormat', valueCode: 'none' }, ...params]));

describe('Patient/{id}/$issue-shl', () => {
  test('when a link is issued for a patient, then the link carries their IPS summary, which verifies against the IPS Bundle profile', async () => {
    const issued = await issueForPatient('66033', [{ name: 'vhl', valueBoolean: false }]);
    expect(issued.status).toBe(200);
    const v = await verify(t, out(issued, 'shlink'));
    expect(v.valid).toBe(true);
    expect(failed(v)).toEqual([]);
    expect(check(v, 'fhir-profile')).toEqual({
      name: 'fhir-profile',
      status: 'pass',
      message: `Conforms to ${IPS_PROFILE}`,
    });
    const content = v.content as J;
    expect(content).toMatchObject({ resourceType: 'Bundle', type: 'document' });
    const immunizations = content.entry[0].resource.section.find((s: J) => s.code.coding[0].code === '11369-6');
    const targets = immunizations.entry.map(
      (e: J) => content.entry.find((x: J) => x.fullUrl === e.reference)?.resource,
    );
    expect(targets.map((r: J) => `${r.resourceType}/${r.id}`)).toEqual(['Immunization/75680']);
  });

  test("when a VHL is issued for a patient, then the patient's $credentials lists it with the patient as subject", async () => {
    const issued = await issueForPatient('66033');
    expect(issued.status).toBe(200);
    const listed = await request(t.app).get('/fhir/Patient/66033/$credentials');
    const ids = (listed.body.parameter as Array<{ part: Array<{ name: string; valueString?: string }> }>).map(
      (p) => p.part.find((x) => x.name === 'credentialId')?.valueString,
    );
    expect(ids).toContain(out(issued, 'linkRecord').slice('DocumentReference/'.length));
    expect((await verify(t, out(issued, 'vhl'))).valid).toBe(true);
  });

  test('when the patient is unknown, then 404 and no link', async () => {
    const res = await issueForPatient('nobody', [{ name: 'vhl', valueBoolean: false }]);
    expect(res.status).toBe(404);
    expect(messageId(res)).toBe('RESOURCE_NOT_FOUND');
  });

  test('when the patient cannot make a conformant IPS (no birthDate), then 422 and no link', async () => {
    const put = await request(t.app)
      .put('/fhir/Patient/incomplete')
      .set('Content-Type', FHIR_JSON)
      .send(JSON.stringify({ resourceType: 'Patient', id: 'incomplete', name: [{ family: 'X' }] }));
    expect(put.status).toBe(201);
    const res = await issueForPatient('incomplete', [{ name: 'vhl', valueBoolean: false }]);
    expect(res.status).toBe(422);
    expect(messageId(res)).toBe('SUMMARY_PATIENT_INCOMPLETE');
  });
});
