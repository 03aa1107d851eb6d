/**
 * Shared by the VHL (IHE ITI.VHL) suites: an app with https FHIR and SHL bases (a vhlink url must be https), the
 * identifier of the pushed IPS document's patient (read from the shared IPS package, not written here), and the
 * receiver's steps: decode the HC1, take the vhlink from claim -260 key 5, POST the manifest search, fetch and
 * decrypt each document.
 */
import request from 'supertest';
import { decodeHc1 } from '../../src/formats/hcert/verify.ts';
import { decryptShlFile } from '../../src/formats/shl/jwe.ts';
import { decodeVhlink, parseVhlManifestUrl, type VhlinkPayload } from '../../src/formats/shl/vhlink.ts';
import type { Config } from '../../src/config/schema.ts';
import type { TestApp } from '../helpers/test-app.ts';
import { createShlApp, DOCUMENT_PATIENT, pathOf, type ShlApp } from './shl-support.ts';

export const FHIR_BASE = 'https://gateway.test/fhir';

export function createVhlApp(config: Partial<Config> = {}): Promise<ShlApp> {
  return createShlApp({ fhirBaseUrl: FHIR_BASE, ...config });
}

/** `system|value` of the IPS example's patient. */
export function patientToken(): string {
  const ids = DOCUMENT_PATIENT().identifier as Array<{ system: string; value: string }>;
  const first = ids[0]!;
  return `${first.system}|${first.value}`;
}

/** `GET Patient/$generate-vhl?…` as the profile sends it. */
export function generate(t: TestApp, params: Record<string, string | string[]>): request.Test {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const one of [v].flat()) q.append(k, one);
  return request(t.app).get(`/fhir/Patient/$generate-vhl?${q.toString()}`);
}

/** The vhlink:/ text an HC1 carries at claim -260 key 5. */
export function carriedLink(hc1: string): string {
  const links = decodeHc1(hc1).payloads.smartHealthLinks ?? [];
  if (links.length !== 1) throw new Error(`expected one carried link, got ${links.length}`);
  return links[0] as string;
}

/** ITI-YY5 as a receiver sends it: the manifest URL's parameters plus the SHL ones, form-encoded, to List/_search. */
export function manifestSearch(
  t: TestApp,
  payload: VhlinkPayload,
  extra: Record<string, string> = { recipient: 'Clinic of another country' },
): request.Test {
  const url = new URL(payload.url);
  const body = new URLSearchParams(url.searchParams);
  for (const [k, v] of Object.entries(extra)) body.append(k, v);
  return request(t.app)
    .post(`${url.pathname.replace(/\/List$/, '/List/_search')}`)
    .set('Content-Type', 'application/x-www-form-urlencoded')
    .set('Accept', 'application/fhir+json')
    .send(body.toString());
}

/** The full receiver flow: HC1 → vhlink → manifest → documents, decrypted with the link's key. */
export async function receive(
  t: TestApp,
  hc1: string,
  extra?: Record<string, string>,
): Promise<{ payload: VhlinkPayload; manifest: request.Response; documents: unknown[] }> {
  const payload = decodeVhlink(carriedLink(hc1));
  parseVhlManifestUrl(payload.url);
  const manifest = await manifestSearch(t, payload, extra);
  const documents: unknown[] = [];
  if (manifest.status !== 200) return { payload, manifest, documents };
  const entries = manifest.body.entry as Array<{ search: { mode: string }; resource: Record<string, unknown> }>;
  for (const e of entries.filter((x) => x.search.mode === 'include')) {
    const attachment = (e.resource.content as Array<{ attachment: { url: string; contentType: string } }>)[0]!
      .attachment;
    const file = await request(t.app).get(pathOf(attachment.url)).set('Accept', 'application/jose');
    if (file.status !== 200) throw new Error(`document fetch ${file.status}`);
    expect(file.headers['content-type']).toMatch(/^application\/jose/);
    const opened = await decryptShlFile(file.text, payload.key);
    expect(opened.contentType).toBe(attachment.contentType);
    documents.push(JSON.parse(new TextDecoder().decode(opened.content)));
  }
  return { payload, manifest, documents };
}

/** The output parameters of `$generate-vhl`. */
export function outputs(res: request.Response): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const p of res.body.parameter as Array<Record<string, unknown> & { name: string }>) out[p.name] = p;
  return out;
}
