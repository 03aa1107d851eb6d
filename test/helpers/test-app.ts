/** A real app on a real embedded database (SQLite :memory:), silent logs, a fixed clock when asked. */
import type { Express } from 'express';
import { pino } from 'pino';
import { createApp } from '../../src/app.ts';
import { parseConfig, type Config } from '../../src/config/schema.ts';
import { createServices, type ServiceOverrides, type Services } from '../../src/services.ts';

export const BASE = 'http://gateway.test/fhir';

export interface TestApp {
  app: Express;
  services: Services;
  close(): Promise<void>;
}

/** `services` passes a clock, issuer keys or the SHL fetch to the composition root. */
export async function createTestApp(
  overrides: Partial<Config> = {},
  serviceOverrides: ServiceOverrides = {},
): Promise<TestApp> {
  // Feature tests run with AUTH=off and no audit trail; test/helpers/auth-app.ts builds apps with both on.
  const config = parseConfig(
    {},
    {
      fhirBaseUrl: BASE,
      logLevel: 'silent',
      auth: false,
      audit: false,
      publicRateLimit: 0,
      // No validation threads unless a test asks (each loads its own copy of the packages).
      validationWorkers: 0,
      ...overrides,
    },
  );
  const services = await createServices(config, {
    inMemory: true,
    log: pino({ level: 'silent' }),
    ...serviceOverrides,
  });
  return { app: createApp(services), services, close: () => services.close() };
}

export const FHIR_JSON = 'application/fhir+json';

/** A minimal valid Immunization for a patient reference; fields can be overridden. */
export function immunization(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resourceType: 'Immunization',
    status: 'completed',
    vaccineCode: { coding: [{ system: 'http://id.who.int/icd/release/11/mms', code: 'XM0GQ8' }] },
    patient: { reference: 'Patient/p1' },
    occurrenceDateTime: '2021-05-01',
    ...overrides,
  };
}

export function patient(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resourceType: 'Patient',
    identifier: [{ system: 'urn:oid:2.16.840.1.113883.2.4.6.3', value: '999999999' }],
    name: [{ family: 'Mustermann', given: ['Erika'] }],
    birthDate: '1964-08-12',
    ...overrides,
  };
}
