/** Drives a real listening server with fhir-kit-client, as an EHR integration would. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, type FhirResource } from 'fhir-kit-client';
import { pino } from 'pino';
import { createApp } from '../../src/app.ts';
import { parseConfig } from '../../src/config/schema.ts';
import { createServices, type Services } from '../../src/services.ts';
import { immunization, patient } from '../helpers/test-app.ts';

let server: Server;
let services: Services;
let client: InstanceType<typeof Client>;

beforeAll(async () => {
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`;
  services = await createServices(parseConfig({}, { fhirBaseUrl: baseUrl, searchDefaultCount: 2 }), {
    inMemory: true,
    log: pino({ level: 'silent' }),
  });
  server.on('request', createApp(services));
  // Access control is on (the default): the client carries a bearer token of the development client.
  const token = await services.auth.tokens.mint(services.auth.clients.get('dev-client')!, ['system/*.cruds']);
  client = new Client({ baseUrl, bearerToken: token });
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await services.close();
});

test('when a FHIR client creates, searches, reads, updates and asks for history, then each answer is what FHIR promises', async () => {
  const asBody = (r: Record<string, unknown>) => r as unknown as FhirResource;
  const capability = (await client.capabilityStatement()) as unknown as { fhirVersion: string };
  expect(capability.fhirVersion).toBe('4.0.1');

  const p = (await client.create({ resourceType: 'Patient', body: asBody(patient()) })) as unknown as { id: string };
  for (const date of ['2021-01-01', '2021-02-01', '2021-03-01']) {
    await client.create({
      resourceType: 'Immunization',
      body: asBody(immunization({ patient: { reference: `Patient/${p.id}` }, occurrenceDateTime: date })),
    });
  }

  const page1 = (await client.search({
    resourceType: 'Immunization',
    searchParams: { patient: p.id, _sort: 'date' },
  })) as unknown as { entry: Array<{ resource: { id: string; occurrenceDateTime: string } }> };
  expect(page1.entry.map((e) => e.resource.occurrenceDateTime)).toEqual(['2021-01-01', '2021-02-01']);
  const page2 = (await client.nextPage({
    bundle: page1 as unknown as Parameters<typeof client.nextPage>[0]['bundle'],
  })) as unknown as typeof page1;
  expect(page2.entry.map((e) => e.resource.occurrenceDateTime)).toEqual(['2021-03-01']);

  const read = (await client.read({ resourceType: 'Patient', id: p.id })) as unknown as Record<string, unknown>;
  expect(read).toMatchObject({ id: p.id, meta: { versionId: '1' } });
  const updated = (await client.update({
    resourceType: 'Patient',
    id: p.id,
    body: asBody({ ...read, gender: 'female' }),
  })) as unknown as { meta: { versionId: string } };
  expect(updated.meta.versionId).toBe('2');

  const history = (await client.history({ resourceType: 'Patient', id: p.id })) as unknown as {
    total: number;
    entry: unknown[];
  };
  expect(history.total).toBe(2);
  expect(history.entry).toHaveLength(2);
});

test('when fhir-kit-client sends a conditional update, a JSON Patch and a conditional delete, then each is applied', async () => {
  const asBody = (r: Record<string, unknown>) => r as unknown as FhirResource;
  const SYS = 'urn:oid:1.2.3.99';
  const body = asBody(patient({ identifier: [{ system: SYS, value: 'FK-1' }] }));
  const created = (await client.update({
    resourceType: 'Patient',
    searchParams: { identifier: `${SYS}|FK-1` },
    body,
  })) as unknown as { id: string; meta: { versionId: string } };
  expect(created.meta.versionId).toBe('1');
  const updated = (await client.update({
    resourceType: 'Patient',
    searchParams: { identifier: `${SYS}|FK-1` },
    body,
  })) as unknown as { id: string; meta: { versionId: string } };
  expect(updated).toMatchObject({ id: created.id, meta: { versionId: '2' } });
  const patched = (await client.patch({
    resourceType: 'Patient',
    id: created.id,
    jsonPatch: [{ op: 'add', path: '/gender', value: 'female' }],
  })) as unknown as { gender: string };
  expect(patched.gender).toBe('female');
  // fhir-kit-client's delete() takes an id only: the conditional delete goes through its generic request().
  await client.request(`Patient?identifier=${encodeURIComponent(`${SYS}|FK-1`)}`, { method: 'DELETE' });
  const after = (await client.search({
    resourceType: 'Patient',
    searchParams: { identifier: `${SYS}|FK-1` },
  })) as unknown as { entry?: unknown[] };
  expect(after.entry ?? []).toHaveLength(0);
});
