/**
 * Issue 20 "Hostile input", the IPS side: documents with 10,000 entries, circular references between entries (in a
 * pushed document and among stored records that `$summary` follows), sections pointing outside the Bundle, and huge
 * or scripted narratives. Each gets a clear answer (stored when conformant, else a 4xx OperationOutcome naming the
 * problem), nothing is stored half-way, and the server keeps answering.
 */
import request from 'supertest';
import { FHIR_JSON } from '../helpers/test-app.ts';
import { createShlApp, documentBundle, messageId, stillServing, type ShlApp } from './shl-support.ts';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let t: ShlApp;
beforeAll(async () => {
  t = await createShlApp();
});
afterAll(() => t.close());

const put = (path: string, body: unknown) =>
  request(t.app)
    .put(`/fhir/${path}`)
    .set('Content-Type', FHIR_JSON)
    .send(typeof body === 'string' ? body : JSON.stringify(body));

/** The IPS example document under a new id, with its Condition entry's fullUrl and resource at hand. */
function document(id: string): { doc: J; condition: J; problems: J } {
  const doc = documentBundle() as J;
  doc.id = id;
  const problems = doc.entry[0].resource.section.find((s: J) => s.code.coding[0].code === '11450-4');
  const condition = doc.entry.find((e: J) => e.fullUrl === problems.entry[0].reference);
  return { doc, condition, problems };
}

/** Copies of a lean Condition (what the IPS Condition needs, no narrative: the body stays under MAX_BODY_BYTES) in
 * the problem list, up to `total` entries. */
function withConditions(id: string, total: number): J {
  const { doc, condition, problems } = document(id);
  const copies = total - doc.entry.length;
  for (let i = 0; i < copies; i++) {
    const uuid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const { clinicalStatus, code, subject } = condition.resource;
    const lean = { resourceType: 'Condition', id: uuid, clinicalStatus, code: { coding: [code.coding[0]] }, subject };
    doc.entry.push({ fullUrl: `urn:uuid:${uuid}`, resource: lean });
    problems.entry.push({ reference: `urn:uuid:${uuid}` });
  }
  return doc;
}

const errorsOf = (res: request.Response): J[] =>
  (res.body.issue ?? []).filter((i: J) => i.severity === 'error' || i.severity === 'fatal');
const stored = async (id: string) => (await request(t.app).get(`/fhir/Bundle/${id}`)).status;

describe('IPS documents with many entries', () => {
  test('when an IPS document holds 10,000 entries (the MAX_BUNDLE_ENTRIES limit) and the work budget allows it, then it is validated whole and stored', async () => {
    // Validating 10,000 entries takes seconds on a busy machine: a budget that cannot be the limit here.
    const roomy = await createShlApp({ requestBudgetMs: 900_000 });
    try {
      const doc = withConditions('ips-10000', 10_000);
      expect(doc.entry).toHaveLength(10_000);
      const res = await request(roomy.app)
        .put('/fhir/Bundle/ips-10000')
        .set('Content-Type', FHIR_JSON)
        .send(JSON.stringify(doc));
      expect([res.status, errorsOf(res)]).toEqual([201, []]);
      const back = await request(roomy.app).get('/fhir/Bundle/ips-10000');
      expect(back.body.entry).toHaveLength(10_000);
    } finally {
      await roomy.close();
    }
  }, 900_000);

  test('when validating a 10,000-entry IPS document needs more than the work budget, then 422 WORK_BUDGET_EXCEEDED, nothing stored, and the server answers', async () => {
    const tight = await createShlApp({ requestBudgetMs: 100 });
    try {
      const res = await request(tight.app)
        .put('/fhir/Bundle/ips-budget')
        .set('Content-Type', FHIR_JSON)
        .send(JSON.stringify(withConditions('ips-budget', 10_000)));
      expect([res.status, messageId(res)]).toEqual([422, 'WORK_BUDGET_EXCEEDED']);
      expect((await request(tight.app).get('/fhir/Bundle/ips-budget')).status).toBe(404);
      expect(await stillServing(tight)).toBe(200);
    } finally {
      await tight.close();
    }
  }, 300_000);

  test('when an IPS document holds 10,001 entries, then 422 BUNDLE_TOO_MANY_ENTRIES before validation and nothing is stored', async () => {
    const res = await put('Bundle/ips-10001', withConditions('ips-10001', 10_001));
    expect([res.status, messageId(res)]).toEqual([422, 'BUNDLE_TOO_MANY_ENTRIES']);
    expect(await stored('ips-10001')).toBe(404);
    expect(await stillServing(t)).toBe(200);
  });
});

describe('circular references', () => {
  test('when two entries of a document reference each other (Condition → Observation → Condition) and one references itself, then the document is judged and stored, once', async () => {
    const { doc, condition } = document('ips-cycle');
    const observation = {
      fullUrl: 'urn:uuid:0b1e0b1e-0000-4000-8000-000000000001',
      resource: {
        resourceType: 'Observation',
        id: '0b1e0b1e-0000-4000-8000-000000000001',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
        subject: condition.resource.subject,
        focus: [{ reference: condition.fullUrl }],
        derivedFrom: [{ reference: 'urn:uuid:0b1e0b1e-0000-4000-8000-000000000001' }],
      },
    };
    condition.resource.evidence = [{ detail: [{ reference: observation.fullUrl }] }];
    doc.entry.push(observation);
    const res = await put('Bundle/ips-cycle', doc);
    expect([res.status, errorsOf(res)]).toEqual([201, []]);
    expect(await stored('ips-cycle')).toBe(200);
  });

  test('when stored records reference each other in a cycle, then $summary follows each reference once and answers', async () => {
    const patient = {
      resourceType: 'Patient',
      id: 'cycle-patient',
      name: [{ family: 'Cycle' }],
      birthDate: '1980-01-01',
    };
    const condition = {
      resourceType: 'Condition',
      id: 'cycle-condition',
      subject: { reference: 'Patient/cycle-patient' },
      code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003' }] },
      clinicalStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
      },
      evidence: [{ detail: [{ reference: 'Observation/cycle-observation' }] }],
    };
    const observation = {
      resourceType: 'Observation',
      id: 'cycle-observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
      subject: { reference: 'Patient/cycle-patient' },
      focus: [{ reference: 'Condition/cycle-condition' }],
      derivedFrom: [{ reference: 'Observation/cycle-observation' }],
    };
    // Lenient store: the cycle is what is under test, not the ingest profiles.
    const lenient = await createShlApp({ validationMode: 'lenient' });
    try {
      for (const r of [patient, condition, observation]) {
        const res = await request(lenient.app)
          .put(`/fhir/${r.resourceType}/${r.id}`)
          .set('Content-Type', FHIR_JSON)
          .send(JSON.stringify(r));
        expect([r.id, res.status]).toEqual([r.id, 201]);
      }
      const res = await request(lenient.app).get('/fhir/Patient/cycle-patient/$summary');
      expect(res.status).toBe(200);
      const refs = (res.body.entry as J[]).map((e) => `${e.resource.resourceType}/${e.resource.id}`);
      expect(refs.filter((r) => r === 'Condition/cycle-condition')).toHaveLength(1);
      expect(refs.filter((r) => r === 'Observation/cycle-observation')).toHaveLength(1);
    } finally {
      await lenient.close();
    }
  });
});

describe('sections pointing outside the Bundle', () => {
  test.each([
    ['a relative reference to a stored resource', 'Condition/somewhere-else'],
    ['an absolute URL on another server', 'https://elsewhere.example/fhir/Condition/1'],
    ['a urn:uuid no entry has', 'urn:uuid:99999999-9999-4999-8999-999999999999'],
  ])(
    'when the problem section points to %s, then 422 naming that section entry, nothing stored and nothing fetched',
    async (_what, reference) => {
      const id = `ips-outside-${reference.length}`;
      const { doc, problems } = document(id);
      problems.entry = [{ reference }];
      const res = await put(`Bundle/${id}`, doc);
      expect(res.status).toBe(422);
      const expressions = errorsOf(res).flatMap((i) => i.expression ?? []);
      expect(expressions.some((e: string) => /^Bundle\.entry\[0\]\.resource\.section\[0\]\.entry\[0\]/.test(e))).toBe(
        true,
      );
      expect(await stored(id)).toBe(404);
      expect(await stillServing(t)).toBe(200);
    },
  );
});

describe('narratives', () => {
  test('when the Composition narrative is 8 MB of text, then 400 STRUCTURE_INVALID at its text.div (a FHIR string is at most 1 MB) and nothing is stored', async () => {
    const { doc } = document('ips-long-narrative');
    doc.entry[0].resource.text.div = `<div xmlns="http://www.w3.org/1999/xhtml"><p>${'a'.repeat(8 * 1024 * 1024)}</p></div>`;
    const res = await put('Bundle/ips-long-narrative', doc);
    expect([res.status, messageId(res), res.body.issue[0].expression]).toEqual([
      400,
      'STRUCTURE_INVALID',
      ['Bundle.entry[0].resource.text.div'],
    ]);
    expect(await stored('ips-long-narrative')).toBe(404);
    expect(await stillServing(t)).toBe(200);
  }, 120_000);

  test('when the Composition narrative is just under 1 MB, then the document is validated whole and stored', async () => {
    const { doc } = document('ips-large-narrative');
    doc.entry[0].resource.text.div = `<div xmlns="http://www.w3.org/1999/xhtml"><p>${'a'.repeat(1000 * 1000)}</p></div>`;
    const res = await put('Bundle/ips-large-narrative', doc);
    expect([res.status, errorsOf(res)]).toEqual([201, []]);
  }, 120_000);

  test('when the narrative makes the body larger than MAX_BODY_BYTES, then 413 before it is read, and nothing is stored', async () => {
    const { doc } = document('ips-huge-narrative');
    doc.entry[0].resource.text.div = `<div xmlns="http://www.w3.org/1999/xhtml"><p>${'a'.repeat(t.services.config.maxBodyBytes)}</p></div>`;
    const res = await put('Bundle/ips-huge-narrative', doc);
    expect(res.status).toBe(413);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(await stored('ips-huge-narrative')).toBe(404);
    expect(await stillServing(t)).toBe(200);
  });

  test.each([
    ['a script element', '<script>alert(1)</script>'],
    ['an event handler attribute', '<p onclick="alert(1)">x</p>'],
    ['an iframe', '<iframe src="https://evil.example"></iframe>'],
    ['a javascript: link', '<a href="javascript:alert(1)">x</a>'],
  ])('when the Composition narrative holds %s, then 422 at its text.div and nothing is stored', async (_what, html) => {
    const id = `ips-narrative-${html.length}`;
    const { doc } = document(id);
    doc.entry[0].resource.text.div = `<div xmlns="http://www.w3.org/1999/xhtml">${html}</div>`;
    const res = await put(`Bundle/${id}`, doc);
    expect(res.status).toBe(422);
    const expressions = errorsOf(res).flatMap((i) => i.expression ?? []);
    expect(expressions).toContain('Bundle.entry[0].resource.text.div');
    expect(await stored(id)).toBe(404);
  });
});
