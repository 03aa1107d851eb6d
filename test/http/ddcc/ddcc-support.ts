/**
 * What the DDCC transaction tests share: the IG's own resources read from the `who.ddcc` package in
 * ../shared/fhir-packages (OperationDefinitions, Questionnaire, example QuestionnaireResponses and Submit Health
 * Event Bundles), never copied into the repository, and an issuing test server that loads the package.
 */
import { join } from 'node:path';
import request from 'supertest';
import type { OperationDefinition, QuestionnaireResponse } from '@medplum/fhirtypes';
import { readPackageTgz } from '../../../src/packages/read-package.ts';
import type { FhirPackage } from '../../../src/packages/types.ts';
import { createTestApp, FHIR_JSON, type TestApp } from '../../helpers/test-app.ts';
import { SHARED_PACKAGE_FILES, SHARED_PACKAGES_DIR } from '../../helpers/shared-packages.ts';
import { ISSUER_URL, makeKeys, NOW } from '../../unit/credentials/harness.ts';

export const DDCC_PACKAGE_FILE = 'who.ddcc#1.0.0.tgz';
let ddcc: FhirPackage | undefined;
export function ddccPackage(): FhirPackage {
  ddcc ??= readPackageTgz(join(SHARED_PACKAGES_DIR, DDCC_PACKAGE_FILE));
  return ddcc;
}

/** The IG's OperationDefinition with this `code`. */
export function igOperation(code: string): OperationDefinition {
  const found = ddccPackage().resources.find((r) => r.resourceType === 'OperationDefinition' && r.code === code);
  if (!found) throw new Error(`who.ddcc has no OperationDefinition ${code}`);
  return found as unknown as OperationDefinition;
}

/** Every example of the package whose file name starts with `prefix`, cloned. */
export function igExamples<T = Record<string, unknown>>(prefix: string): Array<{ file: string; resource: T }> {
  return ddccPackage()
    .examples.filter((e) => e.file.startsWith(prefix))
    .map((e) => ({ file: e.file, resource: structuredClone(e.resource) as T }));
}

/** The IG's example DDCC:VS QuestionnaireResponses (one per language). */
export const igResponses = () => igExamples<QuestionnaireResponse>('QuestionnaireResponse-');

export function igQuestionnaire(url: string): { item: Array<{ linkId: string; type: string; required?: boolean }> } {
  const q = ddccPackage().resources.find((r) => r.resourceType === 'Questionnaire' && r.url === url);
  if (!q) throw new Error(`who.ddcc has no Questionnaire ${url}`);
  return q as never;
}

export async function ddccServer(): Promise<TestApp> {
  return createTestApp(
    { fhirPackages: SHARED_PACKAGE_FILES, issuerUrl: ISSUER_URL },
    { now: () => NOW, issuerKeys: await makeKeys() },
  );
}

export const post = (t: TestApp, path: string, body: unknown) =>
  request(t.app).post(`/fhir/${path}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
export const get = (t: TestApp, path: string) => request(t.app).get(`/fhir/${path}`);

export const parametersWith = (name: string, resource: unknown) => ({
  resourceType: 'Parameters',
  parameter: [{ name, resource }],
});

export const MESSAGE_SYSTEM = 'https://gdhcn-gateway.org/fhir/CodeSystem/message-id';
/** The message ids of an OperationOutcome's issues. */
export const idsOf = (oo: { issue?: Array<{ details?: { coding?: Array<{ code?: string }> } }> }): string[] =>
  (oo.issue ?? []).map((i) => i.details?.coding?.[0]?.code ?? '');
