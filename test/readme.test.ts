/**
 * The README's curl examples, run for real with curl against a listening server, in order.
 * Each example ends with `# → <status> <resourceType>`, which is what the test expects back.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { createApp } from '../src/app.ts';
import { configTableMarkdown, parseConfig } from '../src/config/schema.ts';
import { createServices, type Services } from '../src/services.ts';

const run = promisify(execFile);
const TOKEN_CALL = '$(npx gdhcn-gateway token)';
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

interface Example {
  command: string;
  status: number;
  resourceType: string;
}

function examples(): Example[] {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  return (
    blocks
      // An example may first capture a value from another call: `HC1=$(curl …) && curl …`.
      .filter((b) => /^\s*(\w+=\$\()?curl /.test(b))
      .map((b) => {
        const expect = /# → (\d{3}) (\w+)/.exec(b);
        if (!expect) throw new Error(`README example without an expectation line:\n${b}`);
        const command = b
          .slice(0, expect.index)
          .replace(/\\\n\s*/g, ' ')
          .trim();
        return { command, status: Number(expect[1]), resourceType: expect[2] };
      })
  );
}

/** The WHO packages of this workspace, as the README's `FHIR_PACKAGES=../shared/fhir-packages npm start` loads them. */
const SHARED_PACKAGES = new URL('../../shared/fhir-packages', import.meta.url).pathname;

/** The walkthrough runs as the README's reader starts the server: without packages, and with the WHO ones. */
const MODES: Array<{ name: string; env: Record<string, string> }> = [
  { name: 'without IG packages', env: {} },
  { name: 'with the shared WHO packages (strict DDCC validation on write)', env: { FHIR_PACKAGES: SHARED_PACKAGES } },
];

describe.each(MODES)('README walkthrough $name', ({ env: modeEnv }) => {
  let server: Server;
  let services: Services;
  let origin: string;
  /** The server's DATA_DIR: `npx gdhcn-gateway token` reads the development client from it, as on a laptop. */
  let dataDir: string;
  let cliEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dataDir = mkdtempSync(join(tmpdir(), 'gdhcn-readme-'));
    // Access control on, as the README's reader gets it (AUTH defaults to on).
    const env = { DATA_DIR: dataDir, FHIR_BASE_URL: `${origin}/fhir`, SQLITE_SYNCHRONOUS: 'NORMAL', ...modeEnv };
    cliEnv = { ...process.env, ...env, NODE_ENV: '' };
    services = await createServices(parseConfig(env), { log: pino({ level: 'silent' }) });
    server.on('request', createApp(services));
  }, 300_000);
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await services.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('when the server starts outside production, then the development client is registered and access control is on', () => {
    expect(services.config.auth).toBe(true);
    expect(services.auth.clients.get('dev-client')).toMatchObject({ enabled: true });
  });

  test('when the server starts in this mode, then the DDCC Immunization profile is loaded exactly when the packages are', () => {
    const { policy } = services.validation.current();
    const ddcc = policy.profiles.Immunization as string;
    expect([policy.mode, policy.missingProfiles.includes(ddcc)]).toEqual([
      'strict',
      modeEnv.FHIR_PACKAGES === undefined,
    ]);
  });

  /**
   * `$(npx gdhcn-gateway token)` as the reader's shell runs it, once per two minutes rather than once per example
   * (each run starts Node: the walkthrough took ten minutes per mode on a busy machine); tokens live five.
   */
  let token = { value: '', at: -Infinity };
  const withToken = async (command: string): Promise<string> => {
    if (!command.includes(TOKEN_CALL)) return command;
    if (performance.now() - token.at > 120_000) {
      const { stdout } = await run('bash', ['-c', 'npx gdhcn-gateway token'], { env: cliEnv });
      token = { value: stdout.trim(), at: performance.now() };
    }
    return command.replaceAll(TOKEN_CALL, token.value);
  };

  test('when the README curl examples run in order, then each answers the status and resource it promises', async () => {
    for (const ex of examples()) {
      const command = `${(await withToken(ex.command)).replaceAll('http://localhost:8080', origin)} -w '\\n%{http_code}'`;
      const { stdout } = await run('bash', ['-c', command], { env: cliEnv });
      const cut = stdout.lastIndexOf('\n');
      const body = JSON.parse(stdout.slice(0, cut)) as { resourceType: string };
      expect({ command: ex.command, status: Number(stdout.slice(cut + 1)), resourceType: body.resourceType }).toEqual({
        command: ex.command,
        status: ex.status,
        resourceType: ex.resourceType,
      });
    }
  }, 600_000);

  test('when a bare SNOMED-coded Immunization is pushed, then strict validation refuses it exactly when the WHO packages are loaded, as the README says', async () => {
    const bare = {
      resourceType: 'Immunization',
      status: 'completed',
      vaccineCode: { coding: [{ system: 'http://snomed.info/sct', code: '1119349007' }] },
      patient: { reference: 'Patient/erika' },
      occurrenceDateTime: '2021-05-01',
    };
    const command = `curl -s -H "Authorization: Bearer ${TOKEN_CALL}" -X POST ${origin}/fhir/Immunization -H 'Content-Type: application/fhir+json' -d '${JSON.stringify(bare)}' -w '\\n%{http_code}'`;
    const { stdout } = await run('bash', ['-c', await withToken(command)], { env: cliEnv });
    const cut = stdout.lastIndexOf('\n');
    const body = JSON.parse(stdout.slice(0, cut)) as { resourceType: string };
    const refused = modeEnv.FHIR_PACKAGES !== undefined;
    expect([Number(stdout.slice(cut + 1)), body.resourceType]).toEqual(
      refused ? [422, 'OperationOutcome'] : [201, 'Immunization'],
    );
  }, 120_000);
});

test('when the README is read, then it has curl examples to run', () => {
  expect(examples().length).toBeGreaterThanOrEqual(8);
});

test('when the config table in the README is compared with the schema, then they agree', () => {
  const table = /<!-- config-table:start -->\n([\s\S]*?)\n<!-- config-table:end -->/.exec(readme)?.[1];
  expect(table).toBe(configTableMarkdown());
});
