/** `gdhcn-gateway clients add|list|disable` and `gdhcn-gateway token`, on a throw-away DATA_DIR. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { pino } from 'pino';
import { runCli } from '../../src/cli/main.ts';
import { parseConfig } from '../../src/config/schema.ts';
import { createAuthServices } from '../../src/services-auth.ts';
import { makeClientKeys } from '../helpers/auth-app.ts';

let dir: string;
let env: Record<string, string>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gdhcn-cli-clients-'));
  env = { DATA_DIR: dir, FHIR_BASE_URL: 'http://127.0.0.1:9999/fhir' };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<[number, string]> {
  let out = '';
  const code = await runCli(argv, env, (s) => (out += s));
  return [code, out];
}

test('when there is no development client yet, then token fails with a message saying how to make one', async () => {
  const [code, out] = await cli('token');
  expect(code).toBe(1);
  expect(out).toMatch(/no development client in .*auth: start the server once outside production/);
});

test('when a client is added, listed, disabled and re-enabled, then the registry file says so each time', async () => {
  const { publicJwk } = await makeClientKeys('ES384');
  const jwksFile = join(dir, 'his.jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [publicJwk] }));
  expect(
    await cli(
      'clients',
      'add',
      'his-1',
      '--jwks',
      jwksFile,
      '--scopes',
      'system/Patient.cruds system/Immunization.cruds',
    ),
  ).toEqual([0, 'client his-1 registered with scopes: system/Patient.cruds system/Immunization.cruds\n']);
  expect(await cli('clients', 'list')).toEqual([
    0,
    'his-1\tenabled\tinline jwks\tsystem/Patient.cruds system/Immunization.cruds\n',
  ]);
  expect(await cli('clients', 'disable', 'his-1')).toEqual([0, 'client his-1 disabled; its next request is refused\n']);
  expect((await cli('clients', 'list'))[1]).toMatch(/^his-1\tdisabled\t/);
  expect(await cli('clients', 'disable', 'nobody')).toEqual([1, 'no client nobody\n']);
  expect(await cli('clients', 'enable', 'his-1')).toEqual([0, 'client his-1 enabled; its next request is served\n']);
  expect((await cli('clients', 'list'))[1]).toMatch(/^his-1\tenabled\t/);
  expect(await cli('clients', 'enable', 'nobody')).toEqual([1, 'no client nobody\n']);
});

test('when a client is added with a private key as its JWKS, then it is refused', async () => {
  const jwksFile = join(dir, 'private.jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-384', x: 'a', y: 'b', d: 'secret' }] }));
  expect(await cli('clients', 'add', 'leaky', '--jwks', jwksFile, '--scopes', 'system/Patient.rs')).toEqual([
    1,
    'client: jwks must hold public keys only\n',
  ]);
});

test('when the server has started once outside production, then token prints a bearer token for the development client', async () => {
  const config = parseConfig(env);
  await createAuthServices(config, pino({ level: 'silent' }), dir, () => new Date());
  const [code, out] = await cli('token', '--scope', 'system/Patient.rs');
  expect(code).toBe(0);
  const claims = decodeJwt(out.trim());
  expect(claims).toMatchObject({
    iss: 'http://127.0.0.1:9999',
    aud: 'http://127.0.0.1:9999/fhir',
    sub: 'dev-client',
    scope: 'system/Patient.rs',
  });
});
