/**
 * A small FHIR client over supertest for the credential flows (HCERT, SHC): push records through the REST API, call
 * the issuance operations and `$verify`, and read their Parameters back as plain values.
 */
import request from 'supertest';
import type {
  Bundle,
  OperationOutcome,
  OperationOutcomeIssue,
  Parameters,
  ParametersParameter,
} from '@medplum/fhirtypes';
import { FHIR_JSON, type TestApp } from '../helpers/test-app.ts';

/** The failure codes of `$verify`, as the issue names their system. */
export const FAILURE_SYSTEM = 'https://gdhcn-gateway.org/fhir/CodeSystem/verify-failure';
export const MESSAGE_SYSTEM = 'https://gdhcn-gateway.org/fhir/CodeSystem/message-id';
export const DDCC = 'http://smart.who.int/ddcc/StructureDefinition/';

export interface Check {
  name: string;
  status: string;
  message?: string;
  failure?: string;
}

export interface Verdict {
  valid: boolean;
  format?: string;
  issuer?: string;
  kid?: string;
  issuedAt?: string;
  expiresAt?: string;
  checks: Check[];
  content?: Bundle;
  payload?: Record<string, unknown>;
  issues: OperationOutcomeIssue[];
}

export const param = (p: Parameters, name: string): ParametersParameter | undefined =>
  p.parameter?.find((x) => x.name === name);
export const params = (p: Parameters, name: string): ParametersParameter[] =>
  (p.parameter ?? []).filter((x) => x.name === name);

export function readVerdict(p: Parameters): Verdict {
  const checks = params(p, 'check').map((c) => {
    const part = (n: string) => c.part?.find((x) => x.name === n);
    const message = part('message')?.valueString;
    const failure = part('failure')?.valueCoding;
    if (failure) expect(failure.system).toBe(FAILURE_SYSTEM);
    return {
      name: part('name')!.valueCode!,
      status: part('status')!.valueCode!,
      ...(message ? { message } : {}),
      ...(failure ? { failure: failure.code! } : {}),
    };
  });
  const text = (n: string) => param(p, n)?.valueString ?? param(p, n)?.valueCode ?? param(p, n)?.valueDateTime;
  const payload = param(p, 'payload')?.valueString;
  const out: Verdict = {
    valid: param(p, 'valid')!.valueBoolean!,
    checks,
    issues: (param(p, 'issues')!.resource as OperationOutcome).issue,
  };
  for (const k of ['format', 'issuer', 'kid', 'issuedAt', 'expiresAt'] as const)
    if (text(k) !== undefined) out[k] = text(k);
  if (param(p, 'content')) out.content = param(p, 'content')!.resource as Bundle;
  if (payload !== undefined) out.payload = JSON.parse(payload) as Record<string, unknown>;
  return out;
}

/** Checks other than `pass`, as [name, status, failure] rows. */
export const notPassing = (v: Verdict): (string | undefined)[][] =>
  v.checks.filter((c) => c.status !== 'pass').map((c) => [c.name, c.status, c.failure]);

/** The failure codes carried by the `issues` OperationOutcome (details.coding of the failure system). */
export const issueFailures = (v: Verdict): string[] =>
  v.issues.flatMap((i) => (i.details?.coding ?? []).filter((c) => c.system === FAILURE_SYSTEM).map((c) => c.code!));

/** Stable message ids of an OperationOutcome. */
export const messageIds = (o: OperationOutcome): string[] =>
  o.issue.flatMap((i) => (i.details?.coding ?? []).filter((c) => c.system === MESSAGE_SYSTEM).map((c) => c.code!));

/** `bearer`: an access token sent with every request (apps built with access control on). */
export function client(t: TestApp, options: { bearer?: string } = {}) {
  const authed = (req: request.Test) => (options.bearer ? req.set('Authorization', `Bearer ${options.bearer}`) : req);
  const json = (req: request.Test, body: unknown) =>
    body === undefined ? authed(req) : authed(req).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
  const post = (path: string, body?: unknown) => json(request(t.app).post(`/fhir/${path}`), body);
  const put = (path: string, body: unknown) => json(request(t.app).put(`/fhir/${path}`), body);
  const get = (path: string) => authed(request(t.app).get(`/fhir/${path}`));
  const parameters = (parameter: ParametersParameter[]): Parameters => ({ resourceType: 'Parameters', parameter });

  /** PUT each resource at its id; every write must be accepted (201/200) by the strict validator. */
  async function push(...resources: { resourceType: string; id?: string }[]): Promise<void> {
    for (const r of resources) {
      const res = await put(`${r.resourceType}/${r.id}`, r);
      if (res.status !== 200 && res.status !== 201)
        throw new Error(`PUT ${r.resourceType}/${r.id} answered ${res.status}: ${JSON.stringify(res.body)}`);
    }
  }

  /** `$verify` with `credential` text (or none) and more input parameters; the answer must be 200. */
  async function verify(credential: string | undefined, more: ParametersParameter[] = []): Promise<Verdict> {
    const res = await post(
      '$verify',
      parameters([...(credential === undefined ? [] : [{ name: 'credential', valueString: credential }]), ...more]),
    );
    expect(res.status).toBe(200);
    return readVerdict(res.body as Parameters);
  }

  /** `$verify` with a picture as the raw body. */
  async function verifyImage(bytes: Buffer, contentType: string): Promise<Verdict> {
    const res = await request(t.app).post('/fhir/$verify').set('Content-Type', contentType).send(bytes);
    expect(res.status).toBe(200);
    return readVerdict(res.body as Parameters);
  }

  return { post, put, get, parameters, push, verify, verifyImage };
}

export type Client = ReturnType<typeof client>;
