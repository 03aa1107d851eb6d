import request from 'supertest';
import { createTestApp, FHIR_JSON, immunization, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ maxBodyBytes: 64 * 1024 });
});
afterAll(() => t.close());

const raw = (text: string, type = FHIR_JSON) =>
  request(t.app).post('/fhir/Immunization').set('Content-Type', type).send(text);

async function storedCount(): Promise<number> {
  return (await request(t.app).get('/fhir/Immunization?_summary=count')).body.total;
}

function expectOutcome(res: request.Response, status: number, id: string, code?: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0].details.coding[0].code).toBe(id);
  if (code) expect(res.body.issue[0].code).toBe(code);
}

describe('bad input gets a clear OperationOutcome and stores nothing', () => {
  test.each([
    ['malformed JSON', '{"resourceType":', 400, 'JSON_SYNTAX'],
    ['a JSON array', '[1,2]', 400, 'BODY_NOT_RESOURCE'],
    ['no resourceType', '{"status":"completed"}', 400, 'RESOURCE_TYPE_UNKNOWN'],
    ['an unknown resourceType', '{"resourceType":"Vaccination"}', 400, 'RESOURCE_TYPE_UNKNOWN'],
    ['another type than the URL', '{"resourceType":"Patient"}', 400, 'RESOURCE_TYPE_MISMATCH'],
    [
      'a duplicate key',
      '{"resourceType":"Immunization","status":"completed","status":"not-done"}',
      400,
      'JSON_DUPLICATE_KEY',
    ],
    ['a __proto__ key', '{"resourceType":"Immunization","__proto__":{"admin":true}}', 400, 'JSON_FORBIDDEN_KEY'],
    ['deep nesting', `{"resourceType":"Immunization","x":${'['.repeat(100)}${']'.repeat(100)}}`, 400, 'JSON_TOO_DEEP'],
  ])('when the body is %s, then %d %s', async (_what, body, status, id) => {
    const before = await storedCount();
    expectOutcome(await raw(body), status as number, id as string);
    expect(await storedCount()).toBe(before);
  });

  test('when an element has the wrong JSON type, then 400 STRUCTURE_INVALID with its expression', async () => {
    const res = await raw(JSON.stringify(immunization({ status: 7, occurrenceDateTime: '2021-13-45' })));
    expectOutcome(res, 400, 'STRUCTURE_INVALID', 'structure');
    const expressions = res.body.issue.flatMap((i: { expression: string[] }) => i.expression);
    expect(expressions).toEqual(expect.arrayContaining(['Immunization.status', 'Immunization.occurrence[x]']));
  });

  test('when an element is not in R4, then 400 names it', async () => {
    const res = await raw(JSON.stringify(immunization({ vaccine: 'x' })));
    expectOutcome(res, 400, 'STRUCTURE_INVALID');
    expect(res.body.issue[0].expression).toEqual(['Immunization.vaccine']);
  });

  test('when an update carries an id of the wrong format, then 400 ID_INVALID', async () => {
    const res = await request(t.app)
      .put('/fhir/Immunization/a')
      .set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(immunization({ id: 'a b' })));
    expectOutcome(res, 400, 'ID_INVALID');
  });

  test('when the body is XML, then 415 without parsing it', async () => {
    expectOutcome(
      await raw('<Immunization xmlns="http://hl7.org/fhir"/>', 'application/fhir+xml'),
      415,
      'XML_NOT_SUPPORTED',
    );
  });

  test('when the content type is text/plain, then 415', async () => {
    expectOutcome(await raw('{}', 'text/plain'), 415, 'CONTENT_TYPE_UNSUPPORTED');
  });

  test('when Content-Length is over the limit, then 413 before the body is read', async () => {
    const res = await raw(JSON.stringify(immunization({ note: [{ text: 'x'.repeat(70 * 1024) }] })));
    expectOutcome(res, 413, 'BODY_TOO_LARGE', 'too-costly');
  });

  test('when a chunked body grows past the limit, then 413', async () => {
    const { Readable } = await import('node:stream');
    const big = JSON.stringify(immunization({ note: [{ text: 'y'.repeat(80 * 1024) }] }));
    const req = request(t.app)
      .post('/fhir/Immunization')
      .set('Content-Type', FHIR_JSON)
      .set('Transfer-Encoding', 'chunked');
    const res = await new Promise<request.Response>((resolve, reject) => {
      req.on('response', resolve).on('error', reject);
      Readable.from([big.slice(0, 40000), big.slice(40000)]).pipe(req as unknown as NodeJS.WritableStream);
    });
    expect(res.status).toBe(413);
  });

  test('when a POST has no body, then 400 BODY_MISSING', async () => {
    expectOutcome(await request(t.app).post('/fhir/Immunization').set('Content-Type', FHIR_JSON), 400, 'BODY_MISSING');
  });
});

describe('routing errors', () => {
  test('when the resource type is unknown, then 404', async () => {
    expectOutcome(await request(t.app).get('/fhir/Vaccination/1'), 404, 'RESOURCE_TYPE_UNKNOWN');
  });

  test('when the method is not allowed, then 405', async () => {
    expectOutcome(
      await request(t.app).post('/fhir/Immunization/1').set('Content-Type', FHIR_JSON).send('{}'),
      405,
      'METHOD_NOT_ALLOWED',
    );
    expectOutcome(await request(t.app).delete('/fhir/_history'), 405, 'METHOD_NOT_ALLOWED');
  });

  test('when _format asks for XML, then 406', async () => {
    expectOutcome(await request(t.app).get('/fhir/metadata?_format=xml'), 406, 'FORMAT_NOT_SUPPORTED');
  });

  test('when a path is outside the API, then 404 as an OperationOutcome, not HTML', async () => {
    expectOutcome(await request(t.app).get('/nothing-here'), 404, 'PATH_UNKNOWN');
  });

  test('when an operation is unknown, then 404 OPERATION_UNKNOWN', async () => {
    expectOutcome(
      await request(t.app).post('/fhir/Immunization/$frobnicate').set('Content-Type', FHIR_JSON).send('{}'),
      404,
      'OPERATION_UNKNOWN',
    );
  });

  test('when Host and X-Forwarded-Host are spoofed, then links still use the configured base', async () => {
    const res = await request(t.app)
      .post('/fhir/Immunization')
      .set('Host', 'evil.example')
      .set('X-Forwarded-Host', 'evil.example')
      .set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(immunization()));
    expect(res.status).toBe(201);
    expect(res.headers.location).toMatch(/^http:\/\/gateway\.test\/fhir\/Immunization\//);
  });

  test('after all these errors, then the server still answers', async () => {
    expect((await request(t.app).get('/fhir/metadata')).status).toBe(200);
  });
});
