/**
 * `$verify` cannot be used to probe the network: a submitted link is fetched only under SHL_FETCH_ALLOW, a
 * non-public address only when allow-listed literally, a redirect is never followed, and no other URL a credential
 * names (SHC `iss`, `jku`) is ever fetched. Real node:http servers on 127.0.0.1 stand in for remote SHL hosts; the
 * fetch the app uses for them is a spy, so "never contacted" is asserted, not assumed.
 */
import { jest } from '@jest/globals';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deflateRawSync } from 'node:zlib';
import { encryptShlFile } from '../../src/formats/shl/jwe.ts';
import { encodeShlink } from '../../src/formats/shl/link.ts';
import { createShlApp, documentBundle, failed, verify, type ShlApp } from './shl-support.ts';

interface Seen {
  method: string;
  url: string;
  body: string;
}

interface Host {
  base: string;
  seen: Seen[];
  /** TCP connections accepted, whatever was sent on them (a TLS hello counts too). */
  connections: number;
  close(): Promise<void>;
}

/** A real server on 127.0.0.1:0 that records every request before answering it. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Host> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body });
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const host: Host = {
    base,
    seen,
    connections: 0,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
  server.on('connection', () => host.connections++);
  return host;
}

const key = () => randomBytes(32).toString('base64url');
const bundle = documentBundle();
const fileKey = key();
let jwe: string;

let remote: Host;
let other: Host;
let t: ShlApp;
const shlFetch = jest.fn<typeof fetch>((input, init) => fetch(input, init));

beforeAll(async () => {
  jwe = await encryptShlFile(JSON.stringify(bundle), fileKey, { contentType: 'application/fhir+json', zip: true });
  other = await serve((_req, res) =>
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ files: [{ contentType: 'application/fhir+json', embedded: jwe }] })),
  );
  remote = await serve((req, res) => {
    if (req.url === '/shl/manifest')
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ files: [{ contentType: 'application/fhir+json', embedded: jwe }] }));
    else if (req.url === '/shl/pointer')
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          files: [{ contentType: 'application/fhir+json', location: 'https://169.254.169.254/latest/meta-data/file' }],
        }),
      );
    else if (req.url === '/shl/moved') res.writeHead(302, { location: `${other.base}/shl/manifest` }).end();
    else res.writeHead(404).end();
  });
  const localhostAlias = remote.base.replace('127.0.0.1', 'localhost');
  t = await createShlApp({ shlFetchAllow: [`${remote.base}/shl/`, `${localhostAlias}/shl/`] }, { shlFetch });
});
afterAll(async () => {
  await t.close();
  await remote.close();
  await other.close();
});
beforeEach(() => {
  shlFetch.mockClear();
  for (const h of [remote, other]) {
    h.seen.length = 0;
    h.connections = 0;
  }
});

const link = (url: string, k = key()) => encodeShlink({ url, key: k, v: 1 });

describe('$verify fetches SHL manifests only where allowed', () => {
  test('when a link points at the cloud metadata address, then valid:false saying the URL is not allowed, and nothing is fetched', async () => {
    const v = await verify(t, link('https://169.254.169.254/latest/meta-data/iam'));
    expect(v.status).toBe(200);
    expect(v.valid).toBe(false);
    expect(failed(v)).toEqual([
      {
        name: 'decompress',
        status: 'fail',
        failure: 'decode-error',
        message:
          'The manifest could not be fetched: SHL fetch refused: https://169.254.169.254/latest/meta-data/iam is not under a prefix of SHL_FETCH_ALLOW',
      },
    ]);
    expect(shlFetch).not.toHaveBeenCalled();
  });

  test('when a link points at a plain-http non-loopback address, then the link itself is refused before any fetch', async () => {
    const text = `shlink:/${Buffer.from(JSON.stringify({ url: 'http://169.254.169.254/latest/meta-data/', key: key() })).toString('base64url')}`;
    const v = await verify(t, text);
    expect(v.valid).toBe(false);
    expect(failed(v)).toEqual([
      {
        name: 'unprefix',
        status: 'fail',
        failure: 'decode-error',
        message: 'SHL: url must be an https URL of at most 128 characters',
      },
    ]);
    expect(shlFetch).not.toHaveBeenCalled();
  });

  test('when an allow-listed host name resolves to a loopback address, then the fetch is refused (only a literal address in the allow-list may be inner)', async () => {
    const v = await verify(t, link(`${remote.base.replace('127.0.0.1', 'localhost')}/shl/manifest`));
    expect(v.valid).toBe(false);
    expect(failed(v).map((c) => [c.name, c.failure])).toEqual([['decompress', 'decode-error']]);
    expect(failed(v)[0]!.message).toMatch(
      /^The manifest could not be fetched: SHL fetch refused: localhost resolves to the non-public address (127\.0\.0\.1|::1); allow-list that address literally to reach it$/,
    );
    expect(shlFetch).not.toHaveBeenCalled();
    expect(remote.connections).toBe(0);
  });

  test('when the link is under an allow-listed http://127.0.0.1 prefix, then the manifest is fetched once, decrypted and the link verifies', async () => {
    const v = await verify(t, link(`${remote.base}/shl/manifest`, fileKey));
    expect(v.valid).toBe(true);
    expect(v.format).toBe('shl');
    expect(failed(v)).toEqual([]);
    expect(v.content).toEqual(bundle);
    expect(shlFetch).toHaveBeenCalledTimes(1);
    expect(remote.seen).toEqual([
      { method: 'POST', url: '/shl/manifest', body: JSON.stringify({ recipient: 'gdhcn-gateway verifier' }) },
    ]);
  });

  test('when the allow-listed server answers with a redirect to another local server, then it is refused and the other server is never contacted', async () => {
    const v = await verify(t, link(`${remote.base}/shl/moved`, fileKey));
    expect(v.valid).toBe(false);
    expect(failed(v)).toEqual([
      {
        name: 'decompress',
        status: 'fail',
        failure: 'decode-error',
        message: `The manifest could not be fetched: SHL fetch failed: ${remote.base}/shl/moved answered a redirect (HTTP 302), which is not followed`,
      },
    ]);
    expect(v.content).toBeUndefined();
    expect(remote.seen.map((s) => s.url)).toEqual(['/shl/moved']);
    expect(other.connections).toBe(0);
  });

  test('when an allow-listed manifest points its file location at a non-allowed address, then the location is refused and only the manifest was fetched', async () => {
    const v = await verify(t, link(`${remote.base}/shl/pointer`, fileKey));
    expect(v.valid).toBe(false);
    expect(failed(v)).toEqual([
      {
        name: 'decompress',
        status: 'fail',
        failure: 'decode-error',
        message:
          'The manifest could not be fetched: SHL fetch refused: https://169.254.169.254/latest/meta-data/file is not under a prefix of SHL_FETCH_ALLOW',
      },
    ]);
    expect(shlFetch).toHaveBeenCalledTimes(1);
    expect(shlFetch.mock.calls[0]![0]).toBe(`${remote.base}/shl/pointer`);
  });

  test('when the allow-listed server answers 404, then the link counts as no longer served (revoked)', async () => {
    const v = await verify(t, link(`${remote.base}/shl/gone`));
    expect(failed(v)).toEqual([
      {
        name: 'revocation',
        status: 'fail',
        failure: 'revoked',
        message: 'The link is no longer served (revoked, expired or disabled)',
      },
    ]);
  });

  test('when a prefix only looks like an allow-listed one, then it is refused', async () => {
    const v = await verify(t, link(`${remote.base}/shlx/manifest`));
    expect(failed(v)[0]!.message).toBe(
      `The manifest could not be fetched: SHL fetch refused: ${remote.base}/shlx/manifest is not under a prefix of SHL_FETCH_ALLOW`,
    );
    expect(shlFetch).not.toHaveBeenCalled();
  });
});

describe('no other URL named by a credential is fetched', () => {
  test('when a SMART Health Card names a live server as iss and jku, then it is not contacted and the key is unknown', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    // An SHC iss must be https: the live server's port is named with https, and any connection to it is counted.
    const live = other.base.replace('http:', 'https:');
    const header = { alg: 'ES256', zip: 'DEF', kid: 'attacker-kid', jku: `${live}/.well-known/jwks.json` };
    const payload = {
      iss: live,
      nbf: Math.floor(t.clock.now().getTime() / 1000),
      vc: {
        type: ['https://smarthealth.cards#health-card'],
        credentialSubject: {
          fhirVersion: '4.0.1',
          fhirBundle: { resourceType: 'Bundle', type: 'collection', entry: [] },
        },
      },
    };
    const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${deflateRawSync(Buffer.from(JSON.stringify(payload))).toString('base64url')}`;
    const jws = `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;

    const v = await verify(t, jws);
    expect(v.status).toBe(200);
    expect(v.valid).toBe(false);
    expect(v.format).toBe('shc');
    expect(v.failures).toContain('key-unknown');
    expect(shlFetch).not.toHaveBeenCalled();
    expect(other.connections).toBe(0);
  });
});
