/**
 * Shared by the SMART Health Link e2e suites: an app whose SHL base is https (the link rule asks for https, and the
 * test app's default base is http://gateway.test), a clock the test moves, and small readers of the Parameters that
 * `$issue-shl` and `$verify` answer with.
 */
import request from 'supertest';
import type { Config } from '../../src/config/schema.ts';
import type { ServiceOverrides } from '../../src/services.ts';
import { documentPatient, IPS_BUNDLE, ipsMinimalBundle, SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { createTestApp, FHIR_JSON, type TestApp } from '../helpers/test-app.ts';
import type { Check } from './credential-client.ts';

export const SHL_BASE = 'https://gateway.test/shl';
/** The instant every suite starts at; issuer keys are made at this time, so they are valid then. */
export const START = new Date('2026-03-02T09:00:00.000Z');
export const IPS_PROFILE = IPS_BUNDLE;

/** The IPS document Bundle of the shared HL7 IPS package's examples (bundle-minimal), pushed under its own id. */
export const documentBundle = ipsMinimalBundle;
export const DOCUMENT_ID = documentBundle().id as string;
/** The Patient the document is about (its Composition subject), stored on its own for `$credentials`. */
export const DOCUMENT_PATIENT = (): Record<string, unknown> & { id: string } => documentPatient(documentBundle());
export const DOCUMENT_PATIENT_ID = DOCUMENT_PATIENT().id;

export interface Clock {
  now: () => Date;
  advance(ms: number): void;
}

export function mutableClock(start: Date = START): Clock {
  let at = start.getTime();
  return { now: () => new Date(at), advance: (ms) => void (at += ms) };
}

export interface ShlApp extends TestApp {
  clock: Clock;
}

/** Strict validation with the shared WHO packages loaded, SHL base https://gateway.test/shl, a movable clock. */
export async function createShlApp(config: Partial<Config> = {}, services: ServiceOverrides = {}): Promise<ShlApp> {
  const clock = mutableClock();
  const t = await createTestApp(
    { fhirPackages: SHARED_PACKAGE_FILES, validationMode: 'strict', shlBaseUrl: SHL_BASE, ...config },
    { now: clock.now, ...services },
  );
  return { ...t, clock };
}

export type Param = Record<string, unknown> & { name: string };
export const parameters = (parameter: Param[]) => ({ resourceType: 'Parameters', parameter });

export function postFhir(t: TestApp, path: string, body: unknown): request.Test {
  return request(t.app).post(`/fhir/${path}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
}

/** PUT the document Bundle under its own id (201) and return what was pushed. */
export async function pushDocument(t: TestApp): Promise<Record<string, unknown>> {
  const doc = documentBundle();
  const res = await request(t.app)
    .put(`/fhir/Bundle/${DOCUMENT_ID}`)
    .set('Content-Type', FHIR_JSON)
    .send(JSON.stringify(doc));
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`push failed: ${res.status} ${JSON.stringify(res.body)}`);
  return doc;
}

/** `$issue-shl` on the pushed document; no QR pictures unless asked (rendering them is not under test here). */
export function issueShl(t: TestApp, params: Param[] = [], bundleId = DOCUMENT_ID): request.Test {
  const withQr = params.some((p) => p.name === 'qrFormat');
  return postFhir(
    t,
    `Bundle/${bundleId}/$issue-shl`,
    parameters([...(withQr ? [] : [{ name: 'qrFormat', valueCode: 'none' }]), ...params]),
  );
}

/** The value of an output parameter (valueString, valueUri, valueReference.reference, …). */
export function out(res: request.Response, name: string): string {
  const p = (res.body.parameter as Param[] | undefined)?.find((x) => x.name === name);
  if (!p) throw new Error(`no output parameter ${name} in ${JSON.stringify(res.body).slice(0, 500)}`);
  const v =
    p.valueString ??
    p.valueUri ??
    p.valueInstant ??
    p.valueCode ??
    (p.valueReference as { reference?: string } | undefined)?.reference;
  return v as string;
}

export const has = (res: request.Response, name: string): boolean =>
  ((res.body.parameter as Param[] | undefined) ?? []).some((x) => x.name === name);

/** The path part of a manifest or file URL of this server (supertest reaches it in process). */
export const pathOf = (url: string): string => new URL(url).pathname;

export type { Check };

export interface Verdict {
  status: number;
  valid: boolean;
  format?: string;
  checks: Check[];
  content?: Record<string, unknown>;
  /** The failure codes of the OperationOutcome `issues` (details.coding of the failure system). */
  failures: string[];
  texts: string[];
}

/** `$verify` one credential over HTTP and read its Parameters. */
export async function verify(t: TestApp, credential: string, extra: Param[] = []): Promise<Verdict> {
  const res = await postFhir(t, '$verify', parameters([{ name: 'credential', valueString: credential }, ...extra]));
  const ps = (res.body.parameter ?? []) as Param[];
  const checks = ps
    .filter((p) => p.name === 'check')
    .map((p) => {
      const part = p.part as Param[];
      const get = (n: string) => part.find((x) => x.name === n);
      const c: Check = { name: get('name')!.valueCode as string, status: get('status')!.valueCode as string };
      if (get('message')) c.message = get('message')!.valueString as string;
      if (get('failure')) c.failure = (get('failure')!.valueCoding as { code: string }).code;
      return c;
    });
  const issues =
    (
      ps.find((p) => p.name === 'issues')?.resource as
        | { issue: Array<{ details: { coding: Array<{ system: string; code: string }>; text: string } }> }
        | undefined
    )?.issue ?? [];
  const content = ps.find((p) => p.name === 'content')?.resource as Record<string, unknown> | undefined;
  return {
    status: res.status,
    valid: ps.find((p) => p.name === 'valid')?.valueBoolean as boolean,
    ...(has(res, 'format') ? { format: out(res, 'format') } : {}),
    checks,
    ...(content ? { content } : {}),
    failures: issues.flatMap((i) =>
      i.details.coding.filter((c) => c.system.endsWith('/verify-failure')).map((c) => c.code),
    ),
    texts: issues.map((i) => i.details.text),
  };
}

export const check = (v: Verdict, name: string): Check | undefined => v.checks.find((c) => c.name === name);
export const failed = (v: Verdict): Check[] => v.checks.filter((c) => c.status === 'fail');

/** `POST /shl/{linkId}`: a manifest request, as a recipient's app sends it. */
export function manifest(t: TestApp, manifestUrl: string, body: Record<string, unknown>): request.Test {
  return request(t.app).post(pathOf(manifestUrl)).set('Content-Type', 'application/json').send(JSON.stringify(body));
}

/** The server still answers (after a rejected request). */
export async function stillServing(t: TestApp): Promise<number> {
  return (await request(t.app).get('/healthz')).status;
}

/** The OperationOutcome message id (first issue). */
export const messageId = (res: request.Response): string | undefined =>
  res.body?.issue?.[0]?.details?.coding?.[0]?.code;
export const messageText = (res: request.Response): string | undefined => res.body?.issue?.[0]?.details?.text;
