/** First start of the real process: what matters is said once, loudly, in one line; the rest stays quiet. */
import { SHARED_PACKAGES_DIR } from '../helpers/shared-packages.ts';
import { startServer, type ServerProcess } from './server-process.ts';

let server: ServerProcess | undefined;
afterAll(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
});

const MISSING = 'http://example.org/StructureDefinition/not-loaded';

test('when the server first starts with development keys, the development client, no trust list, a profile not loaded and packages with missing dependencies, then one ATTENTION line names each, one line counts the package warnings, and nothing else warns', async () => {
  server = await startServer({ VALIDATION_PROFILES: `Immunization=${MISSING}`, FHIR_PACKAGES: SHARED_PACKAGES_DIR });
  await server.waitForLog(/"msg":"ATTENTION: /);
  const lines = server
    .log()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { level: number; msg: string; attention?: string[]; count?: number });
  const loud = lines.filter((l) => l.level >= 40);
  expect(loud.map((l) => l.msg.split(':')[0])).toEqual(['FHIR packages', 'ATTENTION']);
  expect(loud[0]!.count).toBeGreaterThan(1);
  expect(loud[0]!.msg).toBe(
    `FHIR packages: ${loud[0]!.count} dependency warning(s), none fatal; listed by GET /fhir/$packages and at LOG_LEVEL=debug`,
  );
  const attention = loud[1]!.attention!;
  // Authentication is on by default: the development client registered for the README examples is what to know.
  expect(attention.map((a) => a.split(/:| in /)[0])).toEqual([
    'DEVELOPMENT KEYS',
    'DEVELOPMENT CLIENT "dev-client" registered',
    'PROFILES NOT LOADED',
    'NO TRUST LIST',
  ]);
  expect(attention[2]).toContain(MISSING);
  expect(lines.find((l) => l.msg === 'gdhcn-gateway listening')).toBeDefined();
}, 120_000);
