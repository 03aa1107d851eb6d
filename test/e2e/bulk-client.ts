/** A Bulk Data client for `$issue-hcert-bulk` tests: kick-off, poll, manifest, NDJSON files. */
import type { Express } from 'express';
import request from 'supertest';
import { FHIR_JSON } from '../helpers/test-app.ts';

export interface Manifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: boolean;
  output: { type: string; url: string; count: number }[];
  error: { type: string; url: string; count: number }[];
}

const text = (res: import('http').IncomingMessage, done: (err: Error | null, body: string) => void) => {
  let s = '';
  res.setEncoding('utf8');
  res.on('data', (c: string) => (s += c));
  res.on('end', () => done(null, s));
};

/** The path after the host of an absolute URL the server made (`http://gateway.test/fhir/...` → `/fhir/...`). */
export const pathOf = (url: string): string => new URL(url).pathname + new URL(url).search;

export function bulkClient(app: Express, bearer?: string) {
  const auth = (r: request.Test) => (bearer ? r.set('Authorization', `Bearer ${bearer}`) : r);
  return {
    /** `at` is the path of the kick-off: the system level, or `Group/<id>`. */
    kickOff: (parameter: unknown[], prefer = 'respond-async', at = '') =>
      auth(request(app).post(`/fhir/${at ? `${at}/` : ''}$issue-hcert-bulk`))
        .set('Content-Type', FHIR_JSON)
        .set('Prefer', prefer)
        .send(JSON.stringify({ resourceType: 'Parameters', parameter })),
    status: (location: string) => auth(request(app).get(pathOf(location))),
    cancel: (location: string) => auth(request(app).delete(pathOf(location))),
    /** Polls until the job answers something other than 202 (the job runs in the background of this process). */
    async finish(location: string): Promise<request.Response> {
      for (let i = 0; ; i++) {
        if (i > 5000) throw new Error(`${location} still answers 202`);
        const res = await auth(request(app).get(pathOf(location)));
        if (res.status !== 202) return res;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    /** The lines of an NDJSON file, parsed. */
    async lines<T>(url: string): Promise<T[]> {
      const res = await auth(request(app).get(pathOf(url)))
        .buffer(true)
        .parse(text as unknown as Parameters<request.Test['parse']>[0]);
      if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${res.body}`);
      expect(res.headers['content-type']).toMatch(/^application\/fhir\+ndjson/);
      return (res.body as string)
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as T);
    },
  };
}
