/**
 * The deployment path without Docker: builds what the Dockerfile builds and starts it the way the image does.
 *
 *   1. `npm run build` (dist/, as the build stage);
 *   2. a temporary copy of package.json + package-lock.json + dist/ + ig/ + profiles/ + bin/, installed with
 *      `npm ci --omit=dev` (as the runtime stage), with the lock list's IG packages put into ig/packages/ the way the
 *      image gets them (from ../shared/fhir-packages, standing in for the build-context folder);
 *   3. issuer keys made with the CLI's `keys init` into a temporary folder and given through ISSUER_* variables;
 *   4. `dist/main.js` started with the pinned Node 24 (node_modules/.bin/node of the dev install), NODE_ENV=production,
 *      on 127.0.0.1 and a free port; the CHECKS below are run against it; then SIGTERM, and a clean exit is required.
 *
 * Run with `npm run ci:production-boot`; `.ci/run` calls it. Exits 1 with the server's log when anything fails.
 * To add a check, add an entry to CHECKS: it gets the base URL and the
 * configuration the server was started with, and throws to fail.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

const ROOT = resolve(import.meta.dirname, '..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const SHARED_PACKAGES = resolve(ROOT, '../shared/fhir-packages');
/**
 * The public address production demands (https, not a loopback name), as a TLS proxy in front would give it. Nothing
 * is ever sent there: the checks talk to the server's own listener on 127.0.0.1.
 */
const PUBLIC = 'https://gateway.example.org';
/** A registered backend client (SMART Backend Services) that the authenticated checks act as. */
const CLIENT_ID = 'ci-his';
const CLIENT_SCOPE = 'system/Patient.cruds';

/** A client key pair and the clients file (AUTH_CLIENTS_FILE) that registers its public half. */
async function registerClient(dir: string): Promise<{ file: string; assertion: () => Promise<string> }> {
  const { privateKey, publicKey } = await generateKeyPair('ES384');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'ci-1', alg: 'ES384' };
  const file = join(dir, 'clients.json');
  writeFileSync(
    file,
    JSON.stringify({
      clients: [
        {
          id: CLIENT_ID,
          name: 'CI health information system',
          jwks: { keys: [jwk] },
          scopes: [CLIENT_SCOPE],
          enabled: true,
        },
      ],
    }),
  );
  const assertion = () =>
    new SignJWT({ jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'ES384', kid: 'ci-1', typ: 'JWT' })
      .setIssuer(CLIENT_ID)
      .setSubject(CLIENT_ID)
      .setAudience(`${PUBLIC}/auth/token`)
      .setExpirationTime('4m')
      .sign(privateKey);
  return { file, assertion };
}

let clientAssertion: () => Promise<string> = () => Promise.reject(new Error('no client registered'));

interface Check {
  name: string;
  run: (base: string, env: Record<string, string>) => Promise<void>;
}

async function expectJson(url: string, status: number, init: RequestInit = {}): Promise<Record<string, unknown>> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (res.status !== status)
    throw new Error(`${init.method ?? 'GET'} ${url} answered ${res.status}, expected ${status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

const CHECKS: Check[] = [
  {
    name: 'GET /healthz answers 200 ok',
    run: async (base) => {
      const body = await expectJson(`${base}/healthz`, 200);
      if (body.status !== 'ok') throw new Error(`/healthz said ${JSON.stringify(body)}`);
    },
  },
  {
    name: 'GET /fhir/metadata answers the CapabilityStatement',
    run: async (base) => {
      const body = await expectJson(`${base}/fhir/metadata`, 200, { headers: { Accept: 'application/fhir+json' } });
      if (body.resourceType !== 'CapabilityStatement')
        throw new Error(`/fhir/metadata gave a ${String(body.resourceType)}`);
    },
  },
  {
    name: 'GET /console serves the built console page with its Content-Security-Policy, and its script',
    run: async (base) => {
      const res = await fetch(`${base}/console/`, { signal: AbortSignal.timeout(30_000) });
      const html = await res.text();
      if (res.status !== 200 || !/script-src 'self'/.test(res.headers.get('content-security-policy') ?? ''))
        throw new Error(`/console answered ${res.status} (CSP ${res.headers.get('content-security-policy')})`);
      const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      const js = script ? await fetch(`${base}${script}`, { signal: AbortSignal.timeout(30_000) }) : undefined;
      if (js?.status !== 200) throw new Error(`the console's script ${script} answered ${js?.status}`);
    },
  },
  {
    name: 'a FHIR read without a token answers 401 with WWW-Authenticate: Bearer',
    run: async (base) => {
      const res = await fetch(`${base}/fhir/Patient/ci-1`, { signal: AbortSignal.timeout(30_000) });
      if (res.status !== 401 || !/^Bearer/.test(res.headers.get('www-authenticate') ?? ''))
        throw new Error(`an anonymous read answered ${res.status} (${res.headers.get('www-authenticate')})`);
    },
  },
  {
    name: 'a registered client gets a token (POST /auth/token), writes a Patient and reads it back',
    run: async (base) => {
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await clientAssertion(),
        scope: CLIENT_SCOPE,
      });
      const token = await expectJson(`${base}/auth/token`, 200, { method: 'POST', body: form });
      const auth = { Authorization: `Bearer ${String(token.access_token)}`, 'Content-Type': 'application/fhir+json' };
      const patient = {
        resourceType: 'Patient',
        id: 'ci-1',
        name: [{ family: 'Boot', given: ['Check'] }],
        birthDate: '1970-01-01',
      };
      await expectJson(`${base}/fhir/Patient/ci-1`, 201, {
        method: 'PUT',
        headers: auth,
        body: JSON.stringify(patient),
      });
      const read = await expectJson(`${base}/fhir/Patient/ci-1`, 200, { headers: auth });
      if (read.id !== 'ci-1') throw new Error(`the read gave ${JSON.stringify(read).slice(0, 200)}`);
    },
  },
  {
    name: 'GET /readyz answers 200 ready (storage writable, profiles loaded, keys valid, trust list fine)',
    run: async (base) => {
      const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(30_000) });
      const body = await res.text();
      if (res.status !== 200 || (JSON.parse(body) as { status?: string }).status !== 'ready')
        throw new Error(`/readyz answered ${res.status}: ${body}`);
    },
  },
  {
    name: 'GET /metrics answers Prometheus text',
    run: async (base) => {
      const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(30_000) });
      const text = await res.text();
      if (res.status !== 200 || !text.includes('gdhcn_http_requests_total'))
        throw new Error(`/metrics answered ${res.status}: ${text.slice(0, 300)}`);
    },
  },
];

function sh(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): void {
  process.stdout.write(`production-boot: ${command} ${args.join(' ')}  (in ${cwd})\n`);
  execFileSync(command, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });
}

async function waitForHealth(base: string, exited: () => string | undefined, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    const gone = exited();
    if (gone) throw new Error(`the server exited before answering (${gone})`);
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no answer from ${base}/healthz within ${deadlineMs / 1000} s`);
}

/** The lock list's packages put into ig/packages/ as the image's build context would hold them. */
function stageIgPackages(appDir: string): string[] {
  const lock = JSON.parse(readFileSync(join(ROOT, 'ig/packages.json'), 'utf8')) as {
    packages: Array<{ package: string; source: string }>;
  };
  const target = join(appDir, 'ig/packages');
  mkdirSync(target, { recursive: true });
  const staged: string[] = [];
  for (const entry of lock.packages) {
    const from = resolve(ROOT, entry.source);
    if (!existsSync(from))
      throw new Error(`IG package ${entry.package} not found at ${entry.source} (ig/packages.json)`);
    cpSync(from, join(target, `${entry.package.replace('#', '-')}.tgz`));
    staged.push(entry.package);
  }
  // The HL7 IPS package (the default Bundle ingest profile) is published on the npm registry; the Dockerfile packs
  // it from there. Here the same build sits in ../shared/fhir-packages, so nothing is downloaded.
  const ips = join(SHARED_PACKAGES, 'hl7.fhir.uv.ips#2.0.0.tgz');
  if (existsSync(ips) && !staged.some((p) => p.startsWith('hl7.fhir.uv.ips#'))) {
    cpSync(ips, join(target, 'hl7.fhir.uv.ips-2.0.0.tgz'));
    staged.push('hl7.fhir.uv.ips#2.0.0');
  }
  return staged;
}

async function main(): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'gdhcn-production-boot-'));
  const app = join(work, 'app');
  let log = '';
  try {
    sh('npm', ['run', 'build'], ROOT);
    mkdirSync(app);
    for (const f of ['package.json', 'package-lock.json', 'dist', 'ig', 'profiles', 'bin'])
      cpSync(join(ROOT, f), join(app, f), { recursive: true });
    sh('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], app);
    const staged = stageIgPackages(app);
    process.stdout.write(`production-boot: IG packages staged: ${staged.join(', ')}\n`);

    const keys = join(work, 'keys');
    sh(NODE, [join(app, 'bin/gdhcn-gateway.js'), 'keys', 'init', '--country', 'XX', '--dir', keys], app, {
      ...process.env,
      DATA_DIR: join(work, 'data'),
    });

    const client = await registerClient(work);
    clientAssertion = client.assertion;
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: work,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      FHIR_BASE_URL: `${PUBLIC}/fhir`,
      ISSUER_URL: PUBLIC,
      SHL_BASE_URL: `${PUBLIC}/shl`,
      AUTH_CLIENTS_FILE: client.file,
      DATA_DIR: join(work, 'data'),
      FHIR_PACKAGE_CACHE: join(work, 'fhir-cache'),
      ISSUER_CSCA_CERT: join(keys, 'csca.crt.pem'),
      ISSUER_DSC_CERTS: join(keys, 'dsc-1.crt.pem'),
      ISSUER_DSC_KEYS: join(keys, 'dsc-1.key.pem'),
      ISSUER_SHC_KEY: join(keys, 'shc.key.pem'),
      ISSUER_SHC_CERT: join(keys, 'shc.crt.pem'),
    };
    process.stdout.write(`production-boot: starting ${NODE} dist/main.js on ${base}\n`);
    const child = spawn(NODE, ['dist/main.js'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (b: Buffer) => {
      log += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      log += b.toString();
    });
    let exit: string | undefined;
    const exited = new Promise<number | null>((done) =>
      child.on('exit', (code, signal) => {
        exit = `code ${code}, signal ${signal}`;
        done(code);
      }),
    );
    try {
      await waitForHealth(base, () => exit, 180_000);
      for (const check of CHECKS) {
        await check.run(base, env);
        process.stdout.write(`production-boot: ok  ${check.name}\n`);
      }
    } finally {
      if (!exit) child.kill('SIGTERM');
    }
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000).unref())]);
    if (code === 'hung') {
      child.kill('SIGKILL');
      throw new Error('the server did not exit within 30 s of SIGTERM');
    }
    if (code !== 0) throw new Error(`the server exited with ${exit} after SIGTERM`);
    if (/ERR_MODULE_NOT_FOUND/.test(log)) throw new Error('the server log mentions ERR_MODULE_NOT_FOUND');
    process.stdout.write('production-boot: ok  stopped cleanly on SIGTERM\n');
    return 0;
  } catch (err) {
    process.stderr.write(`production-boot: FAILED: ${(err as Error).message}\n`);
    if (log) process.stderr.write(`--- server log ---\n${log}\n--- end of server log ---\n`);
    return 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
