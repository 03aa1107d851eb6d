/**
 * End to end (issue 14, "Must show"): an EU DCC HC1 minted by `$issue-hcert` from a pushed COVID-19 Immunization,
 * then `$verify` with an arrival country and EU DCC business rules — given in the request (`ruleSet`) or configured
 * (RULES_FILE) — over HTTP. The same certificate is accepted for one country and rejected for another; an
 * invalidation rule of the issuer (XX) rejects it anywhere; a rule version no longer in force is not applied.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { OperationOutcome, Parameters, ParametersParameter } from '@medplum/fhirtypes';
import { createTestApp, FHIR_JSON, type TestApp } from '../helpers/test-app.ts';
import { SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { rule, valueSet } from '../helpers/rules.ts';
import { covidImmunization, patient } from '../unit/credentials/fixtures.ts';
import { ISSUER_URL, makeKeys, NOW } from '../unit/credentials/harness.ts';
import { client, messageIds, param, params, type Client, type Verdict } from './credential-client.ts';

/** At least 14 days since the last dose (a rule shape the EU member states used). */
const SINCE_14_DAYS = {
  'not-before': [
    { plusTime: [{ var: 'external.validationClock' }, 0, 'day'] },
    { plusTime: [{ var: 'payload.v.0.dt' }, 14, 'day'] },
  ],
};
/** At most 1 day since the last dose: no real certificate of the fixture meets it. */
const WITHIN_1_DAY = {
  'not-after': [
    { plusTime: [{ var: 'external.validationClock' }, 0, 'day'] },
    { plusTime: [{ var: 'payload.v.0.dt' }, 1, 'day'] },
  ],
};
const KNOWN_PRODUCT = { in: [{ var: 'payload.v.0.mp' }, { var: 'external.valueSets.vaccines-covid-19-names' }] };

let t: TestApp;
let c: Client;
let hc1: string;
let ci: string;
let mp: string;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rules-e2e-'));
  const keys = await makeKeys();
  t = await createTestApp(
    { fhirPackages: SHARED_PACKAGE_FILES, issuerUrl: ISSUER_URL },
    { now: () => NOW, issuerKeys: keys },
  );
  c = client(t);
  await c.push(patient(), covidImmunization());
  const res = await c.post('Immunization/imm1/$issue-hcert', c.parameters([{ name: 'qrFormat', valueCode: 'none' }]));
  expect(res.status).toBe(200);
  hc1 = param(res.body as Parameters, 'hc1')!.valueString!;
  ci = param(res.body as Parameters, 'certificateId')!.valueString!;
  const payload = (await c.verify(hc1)).payload as { euDcc?: { v: { mp: string }[] } };
  mp = payload.euDcc!.v[0]!.mp;
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

const RULES = () => ({
  rules: [
    rule({ Identifier: 'VR-DE-0001', Country: 'DE', Logic: SINCE_14_DAYS, AffectedFields: ['v.0.dt'] }),
    rule({ Identifier: 'VR-DE-0002', Country: 'DE', Logic: KNOWN_PRODUCT, AffectedFields: ['v.0.mp'] }),
    rule({
      Identifier: 'VR-FR-0001',
      Country: 'FR',
      Logic: WITHIN_1_DAY,
      AffectedFields: ['v.0.dt'],
      Description: [
        { lang: 'en', desc: 'The last dose must be at most 1 day old.' },
        { lang: 'fr', desc: 'La dernière dose doit dater d’au plus un jour.' },
      ],
    }),
  ],
  valueSets: [valueSet('vaccines-covid-19-names', [mp, 'EU/1/20/1507'])],
});

interface RulePart {
  identifier: string;
  type: string;
  version: string;
  result: string;
  description: string;
  affectedField: string[];
  message?: string;
}

async function verifyWithRules(
  more: ParametersParameter[],
  language?: string,
): Promise<{ verdict: Verdict; rules: RulePart[] }> {
  let req = request(t.app).post('/fhir/$verify').set('Content-Type', FHIR_JSON);
  if (language) req = req.set('Accept-Language', language);
  const res = await req.send(
    JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'credential', valueString: hc1 }, ...more] }),
  );
  expect(res.status).toBe(200);
  const body = res.body as Parameters;
  const rules = params(body, 'rule').map((r) => {
    const one = (n: string) => r.part?.find((p) => p.name === n);
    return {
      identifier: one('identifier')!.valueString!,
      type: one('type')!.valueCode!,
      version: one('version')!.valueString!,
      result: one('result')!.valueCode!,
      description: one('description')!.valueString!,
      affectedField: (r.part ?? []).filter((p) => p.name === 'affectedField').map((p) => p.valueString!),
      ...(one('message') ? { message: one('message')!.valueString! } : {}),
    };
  });
  // readVerdict is the shared reader of every $verify answer
  const { readVerdict } = await import('./credential-client.ts');
  return { verdict: readVerdict(body), rules };
}

const ruleSet = (json: unknown): ParametersParameter => ({ name: 'ruleSet', valueString: JSON.stringify(json) });
const country = (code: string): ParametersParameter => ({ name: 'country', valueCode: code });
const rulesCheck = (v: Verdict) => v.checks.find((k) => k.name === 'business-rules');

describe('$verify with business rules (ruleSet in the request)', () => {
  test('when the arrival country is DE, then its two acceptance rules pass and the certificate is valid', async () => {
    const { verdict, rules } = await verifyWithRules([country('DE'), ruleSet(RULES())]);
    expect(rules).toEqual([
      {
        identifier: 'VR-DE-0001',
        type: 'Acceptance',
        version: '1.0.0',
        result: 'pass',
        description: 'The vaccination schedule must be complete.',
        affectedField: ['v.0.dt'],
      },
      {
        identifier: 'VR-DE-0002',
        type: 'Acceptance',
        version: '1.0.0',
        result: 'pass',
        description: 'The vaccination schedule must be complete.',
        affectedField: ['v.0.mp'],
      },
    ]);
    expect(rulesCheck(verdict)).toEqual({
      name: 'business-rules',
      status: 'pass',
      message: '2 business rule(s) of DE passed',
    });
    expect(verdict.valid).toBe(true);
  });

  test('when the arrival country is FR, then its rule fails, the certificate is not valid, and the outcome names the rule', async () => {
    const { verdict, rules } = await verifyWithRules([country('FR'), ruleSet(RULES())], 'fr-CH, en;q=0.5');
    expect(rules).toEqual([
      {
        identifier: 'VR-FR-0001',
        type: 'Acceptance',
        version: '1.0.0',
        result: 'fail',
        description: 'La dernière dose doit dater d’au plus un jour.',
        affectedField: ['v.0.dt'],
      },
    ]);
    expect(rulesCheck(verdict)).toEqual({
      name: 'business-rules',
      status: 'fail',
      failure: 'rules-failed',
      message: 'Business rules for arrival in FR: failed: VR-FR-0001',
    });
    expect(verdict.valid).toBe(false);
    const failed = verdict.issues.filter((i) => i.details?.coding?.some((x) => x.code === 'VERIFY_RULE_FAILED'));
    expect(failed.map((i) => [i.severity, i.code, i.details?.text, i.expression])).toEqual([
      [
        'error',
        'business-rule',
        'Business rule VR-FR-0001 (Acceptance, version 1.0.0) failed: La dernière dose doit dater d’au plus un jour.',
        ["rule.where(identifier='VR-FR-0001')"],
      ],
    ]);
  });

  test('when the issuer XX has an invalidation rule against this certificate id, then it is rejected whatever the arrival country', async () => {
    const invalidation = rule({
      Identifier: 'IR-XX-0001',
      Type: 'Invalidation',
      Country: 'XX',
      CertificateType: 'General',
      Logic: { '!': [{ in: [{ var: 'payload.v.0.ci' }, [ci]] }] },
      AffectedFields: ['v.0.ci'],
      Description: [{ lang: 'en', desc: 'The certificate was withdrawn by its issuer.' }],
    });
    const set = RULES();
    const { verdict, rules } = await verifyWithRules([
      country('DE'),
      ruleSet({ ...set, rules: [...set.rules, invalidation] }),
    ]);
    expect(rules.map((r) => [r.identifier, r.type, r.result])).toEqual([
      ['IR-XX-0001', 'Invalidation', 'fail'],
      ['VR-DE-0001', 'Acceptance', 'pass'],
      ['VR-DE-0002', 'Acceptance', 'pass'],
    ]);
    expect(verdict.valid).toBe(false);
    expect(rulesCheck(verdict)!.message).toBe('Business rules for arrival in DE: failed: IR-XX-0001');
  });

  test('when a newer rule version is no longer in force and another is not yet, then the version in force is applied', async () => {
    const set = {
      rules: [
        rule({ Identifier: 'VR-DE-0001', Version: '1.0.0', Logic: true }),
        rule({
          Identifier: 'VR-DE-0001',
          Version: '1.1.0',
          Logic: false,
          ValidFrom: '2021-06-01T00:00:00Z',
          ValidTo: '2026-05-01T00:00:00Z',
        }),
        rule({
          Identifier: 'VR-DE-0001',
          Version: '2.0.0',
          Logic: false,
          ValidFrom: '2026-07-01T00:00:00Z',
          ValidTo: '2030-01-01T00:00:00Z',
        }),
      ],
    };
    const { verdict, rules } = await verifyWithRules([country('DE'), ruleSet(set)]);
    expect(rules.map((r) => [r.identifier, r.version, r.result])).toEqual([['VR-DE-0001', '1.0.0', 'pass']]);
    expect(verdict.valid).toBe(true);
  });

  test('when a rule is hostile (unknown operator, prototype path, deep nesting), then it is open, the certificate is not accepted, and the server keeps answering', async () => {
    // 5 000 levels of nesting, written as text: JSON.stringify itself would run out of stack on the object.
    const deep = `${'{"!":['.repeat(5000)}true${']}'.repeat(5000)}`;
    const set = {
      rules: [
        rule({ Identifier: 'VR-DE-0001', Logic: { exec: ['rm -rf /'] } }),
        rule({ Identifier: 'VR-DE-0002', Logic: { var: 'payload.__proto__.constructor' } }),
        rule({ Identifier: 'VR-DE-0003', Logic: 'DEEP' }),
      ],
    };
    const text = JSON.stringify(set).replace('"DEEP"', deep);
    const { verdict, rules } = await verifyWithRules([country('DE'), { name: 'ruleSet', valueString: text }]);
    expect(rules.map((r) => [r.identifier, r.result])).toEqual([
      ['VR-DE-0001', 'open'],
      ['VR-DE-0002', 'open'],
      ['VR-DE-0003', 'open'],
    ]);
    expect(rules[2]!.message).toBe('the Logic is nested deeper than 64 levels');
    expect(rulesCheck(verdict)).toMatchObject({
      status: 'fail',
      message: 'Business rules for arrival in DE: open (not evaluable): VR-DE-0001, VR-DE-0002, VR-DE-0003',
    });
    expect(verdict.valid).toBe(false);
    expect((await verifyWithRules([country('DE'), ruleSet(RULES())])).verdict.valid).toBe(true);
  });

  test('when no rule of the country applies, then the check is skipped with the reason', async () => {
    const { verdict, rules } = await verifyWithRules([country('IT'), ruleSet(RULES())]);
    expect(rules).toEqual([]);
    expect(rulesCheck(verdict)).toEqual({
      name: 'business-rules',
      status: 'skipped',
      message: `No business rules of IT (acceptance) or XX (invalidation) for Vaccination certificates are in force at ${NOW.toISOString()}`,
    });
    expect(verdict.valid).toBe(true);
  });
});

describe('$verify business-rule input errors', () => {
  async function refused(parameter: ParametersParameter[]): Promise<OperationOutcome> {
    const res = await c.post('$verify', c.parameters([{ name: 'credential', valueString: hc1 }, ...parameter]));
    expect(res.status).toBe(400);
    return res.body as OperationOutcome;
  }

  test('when country is not two capital letters, then 400 VERIFY_COUNTRY_INVALID', async () => {
    const o = await refused([country('de')]);
    expect(messageIds(o)).toEqual(['VERIFY_COUNTRY_INVALID']);
    expect(o.issue[0]!.details!.text).toBe(
      'Parameter country must be an ISO 3166-1 alpha-2 code (two capital letters), got "de"',
    );
  });

  test('when ruleSet is not JSON or holds a rule off the schema, then 400 VERIFY_RULESET_INVALID naming the entry', async () => {
    expect(messageIds(await refused([country('DE'), { name: 'ruleSet', valueString: '{' }]))).toEqual([
      'VERIFY_RULESET_INVALID',
    ]);
    const o = await refused([country('DE'), ruleSet([rule({ Engine: 'AML' })])]);
    expect(o.issue[0]!.details!.text).toBe(
      'Parameter ruleSet holds 1 entry that do not conform to the EU DCC rule schema: rules[0] (VR-DE-0001): Engine must be CERTLOGIC, not "AML"',
    );
  });

  test('when region comes without country, then 400 VERIFY_REGION_WITHOUT_COUNTRY', async () => {
    expect(messageIds(await refused([{ name: 'region', valueString: 'BY' }]))).toEqual([
      'VERIFY_REGION_WITHOUT_COUNTRY',
    ]);
  });
});

describe('$verify with configured rules (RULES_FILE, unsigned allowed)', () => {
  let configured: TestApp;
  beforeAll(async () => {
    const file = join(dir, 'rules.json');
    writeFileSync(file, JSON.stringify(RULES()));
    configured = await createTestApp(
      { fhirPackages: SHARED_PACKAGE_FILES, issuerUrl: ISSUER_URL, rulesFile: file, rulesAllowUnsigned: true },
      { now: () => NOW, issuerKeys: await makeKeys() },
    );
  });
  afterAll(() => configured.close());

  async function verifyOn(app: TestApp, more: ParametersParameter[]): Promise<Parameters> {
    const res = await request(app.app)
      .post('/fhir/$verify')
      .set('Content-Type', FHIR_JSON)
      .send(
        JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'credential', valueString: hc1 }, ...more] }),
      );
    expect(res.status).toBe(200);
    return res.body as Parameters;
  }
  const check = (p: Parameters) =>
    params(p, 'check')
      .map((k) => Object.fromEntries((k.part ?? []).map((x) => [x.name, x.valueCode ?? x.valueString])))
      .find((k) => k.name === 'business-rules');

  test('when DE and FR are asked, then the configured rules accept for DE and reject for FR', async () => {
    expect(check(await verifyOn(configured, [country('DE')]))).toMatchObject({ status: 'pass' });
    expect(check(await verifyOn(configured, [country('FR')]))).toMatchObject({
      status: 'fail',
      message: 'Business rules for arrival in FR: failed: VR-FR-0001',
    });
  });

  test('when no country is given, then the check is skipped and says that the arrival country chooses the rules', async () => {
    expect(check(await verifyOn(configured, []))).toEqual({
      name: 'business-rules',
      status: 'skipped',
      message: 'No arrival country was given (parameter country): business rules are chosen by the country of arrival',
    });
  });
});

describe('$verify with rules from a signed URL (RULES_URL, a double of the rule publisher)', () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const a of apps) await a.close();
  });

  async function appWith(jws: string, keyPem: string): Promise<TestApp> {
    const keyFile = join(dir, `key-${apps.length}.pem`);
    writeFileSync(keyFile, keyPem);
    const publisherDouble = (async () => new Response(jws, { status: 200 })) as typeof fetch;
    const app = await createTestApp(
      {
        fhirPackages: SHARED_PACKAGE_FILES,
        issuerUrl: ISSUER_URL,
        rulesUrl: 'https://rules.example/dist',
        rulesSigningKey: keyFile,
      },
      { now: () => NOW, issuerKeys: await makeKeys(), fetch: publisherDouble },
    );
    apps.push(app);
    return app;
  }

  async function rulesCheckOn(app: TestApp): Promise<Record<string, string | undefined> | undefined> {
    const res = await request(app.app)
      .post('/fhir/$verify')
      .set('Content-Type', FHIR_JSON)
      .send(
        JSON.stringify({
          resourceType: 'Parameters',
          parameter: [{ name: 'credential', valueString: hc1 }, country('FR')],
        }),
      );
    expect(res.status).toBe(200);
    return params(res.body as Parameters, 'check')
      .map((k) => Object.fromEntries((k.part ?? []).map((x) => [x.name, x.valueCode ?? x.valueString])))
      .find((k) => k.name === 'business-rules');
  }

  test('when the distribution is signed with the configured key, then its rules apply; signed with another key, then none are loaded and the check says why', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { CompactSign } = await import('jose');
    const mine = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signWith = (key: typeof mine.privateKey) =>
      new CompactSign(new TextEncoder().encode(JSON.stringify(RULES()))).setProtectedHeader({ alg: 'ES256' }).sign(key);
    const pem = mine.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    expect(await rulesCheckOn(await appWith(await signWith(mine.privateKey), pem))).toMatchObject({
      status: 'fail',
      message: 'Business rules for arrival in FR: failed: VR-FR-0001',
    });
    expect(await rulesCheckOn(await appWith(await signWith(other.privateKey), pem))).toEqual({
      name: 'business-rules',
      status: 'skipped',
      message:
        "No business rules are loaded from https://rules.example/dist: The rule distribution's signature does not verify: signature verification failed",
    });
  });
});
