/**
 * The EU DCC vectors of ../shared/corpus through the HTTP `$verify` (issue 7, "Must show"): each vector's DSC as
 * `trustedCertificate`, its clock as `validationTime`, the verdict compared with the vector's expectations exactly as
 * the service-level run does (test/vectors/eu-dcc-expectations.ts). One app for all vectors, a few requests at a time.
 * The agreement rate is in the name of the second test (71/74, 95.9 %); the three others are explained there.
 */
import request from 'supertest';
import { verifyCredential } from '../../src/credentials/verify.ts';
import { createTestApp, FHIR_JSON, type TestApp } from '../helpers/test-app.ts';
import {
  disagreements,
  EU_DCC_VECTORS,
  EXPECTED_AGREEMENT,
  EXPLAINED_DISAGREEMENTS,
  validationTimeOf,
  type CheckOutcome,
  type EuDccVector,
} from './eu-dcc-expectations.ts';

interface HttpVerdict {
  status: number;
  valid: boolean | undefined;
  format: string | undefined;
  checks: (CheckOutcome & { failure?: string })[];
}

const CONCURRENCY = 8;
/** Agreement the service-level run reaches (test/unit/credentials/eu-dcc-vectors.test.ts): all but the explained. */

let t: TestApp;
const verdicts = new Map<string, HttpVerdict>();

type Part = { name: string; valueBoolean?: boolean; valueCode?: string; valueCoding?: { code: string }; part?: Part[] };

async function verifyOverHttp(v: EuDccVector): Promise<HttpVerdict> {
  const res = await request(t.app)
    .post('/fhir/$verify')
    .set('Content-Type', FHIR_JSON)
    .send(
      JSON.stringify({
        resourceType: 'Parameters',
        parameter: [
          { name: 'credential', valueString: v.qr },
          { name: 'validationTime', valueDateTime: validationTimeOf(v).toISOString() },
          { name: 'trustedCertificate', valueString: v.certificateDerBase64 },
        ],
      }),
    );
  const params = (res.body.parameter ?? []) as Part[];
  const checks = params
    .filter((p) => p.name === 'check')
    .map((p) => {
      const part = (n: string) => p.part?.find((x) => x.name === n);
      const failure = part('failure')?.valueCoding?.code;
      return {
        name: part('name')?.valueCode ?? '',
        status: part('status')?.valueCode ?? '',
        ...(failure ? { failure } : {}),
      };
    });
  return {
    status: res.status,
    valid: params.find((p) => p.name === 'valid')?.valueBoolean,
    format: params.find((p) => p.name === 'format')?.valueCode,
    checks,
  };
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

beforeAll(async () => {
  // No IG packages: EU DCC payloads carry no DDCC document, so fhir-profile is skipped with or without them.
  t = await createTestApp();
  await pool(EU_DCC_VECTORS, CONCURRENCY, async (v) => {
    verdicts.set(v.id, await verifyOverHttp(v));
  });
});
afterAll(() => t.close());

const agreeing = () => EU_DCC_VECTORS.filter((v) => disagreements(v, verdicts.get(v.id)!.checks).length === 0);

describe('EU DCC vectors through HTTP $verify', () => {
  test('when every vector is posted, then each is answered 200 with an hcert verdict', () => {
    expect(verdicts.size).toBe(EU_DCC_VECTORS.length);
    for (const v of EU_DCC_VECTORS) {
      const got = verdicts.get(v.id)!;
      expect({ id: v.id, status: got.status, valid: typeof got.valid }).toEqual({
        id: v.id,
        status: 200,
        valid: 'boolean',
      });
    }
  });

  test(`when the verdicts are compared with the vectors' expectations, then ${EXPECTED_AGREEMENT} of ${EU_DCC_VECTORS.length} agree (${((100 * EXPECTED_AGREEMENT) / EU_DCC_VECTORS.length).toFixed(1)} %), as at service level`, () => {
    expect(`${agreeing().length}/${EU_DCC_VECTORS.length}`).toBe(`${EXPECTED_AGREEMENT}/${EU_DCC_VECTORS.length}`);
  });

  test('when a vector disagrees, then it is one of the explained ones and only its signature check is at odds', () => {
    const disagreeing = Object.fromEntries(
      EU_DCC_VECTORS.map((v) => [v.id, disagreements(v, verdicts.get(v.id)!.checks)] as const).filter(
        ([, d]) => d.length > 0,
      ),
    );
    expect(disagreeing).toEqual(
      Object.fromEntries(Object.keys(EXPLAINED_DISAGREEMENTS).map((id) => [id, ['verify→signature=fail']])),
    );
    for (const id of Object.keys(EXPLAINED_DISAGREEMENTS)) {
      expect(verdicts.get(id)!.checks.filter((c) => c.status === 'fail')).toEqual([
        { name: 'signature', status: 'fail', failure: 'signature-invalid' },
      ]);
    }
  });

  test('when each vector is also verified in process, then the HTTP verdict has the same checks and validity', async () => {
    for (const v of EU_DCC_VECTORS) {
      const direct = await verifyCredential(v.qr, {
        validationTime: validationTimeOf(v),
        trustedCertificates: [v.certificateDerBase64],
      });
      const http = verdicts.get(v.id)!;
      const same = (c: { name: string; status: string; failure?: string }) => ({
        name: c.name,
        status: c.status,
        failure: c.failure,
      });
      expect({ id: v.id, valid: http.valid, checks: http.checks.map(same) }).toEqual({
        id: v.id,
        valid: direct.valid,
        checks: direct.checks.map(same),
      });
    }
  });
});
