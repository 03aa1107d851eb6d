/**
 * Large resources are validated in a worker thread (VALIDATION_WORKERS), off the event loop: the answer is the one
 * inline validation gives, the work budget still applies there, and the workers follow a package install.
 */
import { jest } from '@jest/globals';
import request from 'supertest';
import { createWorkBudget } from '../../src/fhir/work-budget.ts';
import { LARGE_BODY_BYTES } from '../../src/http/body.ts';
import { isLarge, type ValidationPool } from '../../src/validation-pool.ts';
import { createTestApp, FHIR_JSON, patient, type TestApp } from '../helpers/test-app.ts';

/** A Patient with `n` contained Organizations, all referenced, and one unreferenced (a dom-3 error) with a bad date. */
const crowded = (n: number) =>
  patient({
    contained: [
      ...Array.from({ length: n }, (_, i) => ({ resourceType: 'Organization', id: `o${i}`, name: `org ${i}` })),
      { resourceType: 'Organization', id: 'lonely', name: 'nobody refers to me' },
    ],
    generalPractitioner: Array.from({ length: n }, (_, i) => ({ reference: `#o${i}` })),
    birthDate: '1970-13-45',
  });

const validate = (t: TestApp, body: unknown) =>
  request(t.app).post('/fhir/Patient/$validate').set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
const codes = (res: request.Response) =>
  (res.body.issue as Array<{ severity: string; details?: { coding?: Array<{ code: string }> }; expression?: string[] }>)
    .map((i) => `${i.severity} ${i.details?.coding?.[0]?.code} ${i.expression?.join(',')}`)
    .sort();

let inline: TestApp;
let pooled: TestApp;
beforeAll(async () => {
  // MAX_CONTAINED raised so that the large resources are validated, not refused by their count.
  inline = await createTestApp({ maxContained: 50_000 });
  pooled = await createTestApp({ maxContained: 50_000, validationWorkers: 1 });
  await pooled.services.validationPool?.ready();
});
afterAll(async () => {
  await inline.close();
  await pooled.close();
});

test('when a resource is large, then it counts as large; a small one does not', () => {
  expect([
    isLarge(crowded(3000)),
    isLarge(crowded(3)),
    isLarge(patient({ name: [{ family: 'x'.repeat(300_000) }] })),
  ]).toEqual([true, false, true]);
});

test('when a large resource is validated by a worker, then the outcome is the one inline validation gives', async () => {
  const body = crowded(3000);
  const [a, b] = [await validate(inline, body), await validate(pooled, body)];
  expect([a.status, b.status]).toEqual([200, 200]);
  expect(codes(b)).toEqual(codes(a));
  expect(codes(b).some((c) => c.startsWith('error'))).toBe(true);
});

test('when the work budget runs out in the worker, then 422 WORK_BUDGET_EXCEEDED and the server keeps answering', async () => {
  const tight = await createTestApp({ maxContained: 50_000, validationWorkers: 1, requestBudgetMs: 1 });
  try {
    await tight.services.validationPool?.ready();
    const res = await validate(tight, crowded(20_000));
    expect([res.status, res.body.issue[0].details.coding[0].code]).toEqual([422, 'WORK_BUDGET_EXCEEDED']);
    expect((await request(tight.app).get('/healthz')).status).toBe(200);
  } finally {
    await tight.close();
  }
});

/** Every (status, first issue code) of a list of answers. */
const verdicts = (responses: request.Response[]) =>
  responses.map((r) => `${r.status} ${r.body.issue?.[0]?.details?.coding?.[0]?.code ?? r.body.resourceType}`);

describe('large $validate bodies (over LARGE_BODY_BYTES): parsed, checked and validated in the worker', () => {
  const large = crowded(4000);
  const asParameters = (resource: unknown, extra: unknown[] = []) => ({
    resourceType: 'Parameters',
    parameter: [{ name: 'resource', resource }, ...extra],
  });

  test('when a body is large, then it is over the threshold and the worker answers for it', () => {
    expect(Buffer.byteLength(JSON.stringify(large))).toBeGreaterThan(LARGE_BODY_BYTES);
  });

  test('when a large body is a bare resource or a Parameters, then the outcome is the one inline validation gives', async () => {
    const spy = jest.spyOn(pooled.services.validationPool as ValidationPool, 'validateBody');
    try {
      for (const body of [large, asParameters(large)]) {
        const [a, b] = [await validate(inline, body), await validate(pooled, body)];
        expect([a.status, b.status]).toEqual([200, 200]);
        expect(codes(b)).toEqual(codes(a));
      }
      // Both went to the worker as bytes (a promise each: no inline fallback).
      expect(spy.mock.results.map((r) => r.value instanceof Promise)).toEqual([true, true]);
    } finally {
      spy.mockRestore();
    }
  });

  test('when a large Parameters body carries more than resource and profile, then the operation reads it itself and answers as inline', async () => {
    const body = asParameters(large, [{ name: 'mode', valueCode: 'bogus' }]);
    const [a, b] = [await validate(inline, body), await validate(pooled, body)];
    expect(verdicts([b])).toEqual(verdicts([a]));
    expect(a.status).toBe(400);
  });

  test('when a large body is broken (duplicate key, BOM, lone surrogate, JSON syntax, wrong type), then the worker refuses it as inline does', async () => {
    const text = JSON.stringify(large);
    const bodies = [
      text.replace('"resourceType":"Patient"', '"resourceType":"Patient","resourceType":"Patient"'),
      `\ufeff${text}`,
      text.replace('"name":"org 1"', '"name":"org \\ud800"'),
      `${text.slice(0, -1)},}`,
      text.replace('"resourceType":"Patient"', '"resourceType":"Organization"'),
    ];
    const send = (t: TestApp, body: string) =>
      request(t.app).post('/fhir/Patient/$validate').set('Content-Type', FHIR_JSON).send(body);
    const [a, b] = [[] as request.Response[], [] as request.Response[]];
    for (const body of bodies) {
      a.push(await send(inline, body));
      b.push(await send(pooled, body));
    }
    expect(verdicts(b)).toEqual(verdicts(a));
    expect(verdicts(a).map((v) => v.split(' ')[1])).toEqual([
      'JSON_DUPLICATE_KEY',
      'BODY_BOM',
      'STRING_NOT_UNICODE',
      'JSON_SYNTAX',
      'RESOURCE_TYPE_MISMATCH',
    ]);
  });

  test('when a job is sent for a client that has already gone, then the worker does not start it (REQUEST_ABANDONED)', async () => {
    const pool = pooled.services.validationPool as ValidationPool;
    const gone = createWorkBudget(60_000, AbortSignal.abort());
    await expect(pool.validate(large, { budget: gone })).rejects.toMatchObject({
      outcome: { issue: [{ details: { coding: [{ code: 'REQUEST_ABANDONED' }] } }] },
    });
  });
});

describe('large $validate outcomes: serialized in the worker, written as bytes (ADR 0066)', () => {
  /** Chains of nested extensions: every one an unknown extension, so the outcome has one issue per element. */
  const chain = (depth: number): Record<string, unknown> =>
    depth === 0
      ? { url: 'http://example.org/e', valueString: 'v' }
      : { url: 'http://example.org/e', extension: [chain(depth - 1)] };
  const nested = patient({ extension: Array.from({ length: 200 }, () => chain(20)), birthDate: '1970-13-45' });

  test('when a large body yields thousands of issues, then the answer is byte for byte the inline one', async () => {
    const spy = jest.spyOn(pooled.services.validationPool as ValidationPool, 'validateBody');
    try {
      expect(Buffer.byteLength(JSON.stringify(nested))).toBeGreaterThan(LARGE_BODY_BYTES);
      const [a, b] = [await validate(inline, nested), await validate(pooled, nested)];
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(b.headers['content-type']).toBe(a.headers['content-type']);
      expect(b.text).toBe(a.text);
      // One warning per extension (200 chains of 21) besides the others, and the bad date as an error.
      expect(
        a.body.issue.filter(
          (i: { details: { coding: Array<{ code: string }> } }) => i.details.coding[0].code === 'EXTENSION_UNKNOWN',
        ),
      ).toHaveLength(200 * 21);
      expect(codes(a).some((c) => c.startsWith('error'))).toBe(true);
      expect(spy.mock.results.map((r) => r.value instanceof Promise)).toEqual([true]);
    } finally {
      spy.mockRestore();
    }
  });

  test('when the serialized outcome is over MAX_RESPONSE_BYTES, then 422 RESPONSE_TOO_LARGE as inline', async () => {
    const small = { maxContained: 50_000, maxResponseBytes: 100_000 };
    const [tightInline, tightPooled] = [
      await createTestApp(small),
      await createTestApp({ ...small, validationWorkers: 1 }),
    ];
    try {
      await tightPooled.services.validationPool?.ready();
      const [a, b] = [await validate(tightInline, nested), await validate(tightPooled, nested)];
      expect(verdicts([b])).toEqual(verdicts([a]));
      expect(verdicts([a])).toEqual(['422 RESPONSE_TOO_LARGE']);
    } finally {
      await tightInline.close();
      await tightPooled.close();
    }
  });

  test('when the outcome is invalid or valid, then the validation metrics count it as inline', async () => {
    const metric = async (t: TestApp) => (await request(t.app).get('/metrics')).text;
    const counted = (text: string, result: string) =>
      Number(
        text.match(
          new RegExp(`validations_total\\{[^}]*source="validate"[^}]*result="${result}"[^}]*\\} (\\d+)`),
        )?.[1] ?? 0,
      );
    const before = await metric(pooled);
    await validate(pooled, nested);
    await validate(pooled, { ...nested, birthDate: '1970-01-01' });
    const after = await metric(pooled);
    expect([
      counted(after, 'invalid') - counted(before, 'invalid'),
      counted(after, 'valid') - counted(before, 'valid'),
    ]).toEqual([1, 1]);
  });
});

describe('the structure of a large transaction Bundle, checked in the worker (ADR 0066)', () => {
  const transaction = (n: number, broken?: number) => ({
    resourceType: 'Bundle',
    type: 'transaction',
    // Organizations: the Patient count of the tests below stays theirs.
    entry: Array.from({ length: n }, (_, i) => ({
      resource: { resourceType: 'Organization', name: `org ${i}` },
      request: { method: 'POST', url: i === broken ? 42 : 'Organization' },
    })),
  });
  const post = (t: TestApp, body: unknown) =>
    request(t.app).post('/fhir').set('Content-Type', FHIR_JSON).send(JSON.stringify(body));

  test('when a large transaction has a structural error in one entry, then the worker refuses it as inline does', async () => {
    const spy = jest.spyOn(pooled.services.validationPool as ValidationPool, 'structure');
    try {
      const body = transaction(2000, 1500);
      const [a, b] = [await post(inline, body), await post(pooled, body)];
      expect(b.status).toBe(a.status);
      expect(b.body).toEqual(a.body);
      expect(a.status).toBe(400);
      expect(JSON.stringify(a.body.issue)).toContain('entry[1500]');
      expect(spy.mock.results.map((r) => r.value instanceof Promise)).toEqual([true]);
    } finally {
      spy.mockRestore();
    }
  });

  test('when a large transaction is well formed, then it is stored whole, as inline', async () => {
    const n = 600;
    const count = async (t: TestApp) =>
      (await request(t.app).get('/fhir/Organization?_summary=count')).body.total as number;
    const before = [await count(inline), await count(pooled)];
    const [a, b] = [await post(inline, transaction(n)), await post(pooled, transaction(n))];
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(
      a.body.entry.map((e: { response: { status: string } }) => e.response.status),
    );
    expect([(await count(inline)) - (before[0] as number), (await count(pooled)) - (before[1] as number)]).toEqual([
      n,
      n,
    ]);
  });

  test('when the client has gone before the check starts, then the worker does not start it (REQUEST_ABANDONED)', async () => {
    const pool = pooled.services.validationPool as ValidationPool;
    const gone = createWorkBudget(60_000, AbortSignal.abort());
    await expect(pool.structure(transaction(2000), 'Bundle', gone)).rejects.toMatchObject({
      outcome: { issue: [{ details: { coding: [{ code: 'REQUEST_ABANDONED' }] } }] },
    });
  });
});

describe('write-time validation of large resources in the worker', () => {
  test('when a large resource with errors is created in strict mode, then the worker refuses it as inline does and nothing is stored', async () => {
    const spy = jest.spyOn(pooled.services.validationPool as ValidationPool, 'ingest');
    try {
      const post = (t: TestApp) =>
        request(t.app)
          .post('/fhir/Patient')
          .set('Content-Type', FHIR_JSON)
          // An unreferenced contained resource (dom-3): a profile error, not a structural one.
          .send(JSON.stringify({ ...crowded(1500), birthDate: '1970-01-01' }));
      const [a, b] = [await post(inline), await post(pooled)];
      expect([a.status, b.status]).toEqual([422, 422]);
      expect(codes(b)).toEqual(codes(a));
      expect(spy.mock.results.some((r) => r.value instanceof Promise)).toBe(true);
      const stored = await request(pooled.app).get('/fhir/Patient?_summary=count');
      expect(stored.body.total).toBe(0);
    } finally {
      spy.mockRestore();
    }
  });

  test('when a large valid resource is created, then the worker passes it and it is stored', async () => {
    const n = 1500;
    const valid = patient({
      contained: Array.from({ length: n }, (_, i) => ({ resourceType: 'Organization', id: `o${i}`, name: `org ${i}` })),
      generalPractitioner: Array.from({ length: n }, (_, i) => ({ reference: `#o${i}` })),
    });
    expect(isLarge(valid)).toBe(true);
    const res = await request(pooled.app)
      .post('/fhir/Patient')
      .set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(valid));
    expect(res.status).toBe(201);
    const read = await request(pooled.app).get(`/fhir/Patient/${res.body.id}`);
    expect(read.body.contained).toHaveLength(n);
  });
});
